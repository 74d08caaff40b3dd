//! API tests: handlers on the router without a network (`tower::ServiceExt::oneshot`),
//! the authorization matrix (every role × every endpoint in the OpenAPI table), version
//! conflicts, webhooks, pull/push round trips, and a crash test that kills a server
//! process during writes. SQLite always; PostgreSQL too when DATABASE_URL is set.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tiller_server::openapi::{Access, ENDPOINTS};
use tiller_server::{App, Config, api};
use tiller_store::{Options, Store};
use tower::ServiceExt;

mod web;

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tiller-server-test-{tag}-{}-{}",
        std::process::id(),
        tiller_server::random_hex(4)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn fresh_postgres(url: &str) -> String {
    use sqlx_free::create_database;
    create_database(url).await
}

/// Creating a database needs a raw connection: through the store's own driver.
mod sqlx_free {
    pub async fn create_database(url: &str) -> String {
        let name = format!(
            "tiller_api_{}_{}",
            std::process::id(),
            tiller_server::random_hex(4)
        );
        let store = tiller_store::Store::connect(url, &tiller_store::Options::default())
            .await
            .expect("PostgreSQL");
        store
            .create_database_for_tests(&name)
            .await
            .expect("create database");
        store.close().await;
        let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
        format!("{base}/{name}")
    }
}

