//! Outgoing webhooks: events a stakeholder cares about, delivered as signed JSON, with
//! retries and a delivery log.
//!
//! Events (subscribe with their names, or `*` for all):
//!
//! - `risk.raised`: a risk was entered on the server, or a pushed revision adds one.
//! - `raid.overdue`: an open risk's mitigation, an issue, a decision or an assumption
//!   is past its due date (by the server clock), once per entry and date.
//! - `colour.changed`: the program's health colour changed (see `views::health`).
//! - `milestone.at_risk`: a milestone's probability of meeting its promise fell below
//!   the webhook's `threshold` (needs a [`crate::Forecaster`]; once per crossing).
//!
//! Each event is evaluated from the program's state in the database and recorded as a
//! *mark* with a compare-and-set, so several server processes notify it once. Queued
//! deliveries are claimed with a lease, so one process sends each; a failed attempt is
//! retried after 2, 4, 8, … times the base delay, up to the configured attempts, and
//! every attempt is logged.
//!
//! Each request is a `POST` with the JSON payload and the headers `X-Tiller-Event`,
//! `X-Tiller-Delivery` (its id; retries repeat it), `X-Tiller-Timestamp` (seconds since
//! the epoch) and `X-Tiller-Signature: sha256=HEX`, the HMAC-SHA256 with the webhook's
//! secret of `TIMESTAMP.BODY`.

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use tiller_store::Program;

use crate::App;
use crate::views::{self, View};

pub const EVENTS: &[&str] = &[
    "risk.raised",
    "raid.overdue",
    "colour.changed",
    "milestone.at_risk",
];

/// `sha256=HEX` of `TIMESTAMP.BODY` under `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", crate::hex(&mac.finalize().into_bytes()))
}

fn payload(app: &App, program: &Program, event: &str, data: Value) -> Value {
    json!({
        "event": event,
        "program": program.slug,
        "at": app.now(),
        "data": data,
    })
}

/// Notifies `risk.raised` for risks not notified before.
pub async fn risks_raised(app: &App, program: &Program, risks: &[(String, String)]) {
    for (id, title) in risks {
        let key = format!("raised:{id}");
        if let Ok(true) = app.store.swap_mark(program.id, &key, None, "1").await {
            let p = payload(
                app,
                program,
                "risk.raised",
                json!({"id": id, "title": title}),
            );
            if let Err(e) = app
                .store
                .enqueue_event(program.id, "risk.raised", &p, None, app.now())
                .await
            {
                eprintln!("tiller-server: queueing risk.raised: {e}");
            }
        }
    }
}

