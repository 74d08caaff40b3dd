//! The dashboard in a real headless Chromium: log in, open every page, use the
//! Gantt, edit a RAID entry, record progress and see the forecast move, lose a race
//! to another editor, and be refused as a viewer. Screenshots go to `artifacts/web/`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;
use tiller_server::Config;

use super::browser::{Browser, serve};
use super::{Site, csrf_of, password};

const WAIT: Duration = Duration::from_secs(30);

async fn login(b: &Browser, base: &str, user: &str) {
    b.client
        .goto(&format!("{base}/programs/checkout"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('username')", WAIT)
        .await;
    let c = &b.client;
    c.find(Locator::Id("username"))
        .await
        .expect("user field")
        .send_keys(user)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password field")
        .send_keys(&password(user))
        .await
        .expect("type");
    c.find(Locator::Id("login"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    // Back where the login page was asked from.
    b.wait_for("document.getElementById('overall')", WAIT).await;
}

async fn text(b: &Browser, script: &str) -> String {
    match b
        .client
        .execute(&format!("return ({script});"), vec![])
        .await
        .expect("script")
    {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Every visible input and select has a label (or an aria-label).
async fn labelled(b: &Browser) -> Value {
    b.client
        .execute(
            "return [...document.querySelectorAll('input:not([type=hidden]),select')]\
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))\
             .map(e => e.id || e.name);",
            vec![],
        )
        .await
        .expect("script")
}

async fn fill(b: &Browser, id: &str, value: &str) {
    let e = b.client.find(Locator::Id(id)).await.expect("field");
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_flows() {
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    let site = Site::new(Config::for_tests()).await;
    let (base, stop) = serve(site.app.clone()).await;
    let c = &b.client;

    // Log in: the login page, then back to the program asked for.
    c.goto(&format!("{base}/programs/checkout"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('username')", WAIT)
        .await;
    b.shot("login").await;
    login(&b, &base, "editor1").await;
    let overall = text(&b, "document.getElementById('overall').textContent").await;
    assert!(
        ["RED", "AMBER", "GREEN"].contains(&overall.as_str()),
        "{overall}"
    );
    b.shot("overview").await;

    // Every page opens, with a label on every field.
    for (page, ready) in [
        ("/programs", "document.getElementById('portfolio')"),
        (
            "/programs/checkout/forecast",
            "document.getElementById('forecast')",
        ),
        ("/programs/checkout/raid", "document.getElementById('raid')"),
        (
            "/programs/checkout/progress",
            "document.getElementById('progress')",
        ),
        (
            "/programs/checkout/resources",
            "document.getElementById('load')",
        ),
        (
            "/programs/checkout/budget",
            "document.getElementById('budget')",
        ),
        (
            "/programs/checkout/report",
            "document.getElementById('dl-md')",
        ),
        (
            "/programs/checkout/history",
            "document.getElementById('revisions')",
        ),
        (
            "/programs/checkout/gantt",
            "document.querySelector('#gantt[data-ready]')",
        ),
    ] {
        c.goto(&format!("{base}{page}")).await.expect("goto");
        b.wait_for(ready, WAIT).await;
        assert_eq!(labelled(&b).await, Value::Array(vec![]), "{page}");
        let name = page.trim_start_matches("/programs").trim_start_matches('/');
        let name = name.strip_prefix("checkout/").unwrap_or(name);
        b.shot(if name.is_empty() { "portfolio" } else { name })
            .await;
    }

    // The Gantt: rows drawn, a click explains, zoom and collapse work.
    let rows = text(&b, "document.querySelectorAll('#gantt .row').length").await;
    assert!(rows.parse::<usize>().unwrap_or(0) > 10, "{rows}");
    // The rows are redrawn as the chart scrolls: click through the page, not a
    // handle that a redraw may have replaced.
    c.execute(
        "document.querySelector('#gantt .bar-t.crit').click();",
        vec![],
    )
    .await
    .expect("click a critical bar");
    b.wait_for(
        "document.getElementById('explain').textContent.includes('critical path')",
        WAIT,
    )
    .await;
    c.find(Locator::Id("zoom"))
        .await
        .expect("zoom")
        .select_by_value("month")
        .await
        .expect("zoom");
    let before = text(&b, "document.getElementById('gantt-status').textContent").await;
    c.find(Locator::Id("collapse-all"))
        .await
        .expect("button")
        .click()
        .await
        .expect("click");
    let after = text(&b, "document.getElementById('gantt-status').textContent").await;
    assert_ne!(before, after);
    b.shot("gantt-collapsed").await;

    // Edit a RAID entry.
    c.goto(&format!("{base}/programs/checkout/raid/I-SANDBOX"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('save')", WAIT).await;
    fill(&b, "e-title", "Adyen test credentials still missing").await;
    c.find(Locator::Id("save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    b.wait_for("document.getElementById('saved')", WAIT).await;
    let log = text(&b, "document.getElementById('raid').textContent").await;
    assert!(
        log.contains("Adyen test credentials still missing"),
        "{log}"
    );
    b.shot("raid-saved").await;

    // Record progress and see the forecast move.
    let p80 = "document.getElementById('milestones').textContent";
    c.goto(&format!("{base}/programs/checkout"))
        .await
        .expect("goto");
    let before = text(&b, p80).await;
    c.goto(&format!("{base}/programs/checkout/progress?team=platform"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('record')", WAIT).await;
    fill(&b, "remaining.infra.rollout.ramp", "40d").await;
    c.find(Locator::Id("record"))
        .await
        .expect("record")
        .click()
        .await
        .expect("click");
    b.wait_for("document.getElementById('saved')", WAIT).await;
    c.goto(&format!("{base}/programs/checkout"))
        .await
        .expect("goto");
    let after = text(&b, p80).await;
    assert_ne!(before, after, "the forecasts moved with the progress");
    b.shot("overview-after-progress").await;

    // A conflicting edit: another editor saves first; this one is refused and shown
    // the entry as it is now.
    c.goto(&format!("{base}/programs/checkout/raid/R-PCI"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('save')", WAIT).await;
    let (other, csrf) = site.session("editor2").await;
    let p = site
        .post(
            "/programs/checkout/raid/R-PCI",
            Some(&other),
            &[
                ("csrf_token", &csrf),
                ("version", "0"),
                ("title", "Saved first by editor two"),
            ],
        )
        .await;
    assert_eq!(p.status, axum::http::StatusCode::SEE_OTHER, "{}", p.body);
    fill(&b, "e-title", "Saved second by editor one").await;
    c.find(Locator::Id("save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    b.wait_for("document.getElementById('current-entry')", WAIT)
        .await;
    let now = text(&b, "document.getElementById('current-entry').textContent").await;
    assert!(now.contains("Saved first by editor two"), "{now}");
    b.shot("raid-conflict").await;

    // A viewer: no forms to write with, and a forged post is refused.
    c.find(Locator::Id("logout"))
        .await
        .expect("logout")
        .click()
        .await
        .expect("click");
    b.wait_for("document.getElementById('username')", WAIT)
        .await;
    login(&b, &base, "viewer1").await;
    c.goto(&format!("{base}/programs/checkout/raid"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('raid')", WAIT).await;
    assert_eq!(
        text(&b, "!!document.getElementById('new-entry')").await,
        "false"
    );
    let csrf = csrf_of(&c.source().await.expect("source"));
    let status = c
        .execute_async(
            "const [csrf, done] = arguments;\
             fetch('/programs/checkout/raid', {method: 'POST', credentials: 'same-origin',\
               headers: {'content-type': 'application/x-www-form-urlencoded'},\
               body: 'csrf_token=' + encodeURIComponent(csrf) + '&kind=risk&id=R-V&title=Viewer'})\
             .then(r => done(r.status));",
            vec![Value::String(csrf)],
        )
        .await
        .expect("script");
    assert_eq!(status, Value::from(403));
    c.goto(&format!("{base}/programs/checkout/raid/R-PCI"))
        .await
        .expect("goto");
    b.wait_for("document.querySelector('main h1')", WAIT).await;
    assert_eq!(text(&b, "!!document.getElementById('save')").await, "false");
    b.shot("viewer-raid").await;

    // Phone width: the page fits; wide tables scroll inside their box.
    c.set_window_size(390, 844).await.expect("resize");
    c.goto(&format!("{base}/programs/checkout"))
        .await
        .expect("goto");
    b.wait_for("document.getElementById('overall')", WAIT).await;
    let overflow = text(
        &b,
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await;
    assert_eq!(overflow, "0", "horizontal overflow at phone width");
    b.shot("overview-phone").await;
    c.goto(&format!("{base}/programs/checkout/gantt"))
        .await
        .expect("goto");
    b.wait_for("document.querySelector('#gantt[data-ready]')", WAIT)
        .await;
    b.shot("gantt-phone").await;

    b.close().await;
    let _ = stop.send(());
}
