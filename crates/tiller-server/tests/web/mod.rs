//! Dashboard tests. On the router without a network: status codes, redirects to the
//! login page, role refusals, CSRF, RAID conflicts, progress changing the forecast,
//! and the report download being `tiller report`'s. In a real headless Chromium
//! (see [`browser`]): the flows a stakeholder and a team lead go through.

pub mod browser;
mod flows;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tiller_server::{App, Config, api};
use tiller_store::{Options, Store};
use tower::ServiceExt;

/// A server with the example program `checkout`, and users with every role in it.
pub struct Site {
    pub app: App,
    pub router: axum::Router,
    pub admin: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub cookie: Option<String>,
    pub body: String,
}

pub const USERS: [(&str, &str); 4] = [
    ("owner1", "owner"),
    ("editor1", "editor"),
    ("editor2", "editor"),
    ("viewer1", "viewer"),
];

pub fn password(user: &str) -> String {
    format!("{user}-password")
}

impl Site {
    pub async fn new(config: Config) -> Site {
        let dir = std::env::temp_dir().join(format!(
            "tiller-web-test-{}-{}",
            std::process::id(),
            tiller_server::random_hex(4)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::connect(&url, &Options::default())
            .await
            .expect("store");
        let app = App::new(store, config);
        let router = api::router(app.clone());
        let mut site = Site {
            app,
            router,
            admin: String::new(),
        };
        site.admin = site.setup().await;
        site
    }

    async fn api(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"));
        let req = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                b.body(Body::from(v.to_string()))
            }
            None => b.body(Body::empty()),
        }
        .expect("request");
        let r = self.router.clone().oneshot(req).await.expect("response");
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    /// The administrator, the program with the example plan, and its members.
    async fn setup(&self) -> String {
        let setup = "web-setup-token";
        self.app
            .store
            .add_setup_token(&tiller_server::sha256_hex(setup.as_bytes()), self.app.now())
            .await
            .expect("setup token");
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/setup")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"token": setup, "username": "admin", "password": "admin-password"})
                    .to_string(),
            ))
            .expect("request");
        let r = self.router.clone().oneshot(req).await.expect("response");
        assert_eq!(r.status(), StatusCode::CREATED);
        let cookie = self.login("admin", "admin-password").await;
        let csrf = csrf_of(&self.get("/programs", Some(&cookie)).await.body);
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/tokens")
            .header("content-type", "application/json")
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .body(Body::from(json!({"name": "web"}).to_string()))
            .expect("request");
        let r = self.router.clone().oneshot(req).await.expect("response");
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        let v: Value = serde_json::from_slice(&bytes).expect("token JSON");
        let admin = v["token"].as_str().expect("token").to_string();
        self.api(
            "POST",
            "/api/v1/programs",
            &admin,
            Some(json!({"slug": "checkout", "name": "Checkout v2"})),
        )
        .await;
        let b = tiller_server::cli::example_bundle();
        self.api(
            "POST",
            "/api/v1/programs/checkout/revisions",
            &admin,
            Some(json!({"root": b.root, "files": b.files, "message": "example"})),
        )
        .await;
        for (user, role) in USERS {
            self.api(
                "POST",
                "/api/v1/users",
                &admin,
                Some(json!({"username": user, "password": password(user)})),
            )
            .await;
            self.api(
                "PUT",
                &format!("/api/v1/programs/checkout/members/{user}"),
                &admin,
                Some(json!({"role": role})),
            )
            .await;
        }
        self.api(
            "POST",
            "/api/v1/users",
            &admin,
            Some(json!({"username": "outsider", "password": password("outsider")})),
        )
        .await;
        admin
    }

    pub async fn send(&self, req: Request<Body>) -> Page {
        let r = self.router.clone().oneshot(req).await.expect("response");
        let status = r.status();
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let cookie =
            header("set-cookie").map(|c| c.split(';').next().unwrap_or_default().to_string());
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        Page {
            status,
            location,
            cookie,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        let mut b = Request::builder().method("GET").uri(path);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    pub async fn post(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b = Request::builder()
            .method("POST")
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    /// Logs in through the login form; the session cookie.
    pub async fn login(&self, user: &str, password: &str) -> String {
        let p = self
            .post(
                "/login",
                None,
                &[
                    ("username", user),
                    ("password", password),
                    ("next", "/programs"),
                ],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        p.cookie.expect("session cookie")
    }

    /// A member's session cookie and the CSRF token its pages carry.
    pub async fn session(&self, user: &str) -> (String, String) {
        let cookie = self.login(user, &password(user)).await;
        let csrf = csrf_of(&self.get("/programs", Some(&cookie)).await.body);
        (cookie, csrf)
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The CSRF token a page's forms carry.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a form with the CSRF token") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The `version` hidden field of an edit form.
fn version_of(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("a version field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The text of the P80 cell of a milestone row of the overview.
fn p80_of(html: &str, milestone: &str) -> String {
    let row = html
        .split("<tr data-id=\"")
        .find(|r| r.starts_with(&format!("{milestone}\"")))
        .expect("milestone row");
    let start = row.find("class=\"p80\">").expect("P80 cell") + "class=\"p80\">".len();
    row[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The overview's milestone table.
fn milestones_of(html: &str) -> String {
    let start = html.find("id=\"milestones\"").expect("milestone table");
    html[start..]
        .split("</table>")
        .next()
        .unwrap_or_default()
        .to_string()
}

const PAGES: [&str; 10] = [
    "",
    "/gantt",
    "/forecast",
    "/raid",
    "/progress",
    "/resources",
    "/budget",
    "/report",
    "/history",
    "/raid/R-PCI",
];

#[tokio::test]
async fn pages_need_a_login_and_show_the_report_figures() {
    let s = Site::new(Config::for_tests()).await;
    // Not logged in: the login page, and back here afterwards.
    let p = s.get("/programs/checkout/gantt", None).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(
        p.location.as_deref(),
        Some("/login?next=/programs/checkout/gantt")
    );
    let p = s.get("/", None).await;
    assert_eq!(p.location.as_deref(), Some("/login"));
    let p = s.get("/login", None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("<label for=\"password\">"), "{}", p.body);
    // An unknown page is a page saying so; an unknown API path stays JSON.
    let p = s.get("/no-such-page", None).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(
        p.body.contains("<main") && p.body.contains("Not found"),
        "{}",
        p.body
    );
    let p = s.get("/api/v1/no-such-thing", None).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(p.body.starts_with('{'), "{}", p.body);
    // A wrong password stays on the form, says so, and sets no cookie.
    let p = s
        .post(
            "/login",
            None,
            &[("username", "viewer1"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("Wrong user name or password"));
    assert!(p.cookie.is_none());
    // No open redirect after login.
    let p = s
        .post(
            "/login",
            None,
            &[
                ("username", "viewer1"),
                ("password", &password("viewer1")),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/programs"));

    let (cookie, _) = s.session("viewer1").await;
    // The overview waits for the report; the portfolio shows what is ready within a
    // few seconds (a slow test machine may take longer the first time).
    s.get("/programs/checkout", Some(&cookie)).await;
    let p = s.get("/programs", Some(&cookie)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Checkout v2"));
    // Colours are written out, never only shown.
    assert!(p.body.contains(">RED<") || p.body.contains(">AMBER<") || p.body.contains(">GREEN<"));
    for page in PAGES {
        let p = s
            .get(&format!("/programs/checkout{page}"), Some(&cookie))
            .await;
        assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.body);
        assert!(p.body.contains("<main"), "{page}");
    }
    // The overview's figures are the status report's.
    let overview = s.get("/programs/checkout", Some(&cookie)).await.body;
    let b = tiller_server::cli::example_bundle();
    let a = tiller_app::analysis::analyze(b.load()).expect("example checks");
    let options = tiller_report::status::ReportOptions::for_program(&a.program);
    let report = tiller_report::status::build(&a, &options).expect("report");
    for m in &report.milestones {
        if let Some(p80) = m.p80 {
            assert_eq!(p80_of(&overview, &m.id), p80.to_string(), "{}", m.id);
        }
    }
    // The downloads are `tiller report` and `tiller report --format html`, byte for byte.
    let md = s.get("/programs/checkout/report.md", Some(&cookie)).await;
    assert_eq!(md.status, StatusCode::OK);
    assert_eq!(md.body, tiller_report::markdown::render(&report));
    let html = s
        .get("/programs/checkout/report.html?download=1", Some(&cookie))
        .await;
    assert_eq!(html.body, tiller_report::html::render(&report));
    // `?audience=exec` is `tiller report --audience exec`, the page links both.
    let exec = tiller_report::status::build(
        &a,
        &tiller_report::status::ReportOptions {
            audience: tiller_core::Audience::Exec,
            ..options
        },
    )
    .expect("exec report");
    let md = s
        .get("/programs/checkout/report.md?audience=exec", Some(&cookie))
        .await;
    assert_eq!(md.body, tiller_report::markdown::render(&exec));
    assert_ne!(md.body, tiller_report::markdown::render(&report));
    let page = s
        .get("/programs/checkout/report?audience=exec", Some(&cookie))
        .await;
    assert!(
        page.body.contains("report.html?audience=exec"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"aud-team\""), "{}", page.body);
    let bad = s
        .get("/programs/checkout/report.md?audience=board", Some(&cookie))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The Gantt's rows: every task and milestone, in outline order.
    let g = s.get("/programs/checkout/gantt.json", Some(&cookie)).await;
    let v: Value = serde_json::from_str(&g.body).expect("gantt JSON");
    assert_eq!(
        v["rows"].as_array().map(Vec::len),
        Some(a.program.tasks.len())
    );
    let e = s
        .get(
            "/programs/checkout/gantt/explain?task=pay.api",
            Some(&cookie),
        )
        .await;
    assert_eq!(e.status, StatusCode::OK);
    assert!(e.body.starts_with("pay.api"), "{}", e.body);
    // Static assets come from the binary.
    assert_eq!(s.get("/static/gantt.js", None).await.status, StatusCode::OK);
    assert_eq!(
        s.get("/static/nope.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn roles_and_csrf_are_enforced_on_every_page_and_form() {
    let s = Site::new(Config::for_tests()).await;
    // Someone with no role in the program: as if it did not exist.
    let (outsider, _) = s.session("outsider").await;
    for page in PAGES {
        let p = s
            .get(&format!("/programs/checkout{page}"), Some(&outsider))
            .await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{page}");
        assert!(!p.body.contains("Checkout v2"), "{page}");
    }
    assert!(
        !s.get("/programs", Some(&outsider))
            .await
            .body
            .contains("Checkout v2")
    );
    let p = s
        .get("/programs/checkout/gantt.json", Some(&outsider))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // An administrator sees every program, whatever their membership.
    let admin = s.login("admin", "admin-password").await;
    let p = s.get("/programs", Some(&admin)).await.body;
    assert!(
        p.contains("Checkout v2") && p.contains("administrator"),
        "{p}"
    );
    let p = s.get("/programs/checkout/raid", Some(&admin)).await.body;
    assert!(p.contains("id=\"new-entry\""));

    // A viewer sees no forms to write with, and is refused when posting anyway.
    let (viewer, csrf) = s.session("viewer1").await;
    let raid = s.get("/programs/checkout/raid", Some(&viewer)).await.body;
    assert!(!raid.contains("id=\"new-entry\""));
    let form = [
        ("csrf_token", csrf.as_str()),
        ("kind", "risk"),
        ("id", "R-VIEW"),
        ("title", "A viewer's risk"),
        ("probability", "0.2"),
    ];
    let p = s
        .post("/programs/checkout/raid", Some(&viewer), &form)
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.body);
    assert!(p.body.contains("Not allowed"));
    let p = s
        .post(
            "/programs/checkout/raid/R-PCI",
            Some(&viewer),
            &[("csrf_token", &csrf), ("version", "0"), ("title", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = s
        .post(
            "/programs/checkout/progress",
            Some(&viewer),
            &[
                ("csrf_token", &csrf),
                ("team", "payments"),
                ("date", "2027-02-15"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // An editor's form without the session's CSRF token is refused before anything.
    let (editor, csrf) = s.session("editor1").await;
    let form = [("kind", "risk"), ("id", "R-CSRF"), ("title", "No token")];
    let p = s
        .post("/programs/checkout/raid", Some(&editor), &form)
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let bad = [
        ("csrf_token", "0000"),
        ("kind", "risk"),
        ("id", "R-CSRF"),
        ("title", "Bad token"),
    ];
    let p = s.post("/programs/checkout/raid", Some(&editor), &bad).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(
        s.app
            .store
            .records(1, Some("raid"))
            .await
            .expect("records")
            .is_empty()
    );
    // Logging out needs the token too, and ends the session.
    let p = s
        .post("/logout", Some(&editor), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(p.location.as_deref(), Some("/login"));
    let p = s.get("/programs", Some(&editor)).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn raid_entries_are_validated_and_stale_edits_conflict() {
    let s = Site::new(Config::for_tests()).await;
    let (a, csrf_a) = s.session("editor1").await;
    let (b, csrf_b) = s.session("editor2").await;
    // A new entry goes through the plan reader: a probability above 1 is refused
    // with the reader's diagnostic, and nothing is stored.
    let bad = [
        ("csrf_token", csrf_a.as_str()),
        ("kind", "risk"),
        ("id", "R-NEW"),
        ("title", "Vendor API deprecation"),
        ("probability", "1.5"),
    ];
    let p = s.post("/programs/checkout/raid", Some(&a), &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.body);
    assert!(p.body.contains("Not saved"), "{}", p.body);
    let good = [
        ("csrf_token", csrf_a.as_str()),
        ("kind", "risk"),
        ("id", "R-NEW"),
        ("title", "Vendor API deprecation"),
        ("probability", "0.3"),
        ("owner", "alice"),
    ];
    let p = s.post("/programs/checkout/raid", Some(&a), &good).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let log = s
        .get("/programs/checkout/raid?kind=risk&q=vendor", Some(&a))
        .await
        .body;
    assert!(log.contains("R-NEW") && !log.contains("R-PCI"), "{log}");

    // Two editors open the same plan-file entry; the first save wins, the second is
    // refused and shown the entry as it is now.
    let form_a = s.get("/programs/checkout/raid/R-PCI", Some(&a)).await.body;
    let form_b = s.get("/programs/checkout/raid/R-PCI", Some(&b)).await.body;
    assert_eq!(version_of(&form_a), "0");
    let p = s
        .post(
            "/programs/checkout/raid/R-PCI",
            Some(&a),
            &[
                ("csrf_token", &csrf_a),
                ("version", &version_of(&form_a)),
                ("title", "QSA finds gaps (pre-assessment booked)"),
                ("status", "open"),
                ("probability", "0.2"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = s
        .post(
            "/programs/checkout/raid/R-PCI",
            Some(&b),
            &[
                ("csrf_token", &csrf_b),
                ("version", &version_of(&form_b)),
                ("title", "Editor two's title"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT, "{}", p.body);
    assert!(p.body.contains("id=\"current-entry\""));
    assert!(p.body.contains("pre-assessment booked"));
    assert!(
        p.body.contains("id=\"your-changes\"") && p.body.contains("Editor two&#39;s title"),
        "{}",
        p.body
    );
    // The file entry's other keys were kept by the first save.
    let r = s
        .app
        .store
        .record_by_key(1, "raid", "R-PCI")
        .await
        .expect("store")
        .expect("record");
    assert_eq!(r.version, 1);
    assert_eq!(r.body["delay"], json!("5d/10d/20d"));
    assert_eq!(r.body["probability"], json!(0.2));
    // Retrying on top of the current version works; a stale version again conflicts.
    let now = version_of(&p.body);
    assert_eq!(now, "1");
    let retry = [
        ("csrf_token", csrf_b.as_str()),
        ("version", "1"),
        ("title", "Editor two's title"),
    ];
    let p = s
        .post("/programs/checkout/raid/R-PCI", Some(&b), &retry)
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let stale = [
        ("csrf_token", csrf_a.as_str()),
        ("version", "1"),
        ("title", "Editor one again"),
    ];
    let p = s
        .post("/programs/checkout/raid/R-PCI", Some(&a), &stale)
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    // The history page names who changed what.
    let h = s.get("/programs/checkout/history", Some(&a)).await.body;
    assert!(h.contains("editor2") && h.contains("raid.update"), "{h}");
}

#[tokio::test]
async fn recorded_progress_moves_the_forecast() {
    let s = Site::new(Config::for_tests()).await;
    let (lead, csrf) = s.session("editor1").await;
    let before = s.get("/programs/checkout", Some(&lead)).await.body;
    let form = s
        .get("/programs/checkout/progress?team=platform", Some(&lead))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("name=\"remaining.infra.rollout.ramp\""),
        "{}",
        form.body
    );
    // The traffic ramp (on the critical path) turns out to need far more work: the
    // finish and its forecast move later.
    let p = s
        .post(
            "/programs/checkout/progress",
            Some(&lead),
            &[
                ("csrf_token", &csrf),
                ("team", "platform"),
                ("date", "2027-02-15"),
                ("remaining.infra.rollout.ramp", "40d"),
                ("note.infra.rollout.ramp", "two more markets"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert!(
        p.location
            .as_deref()
            .is_some_and(|l| l.ends_with("saved=1")),
        "{:?}",
        p.location
    );
    let after = s.get("/programs/checkout", Some(&lead)).await.body;
    assert_ne!(milestones_of(&before), milestones_of(&after));
    let r = s
        .app
        .store
        .records(1, Some("progress"))
        .await
        .expect("records");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, "infra.rollout.ramp@2027-02-15");
    assert_ne!(p80_of(&before, "program"), p80_of(&after, "program"));
    // A value the reader refuses is reported on the form, with nothing stored.
    let p = s
        .post(
            "/programs/checkout/progress",
            Some(&lead),
            &[
                ("csrf_token", &csrf),
                ("team", "platform"),
                ("date", "2027-02-15"),
                ("remaining.infra.rollout.ramp", "lots"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("id=\"form-error\""));
}
