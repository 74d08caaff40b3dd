//! What the `tiller` command's server subcommands do: run a server, the demo, and talk
//! to a server (set-up, tokens, push, pull). Blocking functions; each starts its own
//! async runtime.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tiller_app::bundle::{Bundle, check_path};
use tiller_store::{Options, Store};

use crate::http::{Client, Response};
use crate::{App, Config};

/// Outcome of a command: what the caller turns into an exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The plan was rejected (exit code 1).
    Rejected,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// A `sqlite://` URL for a path (created when missing).
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn start(
    db: &str,
    bind: &str,
    config: Config,
) -> Result<(App, tokio::net::TcpListener, SocketAddr), String> {
    let store = Store::connect(db, &Options::default())
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let app = App::new(store, config);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    Ok((app, listener, addr))
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// `tiller serve`: runs until interrupted. On a database without users, prints a
/// one-time setup token for creating the administrator.
pub fn serve(db: &str, bind: &str) -> Result<Outcome, String> {
    let rt = runtime()?;
    rt.block_on(async {
        let (app, listener, addr) = start(db, bind, Config::default()).await?;
        if app.store.user_count().await.map_err(|e| e.to_string())? == 0 {
            let token = crate::random_hex(16);
            app.store
                .add_setup_token(&crate::sha256_hex(token.as_bytes()), app.now())
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "No users yet. Create the administrator with this one-time setup token:\n\n  \
                 tiller setup --server http://{addr} --setup-token {token} --username NAME\n\n\
                 (or POST /api/v1/setup). The token works once; restart the server for a new one."
            );
        }
        eprintln!(
            "tiller server {} listening on http://{addr} ({} database); API at /api/v1, OpenAPI at /api/v1/openapi.json",
            env!("CARGO_PKG_VERSION"),
            match app.store.dialect() {
                tiller_store::Dialect::Sqlite => "SQLite",
                tiller_store::Dialect::Postgres => "PostgreSQL",
            }
        );
        let workers = app.spawn_workers();
        let result = crate::serve(app, listener, shutdown_signal()).await;
        for w in workers {
            w.abort();
        }
        result.map_err(|e| format!("server error: {e}"))?;
        Ok(Outcome::Ok)
    })
}

/// The bundled example as a bundle with paths relative to its root.
pub fn example_bundle() -> Bundle {
    let ex = &tiller_app::examples::DEMO;
    let dir = ex.name.rsplit_once('/').map_or("", |(d, _)| d);
    let strip = |p: &str| {
        p.strip_prefix(dir)
            .map(|s| s.trim_start_matches('/'))
            .unwrap_or(p)
            .to_string()
    };
    let mut files = std::collections::BTreeMap::new();
    files.insert(strip(ex.name), ex.root.to_string());
    for (p, t) in ex.files {
        files.insert(strip(p), t.to_string());
    }
    Bundle {
        root: strip(ex.name),
        files,
    }
}

fn expect(r: Response, what: &str, statuses: &[u16]) -> Result<Value, String> {
    if statuses.contains(&r.status) {
        if r.body.is_empty() {
            return Ok(Value::Null);
        }
        return r.json();
    }
    let msg = r
        .json()
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&r.body).chars().take(300).collect());
    Err(format!("{what}: the server answered {}: {msg}", r.status))
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<Response, String> {
    let mut headers: Vec<(&str, String)> = vec![("accept", "application/json".to_string())];
    if let Some(t) = token {
        headers.push(("authorization", format!("Bearer {t}")));
    }
    let bytes = match body {
        Some(b) => {
            headers.push(("content-type", "application/json".to_string()));
            b.to_string().into_bytes()
        }
        None => Vec::new(),
    };
    crate::http::send(
        method,
        &format!("{base}{path}"),
        &headers,
        bytes,
        Duration::from_secs(120),
    )
    .await
}

