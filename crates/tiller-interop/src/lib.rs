//! Tiller's bridges to other planning tools.
//!
//! Imports turn Microsoft Project XML (MSPDI), Primavera P6 XER, GanttProject `.gan`
//! and Jira CSV exports into a readable, commented Tiller plan (TOML text) that the
//! plan reader accepts and that schedules; exports write a scheduled program as MSPDI
//! or iCalendar. Everything here is a pure function of its inputs: no files, no clock.
//!
//! - [`import`]: detect the format from the content, translate into a [`plan::Plan`],
//!   and [`plan::emit`] it (normalise, write, check, schedule).
//! - [`mspdi`], [`xer`], [`gan`], [`jira`]: one module per source format.
//! - [`export_mspdi`], [`ical`]: the exports.

pub mod common;
pub mod error;
pub mod export_mspdi;
pub mod gan;
pub mod ical;
pub mod ids;
pub mod jira;
pub mod mspdi;
pub mod plan;
pub mod text;
pub mod xer;
pub mod xml;

use chrono::NaiveDate;

pub use error::ImportError;
pub use plan::Summary;

/// Largest input accepted by default. The largest real exports seen are a few MB; a
/// plan file is limited to 64 MB, and an import is several times smaller than its
/// source.
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;

/// A format `tiller import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mspdi,
    Xer,
    GanttProject,
    JiraCsv,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Mspdi => mspdi::FORMAT,
            Format::Xer => xer::FORMAT,
            Format::GanttProject => gan::FORMAT,
            Format::JiraCsv => jira::FORMAT,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Skip detection and read as this format.
    pub format: Option<Format>,
    /// Shown in the plan's header comment (usually the file name).
    pub source_name: Option<String>,
    /// Jira: the `strftime`-style format of date columns (e.g. `%d/%b/%y %H:%M`); by
    /// default the common Jira export formats are tried.
    pub date_format: Option<String>,
    /// Jira: story points per person-day when an issue has points but no time estimate.
    pub points_per_day: f64,
    /// Jira: program start (default: the earliest creation date in the export).
    pub start: Option<NaiveDate>,
    /// Write progress updates and baselines.
    pub progress: bool,
    /// Refuse inputs larger than this.
    pub max_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            source_name: None,
            date_format: None,
            points_per_day: 1.0,
            start: None,
            progress: true,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A successful import: the plan text, what it holds, and the checked program.
#[derive(Debug)]
pub struct Imported {
    pub format: Format,
    pub toml: String,
    pub summary: Summary,
    pub program: tiller_core::Program,
}

/// Recognises the format from the content (never the file name).
pub fn detect(bytes: &[u8]) -> Result<Format, ImportError> {
    let head = &bytes[..bytes.len().min(4096)];
    let head_text: String = if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        let le = head.starts_with(b"\xFF\xFE");
        let units: Vec<u16> = head[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head)).into_owned()
    };
    let t = head_text.trim_start();
    if t.starts_with("ERMHDR") {
        return Ok(Format::Xer);
    }
    if t.starts_with('<') {
        let root = xml::root_tag(&head_text)
            .or_else(|| {
                // The root start tag may lie beyond the first 4 KB (long comments).
                let (text, _) = text::decode_xml(bytes).ok()?;
                xml::root_tag(&text)
            })
            .ok_or_else(|| {
                ImportError::new("the file looks like XML but has no root element")
                    .expected("Microsoft Project XML (<Project xmlns=\"http://schemas.microsoft.com/project\">) or GanttProject (<project ...>)")
            })?;
        let (name, attrs) = root;
        let has = |k: &str| attrs.iter().any(|(a, _)| a == k);
        let ns = attrs
            .iter()
            .find(|(k, _)| k == "xmlns")
            .map(|(_, v)| v.as_str());
        return match name.as_str() {
            "Project" if ns.is_none_or(|n| n.contains("schemas.microsoft.com/project")) => {
                Ok(Format::Mspdi)
            }
            "project" if has("mrproject-version") => Err(ImportError::new(
                "this is a GNOME Planner file, which Tiller does not import",
            )
            .expected("Microsoft Project XML, Primavera XER, GanttProject or Jira CSV")),
            "project" => Ok(Format::GanttProject),
            "APIBusinessObjects" => Err(ImportError::new(
                "this is a Primavera P6 XML (PMXML) file, which Tiller does not import",
            )
            .expected("the same project exported as XER")),
            other => Err(ImportError::new(format!(
                "unrecognised XML document with root element <{other}>"
            ))
            .expected("Microsoft Project XML (<Project>) or GanttProject (<project>)")),
        };
    }
    let first_line = t.lines().next().unwrap_or("");
    if first_line.contains("Issue key")
        || (first_line.contains("Summary") && first_line.contains("Issue"))
    {
        return Ok(Format::JiraCsv);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(ImportError::new(
            "this is a binary Microsoft Project (.mpp) file, which Tiller cannot read",
        )
        .expected("the project saved as XML (File > Save As > XML Format)"));
    }
    Err(ImportError::new("unrecognised file format").expected(
        "Microsoft Project XML (MSPDI), Primavera P6 XER (starting with ERMHDR), GanttProject (.gan XML) \
         or a Jira CSV export (a header row with \"Issue key\")",
    ))
}

