//! GanttProject (`.gan`) → plan.
//!
//! Tasks nest as `<task>` elements; a dependency is written on its **predecessor** as
//! `<depend id="SUCCESSOR" type="1..4" difference="LAG">` (1 = start-start,
//! 2 = finish-start, 3 = finish-finish, 4 = start-finish). Durations and lags are
//! working days. Tasks keep the start date the user gave them unless a dependency
//! pushes them later, so a task without predecessors keeps its start as `not_before`.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use tiller_core::DepKind;

use crate::common::{add_days, parse_date, parse_f64};
use crate::error::{ImportError, Result};
use crate::ids;
use crate::plan::{BaselineTask, Cal, Dep, Person, Plan, Progress, RatePer, Status, Task, Work};
use crate::xml::Element;

pub const FORMAT: &str = "GanttProject";
const SHORT: &str = "GanttProject";

/// Working days after `d` (weekends only), for dating progress.
fn add_weekdays(mut d: NaiveDate, n: i64) -> NaiveDate {
    let mut left = n;
    while left > 0 {
        d = add_days(d, 1);
        if d.weekday().num_days_from_monday() < 5 {
            left -= 1;
        }
    }
    d
}

struct Ctx<'a> {
    by_id: HashMap<String, usize>,
    depends: Vec<(usize, &'a Element)>,
    dates: Vec<(Option<NaiveDate>, f64)>,
    strong_pred: Vec<bool>,
}

fn walk<'a>(
    el: &'a Element,
    parent: Option<usize>,
    plan: &mut Plan,
    ctx: &mut Ctx<'a>,
    depth: usize,
) -> Result<()> {
    if depth > 200 {
        return Err(
            ImportError::new("tasks are nested more than 200 levels deep")
                .format(SHORT)
                .line(el.line),
        );
    }
    for t in el.all("task") {
        let Some(id) = t.attr("id") else {
            return Err(ImportError::new("a <task> has no id attribute")
                .format(SHORT)
                .line(t.line)
                .expected("<task id=\"N\" ...>"));
        };
        let name = t.attr("name").unwrap_or("").to_string();
        let mut task = Task::new(
            ids::slug(&name),
            if name.is_empty() {
                format!("Task {id}")
            } else {
                name
            },
        );
        task.parent = parent;
        task.milestone = t.attr("meeting") == Some("true");
        let start = t.attr("start").and_then(parse_date);
        let dur = t
            .attr("duration")
            .and_then(parse_f64)
            .unwrap_or(0.0)
            .max(0.0);
        if !task.milestone {
            task.work = Some(Work {
                effort: false,
                days: dur,
            });
        }
        task.description = t.text_of("notes").map(str::to_string);
        let idx = plan.tasks.len();
        if ctx.by_id.insert(id.to_string(), idx).is_some() {
            return Err(ImportError::new(format!("two tasks have id {id}"))
                .format(SHORT)
                .line(t.line)
                .expected("unique task ids"));
        }
        ctx.dates.push((start, dur));
        ctx.strong_pred.push(false);
        for d in t.all("depend") {
            ctx.depends.push((idx, d));
        }
        plan.tasks.push(task);
        walk(t, Some(idx), plan, ctx, depth + 1)?;
    }
    Ok(())
}

