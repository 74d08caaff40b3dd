//! The earned-value S-curve: cumulative planned value, earned value and actual cost
//! by week, against the budget at completion.

use chrono::Days;
use tiller_engine::evm::EvmReport;

use super::Chart;
use super::svg::{BLUE, GREEN, INK, Svg, TimeAxis, VERMILLION, ValueAxis, compact};
use crate::util::money;

/// A curve: its label, colour, dash pattern and points.
type Series = (&'static str, &'static str, &'static str, Vec<(f64, f64)>);

pub fn s_curve(r: &EvmReport, program: &str) -> Option<Chart> {
    let first = r.weekly.first()?;
    let last = r.weekly.last()?;
    let (w, h) = (720.0, 320.0);
    let (left, right, top, bottom) = (64.0, 70.0, 44.0, 60.0);
    let start = first.week_ending - Days::new(7);
    let axis = TimeAxis::new(start, last.week_ending + Days::new(1), left, w - right);
    let max = r
        .weekly
        .iter()
        .flat_map(|p| [Some(p.pv), p.ev, p.ac])
        .flatten()
        .fold(r.program.bac, f64::max)
        .max(r.budget.unwrap_or(0.0));
    let ys = ValueAxis::nice(0.0, max, h - bottom, top);
    let m = &r.program;
    let title = format!("{program} — earned value as of {}", r.as_of);
    let desc = format!(
        "Cumulative PV, EV and AC by week against {}: PV {}, EV {}, AC {} ({}); BAC {}.",
        r.baseline.as_deref().map_or_else(
            || "the plan as written".to_string(),
            |b| format!("baseline `{b}`")
        ),
        money(m.pv),
        money(m.ev),
        money(m.ac),
        r.currency,
        money(m.bac)
    );
    let mut g = Svg::new("evm", w, h, &title, &desc);
    g.heading(
        &title,
        &format!(
            "SPI {}, CPI {} ({})",
            m.spi
                .map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}")),
            m.cpi
                .map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}")),
            r.currency
        ),
    );
    g.value_grid(&ys, left, w - right, compact);
    g.date_axis(&axis, left, w - right, h - bottom);
    // Budget lines.
    let flat = |value: f64, label: String, g: &mut Svg| {
        let y = ys.y(value);
        g.line(
            left,
            y,
            w - right,
            y,
            &format!("stroke=\"{INK}\" stroke-dasharray=\"2 3\""),
        );
        g.text(
            w - right + 4.0,
            y + 3.0,
            &label,
            "start",
            "font-size=\"10\"",
        );
    };
    flat(m.bac, format!("BAC {}", compact(m.bac)), &mut g);
    if let Some(b) = r.budget
        && (b - m.bac).abs() > m.bac * 0.02
    {
        flat(b, format!("budget {}", compact(b)), &mut g);
    }
    // Status date.
    let sx = axis.x_end(r.as_of);
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
        &format!("status {}", r.as_of),
        "start",
        &format!("font-size=\"10\" fill=\"{VERMILLION}\""),
    );
    // The three curves: colour, dash and marker differ, and each is labelled.
    let series: [Series; 3] = [
        (
            "PV (planned)",
            BLUE,
            "",
            r.weekly
                .iter()
                .map(|p| (axis.x_end(p.week_ending), ys.y(p.pv)))
                .collect(),
        ),
        (
            "EV (earned)",
            GREEN,
            "6 3",
            r.weekly
                .iter()
                .filter_map(|p| Some((axis.x_end(p.week_ending), ys.y(p.ev?))))
                .collect(),
        ),
        (
            "AC (actual cost)",
            VERMILLION,
            "2 2",
            r.weekly
                .iter()
                .filter_map(|p| Some((axis.x_end(p.week_ending), ys.y(p.ac?))))
                .collect(),
        ),
    ];
    let markers = [
        super::svg::Marker::Circle,
        super::svg::Marker::Triangle,
        super::svg::Marker::Square,
    ];
    for (i, (label, colour, dash, pts)) in series.iter().enumerate() {
        if pts.is_empty() {
            continue;
        }
        g.polyline(
            pts,
            &format!("stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\""),
        );
        for (x, y) in pts.iter().step_by((pts.len() / 12).max(1)) {
            g.marker(markers[i], *x, *y, colour);
        }
        if let Some((x, y)) = pts.last() {
            g.marker(markers[i], *x, *y, colour);
            g.text(
                x + 6.0,
                y + [-6.0, -6.0, 14.0][i],
                label.split(' ').next().unwrap_or(label),
                "start",
                &format!("font-size=\"10\" font-weight=\"bold\" fill=\"{colour}\""),
            );
        }
        // Legend.
        let lx = left + 150.0 * i as f64;
        let ly = h - 14.0;
        g.line(
            lx,
            ly - 4.0,
            lx + 24.0,
            ly - 4.0,
            &format!("stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"{dash}\""),
        );
        g.marker(markers[i], lx + 12.0, ly - 4.0, colour);
        g.text(lx + 30.0, ly, label, "start", "font-size=\"10\"");
    }
    Some(Chart {
        id: "evm".to_string(),
        title: "Earned value".to_string(),
        caption: desc,
        svg: g.finish(),
    })
}
