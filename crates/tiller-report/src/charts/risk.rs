//! The risk matrix: open threats placed by probability band and impact band, cells
//! shaded and labelled by level.

use super::Chart;
use super::svg::{INK, Svg, n};
use crate::raid::RiskView;

const PROBABILITY: [&str; 5] = ["≤ 10%", "≤ 25%", "≤ 50%", "≤ 75%", "> 75%"];
const IMPACT: [&str; 5] = ["very low", "low", "medium", "high", "very high"];

/// Fill and label of a cell by its score.
fn shade(score: u8, high: f64) -> (&'static str, &'static str) {
    if f64::from(score) >= high {
        ("#f4c7b8", "high")
    } else if score >= 5 {
        ("#fbe3b0", "medium")
    } else {
        ("#d5ecdc", "low")
    }
}

pub fn matrix(risks: &[RiskView], high: f64, program: &str) -> Chart {
    let open: Vec<&RiskView> = risks
        .iter()
        .filter(|r| r.status == "open" && r.kind == "threat")
        .collect();
    let cell_w = 120.0;
    let cell_h = 62.0;
    let (left, top) = (110.0, 52.0);
    let w = left + 5.0 * cell_w + 20.0;
    let h = top + 5.0 * cell_h + 84.0;
    let title = format!("{program} — risk matrix");
    let desc = format!(
        "{} open threats by probability band (rows) and impact band (columns); a cell's level is low below score 5, high from score {}.",
        open.len(),
        n(high)
    );
    let mut g = Svg::new("risk-matrix", w, h, &title, &desc);
    g.heading(&title, "score = probability band × impact band (1-5 each)");
    for pi in 0..5u8 {
        for ii in 0..5u8 {
            let (p, i) = (pi + 1, ii + 1);
            let x = left + f64::from(ii) * cell_w;
            let y = top + f64::from(4 - pi) * cell_h;
            let score = p * i;
            let (fill, level) = shade(score, high);
            g.rect(
                x,
                y,
                cell_w,
                cell_h,
                &format!("fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"2\""),
            );
            g.text(
                x + cell_w - 4.0,
                y + 11.0,
                &format!("{score} {level}"),
                "end",
                "font-size=\"9\" fill=\"#555555\"",
            );
            let here: Vec<&&RiskView> = open
                .iter()
                .filter(|r| r.probability_band == p && r.impact == i)
                .collect();
            for (k, r) in here.iter().take(3).enumerate() {
                g.titled(
                    &format!(
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"start\" font-size=\"11\" font-weight=\"bold\">{}</text>",
                        n(x + 6.0),
                        n(y + 25.0 + 13.0 * k as f64),
                        crate::util::esc(&r.id)
                    ),
                    &format!(
                        "{}: {} (probability {}, impact {}, score {})",
                        r.id,
                        r.title,
                        crate::util::pct(r.probability),
                        r.impact,
                        r.score
                    ),
                );
            }
            if here.len() > 3 {
                g.text(
                    x + 6.0,
                    y + 25.0 + 39.0,
                    &format!("+{} more", here.len() - 3),
                    "start",
                    "font-size=\"10\"",
                );
            }
        }
    }
    for pi in 0..5 {
        let y = top + f64::from(4 - pi) * cell_h + cell_h / 2.0 + 4.0;
        g.text(
            left - 8.0,
            y,
            PROBABILITY[pi as usize],
            "end",
            "font-size=\"10\"",
        );
    }
    for (ii, label) in IMPACT.iter().enumerate() {
        g.text(
            left + ii as f64 * cell_w + cell_w / 2.0,
            top + 5.0 * cell_h + 16.0,
            label,
            "middle",
            "font-size=\"10\"",
        );
    }
    g.text(
        left + 2.5 * cell_w,
        top + 5.0 * cell_h + 32.0,
        "impact →",
        "middle",
        "font-size=\"11\" font-weight=\"bold\"",
    );
    g.text(
        16.0,
        top + 2.5 * cell_h,
        "probability →",
        "middle",
        &format!(
            "font-size=\"11\" font-weight=\"bold\" transform=\"rotate(-90 16 {})\"",
            n(top + 2.5 * cell_h)
        ),
    );
    // Legend: shade and word.
    let ly = h - 22.0;
    for (k, score) in [1u8, 6, 25].iter().enumerate() {
        let (fill, level) = shade(*score, high);
        let lx = left + 140.0 * k as f64;
        g.rect(
            lx,
            ly - 10.0,
            18.0,
            12.0,
            &format!("fill=\"{fill}\" stroke=\"{INK}\" stroke-width=\"0.5\""),
        );
        g.text(lx + 24.0, ly, level, "start", "font-size=\"10\"");
    }
    Chart {
        id: "risk-matrix".to_string(),
        title: "Risk matrix".to_string(),
        caption: desc,
        svg: g.finish(),
    }
}
