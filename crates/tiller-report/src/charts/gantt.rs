//! The Gantt chart: bars from the critical-path schedule, the critical path hatched,
//! dependency arrows, baseline ghost bars, the status-date line, milestones and their
//! promised dates.

use chrono::{Days, NaiveDate};
use tiller_core::{DepKind, Program, TaskIdx, TaskKind, TaskStatus};

use super::svg::{self, BLUE, GREY, INK, Svg, TimeAxis, VERMILLION, clip, diamond, n};
use crate::evidence::Evidence;

/// Tasks in outline order (parents before their children, plan order among
/// siblings), with their depth.
pub fn outline(program: &Program) -> Vec<(TaskIdx, usize)> {
    let mut out = Vec::with_capacity(program.tasks.len());
    fn walk(p: &Program, t: TaskIdx, depth: usize, out: &mut Vec<(TaskIdx, usize)>) {
        out.push((t, depth));
        for c in &p.task(t).children {
            walk(p, *c, depth + 1, out);
        }
    }
    for (i, t) in program.tasks.iter().enumerate() {
        if t.parent.is_none() {
            walk(program, TaskIdx(i as u32), 0, &mut out);
        }
    }
    out
}

/// Which rows a Gantt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every task, summary and milestone, with dependency arrows.
    Tasks,
    /// Workstreams (summaries two levels deep) and milestones.
    Workstreams,
}

