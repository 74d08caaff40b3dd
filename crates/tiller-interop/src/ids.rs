//! Readable, unique plan ids from names, WBS codes and activity ids.

use std::collections::HashSet;

/// Longest id derived from a name (ids may be 100 bytes; shorter ones read better in
/// `after` lists).
const MAX_SLUG: usize = 40;

/// A lowercase slug of a display name: `"Design Review (v2)"` → `design-review-v2`.
/// Letters outside ASCII are transliterated where simple, dropped otherwise. May be
/// empty.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for ch in name.chars() {
        let mapped: Option<&str> = match ch {
            'a'..='z' | '0'..='9' => None,
            'A'..='Z' => None,
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                Some("a")
            }
            'ç' | 'Ç' => Some("c"),
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => Some("e"),
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => Some("i"),
            'ñ' | 'Ñ' => Some("n"),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                Some("o")
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => Some("u"),
            'ß' => Some("ss"),
            _ => Some("-"),
        };
        match mapped {
            None => {
                out.push(ch.to_ascii_lowercase());
                dash = false;
            }
            Some("-") => {
                if !dash && !out.is_empty() {
                    out.push('-');
                    dash = true;
                }
            }
            Some(s) => {
                out.push_str(s);
                dash = false;
            }
        }
        if out.len() > MAX_SLUG + 10 {
            break;
        }
    }
    if out.len() > MAX_SLUG {
        // Cut at a word boundary when there is one in the second half.
        let cut = out[..MAX_SLUG]
            .rfind('-')
            .filter(|&i| i > MAX_SLUG / 2)
            .unwrap_or(MAX_SLUG);
        out.truncate(cut);
    }
    out.trim_matches('-').to_string()
}

/// An id from a code that is already an identifier in the source tool (a Jira issue
/// key, a P6 activity id, a WBS code): kept as written where the plan format allows,
/// other characters replaced by `-`.
pub fn code(text: &str) -> String {
    let mut out = String::new();
    for ch in text.trim().chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' || ch == '-' {
            out.push(ch);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 90 {
            break;
        }
    }
    let trimmed = out.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    trimmed.trim_end_matches('-').to_string()
}

/// Hands out unique ids in one namespace.
#[derive(Debug, Default)]
pub struct IdSet {
    used: HashSet<String>,
}

impl IdSet {
    /// `wanted` if free, else `wanted-2`, `wanted-3`, ...; `fallback` when `wanted` is
    /// empty.
    pub fn claim(&mut self, wanted: &str, fallback: &str) -> String {
        let base = if wanted.is_empty() { fallback } else { wanted };
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let mut n = 2;
        loop {
            let candidate = format!("{base}-{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    /// Reserves an id so that `claim` never hands it out.
    pub fn reserve(&mut self, id: &str) {
        self.used.insert(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_and_valid() {
        assert_eq!(slug("Design Review (v2)"), "design-review-v2");
        assert_eq!(slug("  Café à la carte "), "cafe-a-la-carte");
        assert_eq!(slug("###"), "");
        let long = slug("Advance Planting to north of the golf club to provide screening");
        assert!(long.len() <= 40 && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn codes_keep_their_shape() {
        assert_eq!(code("SMRGR-6275"), "SMRGR-6275");
        assert_eq!(code("P1 EWCC/FWP03"), "P1-EWCC-FWP03");
        assert_eq!(code("-.x"), "x");
        let mut ids = IdSet::default();
        assert_eq!(ids.claim("a", "t1"), "a");
        assert_eq!(ids.claim("a", "t2"), "a-2");
        assert_eq!(ids.claim("", "t3"), "t3");
    }
}
