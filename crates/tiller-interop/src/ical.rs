//! A scheduled program → iCalendar (RFC 5545): milestones, and optionally tasks, as
//! all-day events, so stakeholders can subscribe to the dates that matter.
//!
//! Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character);
//! every event has a stable UID (program and task id) and a DTSTAMP taken from the
//! program's status date, or its start — never the clock — so the same plan always
//! gives the same bytes. All-day events use `VALUE=DATE` with the exclusive end date.

use chrono::NaiveDate;
use tiller_core::{Program, TaskKind};
use tiller_engine::Schedule;

/// Which tasks become events besides the milestones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tasks {
    None,
    Critical,
    All,
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if (c as u32) < 0x20 || c == '\u{7f}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets, with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        // The first line may be 75 octets; continuation lines start with a space,
        // which counts.
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn date(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

fn uid_domain(program: &Program) -> String {
    let s = crate::ids::slug(&program.name);
    if s.is_empty() {
        "program".to_string()
    } else {
        s
    }
}

/// Writes the calendar.
pub fn write(program: &Program, schedule: &Schedule, tasks: Tasks) -> String {
    let mut out = String::new();
    let stamp = format!(
        "{}T000000Z",
        date(program.status_date.unwrap_or(program.start))
    );
    let domain = uid_domain(program);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Tiller//Tiller plan export//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(&program.name)));
    for (idx, _) in crate::export_mspdi::outline(program) {
        let t = program.task(idx);
        let times = schedule.times[idx.index()];
        let (first, last, what) = match t.kind {
            TaskKind::Milestone => {
                let d = schedule.date(times.early_finish);
                (d, d, "Milestone")
            }
            TaskKind::Leaf
                if tasks == Tasks::All || (tasks == Tasks::Critical && times.critical) =>
            {
                (schedule.start_date(idx), schedule.finish_date(idx), "Task")
            }
            _ => continue,
        };
        let end = last.succ_opt().unwrap_or(last);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@{}.tiller", text(&t.id), domain));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("DTSTART;VALUE=DATE:{}", date(first)));
        line(&mut out, &format!("DTEND;VALUE=DATE:{}", date(end)));
        line(&mut out, &format!("SUMMARY:{}", text(&t.name)));
        let mut desc = Vec::new();
        if t.kind == TaskKind::Milestone {
            desc.push(format!(
                "{} milestone of {}",
                if times.critical { "Critical" } else { "A" },
                program.name
            ));
            if let Some(p) = &t.promised {
                let slack = schedule.due_slack[idx.index()].unwrap_or(0);
                desc.push(if first <= p.value {
                    format!(
                        "Promised {}: on time ({} working days to spare).",
                        p.value,
                        slack.max(0)
                    )
                } else {
                    format!("Promised {}: late by {} working days.", p.value, -slack)
                });
            }
        } else {
            desc.push(format!(
                "{} to {} ({} working days){}.",
                first,
                last,
                schedule.working_days[idx.index()],
                if times.critical { ", critical" } else { "" }
            ));
        }
        desc.push(format!("Total float: {} working days.", times.total_float));
        if let Some(d) = &t.description {
            desc.push(d.clone());
        }
        line(&mut out, &format!("DESCRIPTION:{}", text(&desc.join("\n"))));
        line(&mut out, &format!("CATEGORIES:{what}"));
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{long}\r\n"));
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