pub fn gantt(e: &Evidence<'_>, detail: Detail) -> super::Chart {
    let p = e.program;
    let s = e.schedule;
    let rows: Vec<(TaskIdx, usize)> = outline(p)
        .into_iter()
        .filter(|(t, depth)| match detail {
            Detail::Tasks => true,
            Detail::Workstreams => {
                let k = p.task(*t).kind;
                k == TaskKind::Milestone || (k == TaskKind::Summary && *depth <= 1)
            }
        })
        .collect();
    let row_h = if detail == Detail::Tasks { 16.0 } else { 22.0 };
    let label_w = 300.0;
    let plot_w = 820.0;
    let top = 46.0;
    let legend_h = 46.0;
    let height = top + row_h * rows.len() as f64 + legend_h;
    let width = label_w + plot_w + 20.0;

    // The date range: everything shown, with a week's margin.
    let mut first = p.start;
    let mut last = s.finish_date_of_program();
    for (t, _) in &rows {
        let task = p.task(*t);
        if let Some(pr) = &task.promised {
            last = last.max(pr.value);
        }
        if let Some((bs, bf)) = baseline_span(e, *t) {
            first = first.min(bs);
            last = last.max(bf);
        }
    }
    last = last.max(e.status_date);
    let axis = TimeAxis::new(
        first - Days::new(first.weekday_from_monday_offset()),
        last + Days::new(7),
        label_w,
        label_w + plot_w,
    );

    let critical_count = rows
        .iter()
        .filter(|(t, _)| {
            let kind = p.task(*t).kind;
            s.times[t.index()].critical
                && (kind == TaskKind::Leaf
                    || (kind == TaskKind::Summary && detail == Detail::Workstreams))
        })
        .count();
    let title = format!("{} — Gantt chart as of {}", p.name, e.status_date);
    let desc = format!(
        "{} rows from {} to {}; {} critical bars hatched; the program finishes {}{}.",
        rows.len(),
        axis.start,
        axis.end,
        critical_count,
        s.finish_date_of_program(),
        e.baseline
            .map(|b| format!(", grey ghost bars show baseline `{}`", b.name))
            .unwrap_or_default()
    );
    let id = match detail {
        Detail::Tasks => "gantt",
        Detail::Workstreams => "gantt-workstreams",
    };
    let mut g = Svg::new(id, width, height, &title, &desc);
    let hatch = g.def_id("hatch");
    let arrow = g.def_id("arrow");
    let arrow_crit = g.def_id("arrow-crit");
    g.defs(&format!(
        "<pattern id=\"{hatch}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{VERMILLION}\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\"/></pattern>\
         <marker id=\"{arrow}\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 Z\" fill=\"{GREY}\"/></marker>\
         <marker id=\"{arrow_crit}\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 Z\" fill=\"{VERMILLION}\"/></marker>"
    ));
    g.text(
        10.0,
        18.0,
        &title,
        "start",
        "font-size=\"14\" font-weight=\"bold\"",
    );

    // Grid.
    let bottom = top + row_h * rows.len() as f64;
    for (x, label, major) in axis.ticks() {
        g.line(
            x,
            top - 4.0,
            x,
            bottom,
            &format!(
                "stroke=\"{}\" stroke-width=\"1\"",
                if major { "#cfcfcf" } else { "#ececec" }
            ),
        );
        if !label.is_empty() {
            g.text(
                x + 2.0,
                top - 8.0,
                &label,
                "start",
                "font-size=\"10\" fill=\"#555555\"",
            );
        }
    }
    for (i, _) in rows.iter().enumerate() {
        if i % 2 == 1 {
            g.rect(
                0.0,
                top + row_h * i as f64,
                width,
                row_h,
                "fill=\"#000000\" fill-opacity=\"0.03\"",
            );
        }
    }

    let row_of: Vec<Option<usize>> = {
        let mut v = vec![None; p.tasks.len()];
        for (i, (t, _)) in rows.iter().enumerate() {
            v[t.index()] = Some(i);
        }
        v
    };
    let mid = |i: usize| top + row_h * i as f64 + row_h / 2.0;

    // Dependency arrows under the bars.
    if detail == Detail::Tasks {
        for (i, (t, _)) in rows.iter().enumerate() {
            let task = p.task(*t);
            for d in &task.deps {
                let Some(j) = row_of[d.pred.index()] else {
                    continue;
                };
                let from_x = if d.kind.from_finish() {
                    bar_end(&axis, e, d.pred)
                } else {
                    axis.x(s.start_date(d.pred))
                };
                let to_x = if d.kind.to_finish() {
                    bar_end(&axis, e, *t)
                } else {
                    axis.x(s.start_date(*t))
                };
                let crit = s.times[t.index()].critical
                    && s.times[d.pred.index()].critical
                    && d.kind == DepKind::FinishToStart;
                let (y1, y2) = (mid(j), mid(i));
                let elbow = from_x + 5.0;
                let path = if to_x - 5.0 >= elbow {
                    format!(
                        "M{},{} H{} V{} H{}",
                        n(from_x),
                        n(y1),
                        n(elbow),
                        n(y2),
                        n(to_x)
                    )
                } else {
                    // Backwards (leads, SS/FF): around, entering from the left.
                    let ymid = y2 - row_h / 2.0;
                    format!(
                        "M{},{} H{} V{} H{} V{} H{}",
                        n(from_x),
                        n(y1),
                        n(elbow),
                        n(ymid),
                        n(to_x - 6.0),
                        n(y2),
                        n(to_x)
                    )
                };
                g.path(
                    &path,
                    &format!(
                        "fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" marker-end=\"url(#{})\"",
                        if crit { VERMILLION } else { GREY },
                        if crit { "1.4" } else { "0.8" },
                        if crit { &arrow_crit } else { &arrow }
                    ),
                );
            }
        }
    }

    // Rows.
    for (i, (t, depth)) in rows.iter().enumerate() {
        let task = p.task(*t);
        let times = &s.times[t.index()];
        let y = top + row_h * i as f64;
        let crit = times.critical;
        let label = format!("{}{}  {}", task.id, if crit { " *" } else { "" }, task.name);
        let indent = 10.0 * (*depth).min(8) as f64;
        g.text(
            6.0 + indent,
            y + row_h / 2.0 + 4.0,
            &clip(&label, ((label_w - 16.0 - indent) / 6.8) as usize),
            "start",
            if task.kind == TaskKind::Summary {
                "font-weight=\"bold\""
            } else {
                ""
            },
        );
        // Baseline ghost.
        if let Some((bs, bf)) = baseline_span(e, *t) {
            if task.kind == TaskKind::Milestone {
                g.path(
                    &diamond(axis.x_end(bf), y + row_h / 2.0, row_h * 0.28),
                    &format!("fill=\"none\" stroke=\"{GREY}\" stroke-width=\"1.2\""),
                );
            } else {
                g.rect(
                    axis.x(bs),
                    y + row_h - 5.0,
                    axis.x_end(bf) - axis.x(bs),
                    3.0,
                    &format!("fill=\"{GREY}\" fill-opacity=\"0.7\""),
                );
            }
        }
        let start = s.start_date(*t);
        let finish = s.finish_date(*t);
        let tip = format!(
            "{} {}: {} → {}, total float {}{}",
            task.id,
            task.name,
            start,
            finish,
            times.total_float,
            if crit { ", critical" } else { "" }
        );
        let as_bar = task.kind == TaskKind::Leaf
            || (task.kind == TaskKind::Summary && detail == Detail::Workstreams);
        match task.kind {
            _ if as_bar => {
                let x = axis.x(start);
                let w = (axis.x_end(finish) - x).max(1.5);
                let h = row_h * 0.55;
                let by = y + (row_h - h) / 2.0 - 1.5;
                let fill = if crit {
                    format!("url(#{hatch})")
                } else {
                    BLUE.to_string()
                };
                g.titled(
                    &format!(
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"{}\" stroke-width=\"{}\"/>",
                        n(x),
                        n(by),
                        n(w),
                        n(h),
                        if crit { INK } else { BLUE },
                        if crit { "1" } else { "0.5" }
                    ),
                    &tip,
                );
                let done = done_fraction(e, *t);
                if done > 0.0 {
                    g.rect(
                        x,
                        by + h * 0.3,
                        w * done.min(1.0),
                        h * 0.4,
                        "fill=\"#000000\" fill-opacity=\"0.45\"",
                    );
                }
            }
            TaskKind::Summary => {
                let x = axis.x(start);
                let x2 = axis.x_end(finish);
                let by = y + row_h * 0.3;
                g.titled(
                    &format!(
                        "<path d=\"M{x},{y1} H{x2} V{y2} L{x2a},{y3} L{x2b},{y2} H{xa} L{x},{y3} Z\" fill=\"{INK}\"/>",
                        x = n(x),
                        x2 = n(x2),
                        y1 = n(by),
                        y2 = n(by + 4.0),
                        y3 = n(by + 8.0),
                        x2a = n(x2 - 3.0),
                        x2b = n(x2 - 6.0),
                        xa = n(x + 6.0)
                    ),
                    &tip,
                );
            }
            TaskKind::Milestone => {
                let x = axis.x_end(finish);
                let cy = y + row_h / 2.0;
                g.titled(
                    &format!(
                        "<path d=\"{}\" fill=\"{}\" stroke=\"{INK}\" stroke-width=\"0.8\"/>",
                        diamond(x, cy, row_h * 0.32),
                        if crit { VERMILLION } else { INK }
                    ),
                    &tip,
                );
                let mut note = short_date(finish);
                if let Some(pr) = &task.promised {
                    let px = axis.x_end(pr.value);
                    g.path(
                        &format!(
                            "M{},{} L{},{} L{},{} Z",
                            n(px - 5.0),
                            n(y + 1.5),
                            n(px + 5.0),
                            n(y + 1.5),
                            n(px),
                            n(y + row_h * 0.55)
                        ),
                        &format!(
                            "fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"",
                            svg::GREEN
                        ),
                    );
                    let late = e.wd(pr.value, finish);
                    note = if late > 0 {
                        format!(
                            "{} — promised {}, LATE by {}d",
                            short_date(finish),
                            short_date(pr.value),
                            late
                        )
                    } else {
                        format!("{} — promised {}", short_date(finish), short_date(pr.value))
                    };
                }
                let right = x.max(axis.x_end(task.promised.as_ref().map_or(finish, |p| p.value)));
                let left_of = x.min(axis.x_end(task.promised.as_ref().map_or(finish, |p| p.value)));
                let chars = note.chars().count() as f64 * 6.0;
                if right + 8.0 + chars > width - 4.0 {
                    g.text(left_of - 10.0, cy + 4.0, &note, "end", "font-size=\"10\"");
                } else {
                    g.text(right + 8.0, cy + 4.0, &note, "start", "font-size=\"10\"");
                }
            }
            TaskKind::Leaf => {}
        }
    }

    // Status date.
    let sx = axis.x_end(e.status_date);
    g.line(
        sx,
        top - 14.0,
        sx,
        bottom,
        &format!("stroke=\"{VERMILLION}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\""),
    );
    g.text(
        sx + 3.0,
        top - 20.0,
        &format!("status {}", e.status_date),
        "start",
        &format!("font-size=\"10\" fill=\"{VERMILLION}\" font-weight=\"bold\""),
    );

    // Legend.
    let ly = bottom + 16.0;
    let mut lx = 10.0;
    let mut item = |g: &mut Svg, shape: &str, label: &str, w: f64| {
        g.raw(
            &shape
                .replace("{x}", &n(lx))
                .replace("{yd}", &n(ly - 6.3))
                .replace("{y}", &n(ly - 9.0)),
        );
        g.text(lx + 26.0, ly, label, "start", "font-size=\"10\"");
        lx += w;
    };
    item(
        &mut g,
        &format!("<rect x=\"{{x}}\" y=\"{{y}}\" width=\"20\" height=\"9\" fill=\"{BLUE}\"/>"),
        "planned work",
        105.0,
    );
    item(
        &mut g,
        &format!(
            "<rect x=\"{{x}}\" y=\"{{y}}\" width=\"20\" height=\"9\" fill=\"url(#{hatch})\" stroke=\"{INK}\" stroke-width=\"1\"/>"
        ),
        "critical (hatched, * in the label)",
        200.0,
    );
    item(
        &mut g,
        &format!(
            "<rect x=\"{{x}}\" y=\"{{y}}\" width=\"20\" height=\"9\" fill=\"{BLUE}\"/><rect x=\"{{x}}\" y=\"{{yd}}\" width=\"12\" height=\"3.6\" fill=\"#000000\" fill-opacity=\"0.45\"/>"
        ),
        "done so far",
        95.0,
    );
    item(
        &mut g,
        &format!("<rect x=\"{{x}}\" y=\"{{y}}\" width=\"20\" height=\"3\" fill=\"{GREY}\"/>"),
        "baseline",
        85.0,
    );
    item(
        &mut g,
        &format!("<path d=\"M{{x}},{{y}} m10,-1 l6,6 l-6,6 l-6,-6 z\" fill=\"{INK}\"/>"),
        "milestone",
        90.0,
    );
    item(
        &mut g,
        &format!(
            "<path d=\"M{{x}},{{y}} m4,0 h12 l-6,8 z\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\"/>",
            svg::GREEN
        ),
        "promised date",
        110.0,
    );
    if detail == Detail::Tasks {
        item(
            &mut g,
            &format!("<path d=\"M{{x}},{{y}} m0,4 h18\" stroke=\"{GREY}\" stroke-width=\"1\"/>"),
            "dependency",
            95.0,
        );
    }
    item(
        &mut g,
        &format!(
            "<path d=\"M{{x}},{{y}} m10,-3 v14\" stroke=\"{VERMILLION}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>"
        ),
        "status date",
        90.0,
    );
    super::Chart {
        id: id.to_string(),
        title: match detail {
            Detail::Tasks => "Gantt chart".to_string(),
            Detail::Workstreams => "Workstreams and milestones".to_string(),
        },
        caption: desc,
        svg: g.finish(),
    }
}

