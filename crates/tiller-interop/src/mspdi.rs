//! Microsoft Project XML (MSPDI) → plan.
//!
//! Durations and work are stored in hours (`PT16H0M0S`) and converted to days with the
//! project's minutes per day, as Microsoft Project itself does; link lags are in tenths
//! of a minute with a format saying whether they are working or elapsed time, or a
//! percentage of the predecessor's duration.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Weekday};
use tiller_core::DepKind;

use crate::common::{
    add_days, finish_date, nth_weekday, parse_date, parse_f64, parse_iso_duration_hours,
    weekday_index, whole_days,
};
use crate::error::{ImportError, Result};
use crate::ids;
use crate::plan::{
    BaselineTask, Cal, Dep, Person, Plan, Progress, Range, RatePer, Status, Task, Work,
};
use crate::xml::Element;

pub const FORMAT: &str = "Microsoft Project XML (MSPDI)";
const SHORT: &str = "MSPDI";

/// How far past the project's finish recurring calendar exceptions are expanded.
const RECURRENCE_MARGIN_DAYS: i64 = 3 * 366;

#[derive(Debug, Clone)]
struct RawCal {
    name: String,
    base: Option<i64>,
    /// Own weekday definitions, Monday first: `Some((working, hours))`.
    days: [Option<(bool, f64)>; 7],
    /// Non-working exception days.
    off: Vec<Range>,
    /// Working exception days (these cannot be expressed; noted).
    on: Vec<Range>,
    recurring: usize,
}

#[derive(Debug, Clone, PartialEq)]
struct Effective {
    workweek: [bool; 7],
    hours: f64,
    off: Vec<Range>,
}

fn bool_of(e: &Element, name: &str) -> bool {
    matches!(e.text_of(name), Some("1") | Some("true"))
}

fn int_of(e: &Element, name: &str) -> Option<i64> {
    e.text_of(name).and_then(|t| t.trim().parse().ok())
}

fn hours_of_times(day: &Element) -> f64 {
    let mut h = 0.0;
    if let Some(wt) = day.child("WorkingTimes") {
        for t in wt.all("WorkingTime") {
            let from = t.text_of("FromTime").and_then(time_hours);
            let to = t.text_of("ToTime").and_then(time_hours);
            if let (Some(a), Some(b)) = (from, to) {
                let b = if b <= a { b + 24.0 } else { b };
                h += b - a;
            }
        }
    }
    h
}

fn time_hours(s: &str) -> Option<f64> {
    let mut parts = s.trim().split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next().unwrap_or("0").parse().ok()?;
    Some(h + m / 60.0)
}

/// MSPDI day types: 1 = Sunday ... 7 = Saturday; index Monday = 0.
fn day_index(day_type: i64) -> Option<usize> {
    (1..=7)
        .contains(&day_type)
        .then(|| ((day_type + 5) % 7) as usize)
}

struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