/// Checks a program for colour changes, overdue RAID entries and milestones at risk,
/// and queues what is new.
pub async fn evaluate(app: &App, program_id: i64) -> Result<(), String> {
    let program = app
        .store
        .program_by_id(program_id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(head) = program.head_revision else {
        return Ok(());
    };
    let rev = app
        .store
        .revision(program.id, head)
        .await
        .map_err(|e| e.to_string())?;
    let cached = views::view(
        app,
        &program,
        &rev,
        View::Health,
        true,
        views::Freshness::Current,
    )
    .await
    .map_err(|e| format!("{e:?}"))?;
    if cached.status != 200 {
        return Ok(());
    }
    let health: Value = serde_json::from_slice(&cached.body).map_err(|e| e.to_string())?;
    let now = app.now();
    let store = &app.store;
    let err = |e: tiller_store::StoreError| e.to_string();

    // Colour.
    let colour = health["colour"].as_str().unwrap_or("green");
    match store.mark(program.id, "colour").await.map_err(err)? {
        None => {
            store
                .swap_mark(program.id, "colour", None, colour)
                .await
                .map_err(err)?;
        }
        Some((old, v)) if old != colour => {
            if store
                .swap_mark(program.id, "colour", Some(v), colour)
                .await
                .map_err(err)?
            {
                let p = payload(
                    app,
                    &program,
                    "colour.changed",
                    json!({"from": old, "to": colour, "reasons": health["reasons"], "revision": rev.number}),
                );
                store
                    .enqueue_event(program.id, "colour.changed", &p, None, now)
                    .await
                    .map_err(err)?;
            }
        }
        Some(_) => {}
    }

    // Overdue RAID entries.
    let today = app.today().to_string();
    if let Some(items) = health["raid_due"].as_array() {
        for item in items {
            let (Some(id), Some(due)) = (item["id"].as_str(), item["due"].as_str()) else {
                continue;
            };
            if due >= today.as_str() {
                continue;
            }
            let key = format!("overdue:{id}:{due}");
            if store
                .swap_mark(program.id, &key, None, "1")
                .await
                .map_err(err)?
            {
                let p = payload(app, &program, "raid.overdue", item.clone());
                store
                    .enqueue_event(program.id, "raid.overdue", &p, None, now)
                    .await
                    .map_err(err)?;
            }
        }
    }

    // Milestones at risk, against each subscriber's own threshold.
    let hooks = store.webhooks(program.id).await.map_err(err)?;
    let milestones = health["milestones"].as_array().cloned().unwrap_or_default();
    for h in hooks.iter().filter(|h| {
        h.active
            && h.events
                .iter()
                .any(|e| e == "milestone.at_risk" || e == "*")
    }) {
        let Some(threshold) = h.threshold else {
            continue;
        };
        for m in &milestones {
            let (Some(id), Some(p)) = (m["id"].as_str(), m["probability"].as_f64()) else {
                continue;
            };
            let state = if p < threshold { "below" } else { "above" };
            let key = format!("odds:{}:{id}", h.id);
            let mark = store.mark(program.id, &key).await.map_err(err)?;
            if mark.as_ref().is_some_and(|(v, _)| v == state) {
                continue;
            }
            let swapped = store
                .swap_mark(program.id, &key, mark.map(|(_, v)| v), state)
                .await
                .map_err(err)?;
            if swapped && state == "below" {
                let body = payload(
                    app,
                    &program,
                    "milestone.at_risk",
                    json!({"milestone": m, "threshold": threshold}),
                );
                store
                    .enqueue_delivery(h.id, "milestone.at_risk", &body, now)
                    .await
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

/// After a write: the program's hot views are recomputed in the background and its
/// events evaluated on them (see [`views::refresh`]).
pub fn after_write(app: &App, program_id: i64) {
    views::refresh(app, program_id);
}

/// Evaluates every program periodically: catches what only time changes (overdue
/// entries) and anything a process that stopped did not get to.
pub async fn sweeper(app: App) {
    loop {
        tokio::time::sleep(app.config.sweep_every).await;
        let Ok(ids) = app.store.all_program_ids().await else {
            continue;
        };
        for id in ids {
            if let Err(e) = evaluate(&app, id).await {
                eprintln!("tiller-server: evaluating events of program {id}: {e}");
            }
        }
        // Analyses are cheap to recompute; keep a week of them.
        let _ = app
            .store
            .prune_cache(app.now() - 7 * 24 * 3600 * 1000)
            .await;
    }
}

/// Sends due deliveries, forever.
pub async fn delivery_worker(app: App) {
    loop {
        tokio::time::sleep(app.config.delivery_poll).await;
        if let Err(e) = deliver_due(&app).await {
            eprintln!("tiller-server: webhook deliveries: {e}");
        }
    }
}

/// Sends the deliveries that are due now; returns how many were attempted.
pub async fn deliver_due(app: &App) -> Result<usize, String> {
    let lease = app.config.webhook_timeout.as_millis() as i64 * 3;
    let claimed = app
        .store
        .claim_deliveries(app.now(), lease, 16)
        .await
        .map_err(|e| e.to_string())?;
    let n = claimed.len();
    for (d, hook) in claimed {
        let started = std::time::Instant::now();
        let ts = app.now() / 1000;
        let body = d.payload.clone().into_bytes();
        let headers = [
            ("content-type", "application/json".to_string()),
            ("x-tiller-event", d.event.clone()),
            ("x-tiller-delivery", d.id.to_string()),
            ("x-tiller-timestamp", ts.to_string()),
            ("x-tiller-signature", sign(&hook.secret, ts, &body)),
        ];
        let result = if hook.active {
            crate::http::send(
                "POST",
                &hook.url,
                &headers,
                body,
                app.config.webhook_timeout,
            )
            .await
        } else {
            Err("the webhook was disabled or deleted".to_string())
        };
        let took = started.elapsed().as_millis() as i64;
        let (ok, code, error) = match &result {
            Ok(r) if (200..300).contains(&r.status) => (true, Some(i64::from(r.status)), None),
            Ok(r) => (
                false,
                Some(i64::from(r.status)),
                Some(format!("the receiver answered {}", r.status)),
            ),
            Err(e) => (false, None, Some(e.clone())),
        };
        let attempts = d.attempts + 1;
        let retry_at = (!ok && hook.active && attempts < app.config.max_attempts).then(|| {
            let base = app.config.retry_base.as_millis() as i64;
            app.now() + (base << (attempts - 1).min(20)).min(3_600_000)
        });
        app.store
            .finish_delivery(d.id, app.now(), ok, code, error.as_deref(), took, retry_at)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // Reference value from Python's hmac module:
        // hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            sign("key", 1_700_000_000, b"{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
