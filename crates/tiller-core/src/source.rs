//! Opaque pointers back into plan source files, kept on model entities for diagnostics.

/// Index of a source file in the set of files a program was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
///
/// The model does not know what the file is; the plan reader that created the model
/// keeps the file table and turns these back into `file:line:col`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceRef {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl SourceRef {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        // Files are capped well below 4 GiB by the reader, so the casts cannot truncate.
        SourceRef {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}
