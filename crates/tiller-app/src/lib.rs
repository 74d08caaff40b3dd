//! The application layer: everything the `tiller` command (and later the server) does
//! between reading bytes and writing output, so that the binaries stay thin shells.
//!
//! - [`workspace`]: reading a plan and its includes from disk.
//! - [`analysis`]: validating and scheduling, with engine problems turned into plan
//!   diagnostics.
//! - [`output`]: schedules as a readable table, JSON and CSV.
//! - [`leveling`]: leveled schedules, delay explanations, over-allocations and load.
//! - [`diff`]: comparing two versions of a plan (paths or git revisions).
//! - [`tracking`]: baselines, variance and earned value.
//! - [`examples`]: the bundled example programs.

pub mod analysis;
pub mod backtest;
pub mod bundle;
pub mod diff;
pub mod examples;
pub mod forecasting;
pub mod leveling;
pub mod output;
pub mod throughput;
pub mod tracking;
pub mod workspace;

pub use analysis::{Analysis, analyze};
