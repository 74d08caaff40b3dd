//! A small, defensive XML tree on top of quick-xml: elements with attributes, text and
//! the line they start on. Entity declarations are refused (no "billion laughs"),
//! only the five predefined entities and character references are expanded, nesting
//! is bounded, and every syntax problem is reported with its line.

use quick_xml::XmlVersion;
use quick_xml::events::Event;

use crate::error::{ImportError, Result, line_of};

/// Deepest element nesting accepted. Real project files nest a few dozen levels.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct Element {
    /// Local name (namespace prefix removed).
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated text and CDATA directly inside the element, trimmed.
    pub text: String,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child with this name, if it has any.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.as_str())
            .filter(|t| !t.is_empty())
    }
}

fn resolve_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str, format: &'static str) -> Result<Element> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let err = |pos: u64, msg: String| -> ImportError {
        ImportError::new(msg)
            .format(format)
            .line(line_of(text, pos as usize))
    };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let pos = reader.error_position();
                let what = match &e {
                    quick_xml::Error::Syntax(s) => format!("malformed XML: {s}"),
                    quick_xml::Error::IllFormed(s) => format!("malformed XML: {s}"),
                    other => format!("malformed XML: {other}"),
                };
                return Err(err(pos, what));
            }
        };
        match event {
            Event::DocType(d) => {
                let body = d.into_inner();
                if body.contains("<!ENTITY") || body.contains("<!entity") {
                    return Err(err(
                        before,
                        "the document declares entities in its DOCTYPE; entity declarations are refused \
                         (they can expand to gigabytes)"
                            .to_string(),
                    )
                    .expected("a plain XML document without <!ENTITY ...> declarations"));
                }
            }
            Event::Start(s) | Event::Empty(s) if root.is_some() => {
                let _ = s;
                return Err(err(
                    before,
                    "content after the end of the root element".to_string(),
                )
                .expected("a single root element"));
            }
            Event::Start(s) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        before,
                        format!("elements are nested more than {MAX_DEPTH} levels deep"),
                    ));
                }
                stack.push(element(&s, text, before, format)?);
            }
            Event::Empty(s) => {
                let el = element(&s, text, before, format)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else {
                    return Err(err(before, "unexpected end tag".to_string()));
                };
                // XML whitespace only: a name may end in a no-break space.
                let trimmed = el.text.trim_matches([' ', '\t', '\n', '\r']);
                if trimmed.len() != el.text.len() {
                    el.text = trimmed.to_string();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                } else if !t.trim().is_empty() {
                    return Err(err(before, "text outside the root element".to_string()));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        _ => {
                            return Err(err(
                                before,
                                format!("invalid character reference `&{};`", &*r),
                            ));
                        }
                    }
                } else {
                    match resolve_entity(&r) {
                        Some(c) => c,
                        None => {
                            return Err(err(before, format!("undefined entity `&{};`", &*r))
                                .expected(
                                    "only &amp; &lt; &gt; &quot; &apos; and character references",
                                ));
                        }
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(ImportError::new(format!(
            "the document ends inside <{}> (opened at line {}): the file is truncated",
            open.name, open.line
        ))
        .format(format)
        .line(line_of(text, text.len()))
        .expected(format!("</{}>", open.name)));
    }
    root.ok_or_else(|| {
        ImportError::new("the document has no root element")
            .format(format)
            .expected("an XML document")
    })
}

fn element(
    s: &quick_xml::events::BytesStart<'_>,
    text: &str,
    pos: u64,
    format: &'static str,
) -> Result<Element> {
    let line = line_of(text, pos as usize);
    let name = s.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| {
            ImportError::new(format!("malformed attribute in <{name}>: {e}"))
                .format(format)
                .line(line)
        })?;
        let key = a.key.local_name().as_ref().to_string();
        let value = a.normalized_value(XmlVersion::Implicit1_0).map_err(|e| {
            ImportError::new(format!("bad value of attribute `{key}` in <{name}>: {e}"))
                .format(format)
                .line(line)
        })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

/// The name of the root element and its attributes, read without building the tree
/// (for format detection).
pub fn root_tag(text: &str) -> Option<(String, Vec<(String, String)>)> {
    let mut reader = quick_xml::Reader::from_str(text);
    for _ in 0..64 {
        match reader.read_event().ok()? {
            Event::Start(s) | Event::Empty(s) => {
                let name = s.local_name().as_ref().to_string();
                let attrs = s
                    .attributes()
                    .filter_map(|a| a.ok())
                    .map(|a| {
                        (
                            String::from_utf8_lossy(a.key.as_ref().as_bytes()).into_owned(),
                            a.value.into_owned(),
                        )
                    })
                    .collect();
                return Some((name, attrs));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_tree_with_entities_and_lines() {
        let doc =
            "<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\">\n <b>R&amp;D &#65;</b>\n <c/>\n</a>";
        let root = parse(doc, "XML").unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.text_of("b"), Some("R&D A"));
        assert_eq!(root.child("c").unwrap().line, 4);
    }

    #[test]
    fn refuses_entity_declarations_and_truncation() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>";
        let e = parse(bomb, "XML").unwrap_err();
        assert!(e.message.contains("entities"), "{e}");
        let e = parse("<a>\n<b>text</b>\n<c>", "XML").unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        let e = parse("<a>&nope;</a>", "XML").unwrap_err();
        assert!(e.message.contains("undefined entity"), "{e}");
    }
}
