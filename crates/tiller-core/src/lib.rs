//! The domain model of a program, as the rest of Tiller sees it once a plan has been
//! parsed and validated.
//!
//! Everything here is plain data: every reference between entities is an index into the
//! owning [`Program`]'s vectors, already checked by the plan reader, so the engine never
//! has to look anything up by name or handle a dangling id. The types carry
//! [`SourceRef`]s so that problems found later (a deadline the schedule cannot meet, say)
//! can still be reported at the line the user wrote.

pub mod calendar;
pub mod model;
pub mod money;
pub mod source;

pub use calendar::{Calendar, DateRange, Weekday, WorkWeek};
pub use model::*;
pub use money::Money;
pub use source::{FileId, SourceRef};
