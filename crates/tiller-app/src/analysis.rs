//! Validating and scheduling a loaded plan.

use tiller_core::{Program, TaskKind};
use tiller_engine::{EdgeOrigin, NodeRole, Schedule, ScheduleError};
use tiller_plan::{Code, Diagnostic, Loaded, SourceMap};

/// A plan that checked and scheduled, with any warnings.
#[derive(Debug)]
pub struct Analysis {
    pub program: Program,
    pub schedule: Schedule,
    pub sources: SourceMap,
    pub warnings: Vec<Diagnostic>,
}

/// A plan that did not check or could not be scheduled.
#[derive(Debug)]
pub struct Rejected {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

/// Schedules a loaded plan as of its status date, or returns every diagnostic that
/// prevents it.
pub fn analyze(loaded: Loaded) -> Result<Analysis, Rejected> {
    analyze_as_of(loaded, None)
}

/// Like [`analyze`], as of `as_of` instead of the plan's status date when given.
pub fn analyze_as_of(
    loaded: Loaded,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Analysis, Rejected> {
    let Loaded {
        mut program,
        partial,
        sources,
        mut diagnostics,
    } = loaded;
    if let (Some(p), Some(d)) = (program.as_mut(), as_of) {
        p.status_date = Some(d);
    }
    let Some(program) = program else {
        // Cycles are still worth reporting alongside the other errors: the partial
        // program has every valid link, so a cycle found there is real.
        if let Some(partial) = partial
            && let Err(errors) = tiller_engine::Network::build(&partial)
        {
            diagnostics.extend(errors.iter().map(|e| schedule_error(&partial, e)));
            tiller_plan::diagnostic::sort(&mut diagnostics);
        }
        return Err(Rejected {
            sources,
            diagnostics,
        });
    };
    match tiller_engine::schedule(&program) {
        Ok(schedule) => {
            let mut warnings = diagnostics;
            warnings.extend(missed_dates(&program, &schedule));
            tiller_plan::diagnostic::sort(&mut warnings);
            Ok(Analysis {
                program,
                schedule,
                sources,
                warnings,
            })
        }
        Err(errors) => {
            diagnostics.extend(errors.iter().map(|e| schedule_error(&program, e)));
            tiller_plan::diagnostic::sort(&mut diagnostics);
            Err(Rejected {
                sources,
                diagnostics,
            })
        }
    }
}

fn step_name(program: &Program, task: tiller_core::TaskIdx, role: NodeRole) -> String {
    let id = &program.task(task).id;
    match role {
        NodeRole::Task => format!("`{id}`"),
        NodeRole::SummaryStart => format!("`{id}` (start)"),
        NodeRole::SummaryFinish => format!("`{id}` (finish)"),
        NodeRole::SummaryFirst => format!("`{id}` (first task's start)"),
    }
}

/// An engine failure as a diagnostic at the place in the plan that causes it.
pub fn schedule_error(program: &Program, error: &ScheduleError) -> Diagnostic {
    match error {
        ScheduleError::Cycle { steps } => {
            let mut names: Vec<String> = steps
                .iter()
                .map(|s| step_name(program, s.task, s.role))
                .collect();
            if let Some(first) = names.first().cloned() {
                names.push(first);
            }
            let path = names.join(" → ");
            // Point at the links the user wrote; structural links (a task inside its
            // summary) have no place of their own.
            let mut links = steps.iter().enumerate().filter_map(|(i, s)| match s.link {
                EdgeOrigin::Dependency(at) => Some((i, at)),
                EdgeOrigin::Structure => None,
            });
            let first = links.next();
            let at = first.map_or(program.task(steps[0].task).src, |(_, at)| at);
            let mut d = Diagnostic::new(
                Code::DependencyCycle,
                at,
                format!("dependency cycle: {path}"),
            )
            .help("a task cannot wait for itself: remove or reverse one of these dependencies");
            let next_of = |i: usize| &steps[(i + 1) % steps.len()];
            if let Some((i, _)) = first {
                let next = next_of(i);
                d = d.label(format!(
                    "{} waits for {} here",
                    step_name(program, next.task, next.role),
                    step_name(program, steps[i].task, steps[i].role)
                ));
            }
            for (i, at) in links {
                let next = next_of(i);
                d = d.also(
                    at,
                    format!(
                        "{} waits for {}",
                        step_name(program, next.task, next.role),
                        step_name(program, steps[i].task, steps[i].role)
                    ),
                );
            }
            if steps.iter().any(|s| s.link == EdgeOrigin::Structure) {
                d = d.help("a task cannot wait for itself: remove or reverse one of these dependencies (a summary starts before and finishes after each of its tasks, so a task cannot depend on its own summary)");
            }
            d
        }
        ScheduleError::NoWorkingTime { task } => {
            let t = program.task(*task);
            Diagnostic::new(
                Code::NoWorkingTime,
                t.src,
                format!(
                    "`{}` can never be scheduled: no working time is available for it",
                    t.id
                ),
            )
            .label(
                "its calendar, its assignees' availability or their time off leave no working days",
            )
            .help("check the calendar's workweek and holidays, and the assignees' `off` ranges")
        }
        ScheduleError::TooFar { task } => {
            let t = program.task(*task);
            Diagnostic::new(
                Code::TooFar,
                t.src,
                format!(
                    "`{}` would finish more than {} years after the program start",
                    t.id,
                    tiller_engine::cpm::MAX_DAYS / 365
                ),
            )
            .label("scheduled too far in the future")
            .help("check the units of long efforts, durations and lags")
        }
    }
}

/// Warnings for deadlines and promised dates the schedule misses.
pub fn missed_dates(program: &Program, schedule: &Schedule) -> Vec<Diagnostic> {
    schedule
        .missed
        .iter()
        .map(|m| {
            let t = program.task(m.task);
            let (code, what, due) = if m.promised {
                (Code::MissedPromise, "misses its promised date", "promised")
            } else {
                (Code::MissedDeadline, "misses its deadline", "deadline")
            };
            let kind = if t.kind == TaskKind::Milestone { "milestone" } else { "task" };
            let late = m.late_days;
            Diagnostic::new(code, m.at, format!("{kind} `{}` {what} {}", t.id, m.due))
                .label(format!(
                    "earliest {} is {}: {} working day{} late (total float {})",
                    if t.kind == TaskKind::Milestone { "date" } else { "finish" },
                    m.finish,
                    late,
                    if late == 1 { "" } else { "s" },
                    m.float
                ))
                .help(format!("the critical path to `{}` decides this date: shorten it, or renegotiate the {due} date", t.id))
        })
        .collect()
}