#[allow(clippy::needless_range_loop)] // tasks are addressed by index throughout
pub fn import(root: &Element, plan: &mut Plan, progress_wanted: bool) -> Result<()> {
    if root.name != "project" {
        return Err(
            ImportError::new(format!("the root element is <{}>", root.name))
                .format(SHORT)
                .line(root.line)
                .expected("<project ...> (a GanttProject file)"),
        );
    }
    plan.format = FORMAT;
    plan.name = root.attr("name").unwrap_or("").to_string();
    plan.description = root.text_of("description").map(str::to_string);

    let mut ctx = Ctx {
        by_id: HashMap::new(),
        depends: Vec::new(),
        dates: Vec::new(),
        strong_pred: Vec::new(),
    };
    if let Some(tasks) = root.child("tasks") {
        walk(tasks, None, plan, &mut ctx, 0)?;
    }
    let start = ctx.dates.iter().filter_map(|(d, _)| *d).min();
    let end = ctx
        .dates
        .iter()
        .filter_map(|(d, dur)| d.map(|d| add_days(d, (*dur * 7.0 / 5.0).ceil() as i64 + 1)))
        .max()
        .or(start);
    let Some(start) = start else {
        // A file with resources but no tasks: date it by its vacations or today's
        // view date so that people and calendars still come across.
        let fallback = root.attr("view-date").and_then(parse_date).or_else(|| {
            root.child("vacations").and_then(|v| {
                v.all("vacation")
                    .filter_map(|x| x.attr("start").and_then(parse_date))
                    .min()
            })
        });
        let Some(f) = fallback else {
            return Err(ImportError::new("the project has no dated task")
                .format(SHORT)
                .line(root.line)
                .expected("tasks with start dates"));
        };
        plan.start = Some(f);
        read_calendar_and_people(root, plan, f, f)?;
        return Ok(());
    };
    plan.start = Some(start);
    let end = end.unwrap_or(start);
    let person_of = read_calendar_and_people(root, plan, start, end)?;

    // Dependencies: on the predecessor, naming the successor.
    let depends = std::mem::take(&mut ctx.depends);
    for (pred, d) in depends {
        let Some(succ_id) = d.attr("id") else {
            return Err(ImportError::new("a <depend> has no id")
                .format(SHORT)
                .line(d.line)
                .expected("the id of the successor task"));
        };
        let Some(&succ) = ctx.by_id.get(succ_id) else {
            plan.task_note(
                pred,
                "links to missing tasks dropped",
                format!("a link to task id {succ_id}, which is not in the file, dropped"),
            );
            continue;
        };
        let kind = match d.attr("type").unwrap_or("2") {
            "1" => DepKind::StartToStart,
            "3" => DepKind::FinishToFinish,
            "4" => DepKind::StartToFinish,
            _ => DepKind::FinishToStart,
        };
        let lag = d
            .attr("difference")
            .and_then(|x| x.trim().parse::<i64>().ok())
            .unwrap_or(0);
        if d.attr("hardness") != Some("Rubber") {
            ctx.strong_pred[succ] = true;
        }
        plan.tasks[succ].deps.push(Dep {
            pred,
            kind,
            lag_days: lag,
            elapsed: false,
        });
    }

    // Tasks keep the start the user gave them unless a strong dependency places them.
    let has_children: Vec<bool> = {
        let mut v = vec![false; plan.tasks.len()];
        for t in &plan.tasks {
            if let Some(p) = t.parent {
                v[p] = true;
            }
        }
        v
    };
    for i in 0..plan.tasks.len() {
        if has_children[i] || ctx.strong_pred[i] {
            continue;
        }
        if let (Some(s), _) = ctx.dates[i]
            && s > start
        {
            plan.tasks[i].not_before = Some(s);
        }
    }

    // Allocations.
    if let Some(al) = root.child("allocations") {
        for a in al.all("allocation") {
            let (Some(t), Some(r)) = (a.attr("task-id"), a.attr("resource-id")) else {
                continue;
            };
            let (Some(&ti), Some(&pi)) = (ctx.by_id.get(t), person_of.get(r)) else {
                plan.note("allocations to missing tasks or resources dropped");
                continue;
            };
            let load = a.attr("load").and_then(parse_f64).unwrap_or(100.0);
            if (load - 100.0).abs() > 1e-6 {
                let pname = plan.people[pi].name.clone();
                plan.task_note(ti, "allocation loads other than 100% not kept", format!("{pname} allocated at {load}% in GanttProject: Tiller assigns people at their availability"));
            }
            plan.tasks[ti].assignees.push(pi);
        }
    }
    // Progress and baseline.
    if progress_wanted {
        let mut order: Vec<(&String, &usize)> = ctx.by_id.iter().collect();
        order.sort_by_key(|(_, i)| **i);
        let complete = collect_complete(root.child("tasks"));
        for (id, &i) in order {
            if has_children[i] {
                continue;
            }
            let Some(&pct) = complete.get(id.as_str()) else {
                continue;
            };
            if pct <= 0.0 {
                continue;
            }
            let (Some(s), dur) = ctx.dates[i] else {
                continue;
            };
            let done = (pct / 100.0).clamp(0.0, 1.0);
            let status = if done >= 1.0 {
                Status::Done
            } else {
                Status::InProgress
            };
            let finish = add_weekdays(s, (dur - 1.0).max(0.0).ceil() as i64);
            let date = if status == Status::Done {
                finish
            } else {
                add_weekdays(s, (dur * done).round() as i64)
            };
            plan.tasks[i].progress = Some(Progress {
                date,
                status,
                done: Some(done),
                remaining_days: None,
                started: Some(s),
                finished: (status == Status::Done).then_some(finish),
                cost: None,
            });
        }
        if let Some(prev) = root.child("previous")
            && let Some(set) = prev.all("previous-tasks").next()
        {
            let name = set.attr("name").unwrap_or("baseline").to_string();
            let mut any = false;
            for pt in set.all("previous-task") {
                let (Some(id), Some(s)) = (pt.attr("id"), pt.attr("start").and_then(parse_date))
                else {
                    continue;
                };
                let Some(&i) = ctx.by_id.get(id) else {
                    continue;
                };
                let dur = pt.attr("duration").and_then(parse_f64).unwrap_or(0.0);
                plan.tasks[i].baseline = Some(BaselineTask {
                    start: s,
                    finish: add_weekdays(s, (dur - 1.0).max(0.0).ceil() as i64),
                    work_days: None,
                    cost: None,
                });
                any = true;
            }
            if any {
                plan.baseline_name = Some((name, None));
            }
            let more = prev.all("previous-tasks").count();
            if more > 1 {
                plan.header.push(format!(
                    "{more} baselines in the file; the first is imported"
                ));
                plan.note("baselines after the first dropped");
            }
        }
    }
    Ok(())
}

