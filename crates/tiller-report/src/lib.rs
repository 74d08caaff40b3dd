//! Reports on a program: health colours with the rules behind them, the RAID log,
//! stakeholders, status reports in Markdown and self-contained HTML with SVG charts (and
//! PNG export), schedule-quality lint, and the post-program evaluation with the
//! calibration it feeds back into forecasts.
//!
//! - [`evidence`]: what every report is drafted from (schedule, baseline, earned value,
//!   a seeded forecast, weekly load).
//! - [`health`]: the health rules and their thresholds.
//! - [`raid`]: the RAID log scored, filtered and overdue.
//!
//! Pure and deterministic, like the engine: the same plan and seed give byte-identical
//! reports, dated by the plan's status date, never by the clock. The only IO is
//! [`png`] reading the system's fonts.

pub mod calibration;
pub mod charts;
pub mod evidence;
pub mod health;
pub mod html;
pub mod lint;
pub mod markdown;
#[cfg(feature = "png")]
pub mod png;
pub mod raid;
pub mod retro;
pub mod stakeholders;
pub mod status;
pub mod util;
