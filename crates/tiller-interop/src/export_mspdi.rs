//! A scheduled program → Microsoft Project XML (MSPDI).
//!
//! Tasks are written in outline order with their hierarchy (outline levels, WBS), the
//! scheduled dates, durations in hours of the program calendar's day, all four link
//! types with lags in tenths of a minute, start-no-earlier-than constraints and
//! deadlines; people become work resources with rates, their own calendars (based on
//! their working calendar, with their time off) and assignments. Everything is derived
//! from the program and schedule only, so the output is deterministic.

use std::fmt::Write;

use chrono::NaiveDate;
use tiller_core::{Assignment, Calendar, DepKind, Program, TaskIdx, TaskKind, Work};
use tiller_engine::Schedule;
use tiller_engine::tick::is_end;

/// Escapes text for XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Working time ranges of a day of `hours`, in minutes from midnight.
fn day_ranges(hours: f64) -> Vec<(u32, u32)> {
    let minutes = (hours * 60.0).round().clamp(1.0, 1440.0) as u32;
    if minutes >= 1440 {
        return vec![(0, 1440)];
    }
    if minutes <= 240 {
        return vec![(480, 480 + minutes)];
    }
    if minutes <= 900 {
        return vec![(480, 720), (780, 780 + minutes - 240)];
    }
    vec![(0, minutes)]
}

fn hm(min: u32) -> String {
    let m = min % 1440;
    format!("{:02}:{:02}:00", m / 60, m % 60)
}

fn hours_iso(hours: f64) -> String {
    let total_min = (hours * 60.0).round().max(0.0) as i64;
    format!("PT{}H{}M0S", total_min / 60, total_min % 60)
}

fn dt(d: NaiveDate, minute: u32) -> String {
    if minute >= 1440 {
        // End of a 24-hour day: midnight of the next.
        let next = d.succ_opt().unwrap_or(d);
        return format!("{next}T00:00:00");
    }
    format!("{d}T{}", hm(minute))
}