/// The fraction of a task done: reported progress for a task, the planned-work
/// weighted share of its tasks for a summary.
fn done_fraction(e: &Evidence<'_>, t: TaskIdx) -> f64 {
    let p = e.program;
    let of_leaf = |i: usize| -> f64 {
        if e.schedule.times[i].status == TaskStatus::Done {
            1.0
        } else {
            e.progress[i].and_then(|x| x.done).unwrap_or(0.0)
        }
    };
    if p.task(t).kind != TaskKind::Summary {
        return of_leaf(t.index());
    }
    let (mut done, mut total) = (0.0, 0.0);
    for (i, task) in p.tasks.iter().enumerate() {
        if task.kind == TaskKind::Leaf && crate::util::within(p, TaskIdx(i as u32), t) {
            let w = tiller_engine::cost::planned_work(task);
            done += w * of_leaf(i);
            total += w;
        }
    }
    if total > 0.0 { done / total } else { 0.0 }
}

fn short_date(d: NaiveDate) -> String {
    svg::short(d)
}

fn bar_end(axis: &TimeAxis, e: &Evidence<'_>, t: TaskIdx) -> f64 {
    axis.x_end(e.schedule.finish_date(t))
}

/// The baseline dates of a task, or of a summary's baselined tasks.
fn baseline_span(e: &Evidence<'_>, t: TaskIdx) -> Option<(NaiveDate, NaiveDate)> {
    match e.program.task(t).kind {
        TaskKind::Summary => e.baseline_span(t),
        _ => e.baseline_of(t).map(|b| (b.start, b.finish)),
    }
}

trait MondayOffset {
    fn weekday_from_monday_offset(&self) -> u64;
}

impl MondayOffset for NaiveDate {
    fn weekday_from_monday_offset(&self) -> u64 {
        use chrono::Datelike;
        u64::from(self.weekday().num_days_from_monday())
    }
}
