//! Writing plan text: the parts of the format Tiller itself records (baselines).

use std::fmt::Write;

use tiller_core::Baseline;

/// A key as TOML wants it: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A TOML basic string.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number without trailing zeros (`7600`, `12.5`).
fn number(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A baseline as a plan file of its own.
pub fn baseline_file(b: &Baseline) -> String {
    let mut out = String::new();
    let saved = b.saved.map(|d| d.to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        "# Baseline {}, recorded by `tiller baseline save` on {saved}: the planned dates,",
        quoted(&b.name)
    );
    out.push_str("# work and cost of every task, to measure variance and earned value against.\n");
    out.push_str("# Recorded, not edited: save a new baseline when the plan is re-baselined.\n\n");
    let _ = writeln!(out, "[baseline.{}]", key(&b.name));
    if let Some(d) = b.saved {
        let _ = writeln!(out, "saved = {d}");
    }
    out.push_str("tasks = [\n");
    for t in &b.tasks {
        let _ = writeln!(
            out,
            "  {{ id = {}, start = {}, finish = {}, work = \"{}d\", cost = {} }},",
            quoted(&t.id),
            t.start,
            t.finish,
            number(t.work, 3),
            number(t.cost.as_units(), 2)
        );
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_quoted_only_when_needed() {
        assert_eq!(key("plan-of-record"), "plan-of-record");
        assert_eq!(key("v1.0"), "\"v1.0\"");
        assert_eq!(quoted("a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
        assert_eq!(number(7600.0, 2), "7600");
        assert_eq!(number(12.5, 3), "12.5");
    }
}