/// `tiller demo --serve`: a server on `bind` with a fresh SQLite database holding the
/// example program, a user and an API token, printed on the console.
pub fn demo(bind: &str) -> Result<Outcome, String> {
    let rt = runtime()?;
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("tiller-demo-{}", crate::random_hex(4)));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let db = dir.join("tiller.db");
        let (app, listener, addr) = start(&sqlite_url(&db), bind, Config::default()).await?;
        let setup = crate::random_hex(16);
        app.store
            .add_setup_token(&crate::sha256_hex(setup.as_bytes()), app.now())
            .await
            .map_err(|e| e.to_string())?;
        let workers = app.spawn_workers();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::serve(app, listener, async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                _ = stop_rx => {}
            }
        }));
        let base = format!("http://{addr}");
        let password = crate::random_hex(8);
        let outcome: Result<String, String> = async {
            expect(
                call(&base, "POST", "/api/v1/setup", None, Some(&json!({"token": setup, "username": "demo", "password": password}))).await?,
                "setting up the demo user",
                &[201],
            )?;
            let token = login_and_token(&base, "demo", &password, "demo").await?;
            expect(
                call(&base, "POST", "/api/v1/programs", Some(&token), Some(&json!({"slug": "checkout", "name": "Checkout v2"}))).await?,
                "creating the demo program",
                &[201],
            )?;
            let b = example_bundle();
            expect(
                call(&base, "POST", "/api/v1/programs/checkout/revisions", Some(&token),
                    Some(&json!({"root": b.root, "files": b.files, "message": "The bundled example program"}))).await?,
                "pushing the example program",
                &[201],
            )?;
            Ok(token)
        }
        .await;
        let token = match outcome {
            Ok(t) => t,
            Err(e) => {
                let _ = stop_tx.send(());
                return Err(e);
            }
        };
        // Session cookies are `Secure`: browsers keep them over plain HTTP for
        // the name `localhost` only, so the dashboard link uses it.
        let dashboard = if addr.ip().is_loopback() {
            format!("http://localhost:{}/", addr.port())
        } else {
            format!("{base}/")
        };
        println!(
            "Tiller demo server: http://{addr}\n\
             dashboard: {dashboard} (log in as demo)\n\
             database: {} (embedded SQLite; delete the folder when done)\n\
             user: demo   password: {password}\n\
             API token: {token}\n\n\
             Try:\n  curl -s -H 'Authorization: Bearer {token}' {base}/api/v1/programs/checkout/revisions/head/schedule\n  \
             curl -s -H 'Authorization: Bearer {token}' {base}/api/v1/programs/checkout/revisions/head/health\n  \
             tiller pull --server {base} --program checkout --token {token} --dir checkout-pulled\n\n\
             The API is described at {base}/api/v1/openapi.json. Ctrl-C stops the server.",
            db.display()
        );
        let _ = std::io::stdout().flush();
        let result = server.await.map_err(|e| e.to_string())?;
        for w in workers {
            w.abort();
        }
        result.map_err(|e| format!("server error: {e}"))?;
        Ok(Outcome::Ok)
    })
}

/// Logs in and creates an API token; returns the token.
async fn login_and_token(
    base: &str,
    username: &str,
    password: &str,
    name: &str,
) -> Result<String, String> {
    let r = call(
        base,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": username, "password": password})),
    )
    .await?;
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    let login = expect(r, "logging in", &[200])?;
    let csrf = login["csrf_token"].as_str().unwrap_or_default().to_string();
    let cookie = cookie.ok_or("the server set no session cookie")?;
    let r = crate::http::send(
        "POST",
        &format!("{base}/api/v1/tokens"),
        &[
            ("content-type", "application/json".to_string()),
            ("cookie", cookie),
            ("x-csrf-token", csrf),
        ],
        json!({"name": name}).to_string().into_bytes(),
        Duration::from_secs(30),
    )
    .await?;
    let v = expect(r, "creating an API token", &[201])?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "the server returned no token".to_string())
}