fn collect_complete(tasks: Option<&Element>) -> HashMap<&str, f64> {
    let mut out = HashMap::new();
    let mut stack: Vec<&Element> = tasks.into_iter().collect();
    while let Some(e) = stack.pop() {
        for t in e.all("task") {
            if let (Some(id), Some(c)) = (t.attr("id"), t.attr("complete").and_then(parse_f64)) {
                out.insert(id, c);
            }
            stack.push(t);
        }
    }
    out
}

fn read_calendar_and_people(
    root: &Element,
    plan: &mut Plan,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<HashMap<String, usize>> {
    let mut person_of = HashMap::new();
    let mut workweek = [true, true, true, true, true, false, false];
    let mut holidays = Vec::new();
    let mut notes = Vec::new();
    if let Some(cals) = root.child("calendars") {
        if let Some(week) = cals
            .child("day-types")
            .and_then(|d| d.child("default-week"))
        {
            for (i, k) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .enumerate()
            {
                if let Some(v) = week.attr(k) {
                    workweek[i] = v == "0";
                }
            }
        }
        let horizon_from = add_days(start, -366).year();
        let horizon_to = add_days(end, 3 * 366).year();
        let mut recurring = 0;
        for d in cals.all("date") {
            let (Some(m), Some(day)) = (
                d.attr("month").and_then(|x| x.parse::<u32>().ok()),
                d.attr("date").and_then(|x| x.parse::<u32>().ok()),
            ) else {
                continue;
            };
            let ty = d.attr("type").unwrap_or("HOLIDAY");
            if ty != "HOLIDAY" {
                notes.push(format!(
                    "a {ty} day on {m}/{day} dropped: Tiller holidays only remove days"
                ));
                plan.note("working calendar exceptions dropped");
                continue;
            }
            match d.attr("year").and_then(|y| y.parse::<i32>().ok()) {
                Some(y) => {
                    if let Some(date) = NaiveDate::from_ymd_opt(y, m, day) {
                        holidays.push((date, date));
                    }
                }
                None => {
                    recurring += 1;
                    for y in horizon_from..=horizon_to {
                        if let Some(date) = NaiveDate::from_ymd_opt(y, m, day) {
                            holidays.push((date, date));
                        }
                    }
                }
            }
        }
        if recurring > 0 {
            notes.push(format!(
                "{recurring} yearly holidays expanded for {horizon_from}–{horizon_to}"
            ));
            plan.note("recurring holidays expanded into dated holidays");
        }
    }
    plan.calendars.push(Cal {
        id_hint: "default".into(),
        name: "GanttProject calendar".into(),
        workweek,
        hours_per_day: 8.0,
        holidays,
        notes,
    });
    plan.program_calendar = Some(0);

    if let Some(rs) = root.child("resources") {
        for r in rs.all("resource") {
            let Some(id) = r.attr("id") else { continue };
            let name = r.attr("name").unwrap_or("").to_string();
            let mut p = Person {
                id_hint: ids::slug(&name),
                name: if name.is_empty() {
                    format!("Resource {id}")
                } else {
                    name
                },
                email: r
                    .attr("contacts")
                    .filter(|c| c.contains('@'))
                    .map(str::to_string),
                calendar: None,
                rate: None,
                availability: None,
                off: Vec::new(),
                notes: Vec::new(),
            };
            for rate in r.all("rate") {
                if rate.attr("name").is_none_or(|n| n == "standard")
                    && let Some(v) = rate.attr("value").and_then(parse_f64)
                    && v > 0.0
                {
                    p.rate = Some((v, RatePer::Day));
                }
            }
            plan.people.push(p);
            person_of.insert(id.to_string(), plan.people.len() - 1);
        }
    }
    if let Some(vs) = root.child("vacations") {
        for v in vs.all("vacation") {
            let (Some(a), Some(b), Some(r)) = (
                v.attr("start").and_then(parse_date),
                v.attr("end").and_then(parse_date),
                v.attr("resourceid"),
            ) else {
                continue;
            };
            if let Some(&p) = person_of.get(r) {
                plan.people[p].off.push((a.min(b), a.max(b)));
            }
        }
    }
    Ok(person_of)
}
