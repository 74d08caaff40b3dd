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

macro_rules! team_file {
    ($name:literal) => {
        (
            concat!("examples/checkout/teams/", $name),
            include_str!(concat!("../../../examples/checkout/teams/", $name)),
        )
    };
}

/// A realistic multi-team program, one file per team.
pub const CHECKOUT: Example = Example {
    name: "examples/checkout/program.toml",
    root: include_str!("../../../examples/checkout/program.toml"),
    files: &[
        team_file!("platform.toml"),
        team_file!("security.toml"),
        team_file!("payments.toml"),
        team_file!("web.toml"),
        team_file!("mobile.toml"),
        team_file!("qa.toml"),
        (
            "examples/checkout/status/2027-01-29.toml",
            include_str!("../../../examples/checkout/status/2027-01-29.toml"),
        ),
        (
            "examples/checkout/status/2027-02-12.toml",
            include_str!("../../../examples/checkout/status/2027-02-12.toml"),
        ),
        (
            "examples/checkout/baselines/plan-of-record.toml",
            include_str!("../../../examples/checkout/baselines/plan-of-record.toml"),
        ),
    ],
};

/// The program `tiller demo` schedules.
pub const DEMO: Example = CHECKOUT;

/// Loads a bundled example.
pub fn load(example: &Example) -> tiller_plan::Loaded {
    tiller_plan::load_str(example.name, example.root, example.files)
}
