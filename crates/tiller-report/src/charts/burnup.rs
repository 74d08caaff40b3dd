//! The burn-up: work done against scope, week by week, projected forward at the
//! team's measured pace. Backlogs (`items` tasks) burn up in items at the owning
//! teams' throughput history; a plan without backlogs burns up in finished tasks at
//! the pace they have been finished so far.

use chrono::{Datelike, Days, NaiveDate};
use tiller_core::{TaskKind, TaskStatus, Work};

use super::Chart;
use super::svg::{BLUE, GREEN, INK, Svg, TimeAxis, VERMILLION, ValueAxis, n};
use crate::evidence::Evidence;

/// The burn-up data, also useful on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnUp {
    /// `items` or `tasks`.
    pub unit: &'static str,
    pub scope: f64,
    /// (week ending, done by then), up to the status date.
    pub done: Vec<(NaiveDate, f64)>,
    /// Weekly pace at the median and at the slow (15th percentile) week.
    pub p50_pace: f64,
    pub p85_pace: f64,
    /// When the remaining work is scheduled to start (the earliest unfinished start).
    pub resume: NaiveDate,
}

/// The value at quantile `q` of `v` (nearest rank).
fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let k = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[k]
}

pub fn data(e: &Evidence<'_>) -> Option<BurnUp> {
    let p = e.program;
    let first_sunday = {
        let mut d = p.start;
        while d.weekday() != chrono::Weekday::Sun {
            d = d + Days::new(1);
        }
        d
    };
    let mut weeks = Vec::new();
    let mut d = first_sunday;
    while d < e.status_date {
        weeks.push(d);
        d = d + Days::new(7);
    }
    weeks.push(e.status_date);
    let items: Vec<(usize, f64)> = p
        .tasks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t.work {
            Some(Work::Items { count, .. }) => Some((i, count)),
            _ => None,
        })
        .collect();
    if !items.is_empty() {
        let scope: f64 = items.iter().map(|(_, c)| c).sum();
        let done = weeks
            .iter()
            .map(|w| {
                let pr = p.progress_as_of(*w);
                let v: f64 = items
                    .iter()
                    .map(|(i, c)| {
                        pr[*i].map_or(0.0, |x| {
                            if x.status == TaskStatus::Done {
                                *c
                            } else {
                                c * x.done.unwrap_or(0.0)
                            }
                        })
                    })
                    .sum();
                (*w, v)
            })
            .collect();
        // Pace: each backlog team's history; the teams work in parallel.
        let mut teams: Vec<tiller_core::TeamIdx> =
            items.iter().filter_map(|(i, _)| p.tasks[*i].team).collect();
        teams.sort();
        teams.dedup();
        let (mut p50, mut p85) = (0.0, 0.0);
        for t in teams {
            let h = &p.team(t).throughput;
            p50 += quantile(h.clone(), 0.5);
            p85 += quantile(h.clone(), 0.15);
        }
        let resume = items
            .iter()
            .filter(|(i, _)| e.schedule.times[*i].status != TaskStatus::Done)
            .map(|(i, _)| e.schedule.start_date(tiller_core::TaskIdx(*i as u32)))
            .min()
            .unwrap_or(e.status_date);
        return Some(BurnUp {
            unit: "items",
            scope,
            done,
            p50_pace: p50,
            p85_pace: p85,
            resume,
        });
    }
    let leaves: Vec<usize> = p
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TaskKind::Leaf)
        .map(|(i, _)| i)
        .collect();
    if leaves.is_empty() {
        return None;
    }
    let done: Vec<(NaiveDate, f64)> = weeks
        .iter()
        .map(|w| {
            let pr = p.progress_as_of(*w);
            let n = leaves
                .iter()
                .filter(|i| {
                    pr[**i].is_some_and(|x| {
                        x.status == TaskStatus::Done && x.finished.is_none_or(|f| f <= *w)
                    })
                })
                .count();
            (*w, n as f64)
        })
        .collect();
    // Weekly completions so far (whole weeks only).
    let mut per_week = Vec::new();
    let mut prev = 0.0;
    for (w, v) in &done {
        if *w != e.status_date || w.weekday() == chrono::Weekday::Sun {
            per_week.push(v - prev);
        }
        prev = *v;
    }
    Some(BurnUp {
        unit: "tasks",
        resume: e.status_date,
        scope: leaves.len() as f64,
        p50_pace: quantile(per_week.clone(), 0.5),
        p85_pace: quantile(per_week, 0.15),
        done,
    })
}

