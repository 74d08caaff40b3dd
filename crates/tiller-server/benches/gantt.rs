//! First paint of the dashboard's Gantt for a generated 5,000-task program, measured
//! in headless Chromium: from the start of navigation to the first rows drawn (the
//! page, its script, the rows' JSON and the first render), as the page's own
//! `performance.now()` reports it. The first load also computes the analysis; the
//! figure that matters is a load of a program the server has analysed (as it has
//! after any write: analyses are kept per record state).
//!
//! `cargo bench -p tiller-server --bench gantt`; TILLER_BENCH_TASKS (default 5000),
//! TILLER_BENCH_LOADS (default 7). Needs /usr/bin/chromium and /usr/bin/chromedriver.

#[path = "../tests/web/browser.rs"]
#[allow(dead_code)]
mod browser;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use tiller_server::{App, Config, api};
use tiller_store::{Options, Store};
use tower::ServiceExt;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (Value, Option<String>) {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let r = router
        .clone()
        .oneshot(b.body(Body::from(body.to_string())).expect("request"))
        .await
        .expect("response");
    let status = r.status();
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or_default().to_string());
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .expect("body");
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    (v, cookie)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let tasks = env("TILLER_BENCH_TASKS", 5000);
    let loads = env("TILLER_BENCH_LOADS", 7).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(tasks, loads));
}

async fn run(tasks: usize, loads: usize) {
    let text = tiller_plan::generate::generate(&tiller_plan::generate::Options {
        tasks,
        seed: 1,
        people: (tasks / 20).max(5),
        links_per_task: 3.0,
        risks: None,
    })
    .expect("generate");
    let dir = std::env::temp_dir().join(format!(
        "tiller-bench-gantt-{}",
        tiller_server::random_hex(4)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = Store::connect(
        &format!("sqlite://{}", dir.join("bench.db").display()),
        &Options::default(),
    )
    .await
    .expect("store");
    let app = App::new(store, Config::for_tests());
    let router = api::router(app.clone());
    app.store
        .add_setup_token(&tiller_server::sha256_hex(b"bench"), app.now())
        .await
        .expect("setup token");
    let (user, password) = ("bench", "bench-password");
    call(
        &router,
        "POST",
        "/api/v1/setup",
        &[],
        json!({"token": "bench", "username": user, "password": password}),
    )
    .await;
    let (login, cookie) = call(
        &router,
        "POST",
        "/api/v1/auth/login",
        &[],
        json!({"username": user, "password": password}),
    )
    .await;
    let cookie = cookie.expect("session cookie");
    let csrf = login["csrf_token"].as_str().expect("csrf").to_string();
    let auth = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    call(
        &router,
        "POST",
        "/api/v1/programs",
        &auth,
        json!({"slug": "generated", "name": format!("Generated {tasks}")}),
    )
    .await;
    let started = Instant::now();
    call(
        &router,
        "POST",
        "/api/v1/programs/generated/revisions",
        &auth,
        json!({"root": "program.toml", "files": {"program.toml": text}, "message": "generated"}),
    )
    .await;
    eprintln!(
        "pushed a {tasks}-task program in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (base, stop) = browser::serve(app.clone()).await;
    let Some(b) = browser::Browser::start(1280, 900).await else {
        eprintln!("no browser: nothing measured");
        return;
    };
    let c = &b.client;
    // Straight to the Gantt after logging in: its first load is the cold one.
    let url = format!("{base}/programs/generated/gantt");
    let paint = "document.querySelector('#gantt[data-ready]') && window.ganttFirstPaint";
    c.goto(&format!("{base}/login?next=/programs/generated/gantt"))
        .await
        .expect("goto");
    for (id, value) in [("username", user), ("password", password)] {
        c.find(fantoccini::Locator::Id(id))
            .await
            .expect("field")
            .send_keys(value)
            .await
            .expect("type");
    }
    let cold_start = Instant::now();
    c.find(fantoccini::Locator::Id("login"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let cold = b.wait_for(paint, Duration::from_secs(300)).await;
    let cold_wall = cold_start.elapsed();
    let mut figures = Vec::new();
    for _ in 0..loads {
        c.goto(&url).await.expect("goto");
        let v = b.wait_for(paint, Duration::from_secs(120)).await;
        figures.push(v.as_f64().unwrap_or(f64::NAN));
    }
    let rows = b
        .wait_for(
            "document.querySelectorAll('#gantt .row').length",
            Duration::from_secs(5),
        )
        .await;
    let total = b
        .wait_for(
            "document.getElementById('gantt-status').textContent",
            Duration::from_secs(5),
        )
        .await;
    // Scrolling to the middle: time until the new rows are drawn.
    let scroll = c
        .execute_async(
            "const done = arguments[0]; const g = document.getElementById('gantt');\
             const t = performance.now(); g.scrollTop = g.scrollHeight / 2;\
             requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t)));",
            vec![],
        )
        .await
        .expect("scroll");
    let bytes = c
        .execute_async(
            "const done = arguments[0];\
             fetch(document.getElementById('gantt').dataset.src).then(r => r.text()).then(t => done(t.length));",
            vec![],
        )
        .await
        .expect("rows JSON");
    figures.sort_by(f64::total_cmp);
    let median = figures[figures.len() / 2];
    println!(
        "Gantt first paint, {tasks} tasks, headless Chromium ({loads} loads of an analysed program):"
    );
    println!(
        "  median {median:.0} ms, min {:.0} ms, max {:.0} ms (target: 1000 ms) — {}",
        figures[0],
        figures[figures.len() - 1],
        if median <= 1000.0 { "met" } else { "NOT met" }
    );
    println!(
        "  first load, analysis included: {:.0} ms to paint ({:.1} s wall)",
        cold.as_f64().unwrap_or(f64::NAN),
        cold_wall.as_secs_f64()
    );
    println!(
        "  rows in the document: {rows} ({total}); rows JSON {:.0} kB",
        bytes.as_f64().unwrap_or(f64::NAN) / 1000.0
    );
    println!(
        "  scroll to the middle, redrawn in {:.0} ms",
        scroll.as_f64().unwrap_or(f64::NAN)
    );
    b.close().await;
    let _ = stop.send(());
    let _ = std::fs::remove_dir_all(&dir);
}
