//! Tiller's engine: everything that turns a validated [`tiller_core::Program`] into
//! dates and numbers. Pure and deterministic: no IO, no clocks, no global state, and
//! the same program always gives the same result.
//!
//! - [`profile`] and [`calendars`]: working time per task, from calendars, holidays,
//!   time off and part-time availability.
//! - [`tick`]: day-boundary arithmetic (task starts, finishes, lags).
//! - [`cpm`]: the critical-path method over a dependency network, from a status date.
//! - [`level`]: resource leveling (people, teams, shared resources), delay
//!   explanations, the critical chain, load and over-allocations.
//! - [`cost`]: labour and fixed costs.
//! - [`evm`]: earned value and earned schedule against a baseline.
//! - [`forecast`]: Monte Carlo dates, costs, sensitivities and risk tornado.
//! - [`scenario`]: what-if overlays and the levers a TPM can pull.
//! - [`diff`]: what changed between two versions of a plan.

pub mod baseline;
pub mod calendars;
pub mod cost;
pub mod cpm;
pub mod diff;
pub mod evm;
pub mod forecast;
pub mod level;
pub mod profile;
pub mod scenario;
pub mod tick;

pub use cpm::{
    CycleStep, EdgeOrigin, MissedDate, Network, NodeRole, Schedule, ScheduleError, TaskTimes,
};

/// Schedules a program without resource leveling.
pub fn schedule(program: &tiller_core::Program) -> Result<Schedule, Vec<ScheduleError>> {
    Network::build(program)?.schedule()
}
