//! Forecast drift: how each promised milestone's P80 date has moved against its
//! promise, report by report (or revision by revision).

use chrono::{Days, NaiveDate};

use super::Chart;
use super::svg::{INK, SERIES, Svg, TimeAxis, ValueAxis};
use crate::evidence::Evidence;

/// The P80 dates of one report or plan revision.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftPoint {
    pub date: NaiveDate,
    /// "report of 2027-01-29", "HEAD~2", "now".
    pub label: String,
    pub p80: Vec<(String, NaiveDate)>,
}

/// The drift points: the plan's report history, any extra points (plan revisions),
/// and the current forecast, one per date (the latest source wins).
pub fn points(e: &Evidence<'_>, extra: &[DriftPoint]) -> Vec<DriftPoint> {
    let mut out: Vec<DriftPoint> = e
        .program
        .reporting
        .history
        .iter()
        .filter(|r| r.date < e.status_date)
        .map(|r| DriftPoint {
            date: r.date,
            label: format!("report of {}", r.date),
            p80: r
                .forecasts
                .iter()
                .filter_map(|f| Some((f.id.clone(), f.p80?)))
                .collect(),
        })
        .collect();
    for x in extra {
        if x.date < e.status_date {
            out.retain(|p| p.date != x.date);
            out.push(x.clone());
        }
    }
    out.push(DriftPoint {
        date: e.status_date,
        label: "this report".to_string(),
        p80: e
            .outlook
            .iter()
            .filter_map(|o| Some((o.id.clone(), o.p80?)))
            .collect(),
    });
    out.sort_by_key(|p| p.date);
    out
}

pub fn chart(e: &Evidence<'_>, points: &[DriftPoint]) -> Option<Chart> {
    // Series: promised milestones that are not yet reached.
    let series: Vec<(&str, NaiveDate)> = e
        .outlook
        .iter()
        .filter(|o| !o.done)
        .filter_map(|o| Some((o.id.as_str(), o.promised?)))
        .collect();
    if series.is_empty() || points.is_empty() {
        return None;
    }
    let values: Vec<Vec<Option<i64>>> = series
        .iter()
        .map(|(id, promised)| {
            points
                .iter()
                .map(|pt| {
                    pt.p80
                        .iter()
                        .find(|(x, _)| x == id)
                        .map(|(_, d)| e.wd(*promised, *d))
                })
                .collect()
        })
        .collect();
    let all: Vec<i64> = values.iter().flatten().flatten().copied().collect();
    let lo = all.iter().copied().min().unwrap_or(0).min(0) as f64;
    let hi = all.iter().copied().max().unwrap_or(0).max(0) as f64;
    let (w, h) = (720.0, 300.0);
    let (left, right, top, bottom) = (60.0, 170.0, 44.0, 50.0);
    let first = points[0].date;
    let last = points[points.len() - 1].date;
    let axis = TimeAxis::new(first - Days::new(7), last + Days::new(7), left, w - right);
    let span = (hi - lo).max(10.0);
    let ys = ValueAxis::nice(lo - span * 0.1, hi + span * 0.1, h - bottom, top);
    let title = format!("{} — forecast drift", e.program.name);
    let desc = format!(
        "P80 date against the promise, in working days (above zero = late), at {} report{} from {} to {}.",
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        first,
        last
    );
    let mut g = Svg::new("drift", w, h, &title, &desc);
    g.heading(
        &title,
        if points.len() == 1 {
            "one report so far: record reports (`tiller report --record`) to see the drift"
        } else {
            "P80 date minus the promise, working days; above the line = late"
        },
    );
    g.value_grid(&ys, left, w - right, |v| format!("{:+}", v as i64));
    let zy = ys.y(0.0);
    g.line(
        left,
        zy,
        w - right,
        zy,
        &format!("stroke=\"{INK}\" stroke-width=\"1.5\""),
    );
    g.text(
        left + 4.0,
        zy - 4.0,
        "promise",
        "start",
        "font-size=\"10\" font-weight=\"bold\"",
    );
    g.line(
        left,
        h - bottom,
        w - right,
        h - bottom,
        &format!("stroke=\"{INK}\""),
    );
    for pt in points {
        let x = axis.x(pt.date);
        g.line(
            x,
            h - bottom,
            x,
            h - bottom + 4.0,
            &format!("stroke=\"{INK}\""),
        );
        g.text(
            x,
            h - bottom + 15.0,
            &super::svg::short(pt.date),
            "middle",
            "font-size=\"10\"",
        );
    }
    let mut labels: Vec<(f64, usize, i64)> = Vec::new();
    for (k, ((_, _), vals)) in series.iter().zip(&values).enumerate() {
        let (colour, dash, marker) = SERIES[k % SERIES.len()];
        let pts: Vec<(f64, f64)> = points
            .iter()
            .zip(vals)
            .filter_map(|(pt, v)| Some((axis.x(pt.date), ys.y((*v)? as f64))))
            .collect();
        if pts.len() > 1 {
            g.polyline(
                &pts,
                &format!("stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\""),
            );
        }
        for (x, y) in &pts {
            g.marker(marker, *x, *y, colour);
        }
        if let (Some((_, y)), Some(v)) = (pts.last(), vals.iter().rev().flatten().next()) {
            labels.push((*y, k, *v));
        }
    }
    // Labels at the height of each series' last point, pushed apart so none overlap.
    labels.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut next_free = f64::MIN;
    for (y, k, v) in labels {
        let (colour, _, marker) = SERIES[k % SERIES.len()];
        let ly = y.max(next_free);
        next_free = ly + 14.0;
        let x = w - right + 12.0;
        g.marker(marker, x, ly, colour);
        g.text(
            x + 8.0,
            ly + 4.0,
            &format!("{} {:+}d", series[k].0, v),
            "start",
            &format!("font-size=\"10\" fill=\"{colour}\" font-weight=\"bold\""),
        );
    }
    Some(Chart {
        id: "drift".to_string(),
        title: "Forecast drift".to_string(),
        caption: desc,
        svg: g.finish(),
    })
}
