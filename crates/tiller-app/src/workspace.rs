//! Reading plans from the file system.

use std::path::Path;

use tiller_plan::Loaded;

/// Failure to read the root plan file itself (as opposed to problems inside it).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read `{path}`: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("`{path}` is a directory; give the plan's root .toml file")]
    Directory { path: String },
}

fn read_bytes(path: &str) -> Result<Vec<u8>, std::io::Error> {
    // Refuse to read more than the plan reader accepts, so a wrong path pointing at a
    // huge file fails fast instead of filling memory.
    let meta = std::fs::metadata(path)?;
    if meta.len() > tiller_plan::MAX_FILE_BYTES as u64 {
        return Ok(vec![0u8; tiller_plan::MAX_FILE_BYTES + 1]);
    }
    std::fs::read(path)
}

/// Reads a plan from disk, following includes relative to each including file.
pub fn load_plan(path: &str) -> Result<Loaded, ReadError> {
    if Path::new(path).is_dir() {
        return Err(ReadError::Directory {
            path: path.to_string(),
        });
    }
    let root = read_bytes(path).map_err(|cause| ReadError::Io {
        path: path.to_string(),
        cause,
    })?;
    let mut fetch = |p: &str| {
        if Path::new(p).is_dir() {
            return Err("it is a directory".to_string());
        }
        read_bytes(p).map_err(|e| e.to_string())
    };
    Ok(tiller_plan::load(path, &root, &mut fetch))
}