/// Imports a file: detects its format, translates it, and checks the resulting plan.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<Imported, ImportError> {
    if bytes.len() > options.max_bytes {
        return Err(ImportError::new(format!(
            "the file is {} MB; imports are limited to {} MB",
            bytes.len() / (1024 * 1024),
            options.max_bytes / (1024 * 1024)
        ))
        .expected("an export of a single project"));
    }
    if bytes.iter().take(64).all(|b| b.is_ascii_whitespace())
        && bytes.iter().all(|b| b.is_ascii_whitespace())
    {
        return Err(ImportError::new("the file is empty").expected("a project file"));
    }
    let format = match options.format {
        Some(f) => f,
        None => detect(bytes)?,
    };
    let mut plan = plan::Plan {
        source_name: options.source_name.clone(),
        ..plan::Plan::default()
    };
    match format {
        Format::Mspdi => {
            let (text, enc) = text::decode_xml(bytes).map_err(|e| e.format("MSPDI"))?;
            plan.encoding = enc.name();
            let root = xml::parse(&text, "MSPDI")?;
            mspdi::import(&root, &mut plan, options.progress)?;
        }
        Format::GanttProject => {
            let (text, enc) = text::decode_xml(bytes).map_err(|e| e.format("GanttProject"))?;
            plan.encoding = enc.name();
            let root = xml::parse(&text, "GanttProject")?;
            gan::import(&root, &mut plan, options.progress)?;
        }
        Format::Xer => {
            let (text, enc) = text::decode(bytes, text::Fallback::Windows1252)?;
            plan.encoding = enc.name();
            xer::import(&text, &mut plan, options.progress)?;
        }
        Format::JiraCsv => {
            let (text, enc) = text::decode(bytes, text::Fallback::Windows1252)?;
            plan.encoding = enc.name();
            jira::import(&text, &mut plan, options)?;
        }
    }
    plan.format = format.name();
    let emitted = plan::emit(
        plan,
        plan::EmitOptions {
            progress: options.progress,
        },
    )?;
    Ok(Imported {
        format,
        toml: emitted.toml,
        summary: emitted.summary,
        program: emitted.program,
    })
}

/// The entry point shared by the fuzz targets (`fuzz/`) and the mutation tests: runs
/// one importer over arbitrary bytes. It must return, never panic or hang.
pub fn fuzz_one(format: Format, data: &[u8]) {
    let options = ImportOptions {
        format: Some(format),
        max_bytes: 4 * 1024 * 1024,
        ..ImportOptions::default()
    };
    if let Ok(imported) = import(data, &options) {
        // Whatever imports must also check and export.
        if let Ok(schedule) = tiller_engine::schedule(&imported.program) {
            let _ = export_mspdi::write(&imported.program, &schedule);
            let _ = ical::write(&imported.program, &schedule, ical::Tasks::All);
        }
    }
}