/// Expands one `<Exception>` (Project 2007+) into day ranges within `window`.
fn expand_exception(ex: &Element, window: &Window) -> Option<(Vec<Range>, bool)> {
    let tp = ex.child("TimePeriod")?;
    let from = parse_date(tp.text_of("FromDate")?)?;
    let to = parse_date(tp.text_of("ToDate")?)?;
    if to < from {
        return None;
    }
    let kind = int_of(ex, "Type").unwrap_or(1);
    let period = int_of(ex, "Period").unwrap_or(1).max(1);
    let occurrences = int_of(ex, "Occurrences").filter(|n| *n > 0);
    let recurring = (2..=7).contains(&kind);
    if kind <= 1 || kind > 7 {
        return Some((
            vec![(from.max(window.from), to.min(window.to))]
                .into_iter()
                .filter(|(a, b)| a <= b)
                .collect(),
            false,
        ));
    }
    let month_item = int_of(ex, "MonthItem").unwrap_or(0);
    let weekday = match month_item {
        3 => Some(Weekday::Sun),
        4 => Some(Weekday::Mon),
        5 => Some(Weekday::Tue),
        6 => Some(Weekday::Wed),
        7 => Some(Weekday::Thu),
        8 => Some(Weekday::Fri),
        9 => Some(Weekday::Sat),
        _ => None,
    };
    let position = int_of(ex, "MonthPosition").unwrap_or(0) as u32 + 1;
    let month_day = int_of(ex, "MonthDay").unwrap_or(1) as u32;
    let month = int_of(ex, "Month").unwrap_or(0) as u32 + 1;
    let days_of_week = int_of(ex, "DaysOfWeek").unwrap_or(0);
    let months_from = |d: NaiveDate| {
        (d.year() - from.year()) as i64 * 12 + d.month() as i64 - from.month() as i64
    };
    let week_start = |d: NaiveDate| add_days(d, -(d.weekday().num_days_from_sunday() as i64));
    let matches = |d: NaiveDate| -> bool {
        match kind {
            7 => (d - from).num_days() % period == 0,
            6 => {
                let bit = 1 << d.weekday().num_days_from_sunday();
                days_of_week & bit != 0
                    && ((week_start(d) - week_start(from)).num_days() / 7) % period == 0
            }
            4 => d.day() == month_day && months_from(d) % period == 0,
            5 => {
                weekday.is_some_and(|w| nth_weekday(d.year(), d.month(), w, position) == Some(d))
                    && months_from(d) % period == 0
            }
            2 => d.month() == month && d.day() == month_day,
            3 => {
                d.month() == month
                    && weekday
                        .is_some_and(|w| nth_weekday(d.year(), d.month(), w, position) == Some(d))
            }
            _ => false,
        }
    };
    let mut out = Vec::new();
    let mut count = 0;
    let mut d = from;
    let last = to.min(window.to);
    // Bounded: at most the window's length in days.
    while d <= last {
        if matches(d) {
            count += 1;
            if d >= window.from {
                out.push((d, d));
            }
            if occurrences.is_some_and(|n| count >= n) {
                break;
            }
        }
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    Some((out, recurring))
}

fn read_calendar(c: &Element, window: &Window) -> RawCal {
    let mut cal = RawCal {
        name: c.text_of("Name").unwrap_or("").to_string(),
        base: int_of(c, "BaseCalendarUID").filter(|b| *b >= 0),
        days: [None; 7],
        off: Vec::new(),
        on: Vec::new(),
        recurring: 0,
    };
    if let Some(wd) = c.child("WeekDays") {
        for day in wd.all("WeekDay") {
            let ty = int_of(day, "DayType").unwrap_or(-1);
            let working = bool_of(day, "DayWorking");
            if ty == 0 {
                // Project 2003 style exception: a period with DayWorking.
                if let Some(tp) = day.child("TimePeriod")
                    && let (Some(a), Some(b)) = (
                        tp.text_of("FromDate").and_then(parse_date),
                        tp.text_of("ToDate").and_then(parse_date),
                    )
                    && a <= b
                {
                    let (a, b) = (a.max(window.from), b.min(window.to));
                    if a <= b {
                        if working {
                            cal.on.push((a, b))
                        } else {
                            cal.off.push((a, b))
                        }
                    }
                }
            } else if let Some(i) = day_index(ty) {
                cal.days[i] = Some((working, if working { hours_of_times(day) } else { 0.0 }));
            }
        }
    }
    if let Some(exs) = c.child("Exceptions") {
        for ex in exs.all("Exception") {
            let working = bool_of(ex, "DayWorking");
            if let Some((ranges, recurring)) = expand_exception(ex, window) {
                if recurring {
                    cal.recurring += 1;
                }
                if working {
                    cal.on.extend(ranges)
                } else {
                    cal.off.extend(ranges)
                }
            }
        }
    }
    cal
}

fn effective(uid: i64, cals: &HashMap<i64, RawCal>, depth: usize) -> Effective {
    let Some(c) = cals.get(&uid) else {
        return Effective {
            workweek: [true, true, true, true, true, false, false],
            hours: 8.0,
            off: Vec::new(),
        };
    };
    let base = match c.base {
        Some(b) if depth < 16 && b != uid => Some(effective(b, cals, depth + 1)),
        _ => None,
    };
    let mut workweek = base
        .as_ref()
        .map_or([true, true, true, true, true, false, false], |b| b.workweek);
    let mut day_hours = [8.0; 7];
    for i in 0..7 {
        if let Some((w, h)) = c.days[i] {
            workweek[i] = w;
            day_hours[i] = h;
        }
    }
    let own_hours = (0..7)
        .find(|i| workweek[*i] && c.days[*i].is_some())
        .map(|i| day_hours[i]);
    let hours = own_hours.or(base.as_ref().map(|b| b.hours)).unwrap_or(8.0);
    let mut off = base.map(|b| b.off).unwrap_or_default();
    off.extend(c.off.iter().copied());
    off.retain(|(a, b)| !c.on.iter().any(|(x, y)| x <= a && b <= y));
    off.sort();
    off.dedup();
    Effective {
        workweek,
        hours,
        off,
    }
}

fn lag_days(link: &Element, minutes_per_day: f64, pred_days: f64) -> (f64, bool) {
    let lag = int_of(link, "LinkLag").unwrap_or(0) as f64;
    let format = int_of(link, "LagFormat").unwrap_or(7);
    let elapsed = matches!(
        format,
        4 | 6 | 8 | 10 | 12 | 20 | 36 | 38 | 40 | 42 | 44 | 52
    );
    if matches!(format, 19 | 20 | 51 | 52) {
        return (lag / 100.0 * pred_days, false);
    }
    let minutes = lag / 10.0;
    if elapsed {
        (minutes / 1440.0, true)
    } else {
        (minutes / minutes_per_day, false)
    }
}

/// Reads an MSPDI document.
pub fn import(root: &Element, plan: &mut Plan, progress_wanted: bool) -> Result<()> {
    let err = |e: &Element, msg: String| ImportError::new(msg).format(SHORT).line(e.line);
    if root.name != "Project" {
        return Err(err(root, format!("the root element is <{}>", root.name))
            .expected("<Project xmlns=\"http://schemas.microsoft.com/project\">"));
    }
    plan.format = FORMAT;
    plan.name = root
        .text_of("Title")
        .or(root.text_of("Name"))
        .map(|s| s.trim_end_matches(".xml").to_string())
        .unwrap_or_default();
    let start = root.text_of("StartDate").and_then(parse_date);
    let finish = root.text_of("FinishDate").and_then(finish_date);
    plan.status_date = root.text_of("StatusDate").and_then(finish_date);
    let current = root.text_of("CurrentDate").and_then(parse_date);
    plan.currency = root.text_of("CurrencyCode").map(str::to_string);
    let minutes_per_day = root
        .text_of("MinutesPerDay")
        .and_then(parse_f64)
        .filter(|m| *m > 0.0 && *m <= 1440.0)
        .unwrap_or(480.0);
    let hpd = minutes_per_day / 60.0;
    if root.text_of("ScheduleFromStart") == Some("0") {
        plan.header.push("The source project is scheduled from its finish date; Tiller schedules forward from the start.".into());
        plan.note("project scheduled from its finish: scheduled forward");
    }

    let tasks_el: Vec<&Element> = root
        .child("Tasks")
        .map(|t| t.all("Task").collect())
        .unwrap_or_default();
    let task_start = tasks_el
        .iter()
        .filter_map(|t| t.text_of("Start").and_then(parse_date))
        .min();
    // Tasks placed before the project start (actuals, or a stale start field) move
    // the program start back.
    let start = match (start, task_start) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let Some(start) = start else {
        return Err(err(
            root,
            "the project has no <StartDate> and no task has a <Start>".into(),
        )
        .expected("a project start date"));
    };
    plan.start = Some(start);
    let task_finish = tasks_el
        .iter()
        .filter_map(|t| t.text_of("Finish").and_then(finish_date))
        .max();
    let horizon_end = finish
        .into_iter()
        .chain(task_finish)
        .max()
        .unwrap_or(start)
        .max(start);
    let window = Window {
        from: add_days(start, -366),
        to: add_days(horizon_end, RECURRENCE_MARGIN_DAYS),
    };

    // Calendars.
    let mut raw_cals: HashMap<i64, RawCal> = HashMap::new();
    let mut cal_order: Vec<(i64, bool)> = Vec::new();
    if let Some(cs) = root.child("Calendars") {
        for c in cs.all("Calendar") {
            let Some(uid) = int_of(c, "UID") else {
                continue;
            };
            let is_base = c.text_of("IsBaseCalendar").is_none_or(|v| v == "1");
            raw_cals.insert(uid, read_calendar(c, &window));
            cal_order.push((uid, is_base));
        }
    }
    let project_cal = int_of(root, "CalendarUID");
    let mut cal_index: HashMap<i64, usize> = HashMap::new();
    let mut effective_of: HashMap<i64, Effective> = HashMap::new();
    for &(uid, _) in &cal_order {
        effective_of.insert(uid, effective(uid, &raw_cals, 0));
    }
    let add_cal = |plan: &mut Plan, uid: i64, eff: &Effective| -> usize {
        let raw = &raw_cals[&uid];
        let mut notes = Vec::new();
        if (eff.hours - hpd).abs() > 0.01 {
            notes.push(format!(
                "{} working hours a day in the source; durations are converted with the project's {} hours a day, as Microsoft Project does",
                crate::plan::num(eff.hours),
                crate::plan::num(hpd)
            ));
            plan.note("calendars whose working hours differ from the project's hours per day");
        }
        if raw.recurring > 0 {
            notes.push(format!(
                "{} recurring exceptions expanded into holidays from {} to {}",
                raw.recurring, window.from, window.to
            ));
            plan.note("recurring calendar exceptions expanded into dated holidays");
        }
        if !raw.on.is_empty() {
            notes.push(format!("{} working exceptions (extra working days or changed hours) dropped: Tiller holidays only remove days", raw.on.len()));
            plan.note("working calendar exceptions dropped");
        }
        plan.calendars.push(Cal {
            id_hint: ids::slug(&raw.name),
            name: if raw.name.is_empty() {
                format!("Calendar {uid}")
            } else {
                raw.name.clone()
            },
            workweek: eff.workweek,
            hours_per_day: hpd,
            holidays: eff.off.clone(),
            notes,
        });
        plan.calendars.len() - 1
    };
    for &(uid, is_base) in &cal_order {
        if is_base || Some(uid) == project_cal {
            let eff = effective_of[&uid].clone();
            let i = add_cal(plan, uid, &eff);
            cal_index.insert(uid, i);
        }
    }
    plan.program_calendar = project_cal.and_then(|u| cal_index.get(&u).copied());
    if plan.program_calendar.is_none() && !plan.calendars.is_empty() {
        plan.program_calendar = Some(0);
    }

    // Resources.
    let mut person_of: HashMap<i64, usize> = HashMap::new();
    let mut dropped_res: HashMap<i64, String> = HashMap::new();
    let mut availability_of: HashMap<i64, f64> = HashMap::new();
    if let Some(rs) = root.child("Resources") {
        for r in rs.all("Resource") {
            let Some(uid) = int_of(r, "UID") else {
                continue;
            };
            let name = r.text_of("Name").unwrap_or("").to_string();
            if bool_of(r, "IsNull") || (uid == 0 && name.is_empty()) {
                continue;
            }
            let ty = int_of(r, "Type").unwrap_or(1);
            if ty != 1 || bool_of(r, "IsCostResource") {
                let what = if ty == 0 { "material" } else { "cost" };
                plan.header.push(format!("{what} resource \"{name}\" dropped: Tiller plans people and shared resources, not consumables or cost items"));
                plan.note("material and cost resources dropped");
                dropped_res.insert(uid, name);
                continue;
            }
            let mut person = Person {
                id_hint: ids::slug(&name),
                name: if name.is_empty() {
                    format!("Resource {uid}")
                } else {
                    name.clone()
                },
                email: r.text_of("EmailAddress").map(str::to_string),
                calendar: None,
                rate: None,
                availability: None,
                off: Vec::new(),
                notes: Vec::new(),
            };
            if let Some(mu) = r.text_of("MaxUnits").and_then(parse_f64) {
                person.availability = Some(mu);
                availability_of.insert(uid, mu);
            }
            if let Some(rate) = r.text_of("StandardRate").and_then(parse_f64)
                && rate > 0.0
            {
                // MSPDI stores the rate per hour whatever unit it is shown in.
                person.rate = Some(match int_of(r, "StandardRateFormat") {
                    Some(3) => (rate * hpd, RatePer::Day),
                    _ => (rate, RatePer::Hour),
                });
            }
            let rate_entries = r.child("Rates").map(|x| x.all("Rate").count()).unwrap_or(0);
            if rate_entries > 1 {
                person.notes.push(format!("{rate_entries} cost rate entries in the source (rate tables or dated rates); the standard rate is kept"));
                plan.note("cost rate tables reduced to the standard rate");
            }
            if let Some(cuid) = int_of(r, "CalendarUID").filter(|c| *c >= 0)
                && raw_cals.contains_key(&cuid)
            {
                let eff = effective_of[&cuid].clone();
                let base = raw_cals[&cuid].base.filter(|b| cal_index.contains_key(b));
                if let Some(&i) = cal_index.get(&cuid) {
                    person.calendar = Some(i);
                } else if let Some(b) = base {
                    let beff = &effective_of[&b];
                    let extra: Vec<Range> = eff
                        .off
                        .iter()
                        .filter(|r| !beff.off.contains(r))
                        .copied()
                        .collect();
                    let lost_base = beff.off.iter().any(|r| !eff.off.contains(r));
                    if eff.workweek == beff.workweek && !lost_base {
                        person.calendar = Some(cal_index[&b]);
                        person.off = extra;
                    } else {
                        let i = add_cal(plan, cuid, &eff);
                        cal_index.insert(cuid, i);
                        person.calendar = Some(i);
                    }
                } else {
                    let i = add_cal(plan, cuid, &eff);
                    cal_index.insert(cuid, i);
                    person.calendar = Some(i);
                }
            }
            plan.people.push(person);
            person_of.insert(uid, plan.people.len() - 1);
        }
    }

    // Assignments by task.
    struct Assign {
        person: usize,
        units: f64,
        work_hours: f64,
    }
    let mut assigns: HashMap<i64, Vec<Assign>> = HashMap::new();
    if let Some(asg) = root.child("Assignments") {
        for a in asg.all("Assignment") {
            let (Some(task), Some(res)) = (int_of(a, "TaskUID"), int_of(a, "ResourceUID")) else {
                continue;
            };
            let Some(&person) = person_of.get(&res) else {
                if dropped_res.contains_key(&res) {
                    plan.note("assignments of material and cost resources dropped");
                } else if res >= 0 {
                    plan.note("assignments to missing resources dropped");
                }
                continue;
            };
            assigns.entry(task).or_default().push(Assign {
                person,
                units: a.text_of("Units").and_then(parse_f64).unwrap_or(1.0),
                work_hours: a
                    .text_of("Work")
                    .and_then(parse_iso_duration_hours)
                    .unwrap_or(0.0),
            });
        }
    }

    // Tasks: hierarchy from outline levels, in file order.
    let mut by_uid: HashMap<i64, usize> = HashMap::new();
    let mut stack: Vec<(i64, usize)> = Vec::new(); // (outline level, task index)
    let mut link_els: Vec<(usize, &Element)> = Vec::new();
    let mut durations: Vec<f64> = Vec::new();
    let progress_date = plan.status_date.or(current);
    let mut baseline_seen = false;
    let mut nulls = 0;
    for t in &tasks_el {
        let Some(uid) = int_of(t, "UID") else {
            return Err(err(t, "a <Task> has no <UID>".into()).expected("a unique task id number"));
        };
        let level = int_of(t, "OutlineLevel").unwrap_or(1);
        if level <= 0 {
            continue; // the project summary task
        }
        if bool_of(t, "IsNull") {
            nulls += 1;
            continue;
        }
        if t.text_of("Active") == Some("0") {
            plan.note("inactive tasks dropped");
            continue;
        }
        let name = t.text_of("Name").unwrap_or("").to_string();
        let wbs = t.text_of("WBS").unwrap_or("");
        let hint = {
            let s = ids::slug(&name);
            if s.is_empty() {
                format!("wbs-{}", ids::code(wbs))
            } else {
                s
            }
        };
        let hint = if hint == "wbs-" {
            format!("task-{uid}")
        } else {
            hint
        };
        let mut task = Task::new(
            hint,
            if name.is_empty() {
                format!("Task {uid}")
            } else {
                name.clone()
            },
        );
        while stack.last().is_some_and(|(l, _)| *l >= level) {
            stack.pop();
        }
        task.parent = stack.last().map(|(_, i)| *i);
        let idx = plan.tasks.len();
        let dur_h = t
            .text_of("Duration")
            .and_then(parse_iso_duration_hours)
            .unwrap_or(0.0)
            .max(0.0);
        let dur_days = dur_h / hpd;
        durations.push(dur_days);
        task.milestone = bool_of(t, "Milestone");
        if task.milestone && dur_days > 0.0 {
            task.notes.push(format!("a milestone with a duration of {} days in the source; milestones have no length here", crate::plan::num(dur_days)));
            plan.note("durations of flagged milestones dropped");
        }
        let fmt = int_of(t, "DurationFormat").unwrap_or(7);
        if matches!(fmt, 4 | 6 | 8 | 10 | 12 | 36 | 38 | 40 | 42 | 44) && !task.milestone {
            task.notes
                .push("elapsed duration in the source: counted as working days here".into());
            plan.note("elapsed durations counted as working days");
        }
        // Work and who does it.
        let mine = assigns.remove(&uid).unwrap_or_default();
        let work_hours: f64 = mine.iter().map(|a| a.work_hours).sum();
        let ty = int_of(t, "Type").unwrap_or(0);
        let effort_driven = bool_of(t, "EffortDriven");
        let full_units = mine.iter().all(|a| (a.units - 1.0).abs() < 1e-6);
        let full_people = mine.iter().all(|a| {
            let p = &plan.people[a.person];
            p.availability.is_none_or(|x| (x - 1.0).abs() < 1e-6)
        });
        let work_based = ty == 2 || (ty == 0 && effort_driven);
        let effort =
            !mine.is_empty() && work_hours > 0.0 && work_based && full_units && full_people;
        if !mine.is_empty() && work_based && work_hours > 0.0 && !effort {
            task.notes.push("effort-driven in the source, but with assignment units or availability other than 100%: kept as a duration".into());
            plan.note("effort-driven tasks with partial units kept as durations");
        }
        if !mine.is_empty() && !full_units && !effort {
            let units: Vec<String> = mine
                .iter()
                .map(|a| format!("{:.0}%", a.units * 100.0))
                .collect();
            task.notes.push(format!(
                "assignment units {} in the source: Tiller assigns people at their availability",
                units.join(", ")
            ));
            plan.note("assignment units other than 100% not kept");
        }
        task.assignees = mine.iter().map(|a| a.person).collect();
        if !task.milestone {
            task.work = Some(if effort {
                Work {
                    effort: true,
                    days: work_hours / hpd,
                }
            } else {
                Work {
                    effort: false,
                    days: dur_days,
                }
            });
            let d = if effort { work_hours / hpd } else { dur_days };
            if (d - d.round()).abs() > 1e-6 && d > 0.0 {
                task.notes.push(format!(
                    "{} hours in the source = {} days; Tiller schedules whole days, so it takes {} days",
                    crate::plan::num(if effort { work_hours } else { dur_h }),
                    crate::plan::num(d),
                    (d / if effort { task.assignees.len().max(1) as f64 } else { 1.0 }).ceil()
                ));
                plan.note("fractional-day durations (rounded up when scheduled)");
            }
        }
        // Constraints.
        let cdate = t.text_of("ConstraintDate").and_then(parse_date);
        match (int_of(t, "ConstraintType").unwrap_or(0), cdate) {
            (0, _) => {}
            (2 | 4, Some(d)) => task.not_before = Some(d),
            (3 | 7, Some(d)) => {
                task.deadline = Some(d);
                task.notes.push(format!(
                    "\"{}\" constraint on {d} in the source: a soft deadline here",
                    if int_of(t, "ConstraintType") == Some(3) {
                        "Must Finish On"
                    } else {
                        "Finish No Later Than"
                    }
                ));
                plan.note("finish constraints made deadlines");
            }
            (c, d) => {
                let what = [
                    "As Soon As Possible",
                    "As Late As Possible",
                    "Must Start On",
                    "Must Finish On",
                    "Start No Earlier Than",
                    "Start No Later Than",
                    "Finish No Earlier Than",
                    "Finish No Later Than",
                ]
                .get(c as usize)
                .copied()
                .unwrap_or("unknown");
                task.notes.push(format!(
                    "\"{what}\" constraint{} in the source dropped",
                    d.map(|d| format!(" on {d}")).unwrap_or_default()
                ));
                plan.note("constraints other than start-no-earlier and finish-no-later dropped");
            }
        }
        if bool_of(t, "Manual")
            && t.child("PredecessorLink").is_none()
            && let Some(s) = t.text_of("Start").and_then(parse_date)
            && s > start
            && task.not_before.is_none()
        {
            task.not_before = Some(s);
            task.notes
                .push("manually scheduled in the source: kept at its start date".into());
            plan.note("manually scheduled tasks pinned to their start");
        }
        if let Some(d) = t.text_of("Deadline").and_then(parse_date) {
            task.deadline = Some(task.deadline.map_or(d, |x| x.min(d)));
        }
        if let Some(c) = int_of(t, "CalendarUID").filter(|c| *c >= 0)
            && Some(c) != project_cal
        {
            let cname = raw_cals
                .get(&c)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| c.to_string());
            task.notes.push(format!("task calendar \"{cname}\" in the source: Tiller runs tasks on their people's or the program calendar"));
            plan.note("task calendars not kept");
        }
        task.description = t.text_of("Notes").map(str::to_string);
        // Progress.
        if progress_wanted {
            let pct = t
                .text_of("PercentComplete")
                .and_then(parse_f64)
                .unwrap_or(0.0);
            let phys = t
                .text_of("PhysicalPercentComplete")
                .and_then(parse_f64)
                .unwrap_or(0.0);
            let started = t.text_of("ActualStart").and_then(parse_date);
            let finished = t.text_of("ActualFinish").and_then(finish_date);
            let done = if phys > 0.0 { phys } else { pct } / 100.0;
            if done > 0.0 || started.is_some() || finished.is_some() {
                let status = if finished.is_some() || done >= 1.0 {
                    Status::Done
                } else {
                    Status::InProgress
                };
                let date = progress_date.or(finished).or(started).unwrap_or(start);
                // Remaining effort for effort-driven work, remaining duration otherwise.
                let remaining_field = if effort {
                    "RemainingWork"
                } else {
                    "RemainingDuration"
                };
                let remaining = t
                    .text_of(remaining_field)
                    .and_then(parse_iso_duration_hours)
                    .map(|h| h / hpd);
                task.progress = Some(Progress {
                    date,
                    status,
                    done: Some(done.clamp(0.0, 1.0)),
                    remaining_days: if status == Status::Done {
                        None
                    } else {
                        remaining
                    },
                    started: started.or(if status == Status::Done {
                        finished
                    } else {
                        None
                    }),
                    finished: if status == Status::Done {
                        finished
                    } else {
                        None
                    },
                    cost: t
                        .text_of("ActualCost")
                        .and_then(parse_f64)
                        .filter(|c| *c > 0.0),
                });
            }
            for b in t.all("Baseline") {
                if int_of(b, "Number").unwrap_or(0) != 0 {
                    plan.note("baselines other than Baseline 0 dropped");
                    continue;
                }
                let (Some(bs), Some(bf)) = (
                    b.text_of("Start").and_then(parse_date),
                    b.text_of("Finish").and_then(finish_date),
                ) else {
                    continue;
                };
                baseline_seen = true;
                task.baseline = Some(BaselineTask {
                    start: bs,
                    finish: bf.max(bs),
                    work_days: b
                        .text_of("Work")
                        .and_then(parse_iso_duration_hours)
                        .map(|h| h / hpd)
                        .filter(|w| *w > 0.0),
                    cost: b.text_of("Cost").and_then(parse_f64).filter(|c| *c > 0.0),
                });
            }
        }
        for l in t.all("PredecessorLink") {
            link_els.push((idx, l));
        }
        by_uid.insert(uid, idx);
        stack.push((level, idx));
        plan.tasks.push(task);
    }
    if nulls > 0 {
        plan.header
            .push(format!("{nulls} blank task rows in the source skipped"));
    }
    if baseline_seen {
        plan.baseline_name = Some(("baseline".into(), None));
    }

    // Links.
    for (succ, l) in link_els {
        let Some(pred_uid) = int_of(l, "PredecessorUID") else {
            return Err(err(l, "a <PredecessorLink> has no <PredecessorUID>".into())
                .expected("the UID of the predecessor task"));
        };
        let Some(&pred) = by_uid.get(&pred_uid) else {
            plan.task_note(succ, "links to missing tasks dropped", format!("link from task UID {pred_uid}, which is not in the file (or blank or inactive), dropped"));
            continue;
        };
        if bool_of(l, "CrossProject") {
            plan.task_note(
                succ,
                "cross-project links dropped",
                "a link to another project dropped",
            );
            continue;
        }
        let kind = match int_of(l, "Type").unwrap_or(1) {
            0 => DepKind::FinishToFinish,
            2 => DepKind::StartToFinish,
            3 => DepKind::StartToStart,
            _ => DepKind::FinishToStart,
        };
        let (lag, elapsed) = lag_days(l, minutes_per_day, durations[pred]);
        let (whole, exact) = whole_days(lag);
        if !exact {
            let pname = plan.tasks[pred].name.clone();
            plan.task_note(
                succ,
                "lags rounded to whole days",
                format!(
                    "lag after \"{pname}\" is {} {}days in the source; rounded to {whole}",
                    crate::plan::num(lag),
                    if elapsed { "elapsed " } else { "" }
                ),
            );
        }
        if matches!(int_of(l, "LagFormat"), Some(19 | 20 | 51 | 52)) {
            plan.note("percentage lags converted to days");
        }
        plan.tasks[succ].deps.push(Dep {
            pred,
            kind,
            lag_days: whole,
            elapsed,
        });
    }
    if !assigns.is_empty() {
        plan.note("assignments to tasks not in the file dropped");
    }
    let _ = weekday_index;
    Ok(())
}