pub fn chart(e: &Evidence<'_>) -> Option<Chart> {
    let b = data(e)?;
    let p = e.program;
    let now = b.done.last().map_or(0.0, |x| x.1);
    let remaining = (b.scope - now).max(0.0);
    // The burn resumes when the remaining work is scheduled to start.
    let from_date = b.resume.max(e.status_date);
    let project = |pace: f64| -> Option<NaiveDate> {
        if remaining <= 0.0 {
            return Some(from_date);
        }
        if pace <= 0.0 {
            return None;
        }
        let weeks = (remaining / pace).min(104.0);
        Some(from_date + Days::new((weeks * 7.0).ceil() as u64))
    };
    let p50 = project(b.p50_pace);
    let p85 = project(b.p85_pace);
    let mut end = e.schedule.finish_date_of_program().max(e.status_date);
    for d in [p50, p85].into_iter().flatten() {
        end = end.max(d);
    }
    let (w, h) = (720.0, 300.0);
    let (left, right, top, bottom) = (56.0, 150.0, 44.0, 58.0);
    let axis = TimeAxis::new(p.start, end + Days::new(7), left, w - right);
    let ys = ValueAxis::nice(0.0, b.scope, h - bottom, top);
    let title = format!("{} — burn-up in {}", p.name, b.unit);
    let pace = |d: Option<NaiveDate>| {
        d.map_or_else(|| "no pace measured yet".to_string(), |d| d.to_string())
    };
    let desc = format!(
        "{} of {} {} done by {}; at the median weekly pace ({}) the rest is done by {}, at the slow pace ({}) by {}.",
        n(now),
        n(b.scope),
        b.unit,
        e.status_date,
        n(b.p50_pace),
        pace(p50),
        n(b.p85_pace),
        pace(p85)
    );
    let mut g = Svg::new("burn-up", w, h, &title, &desc);
    g.heading(
        &title,
        &format!(
            "{} of {} {} done; projected at the measured weekly pace",
            n(now),
            n(b.scope),
            b.unit
        ),
    );
    g.value_grid(&ys, left, w - right, n);
    g.date_axis(&axis, left, w - right, h - bottom);
    // Scope.
    let sy = ys.y(b.scope);
    g.line(
        left,
        sy,
        w - right,
        sy,
        &format!("stroke=\"{INK}\" stroke-width=\"1.5\" stroke-dasharray=\"2 2\""),
    );
    g.text(
        w - right + 4.0,
        sy + 3.0,
        &format!("scope {} {}", n(b.scope), b.unit),
        "start",
        "font-size=\"10\"",
    );
    // Done so far.
    let mut pts = vec![(axis.x(p.start), ys.y(0.0))];
    pts.extend(b.done.iter().map(|(d, v)| (axis.x_end(*d), ys.y(*v))));
    g.polyline(&pts, &format!("stroke=\"{BLUE}\" stroke-width=\"2.5\""));
    if let Some(&(x, y)) = pts.last() {
        g.marker(super::svg::Marker::Circle, x, y, BLUE);
        g.text(
            x - 4.0,
            y - 8.0,
            &format!("done {}", n(now)),
            "end",
            &format!("font-size=\"10\" font-weight=\"bold\" fill=\"{BLUE}\""),
        );
    }
    // Projections.
    let from = (axis.x_end(from_date), ys.y(now));
    if from_date > e.status_date {
        g.line(
            axis.x_end(e.status_date),
            ys.y(now),
            from.0,
            from.1,
            &format!("stroke=\"{BLUE}\" stroke-width=\"1\" stroke-dasharray=\"1 3\""),
        );
        g.text(
            from.0,
            from.1 - 22.0,
            &format!("resumes {from_date}"),
            "middle",
            "font-size=\"10\"",
        );
    }
    for (date, label, colour, dash, dy) in [
        (p50, "median pace", GREEN, "6 3", -4.0),
        (p85, "slow pace (P85)", VERMILLION, "2 3", 10.0),
    ] {
        if let Some(d) = date {
            let to = (axis.x_end(d), sy);
            g.polyline(
                &[from, to],
                &format!("stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\""),
            );
            g.text(
                w - right + 4.0,
                sy + 16.0 + dy + 10.0,
                &format!("{label}: {d}"),
                "start",
                &format!("font-size=\"10\" fill=\"{colour}\""),
            );
            g.line(
                to.0,
                sy,
                to.0,
                sy + 6.0,
                &format!("stroke=\"{colour}\" stroke-width=\"2\""),
            );
        }
    }
    let sx = axis.x_end(e.status_date);
    g.line(
        sx,
        top,
        sx,
        h - bottom,
        &format!("stroke=\"{VERMILLION}\" stroke-dasharray=\"5 3\""),
    );
    g.text(
        sx + 3.0,
        top + 10.0,
        &format!("status {}", e.status_date),
        "start",
        &format!("font-size=\"10\" fill=\"{VERMILLION}\""),
    );
    Some(Chart {
        id: "burn-up".to_string(),
        title: format!("Burn-up ({})", b.unit),
        caption: desc,
        svg: g.finish(),
    })
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        assert_eq!(quantile(vec![3.0, 1.0, 2.0, 5.0, 4.0], 0.5), 3.0);
        assert_eq!(quantile(vec![3.0, 1.0, 2.0, 5.0, 4.0], 0.15), 1.0);
        assert_eq!(quantile(vec![], 0.5), 0.0);
    }
}