/// A password from `TILLER_PASSWORD`, else a line of standard input.
pub fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("TILLER_PASSWORD") {
        return Ok(p);
    }
    eprint!("password: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `tiller setup`: creates the administrator with the setup token.
pub fn setup(server: &str, setup_token: &str, username: &str) -> Result<Outcome, String> {
    let password = read_password()?;
    let client = Client::new(server, None)?;
    let r = client.call(
        "POST",
        "/api/v1/setup",
        Some(&json!({"token": setup_token, "username": username, "password": password})),
    )?;
    expect(r, "setup", &[201])?;
    eprintln!("created administrator `{username}`; create an API token with `tiller token`");
    Ok(Outcome::Ok)
}

/// `tiller token`: logs in and prints a new API token.
pub fn token(server: &str, username: &str, name: &str) -> Result<Outcome, String> {
    let password = read_password()?;
    let rt = runtime()?;
    let base = server.trim_end_matches('/').to_string();
    let t = rt.block_on(login_and_token(&base, username, &password, name))?;
    println!("{t}");
    eprintln!("(shown once: keep it in TILLER_TOKEN or pass it as --token)");
    Ok(Outcome::Ok)
}

/// Prints diagnostics the server returned, one per line.
fn print_server_diagnostics(v: &Value) {
    if let Some(msg) = v["error"]["message"].as_str() {
        eprintln!("error: {msg}");
    }
    for d in v["error"]["diagnostics"].as_array().into_iter().flatten() {
        let place = match (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()) {
            (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
            _ => String::new(),
        };
        eprintln!(
            "{place}{} {}",
            d["code"].as_str().unwrap_or_default(),
            d["message"].as_str().unwrap_or_default()
        );
    }
}

/// `tiller push`: uploads the plan as a new revision (creating the program with
/// `create` as its name when it does not exist).
pub fn push(
    plan: &Path,
    server: &str,
    program: &str,
    token: &str,
    message: Option<&str>,
    create: Option<&str>,
) -> Result<Outcome, String> {
    let bundle = Bundle::read(plan).map_err(|e| e.to_string())?;
    let client = Client::new(server, Some(token.to_string()))?;
    let exists = client.call("GET", &format!("/api/v1/programs/{program}"), None)?;
    match (exists.status, create) {
        (200, _) => {}
        (404, Some(name)) => {
            expect(
                client.call(
                    "POST",
                    "/api/v1/programs",
                    Some(&json!({"slug": program, "name": name})),
                )?,
                "creating the program",
                &[201],
            )?;
            eprintln!("created program `{program}`");
        }
        (404, None) => {
            return Err(format!(
                "no program `{program}` on {server} (or no access): give --create NAME to create it"
            ));
        }
        _ => {
            expect(exists, "reading the program", &[200])?;
        }
    }
    let r = client.call(
        "POST",
        &format!("/api/v1/programs/{program}/revisions"),
        Some(&json!({"root": bundle.root, "files": bundle.files, "message": message})),
    )?;
    if r.status == 422 {
        print_server_diagnostics(&r.json()?);
        return Ok(Outcome::Rejected);
    }
    let v = expect(r, "pushing the revision", &[201])?;
    eprintln!(
        "pushed revision {} of `{program}` ({} files, {} tasks; finish {}; {} warnings)",
        v["number"],
        bundle.files.len(),
        v["summary"]["tasks"],
        v["summary"]["finish"].as_str().unwrap_or("?"),
        v["summary"]["warnings"]
    );
    Ok(Outcome::Ok)
}

/// `tiller pull`: writes the head revision with the server's records into `dir`.
/// Files that exist with other content are left alone (and reported) unless `force`.
pub fn pull(
    server: &str,
    program: &str,
    token: &str,
    dir: &Path,
    force: bool,
) -> Result<Outcome, String> {
    let client = Client::new(server, Some(token.to_string()))?;
    let v = expect(
        client.call("GET", &format!("/api/v1/programs/{program}/bundle"), None)?,
        "pulling",
        &[200],
    )?;
    let files = v["files"].as_object().ok_or("the server sent no files")?;
    let mut plan: Vec<(String, String)> = Vec::new();
    for (path, text) in files {
        check_path(path).map_err(|e| e.to_string())?;
        plan.push((path.clone(), text.as_str().unwrap_or_default().to_string()));
    }
    let differing: Vec<&str> = plan
        .iter()
        .filter(|(p, t)| std::fs::read_to_string(dir.join(p)).is_ok_and(|existing| existing != *t))
        .map(|(p, _)| p.as_str())
        .collect();
    if !differing.is_empty() && !force {
        return Err(format!(
            "these files in {} differ from the server's and were not overwritten: {} (use --force to overwrite, after committing your changes)",
            dir.display(),
            differing.join(", ")
        ));
    }
    let mut written = 0;
    for (path, text) in &plan {
        let target = dir.join(path);
        if std::fs::read_to_string(&target).is_ok_and(|e| e == *text) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, text)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        written += 1;
    }
    eprintln!(
        "pulled revision {} of `{program}` with {} records entered on the server: {written} files written in {} (root {})",
        v["revision"],
        v["records"],
        dir.display(),
        v["root"].as_str().unwrap_or_default()
    );
    Ok(Outcome::Ok)
}
