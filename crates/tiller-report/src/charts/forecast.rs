//! Forecast charts per milestone: the histogram of simulated dates, the S-curve of
//! the probability of being done by each date, and the promised, baseline, P50 and
//! P80 dates.

use chrono::{Datelike, Days, NaiveDate};
use tiller_engine::forecast::DateForecast;

use super::Chart;
use super::svg::{self, BLUE, GREY, INK, Svg, TimeAxis, VERMILLION, ValueAxis, n};
use crate::evidence::Outlook;
use crate::util::pct;

pub fn milestone(f: &DateForecast, o: &Outlook, iterations: usize) -> Chart {
    let (w, h) = (660.0, 280.0);
    let (left, right, top, bottom) = (56.0, 60.0, 44.0, 58.0);
    let mut lo = f.histogram.first().map_or(f.p10, |b| b.date);
    let mut hi = f.histogram.last().map_or(f.p95, |b| b.date);
    for d in [o.promised, o.baseline].into_iter().flatten() {
        lo = lo.min(d);
        hi = hi.max(d);
    }
    let axis = TimeAxis::new(lo - Days::new(2), hi + Days::new(3), left, w - right);
    // Bins: days on short ranges, weeks (Monday to Sunday) on long ones.
    let weekly = (axis.end - axis.start).num_days() > 120;
    let mut bins: Vec<(NaiveDate, NaiveDate, u32)> = Vec::new();
    for b in &f.histogram {
        let (from, to) = if weekly {
            let monday = b.date - Days::new(u64::from(b.date.weekday().num_days_from_monday()));
            (monday, monday + Days::new(7))
        } else {
            (b.date, b.date + Days::new(1))
        };
        match bins.last_mut() {
            Some(last) if last.0 == from => last.2 += b.count,
            _ => bins.push((from, to, b.count)),
        }
    }
    let total = iterations.max(1) as f64;
    let max_share = bins.iter().map(|b| b.2 as f64 / total).fold(0.0, f64::max);
    let ys = ValueAxis::nice(0.0, max_share.max(0.01), h - bottom, top);
    let yp = ValueAxis::new(0.0, 1.0, h - bottom, top);

    let title = format!("{} — forecast", o.id);
    let desc = format!(
        "{} ({} iterations): P50 {}, P80 {}{}{}.",
        o.name,
        iterations,
        f.p50,
        f.p80,
        o.promised
            .map(|pd| format!(
                ", promised {pd}, {} chance of meeting it",
                f.probability_on_time.map_or_else(|| "-".to_string(), pct)
            ))
            .unwrap_or_default(),
        o.baseline
            .map(|b| format!(", baseline {b}"))
            .unwrap_or_default()
    );
    let mut g = Svg::new(&format!("forecast-{}", o.id), w, h, &title, &desc);
    g.heading(
        &clip_title(&o.id, &o.name),
        &match (o.promised, f.probability_on_time) {
            (Some(pd), Some(p)) => format!("{} chance of meeting the promise ({pd})", pct(p)),
            _ => format!("P50 {}, P80 {}", f.p50, f.p80),
        },
    );
    // Axes.
    g.value_grid(&ys, left, w - right, |v| format!("{}%", n(v * 100.0)));
    for v in [0.0, 0.5, 0.8, 1.0] {
        g.text(
            w - right + 4.0,
            yp.y(v) + 3.0,
            &format!("{}%", n(v * 100.0)),
            "start",
            &format!("font-size=\"10\" fill=\"{VERMILLION}\""),
        );
    }
    g.date_axis(&axis, left, w - right, h - bottom);
    g.text(
        14.0,
        (top + h - bottom) / 2.0,
        "share of iterations",
        "middle",
        &format!(
            "font-size=\"10\" transform=\"rotate(-90 14 {})\"",
            n((top + h - bottom) / 2.0)
        ),
    );
    let rx = w - 14.0;
    let ry = (top + h - bottom) / 2.0;
    g.text(
        rx,
        ry,
        "probability done by then",
        "middle",
        &format!(
            "font-size=\"10\" fill=\"{VERMILLION}\" transform=\"rotate(90 {} {})\"",
            n(rx),
            n(ry)
        ),
    );
    // Histogram.
    for (from, to, count) in &bins {
        let share = *count as f64 / total;
        let x = axis.x(*from);
        let bw = (axis.x(*to) - x - 1.0).max(1.0);
        g.titled(
            &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{BLUE}\" fill-opacity=\"0.75\"/>",
                n(x),
                n(ys.y(share)),
                n(bw),
                n(ys.y(0.0) - ys.y(share))
            ),
            &format!(
                "{}{}: {} iterations ({})",
                from,
                if weekly { " week" } else { "" },
                count,
                pct(share)
            ),
        );
    }
    // S-curve.
    let mut pts: Vec<(f64, f64)> = vec![(axis.x(axis.start), yp.y(0.0))];
    for c in &f.s_curve {
        pts.push((axis.x_end(c.date), yp.y(c.probability)));
    }
    if let Some(last) = pts.last().copied() {
        pts.push((axis.x1, last.1));
    }
    g.polyline(&pts, &format!("stroke=\"{VERMILLION}\" stroke-width=\"2\""));
    // Reference dates, labelled.
    let mut marks: Vec<(NaiveDate, String, &str, &str)> = vec![
        (f.p50, format!("P50 {}", svg::short(f.p50)), INK, "4 3"),
        (f.p80, format!("P80 {}", svg::short(f.p80)), INK, "8 3"),
    ];
    if let Some(pd) = o.promised {
        marks.push((pd, format!("promised {}", svg::short(pd)), svg::GREEN, ""));
    }
    if let Some(b) = o.baseline {
        marks.push((b, format!("baseline {}", svg::short(b)), GREY, "2 2"));
    }
    marks.sort_by_key(|m| m.0);
    for (i, (d, label, colour, dash)) in marks.iter().enumerate() {
        let x = axis.x_end(*d);
        g.line(
            x,
            top - 2.0,
            x,
            h - bottom,
            &format!("stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"{dash}\""),
        );
        g.text(
            x + 3.0,
            h - bottom + 28.0 + 11.0 * (i % 2) as f64,
            label,
            if x > w - right - 80.0 { "end" } else { "start" },
            &format!("font-size=\"10\" fill=\"{colour}\" font-weight=\"bold\""),
        );
    }
    Chart {
        id: format!("forecast-{}", o.id),
        title: format!("Forecast of `{}`", o.id),
        caption: desc,
        svg: g.finish(),
    }
}

fn clip_title(id: &str, name: &str) -> String {
    svg::clip(&format!("{id} — {name}"), 80)
}
