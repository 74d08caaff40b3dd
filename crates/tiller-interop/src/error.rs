//! Why a file could not be imported: what went wrong, where, and what was expected.

use std::fmt;

/// A file that cannot be imported. Displayed as one line such as
/// `MSPDI line 12: <Task> has no <UID>; expected a task id number`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// The format being read, when known (`MSPDI`, `XER`, `GanttProject`, `Jira CSV`).
    pub format: Option<&'static str>,
    /// 1-based line in the input, when the problem has one.
    pub line: Option<usize>,
    /// The record or element concerned, e.g. `TASK row 12` or `<Task> UID 7`.
    pub record: Option<String>,
    pub message: String,
    /// What the importer expected to find instead.
    pub expected: Option<String>,
}

impl ImportError {
    pub fn new(message: impl Into<String>) -> Self {
        ImportError {
            format: None,
            line: None,
            record: None,
            message: message.into(),
            expected: None,
        }
    }

    pub fn format(mut self, format: &'static str) -> Self {
        self.format = Some(format);
        self
    }

    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = Vec::new();
        if let Some(fmt_name) = self.format {
            place.push(fmt_name.to_string());
        }
        if let Some(line) = self.line {
            place.push(format!("line {line}"));
        }
        if let Some(r) = &self.record {
            place.push(r.clone());
        }
        if !place.is_empty() {
            write!(f, "{}: ", place.join(", "))?;
        }
        write!(f, "{}", self.message)?;
        if let Some(e) = &self.expected {
            write!(f, "; expected {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

pub type Result<T> = std::result::Result<T, ImportError>;

/// 1-based line number of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
