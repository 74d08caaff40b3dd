//! The example programs bundled into the binary, so `tiller demo` needs no files.

/// A bundled example: its root file and any files it includes, by path.
pub struct Example {
    pub name: &'static str,
    pub root: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

pub const TINY: Example = Example {
    name: "examples/tiny.toml",
    root: include_str!("../../../examples/tiny.toml"),
    files: &[],
};

/// The program `tiller demo` schedules.
pub const DEMO: Example = TINY;

/// Loads a bundled example.
pub fn load(example: &Example) -> tiller_plan::Loaded {
    tiller_plan::load_str(example.name, example.root, example.files)
}