struct Server {
    app: App,
    router: axum::Router,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Server {
    async fn new(url: &str) -> Server {
        let store = Store::connect(url, &Options::default())
            .await
            .expect("store");
        let app = App::new(store, Config::for_tests());
        let router = api::router(app.clone());
        Server { app, router }
    }

    async fn sqlite() -> Server {
        let dir = temp_dir("db");
        Server::new(&format!("sqlite://{}", dir.join("t.db").display())).await
    }

    async fn send(&self, req: Request<Body>) -> Resp {
        let r = self.router.clone().oneshot(req).await.expect("response");
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.call_with(method, path, token, body, &[]).await
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    /// Sets up `admin` and returns its token.
    async fn setup(&self) -> String {
        let setup = "setup-token-for-tests";
        self.app
            .store
            .add_setup_token(&tiller_server::sha256_hex(setup.as_bytes()), self.app.now())
            .await
            .expect("setup token");
        let r = self
            .call(
                "POST",
                "/api/v1/setup",
                None,
                Some(json!({"token": setup, "username": "admin", "password": "admin-password"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        self.login_token("admin", "admin-password").await
    }

    async fn login(&self, user: &str, password: &str) -> (String, String) {
        let r = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let cookie = r
            .headers
            .get("set-cookie")
            .expect("cookie")
            .to_str()
            .expect("ascii")
            .to_string();
        (
            cookie.split(';').next().expect("pair").to_string(),
            r.body["csrf_token"].as_str().expect("csrf").to_string(),
        )
    }

    async fn login_token(&self, user: &str, password: &str) -> String {
        let (cookie, csrf) = self.login(user, password).await;
        let r = self
            .call_with(
                "POST",
                "/api/v1/tokens",
                None,
                Some(json!({"name": "t"})),
                &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["token"].as_str().expect("token").to_string()
    }

    async fn user(&self, admin: &str, name: &str) -> String {
        let password = format!("{name}-password");
        let r = self
            .call(
                "POST",
                "/api/v1/users",
                Some(admin),
                Some(json!({"username": name, "password": password})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        self.login_token(name, &password).await
    }
}

fn example() -> Value {
    let b = tiller_server::cli::example_bundle();
    json!({"root": b.root, "files": b.files, "message": "example"})
}

/// An admin, a program `checkout` with the example pushed, and its token.
async fn with_program(s: &Server) -> String {
    let admin = s.setup().await;
    let r = s
        .call(
            "POST",
            "/api/v1/programs",
            Some(&admin),
            Some(json!({"slug": "checkout", "name": "Checkout v2"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(example()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    admin
}

#[tokio::test]
async fn first_run_needs_the_setup_token_and_no_password_is_built_in() {
    let s = Server::sqlite().await;
    let r = s.call("GET", "/api/v1/status", None, None).await;
    assert_eq!(r.body["setup_needed"], json!(true));
    for (user, pw) in [("admin", "admin"), ("admin", "password"), ("root", "root")] {
        let r = s
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": pw})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = s
        .call(
            "POST",
            "/api/v1/setup",
            None,
            Some(json!({"token": "guess", "username": "x", "password": "long-enough-pw"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = s.setup().await;
    let r = s.call("GET", "/api/v1/auth/me", Some(&admin), None).await;
    assert_eq!(r.body["is_admin"], json!(true));
    // The token is spent.
    let r = s.call("POST", "/api/v1/setup", None, Some(json!({"token": "setup-token-for-tests", "username": "y", "password": "long-enough-pw"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s.call("GET", "/api/v1/status", None, None).await;
    assert_eq!(r.body["setup_needed"], json!(false));
}

#[tokio::test]
async fn sessions_use_secure_cookies_and_writes_need_the_csrf_token() {
    let s = Server::sqlite().await;
    let admin = s.setup().await;
    let r = s
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": "admin-password"})),
        )
        .await;
    let cookie = r
        .headers
        .get("set-cookie")
        .expect("cookie")
        .to_str()
        .expect("ascii")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let pair = cookie.split(';').next().expect("pair").to_string();
    let csrf = r.body["csrf_token"].as_str().expect("csrf").to_string();
    // Reads work with the cookie alone.
    let r = s
        .call_with("GET", "/api/v1/auth/me", None, None, &[("cookie", &pair)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Writes without the token, or with a wrong one, are refused.
    let body = json!({"slug": "p1", "name": "P1"});
    let r = s
        .call_with(
            "POST",
            "/api/v1/programs",
            None,
            Some(body.clone()),
            &[("cookie", &pair)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .call_with(
            "POST",
            "/api/v1/programs",
            None,
            Some(body.clone()),
            &[("cookie", &pair), ("x-csrf-token", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .call_with(
            "POST",
            "/api/v1/programs",
            None,
            Some(body),
            &[("cookie", &pair), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A form post carries it as a field.
    let form = |csrf: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/auth/logout")
            .header("cookie", pair.as_str())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={csrf}")))
            .expect("request")
    };
    assert_eq!(s.send(form("wrong")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.send(form(&csrf)).await.status, StatusCode::NO_CONTENT);
    // The session is gone.
    let r = s
        .call_with("GET", "/api/v1/auth/me", None, None, &[("cookie", &pair)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Form login works too; bad tokens are rejected rather than ignored.
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("username=admin&password=admin-password"))
        .expect("request");
    assert_eq!(s.send(req).await.status, StatusCode::OK);
    let r = s
        .call("GET", "/api/v1/auth/me", Some("tl_not_a_token"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s.call("GET", "/api/v1/auth/me", Some(&admin), None).await;
    assert_eq!(r.status, StatusCode::OK);
    // Failed logins are audited.
    let _ = s
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": "wrong-password"})),
        )
        .await;
    let r = s.call("GET", "/api/v1/audit", Some(&admin), None).await;
    assert!(
        r.body
            .as_array()
            .expect("list")
            .iter()
            .any(|e| e["action"] == "login.failed")
    );
}

#[tokio::test]
async fn revisions_are_checked_kept_and_analysed_like_the_cli() {
    let s = Server::sqlite().await;
    let admin = with_program(&s).await;
    // A plan that does not check is rejected with the diagnostics.
    let mut bad = example();
    let root = bad["files"]["program.toml"]
        .as_str()
        .expect("root")
        .replace("[program]", "[program]\nnmae = \"x\"");
    bad["files"]["program.toml"] = json!(root);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(bad),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = &r.body["error"]["diagnostics"][0];
    assert_eq!(d["code"], json!("E0101"));
    assert_eq!(d["file"], json!("program.toml"));
    assert!(d["line"].as_u64().is_some());
    // Paths must stay inside the plan.
    let mut evil = example();
    evil["files"]["../../etc/x.toml"] = json!("");
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(evil),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A second push is revision 2; both are kept.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(example()),
        )
        .await;
    assert_eq!(r.body["number"], json!(2));
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.body.as_array().expect("list").len(), 2);
    assert_eq!(r.body[0]["author"], json!("admin"));
    // The schedule is the CLI's JSON.
    let a = tiller_app::analyze(tiller_app::examples::load(&tiller_app::examples::DEMO))
        .expect("example");
    let cli: Value = serde_json::from_str(&tiller_app::output::schedule_json(
        &tiller_app::output::schedule_doc(&a.program, &a.schedule, &a.warnings, &a.sources),
    ))
    .expect("json");
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/1/schedule",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["tasks"], cli["tasks"]);
    assert_eq!(r.body["milestones"], cli["milestones"]);
    assert_eq!(r.body["finish"], cli["finish"]);
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/evm",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = tiller_app::tracking::evm(
        &a.program,
        tiller_app::tracking::pick_baseline(&a.program, None).expect("b"),
        None,
    )
    .expect("evm");
    assert_eq!(
        r.body["program"]["ev"],
        serde_json::to_value(&report).expect("v")["program"]["ev"]
    );
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/health",
            Some(&admin),
            None,
        )
        .await;
    assert!(["green", "amber", "red"].contains(&r.body["colour"].as_str().expect("colour")));
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/2/diff",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tasks_added"], json!([]));
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/9/schedule",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The OpenAPI document lists every endpoint.
    let r = s.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(r.body["openapi"], json!("3.1.0"));
    for e in ENDPOINTS {
        assert!(
            r.body["paths"][e.path][e.method.to_lowercase()].is_object(),
            "{} {}",
            e.method,
            e.path
        );
    }
}

#[tokio::test]
async fn records_merge_into_analyses_and_stale_writes_conflict() {
    let s = Server::sqlite().await;
    let admin = with_program(&s).await;
    let editor = s.user(&admin, "ed").await;
    let r = s
        .call(
            "PUT",
            "/api/v1/programs/checkout/members/ed",
            Some(&admin),
            Some(json!({"role": "editor"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A progress record shows in the schedule.
    let r = s.call("POST", "/api/v1/programs/checkout/progress", Some(&editor), Some(json!({"task": "pay.api", "date": "2027-02-15", "started": "2027-02-08", "done": 0.25}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers.get("etag").expect("etag"), "\"1\"");
    let id = r.body["id"].as_i64().expect("id");
    // The write tells the record state it made; an analysis of at least that state
    // includes it.
    let state = r.headers.get("x-tiller-state").expect("state header");
    let state: i64 = state.to_str().expect("ascii").parse().expect("number");
    let sched = s
        .call(
            "GET",
            &format!("/api/v1/programs/checkout/revisions/head/schedule?min_state={state}"),
            Some(&editor),
            None,
        )
        .await;
    assert_eq!(
        sched.headers.get("x-tiller-state").expect("state"),
        &state.to_string()
    );
    let task = sched.body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "pay.api")
        .expect("task")
        .clone();
    assert_eq!(task["done"], json!(0.25));
    assert_eq!(task["status"], json!("in_progress"));
    // ... and not when asked for the revision alone.
    let alone = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/schedule?records=false",
            Some(&editor),
            None,
        )
        .await;
    let t2 = alone.body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["id"] == "pay.api")
        .expect("task")
        .clone();
    assert_ne!(t2["done"], json!(0.25));
    // A record the plan rejects is refused with the plan's diagnostics.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/progress",
            Some(&editor),
            Some(json!({"task": "pay.apx", "date": "2027-02-15", "done": 0.5})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["diagnostics"][0]["code"], json!("E0201"));
    // So is one that reads well but cannot be scheduled (its remaining work runs past
    // the hundred-year horizon): the quick check schedules progress too.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/progress",
            Some(&editor),
            Some(json!({"task": "web.cart", "date": "2027-02-12", "started": "2027-02-01", "remaining": "40000d"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["code"], json!("invalid_plan"));
    // A RAID entry of the files cannot quietly change kind: a scenario of the plan
    // names R-PCI in `mitigate`, which takes risks only.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/raid",
            Some(&editor),
            Some(json!({"kind": "issue", "id": "R-PCI", "title": "Now an issue", "severity": "high"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("is not a risk"), "{}", r.body);
    // The same task and date twice is a conflict, not a second record.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/progress",
            Some(&editor),
            Some(json!({"task": "pay.api", "date": "2027-02-15", "done": 0.3})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Updates need If-Match; a stale one gets 409 with the current record.
    let path = format!("/api/v1/programs/checkout/progress/{id}");
    let upd =
        json!({"task": "pay.api", "date": "2027-02-15", "started": "2027-02-08", "done": 0.4});
    let r = s.call("PUT", &path, Some(&editor), Some(upd.clone())).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = s
        .call_with(
            "PUT",
            &path,
            Some(&editor),
            Some(upd.clone()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], json!(2));
    let r = s
        .call_with(
            "PUT",
            &path,
            Some(&admin),
            Some(json!({"task": "pay.api", "date": "2027-02-15", "done": 0.9})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["current"]["version"], json!(2));
    assert_eq!(r.headers.get("etag").expect("etag"), "\"2\"");
    assert_eq!(r.body["error"]["current"]["body"]["done"], json!(0.4));
    // Concurrent writers holding the same version: one wins, the others conflict.
    let mut handles = Vec::new();
    let s = Arc::new(s);
    for i in 0..6 {
        let s = s.clone();
        let (path, editor) = (path.clone(), editor.clone());
        handles.push(tokio::spawn(async move {
            s.call_with("PUT", &path, Some(&editor), Some(json!({"task": "pay.api", "date": "2027-02-15", "done": 0.5 + 0.01 * f64::from(i)})), &[("if-match", "\"2\"")]).await.status
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.expect("join"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT)
    );
    let r = s
        .call("GET", &format!("{path}/history"), Some(&editor), None)
        .await;
    assert_eq!(
        r.body.as_array().expect("history").len(),
        3,
        "every version kept"
    );
    // RAID entries: a file's entry can be replaced from the server.
    let r = s.call("POST", "/api/v1/programs/checkout/raid", Some(&editor), Some(json!({"kind": "risk", "id": "R-PCI", "title": "QSA finds gaps", "probability": 0.6}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/raid",
            Some(&editor),
            Some(json!({"kind": "rumour", "id": "X", "title": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Oversized bodies and bad JSON get the one error shape.
    let big = "x".repeat(70 * 1024);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/raid",
            Some(&editor),
            Some(json!({"kind": "issue", "id": "I-BIG", "title": big})),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["error"]["code"], json!("too_large"));
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/programs/checkout/raid")
        .header("authorization", format!("Bearer {editor}"))
        .body(Body::from("{nope"))
        .expect("req");
    let r = s.send(req).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("bad_request"))
    );
    let r = s
        .call("GET", "/api/v1/nothing/here", Some(&editor), None)
        .await;
    assert_eq!(r.body["error"]["code"], json!("not_found"));
}

#[tokio::test]
async fn schedules_come_whole_summarised_paged_gzipped_and_cached() {
    let s = Server::sqlite().await;
    let admin = with_program(&s).await;
    let base = "/api/v1/programs/checkout/revisions/head/schedule";
    let full = s.call("GET", base, Some(&admin), None).await;
    assert_eq!(full.status, StatusCode::OK);
    let tasks = full.body["tasks"].as_array().expect("tasks").clone();
    assert!(tasks.len() > 10);
    // The summary: everything but the task list.
    let r = s
        .call("GET", &format!("{base}?view=summary"), Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut expected = full.body.as_object().expect("a document").clone();
    expected.remove("tasks");
    expected.remove("critical_paths");
    expected.insert("task_count".into(), json!(tasks.len()));
    let over = expected
        .remove("over_allocations")
        .expect("over-allocations");
    let over = over.as_array().expect("a list").len();
    assert!(over > 0, "the example program is over-allocated somewhere");
    expected.insert("over_allocation_count".into(), json!(over));
    assert_eq!(expected["leveled"], json!(false));
    assert_eq!(r.body, Value::Object(expected));
    // With a baseline the summary keeps the comparison of the milestones.
    let with = |q: &str| format!("{base}?baseline=plan-of-record{q}");
    let compared = s.call("GET", &with(""), Some(&admin), None).await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    let r = s
        .call("GET", &with("&view=summary"), Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let milestones: Vec<&Value> = full.body["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| &m["id"])
        .collect();
    let rows: Vec<&Value> = compared.body["baseline"]["variance"]
        .as_array()
        .expect("variance rows")
        .iter()
        .filter(|row| milestones.contains(&&row["id"]))
        .collect();
    assert!(!rows.is_empty() && rows.len() < tasks.len());
    assert_eq!(
        r.body["baseline"]["name"],
        compared.body["baseline"]["name"]
    );
    assert_eq!(r.body["baseline"]["variance"], json!(rows));
    // Pages of the task list, with chosen fields.
    let r = s
        .call(
            "GET",
            &format!("{base}?offset=5&limit=3&fields=id,finish,critical"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["tasks_total"], json!(tasks.len()));
    let page = r.body["tasks"].as_array().expect("page");
    assert_eq!(page.len(), 3);
    for (got, want) in page.iter().zip(&tasks[5..8]) {
        assert_eq!(
            got,
            &json!({"id": want["id"], "finish": want["finish"], "critical": want["critical"]})
        );
    }
    let r = s
        .call(
            "GET",
            &format!("{base}?view=summary&limit=3"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/health?view=summary",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Gzip when the client takes it; the same document.
    let req = Request::builder()
        .uri(base)
        .header("authorization", format!("Bearer {admin}"))
        .header("accept-encoding", "br, gzip;q=0.8")
        .body(Body::empty())
        .expect("req");
    let r = s.router.clone().oneshot(req).await.expect("response");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    // Weak: one tag for the plain and the gzipped bytes.
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(r.headers()["vary"], "accept-encoding");
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .expect("body");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .expect("gzip");
    let doc: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc, full.body);
    // An unchanged schedule is not sent again.
    let r = s
        .call_with("GET", base, Some(&admin), None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    // After a write, reads serve the newest analysis at once, and one that includes
    // the write when asked for its state; a while later, every read does.
    let r = s.call("POST", "/api/v1/programs/checkout/progress", Some(&admin), Some(json!({"task": "pay.api", "date": "2027-02-15", "started": "2027-02-08", "done": 0.75}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let state: i64 = r.headers["x-tiller-state"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    let done = |body: &Value| {
        body["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["id"] == "pay.api")
            .expect("task")["done"]
            .clone()
    };
    let r = s
        .call(
            "GET",
            &format!("{base}?min_state={state}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(done(&r.body), json!(0.75));
    assert_eq!(r.headers["x-tiller-state"], state.to_string().as_str());
    let mut fresh = false;
    for _ in 0..100 {
        let r = s.call("GET", base, Some(&admin), None).await;
        if r.headers["x-tiller-state"] == state.to_string().as_str() {
            assert_eq!(done(&r.body), json!(0.75));
            fresh = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fresh, "the background refresh never caught up");
    // The tag named the analysis before the write: the new one is sent.
    let r = s
        .call_with("GET", base, Some(&admin), None, &[("if-none-match", &etag)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_ne!(r.headers["etag"], etag.as_str());
    // Pages have their own tags, and answer 304 the same way.
    let page = format!("{base}?offset=0&limit=2&fields=id");
    let r = s.call("GET", &page, Some(&admin), None).await;
    let tag = r.headers["etag"].to_str().expect("tag").to_string();
    assert_ne!(tag, etag);
    let r = s
        .call_with("GET", &page, Some(&admin), None, &[("if-none-match", &tag)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
}

/// The servers the backend-independent tests run on: SQLite always, PostgreSQL too
/// when DATABASE_URL is set.
async fn servers() -> Vec<(&'static str, Server)> {
    let mut out = vec![("SQLite", Server::sqlite().await)];
    if let Ok(url) = std::env::var("DATABASE_URL") {
        out.push(("PostgreSQL", Server::new(&fresh_postgres(&url).await).await));
    }
    out
}

/// A deterministic stream of small numbers (the cases below are drawn from it, so a
/// failure is reproducible).
struct Draw(u64);

impl Draw {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        &items[((self.0 >> 33) as usize) % items.len()]
    }
}

/// Good and bad progress and RAID records for the checkout example, drawn from pools of
/// tasks (leaf, summary, milestone, unknown), dates, people and values that the plan
/// reader or the scheduler accepts or refuses.
fn drawn_records(program: &tiller_core::Program, n: usize) -> Vec<tiller_app::bundle::Record> {
    use tiller_app::bundle::{Record, RecordKind};
    use tiller_core::TaskKind;
    let of_kind = |k: TaskKind| -> Vec<String> {
        program
            .tasks
            .iter()
            .filter(|t| t.kind == k)
            .map(|t| t.id.clone())
            .collect()
    };
    let mut tasks = of_kind(TaskKind::Leaf);
    tasks.truncate(6);
    tasks.extend(of_kind(TaskKind::Summary).into_iter().take(1));
    tasks.extend(of_kind(TaskKind::Milestone).into_iter().take(1));
    tasks.push("no.such.task".to_string());
    let dates = [
        "2027-02-12",
        "2027-02-15",
        "2027-02-01",
        "2027-03-08",
        "2027-02-30",
    ];
    let progress_extras = [
        json!({"done": 0.5}),
        json!({"done": 1.5}),
        json!({"status": "done", "done": 0.5}),
        json!({"status": "done", "done": 1.0, "finished": "2027-02-10"}),
        json!({"status": "not_started", "done": 0.2}),
        json!({"status": "in_progress", "started": "2027-01-20", "remaining": "3d"}),
        json!({"started": "2099-01-01"}),
        json!({"started": "2027-01-25", "remaining": "40000d"}),
        json!({"started": "2027-01-25", "finished": "2027-01-20", "status": "done", "done": 1.0}),
        json!({"done": 0.3, "by": "alice", "cost": "1,200"}),
        json!({"done": 0.3, "by": "nobody"}),
        json!({"done": 0.3, "colour": "blue"}),
        json!({"remaining": "2h", "note": "on track"}),
    ];
    let raid = [
        json!({"kind": "risk", "id": "R-NEW", "title": "New risk", "probability": 0.3}),
        json!({"kind": "risk", "id": "R-NEW", "title": "New risk", "probability": 1.5}),
        json!({"kind": "risk", "id": "R-PCI", "title": "QSA finds gaps", "probability": 0.5}),
        json!({"kind": "issue", "id": "R-PCI", "title": "Now an issue", "severity": "high"}),
        json!({"kind": "issue", "id": "I-NEW", "title": "New issue", "severity": "high", "owner": "alice", "due": "2027-03-01"}),
        json!({"kind": "issue", "id": "I-NEW", "title": "New issue", "severity": "dire"}),
        json!({"kind": "issue", "id": "I-SANDBOX", "title": "Sandbox", "affects": ["R-PCI", "no.such.thing"]}),
        json!({"kind": "issue", "id": "I-SANDBOX", "title": "Sandbox", "affects": ["R-PCI"], "owner": "raj"}),
        json!({"kind": "decision", "id": "DEC-NEW", "title": "New", "status": "decided", "decided_by": "raj", "decided_on": "2027-02-01"}),
        json!({"kind": "decision", "id": "DEC-NEW", "title": "New", "decided_by": "nobody"}),
        json!({"kind": "assumption", "id": "A-NEW", "title": "New", "validate_by": "2027-04-01"}),
        json!({"kind": "assumption", "id": "A-NEW", "title": "New", "validate_by": "2027-04-31"}),
        json!({"kind": "risk", "id": "DEC-PSP", "title": "A decision as a risk"}),
    ];
    let mut draw = Draw(20_261_126);
    (0..n)
        .map(|i| {
            if i % 3 == 2 {
                let mut body = draw.pick(&raid).as_object().expect("object").clone();
                let kind = body
                    .remove("kind")
                    .and_then(|k| k.as_str().and_then(RecordKind::parse))
                    .expect("kind");
                Record { kind, body }
            } else {
                let mut body = draw
                    .pick(&progress_extras)
                    .as_object()
                    .expect("object")
                    .clone();
                body.insert("task".into(), json!(draw.pick(&tasks)));
                body.insert("date".into(), json!(draw.pick(&dates)));
                Record {
                    kind: RecordKind::Progress,
                    body,
                }
            }
        })
        .collect()
}

/// The server accepts a record exactly when the full check would: the example's files
/// with every record accepted so far (this one in place of the one of its identity)
/// merged in, read and scheduled. Most of these writes go through the quick check.
async fn quick_check_agrees_with_full_check(name: &str, s: &Server) {
    use tiller_app::bundle::{self, Layout};
    let admin = with_program(s).await;
    let files = tiller_server::cli::example_bundle();
    let a = tiller_app::analysis::analyze(files.load()).expect("the example checks");
    let index = bundle::BundleIndex::of(&a.program, &a.sources);
    // Accepted records: identity → (namespace, id, version, record).
    let mut accepted: Vec<(String, &'static str, i64, i64, bundle::Record)> = Vec::new();
    let (mut yes, mut no) = (0, 0);
    for (n, record) in drawn_records(&a.program, 72).into_iter().enumerate() {
        let Ok(key) = record.key() else {
            continue;
        };
        let ns = if record.kind.is_raid() {
            "raid"
        } else {
            "progress"
        };
        let mut all: Vec<bundle::Record> = accepted
            .iter()
            .filter(|x| !(x.0 == key && x.1 == ns))
            .map(|x| x.4.clone())
            .collect();
        all.push(record.clone());
        let expected = bundle::merge(&files, &index, &all, &[], Layout::Analysis)
            .is_ok_and(|m| tiller_app::analysis::analyze(m.load()).is_ok());
        let mut body = Value::Object(record.body.clone());
        if record.kind.is_raid() {
            body["kind"] = json!(record.kind.table());
        }
        let existing = accepted.iter().position(|x| x.0 == key && x.1 == ns);
        let r = match existing {
            None => {
                s.call(
                    "POST",
                    &format!("/api/v1/programs/checkout/{ns}"),
                    Some(&admin),
                    Some(body.clone()),
                )
                .await
            }
            Some(i) => {
                let (id, version) = (accepted[i].2, accepted[i].3);
                s.call_with(
                    "PUT",
                    &format!("/api/v1/programs/checkout/{ns}/{id}"),
                    Some(&admin),
                    Some(body.clone()),
                    &[("if-match", &format!("\"{version}\""))],
                )
                .await
            }
        };
        let took = r.status.is_success();
        assert_eq!(
            took, expected,
            "{name}, case {n}: {body} answered {} {}",
            r.status, r.body
        );
        if took {
            yes += 1;
            let entry = (
                key,
                ns,
                r.body["id"].as_i64().expect("id"),
                r.body["version"].as_i64().expect("version"),
                record,
            );
            match existing {
                Some(i) => accepted[i] = entry,
                None => accepted.push(entry),
            }
        } else {
            no += 1;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}, case {n}"
            );
            assert_eq!(r.body["error"]["code"], json!("invalid_plan"));
        }
    }
    assert!(
        yes >= 10 && no >= 10,
        "{name}: {yes} accepted, {no} refused"
    );
    // The records the server holds make the plan the full check accepted.
    let all: Vec<bundle::Record> = accepted.iter().map(|x| x.4.clone()).collect();
    let merged = bundle::merge(&files, &index, &all, &[], Layout::Analysis).expect("merges");
    let want = tiller_app::analysis::analyze(merged.load()).expect("checks");
    // Every accepted write made one record state.
    let r = s
        .call(
            "GET",
            &format!(
                "/api/v1/programs/checkout/revisions/head/schedule?view=summary&min_state={yes}"
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["x-tiller-state"], yes.to_string().as_str());
    let doc = serde_json::to_value(tiller_app::output::schedule_doc(
        &want.program,
        &want.schedule,
        &want.warnings,
        &want.sources,
    ))
    .expect("json");
    assert_eq!(r.body["finish"], doc["finish"], "{name}");
    assert_eq!(r.body["milestones"], doc["milestones"], "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_record_check_refuses_exactly_what_the_full_check_refuses() {
    for (name, s) in servers().await {
        quick_check_agrees_with_full_check(name, &s).await;
    }
}

/// Two programs with the same plan files and different records at the same record
/// state number get each their own analyses.
async fn analyses_are_per_program(name: &str, s: &Server) {
    let admin = with_program(s).await;
    let r = s
        .call(
            "POST",
            "/api/v1/programs",
            Some(&admin),
            Some(json!({"slug": "twin", "name": "Twin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/twin/revisions",
            Some(&admin),
            Some(example()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut states = Vec::new();
    for (slug, done) in [("checkout", 0.25), ("twin", 0.75)] {
        let r = s
            .call(
                "POST",
                &format!("/api/v1/programs/{slug}/progress"),
                Some(&admin),
                Some(json!({"task": "pay.api", "date": "2027-02-15", "done": done})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{name}: {}", r.body);
        states.push(r.headers["x-tiller-state"].clone());
    }
    assert_eq!(states[0], states[1], "{name}: the same state number");
    for (slug, done) in [("checkout", 0.25), ("twin", 0.75)] {
        let r = s
            .call(
                "GET",
                &format!(
                    "/api/v1/programs/{slug}/revisions/head/schedule?offset=0&limit=5000&fields=id,done&min_state={}",
                    states[0].to_str().expect("ascii")
                ),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
        let task = r.body["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["id"] == "pay.api")
            .expect("task")
            .clone();
        assert_eq!(task["done"], json!(done), "{name}: {slug}");
    }
    // A state no write has made yet is refused, not waited for.
    let r = s
        .call(
            "GET",
            "/api/v1/programs/twin/revisions/head/schedule?min_state=999",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_of_records_are_never_shared_between_programs() {
    for (name, s) in servers().await {
        analyses_are_per_program(name, &s).await;
    }
}
#[tokio::test]
async fn pulled_files_check_and_push_back_cleanly() {
    let s = Server::sqlite().await;
    let admin = with_program(&s).await;
    for body in [
        json!({"task": "pay.api", "date": "2027-02-19", "done": 0.5, "note": "from the server"}),
        json!({"task": "web.cart", "date": "2027-02-19", "status": "in_progress"}),
    ] {
        let r = s
            .call(
                "POST",
                "/api/v1/programs/checkout/progress",
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = s.call("POST", "/api/v1/programs/checkout/raid", Some(&admin), Some(json!({"kind": "issue", "id": "I-VENDOR", "title": "Vendor contract unsigned", "severity": "high", "due": "2027-03-01"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/baselines",
            Some(&admin),
            Some(json!({"name": "rebaseline-1"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pulled = s
        .call(
            "GET",
            "/api/v1/programs/checkout/bundle",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(pulled.status, StatusCode::OK);
    // Write it out and read it back the way `tiller pull` and `tiller push` do.
    let dir = temp_dir("pull");
    for (path, text) in pulled.body["files"].as_object().expect("files") {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text.as_str().expect("text")).expect("write");
    }
    let bundle = tiller_app::bundle::Bundle::read(&dir.join("program.toml")).expect("read");
    let status_files: Vec<&String> = bundle
        .files
        .keys()
        .filter(|p| {
            p.starts_with("status/") && !p.contains("2027-01-29") && !p.contains("2027-02-12")
        })
        .collect();
    assert_eq!(
        status_files.len(),
        1,
        "one new dated status file: {:?}",
        bundle.files.keys()
    );
    assert!(bundle.files.contains_key("baselines/rebaseline-1.toml"));
    let a = tiller_app::analyze(bundle.load()).expect("the pulled plan checks");
    assert!(a.program.issues.iter().any(|i| i.id == "I-VENDOR"));
    assert!(a.program.baselines.iter().any(|b| b.name == "rebaseline-1"));
    assert!(
        a.program
            .progress
            .iter()
            .any(|p| p.note.as_deref() == Some("from the server"))
    );
    // Pushing the pulled files is accepted: the server's records now match file entries.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(json!({"root": bundle.root, "files": bundle.files})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/schedule",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Every endpoint of the OpenAPI table, as every kind of caller: allowed callers are
/// never refused, others get 401 (anonymous), 404 (no role in the program) or 403.
#[tokio::test]
async fn authorization_matrix() {
    let s = Server::sqlite().await;
    let admin = with_program(&s).await;
    let mut tokens: Vec<(&str, Option<String>)> = vec![("admin", Some(admin.clone()))];
    for (name, role) in [
        ("owner", Some("owner")),
        ("editor", Some("editor")),
        ("viewer", Some("viewer")),
        ("outsider", None),
    ] {
        let t = s.user(&admin, name).await;
        if let Some(role) = role {
            let r = s
                .call(
                    "PUT",
                    &format!("/api/v1/programs/checkout/members/{name}"),
                    Some(&admin),
                    Some(json!({"role": role})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        tokens.push((name, Some(t)));
    }
    tokens.push(("anonymous", None));
    let _ = s.user(&admin, "target").await;
    // Things the paths refer to.
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/progress",
            Some(&admin),
            Some(json!({"task": "pay.api", "date": "2027-02-16", "done": 0.1})),
        )
        .await;
    let progress_id = r.body["id"].as_i64().expect("id");
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/raid",
            Some(&admin),
            Some(json!({"kind": "issue", "id": "I-M", "title": "m"})),
        )
        .await;
    let raid_id = r.body["id"].as_i64().expect("id");
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/webhooks",
            Some(&admin),
            Some(json!({"url": "http://127.0.0.1:9/h", "events": ["risk.raised"]})),
        )
        .await;
    let hook_id = r.body["id"].as_i64().expect("id");
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/revisions",
            Some(&admin),
            Some(example()),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let counter = AtomicUsize::new(0);
    let rank = |who: &str| match who {
        "admin" => 4,
        "owner" => 3,
        "editor" => 2,
        "viewer" => 1,
        _ => 0,
    };
    let mut checked = 0;
    for e in ENDPOINTS {
        for (who, token) in &tokens {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            // A token of this caller's own, for revoking.
            let own_token_id = match token {
                Some(t) => {
                    let r = s
                        .call(
                            "POST",
                            "/api/v1/tokens",
                            Some(t),
                            Some(json!({"name": "x"})),
                        )
                        .await;
                    r.body["id"].as_i64().unwrap_or(0)
                }
                None => 0,
            };
            let path = e
                .path
                .replace("{p}", "checkout")
                .replace("{n}", "1")
                .replace("{user}", "target")
                .replace(
                    "{id}",
                    &match (
                        e.path.contains("/tokens/"),
                        e.path.contains("/progress/"),
                        e.path.contains("/raid/"),
                        e.path.contains("/webhooks/"),
                    ) {
                        (true, ..) => own_token_id.to_string(),
                        (_, true, ..) => progress_id.to_string(),
                        (_, _, true, _) => raid_id.to_string(),
                        _ => hook_id.to_string(),
                    },
                );
            let day = 1 + n % 27;
            let body = match (e.method, e.path) {
                ("POST", "/api/v1/setup") => {
                    Some(json!({"token": "x", "username": "z", "password": "long-enough-pw"}))
                }
                ("POST", "/api/v1/auth/login") => {
                    Some(json!({"username": "viewer", "password": "viewer-password"}))
                }
                ("POST", "/api/v1/tokens") => Some(json!({"name": "m"})),
                ("POST", "/api/v1/users") => {
                    Some(json!({"username": format!("u{n}"), "password": "long-enough-pw"}))
                }
                ("POST", "/api/v1/programs") => Some(json!({"slug": format!("p{n}"), "name": "P"})),
                ("PATCH", _) => Some(json!({"name": "Checkout v2"})),
                ("PUT", "/api/v1/programs/{p}/members/{user}") => Some(json!({"role": "viewer"})),
                ("POST", "/api/v1/programs/{p}/revisions") => Some(example()),
                ("POST", "/api/v1/programs/{p}/progress") => Some(
                    json!({"task": "web.cart", "date": format!("2027-03-{day:02}"), "done": 0.1, "note": format!("n{n}")}),
                ),
                ("PUT", "/api/v1/programs/{p}/progress/{id}") => {
                    Some(json!({"task": "pay.api", "date": "2027-02-16", "done": 0.2}))
                }
                ("POST", "/api/v1/programs/{p}/raid") => {
                    Some(json!({"kind": "issue", "id": format!("I-{n}"), "title": "t"}))
                }
                ("PUT", "/api/v1/programs/{p}/raid/{id}") => {
                    Some(json!({"kind": "issue", "id": "I-M", "title": "m2"}))
                }
                ("POST", "/api/v1/programs/{p}/baselines") => {
                    Some(json!({"name": format!("b{n}")}))
                }
                ("POST", "/api/v1/programs/{p}/webhooks")
                | ("PUT", "/api/v1/programs/{p}/webhooks/{id}") => {
                    Some(json!({"url": "http://127.0.0.1:9/h", "events": ["*"]}))
                }
                _ => None,
            };
            let headers: &[(&str, &str)] = if e.if_match {
                &[("if-match", "\"999\"")]
            } else {
                &[]
            };
            let r = s
                .call_with(e.method, &path, token.as_deref(), body, headers)
                .await;
            let st = r.status;
            let allowed = match e.access {
                Access::Public => true,
                Access::User => token.is_some(),
                Access::Admin => *who == "admin",
                Access::Viewer => rank(who) >= 1,
                Access::Editor => rank(who) >= 2,
                Access::Owner => rank(who) >= 3,
            };
            let label = format!("{} {} as {who}: {st} {}", e.method, e.path, r.body);
            if e.access == Access::Public {
                assert_ne!(st, StatusCode::UNAUTHORIZED, "{label}");
            } else if allowed {
                assert!(
                    ![
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::NOT_FOUND
                    ]
                    .contains(&st)
                        && !st.is_server_error(),
                    "{label}"
                );
            } else if token.is_none() {
                assert_eq!(st, StatusCode::UNAUTHORIZED, "{label}");
            } else if matches!(e.access, Access::Viewer | Access::Editor | Access::Owner)
                && rank(who) == 0
            {
                assert_eq!(st, StatusCode::NOT_FOUND, "{label}");
            } else {
                assert_eq!(st, StatusCode::FORBIDDEN, "{label}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, ENDPOINTS.len() * 6);
}

/// A forecaster stand-in: every milestone has a 30 % chance.
struct Gloomy;
impl tiller_server::Forecaster for Gloomy {
    fn milestone_odds(
        &self,
        program: &tiller_core::Program,
        _: &tiller_engine::Schedule,
    ) -> Vec<tiller_server::MilestoneOdds> {
        program
            .tasks
            .iter()
            .filter(|t| t.kind == tiller_core::TaskKind::Milestone)
            .map(|t| tiller_server::MilestoneOdds {
                id: t.id.clone(),
                probability: 0.3,
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_and_logged() {
    // A receiver that fails the first request and accepts the rest.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let received: Arc<tokio::sync::Mutex<Vec<(String, String)>>> = Arc::default();
    let got = received.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            n += 1;
            let got = got.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let k = sock.read(&mut chunk).await.unwrap_or(0);
                    if k == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= len {
                            got.lock().await.push((head.to_string(), body.to_string()));
                            break;
                        }
                    }
                }
                let status = if n == 1 {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = sock
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    let dir = temp_dir("hooks");
    let store = Store::connect(
        &format!("sqlite://{}", dir.join("t.db").display()),
        &Options::default(),
    )
    .await
    .expect("store");
    let app = App::new(store, Config::for_tests()).with_forecaster(Arc::new(Gloomy));
    let s = Server {
        router: api::router(app.clone()),
        app,
    };
    let admin = with_program(&s).await;
    let secret = "a-secret-of-sixteen-bytes";
    let r = s.call("POST", "/api/v1/programs/checkout/webhooks", Some(&admin), Some(json!({"url": format!("http://{addr}/hook"), "events": ["risk.raised", "milestone.at_risk"], "threshold": 0.5, "secret": secret}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let hook = r.body["id"].as_i64().expect("id");
    let r = s.call("POST", "/api/v1/programs/checkout/raid", Some(&admin), Some(json!({"kind": "risk", "id": "R-HOOK", "title": "Supplier insolvency", "probability": 0.1}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Milestones at 30 % against a 50 % threshold.
    let program = s
        .app
        .store
        .program_with_role("checkout", 1)
        .await
        .expect("q")
        .expect("p")
        .0;
    tiller_server::webhooks::evaluate(&s.app, program.id)
        .await
        .expect("evaluate");
    tiller_server::webhooks::evaluate(&s.app, program.id)
        .await
        .expect("evaluate twice: notified once");
    for _ in 0..100 {
        tiller_server::webhooks::deliver_due(&s.app)
            .await
            .expect("deliver");
        let log = s
            .call(
                "GET",
                &format!("/api/v1/programs/checkout/webhooks/{hook}/deliveries"),
                Some(&admin),
                None,
            )
            .await;
        if log
            .body
            .as_array()
            .expect("log")
            .iter()
            .all(|d| d["status"] == "delivered")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    }
    let log = s
        .call(
            "GET",
            &format!("/api/v1/programs/checkout/webhooks/{hook}/deliveries"),
            Some(&admin),
            None,
        )
        .await;
    let log = log.body.as_array().expect("log").clone();
    let milestones = tiller_app::examples::load(&tiller_app::examples::DEMO)
        .program
        .expect("p")
        .tasks
        .iter()
        .filter(|t| t.kind == tiller_core::TaskKind::Milestone)
        .count();
    assert_eq!(log.len(), 1 + milestones, "{log:?}");
    assert!(log.iter().all(|d| d["status"] == "delivered"), "{log:?}");
    assert!(
        log.iter().any(|d| d["attempts"] == 2),
        "the first delivery was retried"
    );
    let got = received.lock().await;
    let (head, body) = got
        .iter()
        .find(|(_, b)| b.contains("R-HOOK"))
        .expect("risk.raised delivered");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            })
            .expect(name)
    };
    let ts: i64 = header("x-tiller-timestamp").parse().expect("ts");
    assert_eq!(
        header("x-tiller-signature"),
        tiller_server::webhooks::sign(secret, ts, body.as_bytes())
    );
    assert_eq!(header("x-tiller-event"), "risk.raised");
}

// ---------------------------------------------------------------------- crash test

/// The server process of the crash test (a child of the test binary, run with the
/// `TILLER_CRASH_DB` environment variable; without it this test does nothing).
#[test]
fn crash_child() {
    let (Ok(db), Ok(port_file)) = (
        std::env::var("TILLER_CRASH_DB"),
        std::env::var("TILLER_CRASH_PORT_FILE"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = Store::connect(&db, &Options::default())
            .await
            .expect("store");
        let app = App::new(store, Config::for_tests());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::fs::write(format!("{port_file}.tmp"), addr.to_string()).expect("port");
        std::fs::rename(format!("{port_file}.tmp"), &port_file).expect("port");
        let _ = tiller_server::serve(app, listener, std::future::pending()).await;
    });
}

fn spawn_child(db: &str, dir: &std::path::Path, n: usize) -> (std::process::Child, String) {
    let port_file = dir.join(format!("port-{n}"));
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("TILLER_CRASH_DB", db)
        .env("TILLER_CRASH_PORT_FILE", &port_file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn the server");
    for _ in 0..600 {
        if let Ok(addr) = std::fs::read_to_string(&port_file) {
            return (child, format!("http://{addr}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server process did not start");
}

async fn http(
    base: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let mut headers = vec![("authorization", format!("Bearer {token}"))];
    if body.is_some() {
        headers.push(("content-type", "application/json".to_string()));
    }
    let r = tiller_server::http::send(
        method,
        &format!("{base}{path}"),
        &headers,
        body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        std::time::Duration::from_secs(30),
    )
    .await?;
    Ok((
        r.status,
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()?
        },
    ))
}

async fn crash_test(db: &str) {
    let dir = temp_dir("crash");
    // The database is prepared in-process: an admin with a token, the example pushed.
    let token = {
        let s = Server::new(db).await;
        let t = with_program(&s).await;
        s.app.store.close().await;
        t
    };
    let (mut child, base) = spawn_child(db, &dir, 1);
    let acked: Arc<tokio::sync::Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (base, token, acked, stop) = (base.clone(), token.clone(), acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("I-CRASH-{w}-{i}");
                i += 1;
                let r = http(
                    &base,
                    "POST",
                    "/api/v1/programs/checkout/raid",
                    &token,
                    Some(json!({"kind": "issue", "id": id, "title": "crash test"})),
                )
                .await;
                match r {
                    Ok((201, _)) => acked.lock().await.push(id),
                    Ok((s, v)) => panic!("unexpected {s}: {v}"),
                    Err(_) => return, // the server died mid-request: not acknowledged
                }
            }
        }));
    }
    // Let writes flow, then kill -9 mid-stream.
    for _ in 0..200 {
        if acked.lock().await.len() >= 15 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().await.clone();
    assert!(
        acked.len() >= 5,
        "too few writes before the kill: {}",
        acked.len()
    );
    // A new process on the same database has every acknowledged write.
    let (mut child, base) = spawn_child(db, &dir, 2);
    let (st, list) = http(
        &base,
        "GET",
        "/api/v1/programs/checkout/raid?limit=5000",
        &token,
        None,
    )
    .await
    .expect("list");
    assert_eq!(st, 200);
    let keys: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|k| !keys.contains(&k.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    // And it still serves and accepts writes.
    let (st, _) = http(
        &base,
        "POST",
        "/api/v1/programs/checkout/raid",
        &token,
        Some(json!({"kind": "issue", "id": "I-AFTER", "title": "after"})),
    )
    .await
    .expect("write");
    assert_eq!(st, 201);
    child.kill().expect("kill");
    let _ = child.wait();
    eprintln!(
        "crash test: {} acknowledged writes before kill -9, none lost",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_sqlite() {
    let dir = temp_dir("crashdb");
    crash_test(&format!("sqlite://{}", dir.join("t.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9_postgres() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("skipped: DATABASE_URL is not set (scripts/test sets it)");
        return;
    };
    crash_test(&fresh_postgres(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_works_on_postgres() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("skipped: DATABASE_URL is not set (scripts/test sets it)");
        return;
    };
    let s = Server::new(&fresh_postgres(&url).await).await;
    let admin = with_program(&s).await;
    let r = s
        .call(
            "POST",
            "/api/v1/programs/checkout/progress",
            Some(&admin),
            Some(json!({"task": "pay.api", "date": "2027-02-15", "done": 0.25})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = s
        .call_with(
            "PUT",
            &format!("/api/v1/programs/checkout/progress/{}", r.body["id"]),
            Some(&admin),
            Some(json!({"task": "pay.api", "date": "2027-02-15", "done": 0.3})),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s
        .call(
            "GET",
            "/api/v1/programs/checkout/revisions/head/schedule",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}
