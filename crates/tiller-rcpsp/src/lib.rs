//! Resource-constrained project scheduling (RCPSP) kernel.
//!
//! A pure library: no IO, no threads inside a solve, no printing. It knows
//! nothing about plan files; callers map their projects onto [`Instance`].
//!
//! # Model
//!
//! - **Activities** have an integer duration in periods (0 for milestones
//!   and dummies), a release period and demands on renewable resources.
//! - **Resources** have a capacity profile: a step function of time given as
//!   `(from_period, capacity)` breakpoints, the last value holding forever.
//!   Constant capacities (PSPLIB) are the one-breakpoint case; calendars
//!   (holidays, part time, people joining or leaving) are the general case.
//! - **Precedences** are finish-to-start, start-to-start, finish-to-finish or
//!   start-to-finish relations with integer (possibly negative) lags. With
//!   durations fixed, each is a minimum start-to-start distance
//!   `S[succ] >= S[pred] + d`, which is how the schedulers treat all four
//!   kinds uniformly. Cycles are rejected ([`InstanceError::PositiveCycle`]
//!   when infeasible outright, [`InstanceError::Cycle`] otherwise, since a
//!   non-positive cycle would be a maximum time lag).
//!
//! The objective is the makespan (latest finish).
//!
//! # Models
//!
//! The schemes, justification and the search are written once against the
//! [`Model`] trait; [`Instance`] is its constant-duration implementation
//! (with a fast path: every slot of a window is booked, one mode). Callers
//! with calendars implement [`Model`] themselves: an activity's finish may
//! depend on its start (work pauses on non-working days), it may book its
//! resources only on some slots of its window, and it may have several
//! modes (alternative resource sets; the schemes pick, per activity, the
//! mode that finishes first). Tiller's plan leveling is such a model.
//! [`solve_model`] searches any model; the [`Scheduler`] trait puts every
//! way of scheduling one (a scheme with a priority rule, forward-backward
//! improvement, a budgeted search) behind one interface.
//!
//! # Algorithms
//!
//! - **Schedule generation schemes** ([`serial_sgs`], [`parallel_sgs`]): the
//!   serial scheme takes activities in list order and starts each at its
//!   earliest precedence- and resource-feasible period; the parallel scheme
//!   advances a decision time and starts what fits in priority order
//!   (Kelley 1963; Kolisch 1996). Backward serial and parallel schemes
//!   place activities as late as possible before a deadline. Availability
//!   is kept in flat per-resource arrays, so a generation pass allocates
//!   nothing; window checks scan from the far end and jump past the last
//!   conflict, and the parallel schemes check only a window's first (last)
//!   slot where capacities are constant, as everything already placed
//!   starts before (finishes after) it.
//!   [`ListDecoder`] decodes one fixed list again and again (e.g. once per
//!   Monte Carlo iteration, with that iteration's durations), reusing the
//!   scheme's scratch memory.
//! - **Priority rules** ([`PriorityRule`]): LFT, LST, MTS, GRPW, minimum
//!   slack and random (Kolisch 1996), plus regret-based biased random
//!   sampling (Kolisch & Drexl 1996).
//! - **Justification** ([`justify`]): right-justify against the makespan,
//!   then left-justify the result (forward-backward improvement; Tormos &
//!   Lova 2001; double justification, Valls, Ballestín & Quintanilla 2005).
//! - **Metaheuristic** ([`solve`] with [`Strategy::Genetic`]): a
//!   bi-population genetic algorithm in the spirit of Debels & Vanhoucke
//!   (2005, 2007) — left-justified and right-justified populations whose
//!   children are decoded in the opposite direction (and, when close to the
//!   best makespan, decoded with the parallel scheme in that direction too
//!   and justified once more, so they join both populations) — with the
//!   peak crossover of Valls, Ballestín &
//!   Quintanilla (2008) (the child keeps the mother's most densely packed
//!   stretch of time as one block and follows the father's list elsewhere;
//!   Hartmann's (1998) two-point crossover where there is no such stretch),
//!   swap and shift mutations, a starting population from all priority
//!   rules with both schemes plus regret-biased sampling, each improved by
//!   justification, and crowding (Mahfoud 1995): a child whose start
//!   times largely agree with a member's competes with that member rather
//!   than with the worst, which keeps the populations diverse.
//! - **Large instances** ([`Strategy::PriorityRules`], chosen automatically
//!   above [`LARGE_INSTANCE`] activities): every rule with both schemes,
//!   each improved by iterated justification, then randomized LFT sampling
//!   with justification until the budget or time limit.
//!
//! # Budget
//!
//! [`SolveOptions::max_schedules`] counts every schedule generation pass,
//! including each justification pass, as in the protocol of Kolisch &
//! Hartmann (2006). With no time limit a solve is deterministic for a given
//! seed (single-threaded, PCG random numbers).
//!
//! # Checking and explaining
//!
//! [`verify`] is an independent brute-force checker sharing no code with the
//! generators. [`explain`] names, for each delayed activity of any schedule,
//! the predecessor, the blocking activities or the calendar gap that stops
//! it from starting one period earlier.
//!
//! # Benchmarks
//!
//! [`psplib`] reads PSPLIB single-mode files (Kolisch & Sprecher 1996) and
//! reference makespans; [`bench`](mod@bench) runs a set in parallel across instances
//! and reports deviations the way the literature does.
//!
//! # References
//!
//! - Debels, D., Vanhoucke, M. (2007). A decomposition-based genetic
//!   algorithm for the resource-constrained project-scheduling problem.
//!   Operations Research 55(3), 457-469.
//! - Hartmann, S. (1998). A competitive genetic algorithm for
//!   resource-constrained project scheduling. Naval Research Logistics 45,
//!   733-750.
//! - Kolisch, R. (1996). Serial and parallel resource-constrained project
//!   scheduling methods revisited. EJOR 90, 320-333.
//! - Kolisch, R., Drexl, A. (1996). Adaptive search for solving hard project
//!   scheduling problems. Naval Research Logistics 43, 23-40.
//! - Kolisch, R., Hartmann, S. (2006). Experimental investigation of
//!   heuristics for resource-constrained project scheduling: An update.
//!   EJOR 174, 23-37.
//! - Kolisch, R., Sprecher, A. (1996). PSPLIB - a project scheduling problem
//!   library. EJOR 96, 205-216.
//! - Mahfoud, S. W. (1995). Niching methods for genetic algorithms. PhD
//!   thesis, University of Illinois at Urbana-Champaign.
//! - Tormos, P., Lova, A. (2001). A competitive heuristic solution technique
//!   for resource-constrained project scheduling. Annals of OR 102, 65-81.
//! - Valls, V., Ballestín, F., Quintanilla, S. (2005). Justification and
//!   RCPSP: A technique that pays. EJOR 165, 375-386.
//! - Valls, V., Ballestín, F., Quintanilla, S. (2008). A hybrid genetic
//!   algorithm for the resource-constrained project scheduling problem.
//!   EJOR 185, 495-508.

pub mod bench;
mod decoder;
mod explain;
mod ga;
mod instance;
mod model;
mod priority;
pub mod psplib;
mod schedule;
mod scheduler;
mod sgs;
mod solve;

pub use decoder::ListDecoder;
pub use explain::{Reason, explain};
pub use instance::{
    Activity, Instance, InstanceError, MAX_TIME, Precedence, PrecedenceKind, Resource,
};
pub use model::{Bound, Model, PriorityBasis};
pub use priority::PriorityRule;
pub use schedule::{Schedule, ScheduleError, Violation, verify};
pub use scheduler::{ForwardBackward, ParallelScheme, Scheduler, Search, SerialScheme};
pub use sgs::{SgsError, justify, parallel_sgs, priority_list, serial_sgs};
pub use solve::{
    LARGE_INSTANCE, Placement, Solution, SolveError, SolveOptions, StopReason, Strategy,
    left_justify, solve, solve_model,
};