fn write_calendar(
    out: &mut String,
    uid: usize,
    name: &str,
    base: Option<usize>,
    cal: Option<&Calendar>,
    off: &[tiller_core::DateRange],
) {
    out.push_str("\t\t<Calendar>\n");
    let _ = writeln!(out, "\t\t\t<UID>{uid}</UID>");
    let _ = writeln!(out, "\t\t\t<Name>{}</Name>", esc(name));
    let _ = writeln!(
        out,
        "\t\t\t<IsBaseCalendar>{}</IsBaseCalendar>",
        u8::from(base.is_none())
    );
    let _ = writeln!(
        out,
        "\t\t\t<BaseCalendarUID>{}</BaseCalendarUID>",
        base.map_or(-1, |b| b as i64)
    );
    if let Some(cal) = cal {
        out.push_str("\t\t\t<WeekDays>\n");
        // MSPDI day types: 1 = Sunday ... 7 = Saturday.
        for day_type in 1..=7usize {
            let idx = (day_type + 5) % 7;
            let working = cal.workweek.0[idx];
            out.push_str("\t\t\t\t<WeekDay>\n");
            let _ = writeln!(out, "\t\t\t\t\t<DayType>{day_type}</DayType>");
            let _ = writeln!(
                out,
                "\t\t\t\t\t<DayWorking>{}</DayWorking>",
                u8::from(working)
            );
            if working {
                out.push_str("\t\t\t\t\t<WorkingTimes>\n");
                for (a, b) in day_ranges(cal.hours_per_day) {
                    let _ = writeln!(
                        out,
                        "\t\t\t\t\t\t<WorkingTime><FromTime>{}</FromTime><ToTime>{}</ToTime></WorkingTime>",
                        hm(a),
                        hm(b)
                    );
                }
                out.push_str("\t\t\t\t\t</WorkingTimes>\n");
            }
            out.push_str("\t\t\t\t</WeekDay>\n");
        }
        out.push_str("\t\t\t</WeekDays>\n");
    }
    let ranges: Vec<&tiller_core::DateRange> = cal
        .map(|c| c.holidays.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(off.iter())
        .collect();
    if !ranges.is_empty() {
        out.push_str("\t\t\t<Exceptions>\n");
        for r in ranges {
            out.push_str("\t\t\t\t<Exception>\n");
            out.push_str("\t\t\t\t\t<EnteredByOccurrences>0</EnteredByOccurrences>\n");
            let _ = writeln!(
                out,
                "\t\t\t\t\t<TimePeriod><FromDate>{}T00:00:00</FromDate><ToDate>{}T23:59:00</ToDate></TimePeriod>",
                r.first, r.last
            );
            out.push_str("\t\t\t\t\t<Occurrences>1</Occurrences>\n");
            out.push_str("\t\t\t\t\t<Name>Non-working</Name>\n");
            out.push_str("\t\t\t\t\t<Type>1</Type>\n");
            out.push_str("\t\t\t\t\t<DayWorking>0</DayWorking>\n");
            out.push_str("\t\t\t\t</Exception>\n");
        }
        out.push_str("\t\t\t</Exceptions>\n");
    }
    out.push_str("\t\t</Calendar>\n");
}

/// Writes the program and its schedule as an MSPDI document.
pub fn write(program: &Program, schedule: &Schedule) -> String {
    let cal = program.calendar(program.default_calendar);
    let hpd = cal.hours_per_day;
    let days_per_week = cal.workweek.days_per_week().max(1) as f64;
    let day = day_ranges(hpd);
    let (day_start, day_end) = (day[0].0, day[day.len() - 1].1);
    let mut out = String::with_capacity(program.tasks.len() * 1200 + 8192);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
    out.push_str("<Project xmlns=\"http://schemas.microsoft.com/project\">\n");
    out.push_str("\t<SaveVersion>14</SaveVersion>\n");
    let _ = writeln!(out, "\t<Name>{}</Name>", esc(&program.name));
    let _ = writeln!(out, "\t<Title>{}</Title>", esc(&program.name));
    out.push_str("\t<ScheduleFromStart>1</ScheduleFromStart>\n");
    let _ = writeln!(
        out,
        "\t<StartDate>{}</StartDate>",
        dt(program.start, day_start)
    );
    let _ = writeln!(
        out,
        "\t<FinishDate>{}</FinishDate>",
        dt(schedule.finish_date_of_program(), day_end)
    );
    let _ = writeln!(
        out,
        "\t<CurrencyCode>{}</CurrencyCode>",
        esc(&program.currency)
    );
    out.push_str("\t<CalendarUID>1</CalendarUID>\n");
    let _ = writeln!(
        out,
        "\t<DefaultStartTime>{}</DefaultStartTime>",
        hm(day_start)
    );
    let _ = writeln!(
        out,
        "\t<DefaultFinishTime>{}</DefaultFinishTime>",
        hm(day_end)
    );
    let _ = writeln!(
        out,
        "\t<MinutesPerDay>{}</MinutesPerDay>",
        (hpd * 60.0).round() as i64
    );
    let _ = writeln!(
        out,
        "\t<MinutesPerWeek>{}</MinutesPerWeek>",
        (hpd * 60.0 * days_per_week).round() as i64
    );
    out.push_str("\t<DaysPerMonth>20</DaysPerMonth>\n");
    out.push_str("\t<DurationFormat>7</DurationFormat>\n");
    out.push_str("\t<WorkFormat>3</WorkFormat>\n");
    out.push_str("\t<NewTasksEffortDriven>0</NewTasksEffortDriven>\n");
    if let Some(s) = program.status_date {
        let _ = writeln!(out, "\t<StatusDate>{}</StatusDate>", dt(s, day_end));
    }

    // Calendars: the program calendar first (UID 1), then the others, then one
    // resource calendar per person.
    let mut cal_uid = vec![0usize; program.calendars.len()];
    let mut next_uid = 1;
    cal_uid[program.default_calendar.index()] = next_uid;
    next_uid += 1;
    for (i, u) in cal_uid.iter_mut().enumerate() {
        if i != program.default_calendar.index() {
            *u = next_uid;
            next_uid += 1;
        }
    }
    out.push_str("\t<Calendars>\n");
    let mut order: Vec<usize> = (0..program.calendars.len()).collect();
    order.sort_by_key(|i| cal_uid[*i]);
    for i in order {
        let c = &program.calendars[i];
        write_calendar(
            &mut out,
            cal_uid[i],
            c.name.as_deref().unwrap_or(&c.id),
            None,
            Some(c),
            &[],
        );
    }
    let person_cal: Vec<usize> = program
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let uid = next_uid + i;
            write_calendar(
                &mut out,
                uid,
                p.name.as_deref().unwrap_or(&p.id),
                Some(cal_uid[p.calendar.index()]),
                None,
                &p.time_off,
            );
            uid
        })
        .collect();
    out.push_str("\t</Calendars>\n");

    // Tasks in outline order.
    let outline = outline(program);
    let mut uid_of = vec![0usize; program.tasks.len()];
    for (n, (t, _)) in outline.iter().enumerate() {
        uid_of[t.index()] = n + 1;
    }
    let mut numbers: Vec<String> = vec![String::new(); program.tasks.len()];
    let mut counters: Vec<usize> = Vec::new();
    for (t, depth) in &outline {
        counters.truncate(depth + 1);
        while counters.len() < depth + 1 {
            counters.push(0);
        }
        counters[*depth] += 1;
        numbers[t.index()] = counters
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(".");
    }
    // Tasks with reported progress are placed by their actuals: their length is their
    // scheduled span rather than their estimate.
    let mut progressed = vec![false; program.tasks.len()];
    // The latest report per task, later fields refining earlier ones.
    let mut latest: Vec<Option<tiller_core::ProgressUpdate>> = vec![None; program.tasks.len()];
    let mut updates: Vec<&tiller_core::ProgressUpdate> = program.progress.iter().collect();
    updates.sort_by_key(|u| u.date);
    for u in updates {
        progressed[u.task.index()] = true;
        let slot = &mut latest[u.task.index()];
        match slot {
            None => *slot = Some(u.clone()),
            Some(prev) => {
                prev.date = u.date;
                prev.status = u.status.or(prev.status);
                prev.done = u.done.or(prev.done);
                prev.remaining = u.remaining.or(prev.remaining);
                prev.started = u.started.or(prev.started);
                prev.finished = u.finished.or(prev.finished);
                prev.cost = u.cost.or(prev.cost);
            }
        }
    }
    out.push_str("\t<Tasks>\n");
    // The project summary row Microsoft Project expects.
    out.push_str("\t\t<Task>\n\t\t\t<UID>0</UID>\n\t\t\t<ID>0</ID>\n");
    let _ = writeln!(out, "\t\t\t<Name>{}</Name>", esc(&program.name));
    out.push_str("\t\t\t<OutlineNumber>0</OutlineNumber>\n\t\t\t<OutlineLevel>0</OutlineLevel>\n\t\t\t<Summary>1</Summary>\n");
    let _ = writeln!(out, "\t\t\t<Start>{}</Start>", dt(program.start, day_start));
    let _ = writeln!(
        out,
        "\t\t\t<Finish>{}</Finish>",
        dt(schedule.finish_date_of_program(), day_end)
    );
    out.push_str("\t\t</Task>\n");
    for (n, (idx, depth)) in outline.iter().enumerate() {
        let t = program.task(*idx);
        let times = schedule.times[idx.index()];
        let i = idx.index();
        out.push_str("\t\t<Task>\n");
        let _ = writeln!(out, "\t\t\t<UID>{}</UID>", uid_of[i]);
        let _ = writeln!(out, "\t\t\t<ID>{}</ID>", n + 1);
        let _ = writeln!(out, "\t\t\t<Name>{}</Name>", esc(&t.name));
        let _ = writeln!(out, "\t\t\t<WBS>{}</WBS>", numbers[i]);
        let _ = writeln!(out, "\t\t\t<OutlineNumber>{}</OutlineNumber>", numbers[i]);
        let _ = writeln!(out, "\t\t\t<OutlineLevel>{}</OutlineLevel>", depth + 1);
        let milestone = t.kind == TaskKind::Milestone;
        let summary = t.kind == TaskKind::Summary;
        let effort = matches!(t.work, Some(Work::Effort(_)))
            && matches!(t.assignment, Assignment::People(_));
        let _ = writeln!(out, "\t\t\t<Type>{}</Type>", if effort { 0 } else { 1 });
        let _ = writeln!(
            out,
            "\t\t\t<EffortDriven>{}</EffortDriven>",
            u8::from(effort)
        );
        out.push_str("\t\t\t<Manual>0</Manual>\n");
        let _ = writeln!(out, "\t\t\t<Milestone>{}</Milestone>", u8::from(milestone));
        let _ = writeln!(out, "\t\t\t<Summary>{}</Summary>", u8::from(summary));
        let (start, finish) = if milestone {
            let d = schedule.date(times.early_finish);
            let m = if is_end(times.early_finish) {
                day_end
            } else {
                day_start
            };
            (dt(d, m), dt(d, m))
        } else {
            (
                dt(schedule.date(times.early_start), day_start),
                dt(schedule.date(times.early_finish), day_end),
            )
        };
        let _ = writeln!(out, "\t\t\t<Start>{start}</Start>");
        let _ = writeln!(out, "\t\t\t<Finish>{finish}</Finish>");
        let dur_days = match (&t.work, milestone) {
            (_, true) => 0.0,
            (Some(Work::Duration(e)), _) if !progressed[i] => e.likely,
            _ => schedule.working_days[i] as f64,
        };
        let _ = writeln!(
            out,
            "\t\t\t<Duration>{}</Duration>",
            hours_iso(dur_days * hpd)
        );
        out.push_str("\t\t\t<DurationFormat>7</DurationFormat>\n");
        if let Some(Work::Effort(e)) = &t.work {
            let _ = writeln!(out, "\t\t\t<Work>{}</Work>", hours_iso(e.likely * hpd));
        }
        let _ = writeln!(out, "\t\t\t<EarlyStart>{start}</EarlyStart>");
        let _ = writeln!(out, "\t\t\t<EarlyFinish>{finish}</EarlyFinish>");
        let _ = writeln!(
            out,
            "\t\t\t<LateStart>{}</LateStart>",
            dt(
                schedule.date(times.late_start),
                if milestone && is_end(times.late_start) {
                    day_end
                } else {
                    day_start
                }
            )
        );
        let _ = writeln!(
            out,
            "\t\t\t<LateFinish>{}</LateFinish>",
            dt(
                schedule.date(times.late_finish),
                if milestone && !is_end(times.late_finish) {
                    day_start
                } else {
                    day_end
                }
            )
        );
        let _ = writeln!(
            out,
            "\t\t\t<TotalSlack>{}</TotalSlack>",
            (times.total_float as f64 * hpd * 600.0).round() as i64
        );
        let _ = writeln!(
            out,
            "\t\t\t<FreeSlack>{}</FreeSlack>",
            (times.free_float as f64 * hpd * 600.0).round() as i64
        );
        let _ = writeln!(
            out,
            "\t\t\t<Critical>{}</Critical>",
            u8::from(times.critical)
        );
        if let Some(nb) = &t.not_before {
            out.push_str("\t\t\t<ConstraintType>4</ConstraintType>\n");
            let _ = writeln!(
                out,
                "\t\t\t<ConstraintDate>{}</ConstraintDate>",
                dt(nb.value, day_start)
            );
        } else {
            out.push_str("\t\t\t<ConstraintType>0</ConstraintType>\n");
        }
        let due = match (&t.deadline, &t.promised) {
            (Some(a), Some(b)) => Some(a.value.min(b.value)),
            (Some(a), None) => Some(a.value),
            (None, Some(b)) => Some(b.value),
            (None, None) => None,
        };
        if let Some(d) = due {
            let _ = writeln!(out, "\t\t\t<Deadline>{}</Deadline>", dt(d, day_end));
        }
        if let Some(u) = &latest[i] {
            let done = match u.status {
                Some(tiller_core::TaskStatus::Done) => 1.0,
                _ => u.done.unwrap_or(0.0),
            };
            let _ = writeln!(
                out,
                "\t\t\t<PercentComplete>{}</PercentComplete>",
                (done * 100.0).round() as i64
            );
            let _ = writeln!(
                out,
                "\t\t\t<PhysicalPercentComplete>{}</PhysicalPercentComplete>",
                (done * 100.0).round() as i64
            );
            if let Some(d) = u.started {
                let _ = writeln!(out, "\t\t\t<ActualStart>{}</ActualStart>", dt(d, day_start));
            }
            if let Some(d) = u.finished {
                let _ = writeln!(out, "\t\t\t<ActualFinish>{}</ActualFinish>", dt(d, day_end));
            }
            if let Some(r) = u.remaining {
                let field = if matches!(t.work, Some(Work::Effort(_))) {
                    "RemainingWork"
                } else {
                    "RemainingDuration"
                };
                let _ = writeln!(out, "\t\t\t<{field}>{}</{field}>", hours_iso(r * hpd));
            }
            if let Some(c) = u.cost {
                let _ = writeln!(
                    out,
                    "\t\t\t<ActualCost>{}</ActualCost>",
                    crate::plan::num(c.as_units())
                );
            }
        }
        out.push_str("\t\t\t<CalendarUID>-1</CalendarUID>\n");
        if let Some(d) = &t.description {
            let _ = writeln!(out, "\t\t\t<Notes>{}</Notes>", esc(d));
        }
        for dep in &t.deps {
            let ty = match dep.kind {
                DepKind::FinishToFinish => 0,
                DepKind::FinishToStart => 1,
                DepKind::StartToFinish => 2,
                DepKind::StartToStart => 3,
            };
            let (lag, fmt) = if dep.lag.elapsed {
                (dep.lag.days as i64 * 1440 * 10, 8)
            } else {
                ((dep.lag.days as f64 * hpd * 600.0).round() as i64, 7)
            };
            out.push_str("\t\t\t<PredecessorLink>\n");
            let _ = writeln!(
                out,
                "\t\t\t\t<PredecessorUID>{}</PredecessorUID>",
                uid_of[dep.pred.index()]
            );
            let _ = writeln!(out, "\t\t\t\t<Type>{ty}</Type>");
            out.push_str("\t\t\t\t<CrossProject>0</CrossProject>\n");
            let _ = writeln!(out, "\t\t\t\t<LinkLag>{lag}</LinkLag>");
            let _ = writeln!(out, "\t\t\t\t<LagFormat>{fmt}</LagFormat>");
            out.push_str("\t\t\t</PredecessorLink>\n");
        }
        out.push_str("\t\t</Task>\n");
    }
    out.push_str("\t</Tasks>\n");

    out.push_str("\t<Resources>\n");
    for (i, p) in program.people.iter().enumerate() {
        let pc = program.calendar(p.calendar);
        out.push_str("\t\t<Resource>\n");
        let _ = writeln!(out, "\t\t\t<UID>{}</UID>", i + 1);
        let _ = writeln!(out, "\t\t\t<ID>{}</ID>", i + 1);
        let _ = writeln!(
            out,
            "\t\t\t<Name>{}</Name>",
            esc(p.name.as_deref().unwrap_or(&p.id))
        );
        out.push_str("\t\t\t<Type>1</Type>\n\t\t\t<IsNull>0</IsNull>\n");
        let _ = writeln!(out, "\t\t\t<Initials>{}</Initials>", esc(&p.id));
        if let Some(e) = &p.email {
            let _ = writeln!(out, "\t\t\t<EmailAddress>{}</EmailAddress>", esc(e));
        }
        let _ = writeln!(
            out,
            "\t\t\t<MaxUnits>{}</MaxUnits>",
            crate::plan::num(p.availability)
        );
        if let Some(rate) = p.day_rate {
            let hourly = rate.as_units() / pc.hours_per_day;
            let _ = writeln!(
                out,
                "\t\t\t<StandardRate>{}</StandardRate>",
                crate::plan::num(hourly)
            );
            out.push_str("\t\t\t<StandardRateFormat>3</StandardRateFormat>\n");
        }
        let _ = writeln!(out, "\t\t\t<CalendarUID>{}</CalendarUID>", person_cal[i]);
        out.push_str("\t\t</Resource>\n");
    }
    out.push_str("\t</Resources>\n");

    out.push_str("\t<Assignments>\n");
    let mut auid = 1;
    for (idx, _) in &outline {
        let t = program.task(*idx);
        let Assignment::People(people) = &t.assignment else {
            continue;
        };
        if t.kind != TaskKind::Leaf {
            continue;
        }
        let times = schedule.times[idx.index()];
        let total_avail: f64 = people.iter().map(|p| program.person(*p).availability).sum();
        for p in people {
            let person = program.person(*p);
            let work_days = match &t.work {
                Some(Work::Effort(e)) => e.likely * person.availability / total_avail.max(1e-9),
                Some(Work::Duration(e)) | Some(Work::Items { duration: e, .. }) => {
                    e.likely * person.availability
                }
                None => 0.0,
            };
            out.push_str("\t\t<Assignment>\n");
            let _ = writeln!(out, "\t\t\t<UID>{auid}</UID>");
            let _ = writeln!(out, "\t\t\t<TaskUID>{}</TaskUID>", uid_of[idx.index()]);
            let _ = writeln!(out, "\t\t\t<ResourceUID>{}</ResourceUID>", p.index() + 1);
            let _ = writeln!(
                out,
                "\t\t\t<Units>{}</Units>",
                crate::plan::num(person.availability)
            );
            let _ = writeln!(out, "\t\t\t<Work>{}</Work>", hours_iso(work_days * hpd));
            let _ = writeln!(
                out,
                "\t\t\t<Start>{}</Start>",
                dt(schedule.date(times.early_start), day_start)
            );
            let _ = writeln!(
                out,
                "\t\t\t<Finish>{}</Finish>",
                dt(schedule.date(times.early_finish), day_end)
            );
            out.push_str("\t\t</Assignment>\n");
            auid += 1;
        }
    }
    out.push_str("\t</Assignments>\n");
    out.push_str("</Project>\n");
    out
}

/// Tasks in outline order: each summary followed by its children, with their depth.
pub fn outline(program: &Program) -> Vec<(TaskIdx, usize)> {
    let mut out = Vec::with_capacity(program.tasks.len());
    let mut stack: Vec<(TaskIdx, usize)> = program
        .tasks
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, t)| t.parent.is_none())
        .map(|(i, _)| (TaskIdx(i as u32), 0))
        .collect();
    while let Some((t, depth)) = stack.pop() {
        out.push((t, depth));
        for c in program.task(t).children.iter().rev() {
            stack.push((*c, depth + 1));
        }
    }
    out
}
