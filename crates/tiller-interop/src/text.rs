//! Turning input bytes into text: UTF-8 (with or without a byte-order mark), UTF-16
//! with a byte-order mark, and Windows-1252 (what Primavera and older Microsoft tools
//! write when they are not asked for UTF-8).

use crate::error::{ImportError, Result};

/// The encoding a file was read in, for the import summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16 => "UTF-16",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Windows-1252 code points for bytes 0x80..=0x9F (the rest map to the same code
/// point as Latin-1). Undefined bytes map to U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{FFFD}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{FFFD}', '\u{017D}', '\u{FFFD}',
    '\u{FFFD}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{FFFD}', '\u{017E}', '\u{FFFD}',
];

/// Decodes Windows-1252 bytes. Every byte sequence decodes.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 16);
    for &b in bytes {
        match b {
            0x80..=0x9F => out.push(CP1252_HIGH[(b - 0x80) as usize]),
            _ => out.push(b as char),
        }
    }
    out
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(ImportError::new(
            "the file starts with a UTF-16 byte-order mark but has an odd number of bytes (truncated?)",
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => out.push(c),
            Err(_) => {
                let line = out.matches('\n').count() + 1;
                return Err(ImportError::new(format!(
                    "invalid UTF-16 (unpaired surrogate) at code unit {i}"
                ))
                .line(line)
                .expected("well-formed UTF-16 text"));
            }
        }
    }
    Ok(out)
}

/// How to treat bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Read them as Windows-1252 (XER, CSV, and XML declaring a single-byte encoding).
    Windows1252,
    /// Reject them with the place of the first bad byte.
    Reject,
}

/// Decodes a whole file. A UTF-8 or UTF-16 byte-order mark decides; without one, valid
/// UTF-8 is UTF-8 and anything else follows `fallback`.
pub fn decode(bytes: &[u8], fallback: Fallback) -> Result<(String, Encoding)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_string(), Encoding::Utf8)),
            Err(e) => Err(not_utf8(rest, e.valid_up_to())),
        };
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok((decode_utf16(rest, true)?, Encoding::Utf16));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok((decode_utf16(rest, false)?, Encoding::Utf16));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), Encoding::Utf8)),
        Err(e) => match fallback {
            Fallback::Windows1252 => Ok((decode_cp1252(bytes), Encoding::Windows1252)),
            Fallback::Reject => Err(not_utf8(bytes, e.valid_up_to())),
        },
    }
}

fn not_utf8(bytes: &[u8], offset: usize) -> ImportError {
    let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
    ImportError::new(format!(
        "the file is not valid UTF-8: byte 0x{:02X} at byte offset {offset} cannot start a character",
        bytes[offset]
    ))
    .line(line)
    .expected("UTF-8 text, or an XML declaration naming the encoding (e.g. encoding=\"windows-1252\")")
}

/// Decodes an XML document: UTF-8/UTF-16 by byte-order mark or content, or the
/// single-byte encoding its declaration names (Windows-1252, ISO-8859-1).
pub fn decode_xml(bytes: &[u8]) -> Result<(String, Encoding)> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let single_byte = ["windows-1252", "iso-8859-1", "latin1", "cp1252", "us-ascii"]
        .iter()
        .any(|e| {
            head.contains(&format!("encoding=\"{e}\"")) || head.contains(&format!("encoding='{e}'"))
        });
    let (text, enc) = decode(
        bytes,
        if single_byte {
            Fallback::Windows1252
        } else {
            Fallback::Reject
        },
    )?;
    Ok((text, enc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_maps_the_c1_range() {
        assert_eq!(decode_cp1252(b"\xA3 5 \x80 \x93x\x94"), "£ 5 € “x”");
        let (s, e) = decode(b"caf\xE9", Fallback::Windows1252).unwrap();
        assert_eq!((s.as_str(), e), ("café", Encoding::Windows1252));
    }

    #[test]
    fn boms_decide_the_encoding() {
        let (s, e) = decode(b"\xFF\xFEa\0b\0", Fallback::Reject).unwrap();
        assert_eq!((s.as_str(), e), ("ab", Encoding::Utf16));
        let err = decode(b"ok\n\xC3(", Fallback::Reject).unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
