//! Open-loop load test of the API on loopback: a server in this process, a fixed rate
//! of reads (schedule, health, record lists, program, revisions) and of writes
//! (progress records created, a RAID entry updated with If-Match), latency measured
//! from each request's scheduled start (so a stall counts against every request it
//! delays). Stops by itself.
//!
//!   cargo bench -p tiller-server --bench load
//!
//! Environment: TILLER_BENCH_SECS (default 20; 300 for the five-minute run),
//! TILLER_BENCH_READS (reads/s, default 200), TILLER_BENCH_WRITES (writes/s, default 10),
//! TILLER_BENCH_TASKS (generated program size, default 5000), TILLER_BENCH_PROGRAMS
//! (`checkout`, `generated` or both, the default), DATABASE_URL (also run against this
//! PostgreSQL database; it must be empty or a previous Tiller database).
//!
//! Reads accept gzip, as browsers do; the load generator checks each response's status
//! and length and never parses a body in the measured loop (it shares the machine's
//! cores with the server). Every other RAID update sends the version seen before the
//! last update, as an editor who opened the entry before someone else saved it would:
//! the 409 that refuses the stale `If-Match` is counted as a conflict, apart from
//! errors, and the update is retried once with the version the 409 carries in its
//! `ETag` (the write's latency includes the retry).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiller_server::http::send;
use tiller_server::{App, Config};
use tiller_store::{Options, Store};
use tokio::sync::Mutex;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Target {
    base: String,
    token: String,
}

async fn call(
    t: &Target,
    method: &str,
    path: &str,
    body: Option<Value>,
    if_match: Option<String>,
) -> Result<(u16, Value, Option<String>), String> {
    let mut headers = Vec::new();
    if !t.token.is_empty() {
        headers.push(("authorization", format!("Bearer {}", t.token)));
    }
    if body.is_some() {
        headers.push(("content-type", "application/json".to_string()));
    }
    if let Some(v) = if_match {
        headers.push(("if-match", v));
    }
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let r = send(
        method,
        &format!("{}{path}", t.base),
        &headers,
        bytes,
        Duration::from_secs(30),
    )
    .await?;
    let etag = r.header("etag").map(str::to_string);
    let v = if r.body.is_empty() {
        Value::Null
    } else {
        r.json().unwrap_or(Value::Null)
    };
    Ok((r.status, v, etag))
}

/// What the measured loop looks at in a response: status, body length, `ETag` and
/// `X-Tiller-State`. No parsing.
type Hit = (u16, usize, Option<String>, Option<i64>);

async fn hit(
    t: &Target,
    method: &str,
    path: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> Result<Hit, String> {
    let mut headers = vec![
        ("authorization", format!("Bearer {}", t.token)),
        ("accept-encoding", "gzip".to_string()),
    ];
    if body.is_some() {
        headers.push(("content-type", "application/json".to_string()));
    }
    if let Some(v) = if_match {
        headers.push(("if-match", v.to_string()));
    }
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let r = send(
        method,
        &format!("{}{path}", t.base),
        &headers,
        bytes,
        Duration::from_secs(30),
    )
    .await?;
    Ok((
        r.status,
        r.body.len(),
        r.header("etag").map(str::to_string),
        r.header("x-tiller-state").and_then(|v| v.parse().ok()),
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut lat: Vec<f64>, errors: usize, extra: &str) {
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    println!(
        "  {name:<22} {:>6} requests, {errors} errors{extra}; latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

#[derive(Default)]
struct Tally {
    /// Latency (ms) and response bytes of each read, by path index.
    reads: Vec<(usize, f64, usize)>,
    writes: Vec<f64>,
    read_errors: usize,
    write_errors: usize,
    /// 409s to the stale RAID updates (correct answers to a stale `If-Match`).
    conflicts: usize,
    /// Per analysis read: how many acknowledged writes (record states) it did not
    /// show yet, counting those acknowledged before it was sent.
    lags: Vec<i64>,
    messages: Vec<String>,
}

async fn run_one(
    db_url: &str,
    label: &str,
    bundle: tiller_app::bundle::Bundle,
    secs: u64,
    reads: u64,
    writes: u64,
) {
    // The server gets its own runtime (two workers, like the machine's two cores); the
    // load generator runs on the caller's.
    let store = Store::connect(db_url, &Options::default())
        .await
        .expect("database");
    let app = App::new(store, Config::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    let server_app = app.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let workers = server_app.spawn_workers();
            let _ = tiller_server::serve(server_app, listener, async {
                let _ = stopped.await;
            })
            .await;
            for w in workers {
                w.abort();
            }
        });
        // Background refreshes still running end with the runtime, before the
        // database closes.
        rt.shutdown_timeout(Duration::from_secs(10));
    });
    let base = format!("http://{addr}");
    // Set up a user and token through the API.
    let setup = tiller_server::random_hex(16);
    app.store
        .add_setup_token(&tiller_server::sha256_hex(setup.as_bytes()), app.now())
        .await
        .expect("setup token");
    let anon = Target {
        base: base.clone(),
        token: String::new(),
    };
    let password = "bench-password-123";
    let (s, _, _) = call(
        &anon,
        "POST",
        "/api/v1/setup",
        Some(json!({"token": setup, "username": "bench", "password": password})),
        None,
    )
    .await
    .expect("setup");
    // A database used before already has the user.
    assert!(s == 201 || s == 403, "setup answered {s}");
    let r = send(
        "POST",
        &format!("{base}/api/v1/auth/login"),
        &[("content-type", "application/json".to_string())],
        json!({"username": "bench", "password": password})
            .to_string()
            .into_bytes(),
        Duration::from_secs(30),
    )
    .await
    .expect("login");
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("cookie")
        .to_string();
    let csrf = r.json().expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let r = send(
        "POST",
        &format!("{base}/api/v1/tokens"),
        &[
            ("content-type", "application/json".to_string()),
            ("cookie", cookie),
            ("x-csrf-token", csrf),
        ],
        json!({"name": "bench"}).to_string().into_bytes(),
        Duration::from_secs(30),
    )
    .await
    .expect("token");
    let token = r.json().expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let t = Arc::new(Target { base, token });
    let slug = format!("bench-{}", tiller_server::random_hex(3));
    let (s, _, _) = call(
        &t,
        "POST",
        "/api/v1/programs",
        Some(json!({"slug": slug, "name": label})),
        None,
    )
    .await
    .expect("program");
    assert_eq!(s, 201);
    let started = Instant::now();
    let (s, v, _) = call(
        &t,
        "POST",
        &format!("/api/v1/programs/{slug}/revisions"),
        Some(json!({"root": bundle.root, "files": bundle.files})),
        None,
    )
    .await
    .expect("push");
    assert_eq!(s, 201, "{v}");
    let push_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (_, sched, _) = call(
        &t,
        "GET",
        &format!("/api/v1/programs/{slug}/revisions/head/schedule"),
        None,
        None,
    )
    .await
    .expect("schedule");
    let tasks: Vec<String> = sched["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|x| x["kind"] == "task")
        .map(|x| x["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let start_date = sched["program"]["start"]
        .as_str()
        .expect("start")
        .to_string();
    let (s, raid, etag) = call(&t, "POST", &format!("/api/v1/programs/{slug}/raid"), Some(json!({"kind": "issue", "id": "I-BENCH", "title": "Benchmark issue", "severity": "low"})), None).await.expect("raid");
    assert_eq!(s, 201, "{raid}");
    let raid_id = raid["id"].as_i64().expect("id");
    let etag = etag.unwrap_or_default();
    let etag = Arc::new(Mutex::new((etag.clone(), etag)));
    println!(
        "{label}: pushed in {push_ms:.0} ms; {} tasks; {secs} s at {reads} reads/s and {writes} writes/s",
        tasks.len()
    );

    let read_paths = [
        format!("/api/v1/programs/{slug}/revisions/head/schedule"),
        format!("/api/v1/programs/{slug}/revisions/head/health"),
        format!("/api/v1/programs/{slug}/progress?limit=100"),
        format!("/api/v1/programs/{slug}/raid"),
        format!("/api/v1/programs/{slug}"),
        format!("/api/v1/programs/{slug}/revisions"),
    ];
    let tally = Arc::new(Mutex::new(Tally::default()));
    let t0 = Instant::now();
    let total_reads = reads * secs;
    let total_writes = writes * secs;
    let mut handles = Vec::new();
    let mut events: Vec<(Duration, bool, u64)> = (0..total_reads)
        .map(|i| (Duration::from_secs_f64(i as f64 / reads as f64), false, i))
        .chain((0..total_writes).map(|i| {
            (
                Duration::from_secs_f64((i as f64 + 0.5) / writes.max(1) as f64),
                true,
                i,
            )
        }))
        .collect();
    events.sort_by_key(|e| e.0);
    let start = chrono::NaiveDate::parse_from_str(&start_date, "%Y-%m-%d").expect("date");
    let raid_path = format!("/api/v1/programs/{slug}/raid/{raid_id}");
    let progress_path = format!("/api/v1/programs/{slug}/progress");
    // The newest record state a write was acknowledged with.
    let acked = Arc::new(std::sync::atomic::AtomicI64::new(0));
    for (at, is_write, i) in events {
        let now = t0.elapsed();
        if at > now {
            tokio::time::sleep(at - now).await;
        }
        let (t, tally, etag, acked) = (t.clone(), tally.clone(), etag.clone(), acked.clone());
        let which = (i as usize) % read_paths.len();
        let ntasks = tasks.len();
        // Bodies are made before the request's scheduled time is taken.
        let (path, body) = if !is_write {
            (read_paths[which].clone(), None)
        } else if i % 2 == 0 {
            // A new progress record: one per task and date.
            let w = (i / 2) as usize;
            let date = start + chrono::Days::new((w / ntasks) as u64);
            let body = json!({"task": tasks[w % ntasks], "date": date.to_string(), "done": 0.1, "note": format!("bench {i}")});
            (progress_path.clone(), Some(body))
        } else {
            let body = json!({"kind": "issue", "id": "I-BENCH", "title": format!("Benchmark issue, update {i}"), "severity": "low"});
            (raid_path.clone(), Some(body))
        };
        handles.push(tokio::spawn(async move {
            let scheduled = t0 + at;
            let mut conflicts = 0;
            let seen = acked.load(std::sync::atomic::Ordering::SeqCst);
            let result = match (&body, is_write && i % 2 == 1) {
                (None, _) => hit(&t, "GET", &path, None, None).await,
                (Some(b), false) => hit(&t, "POST", &path, Some(b), None).await,
                (Some(b), true) => {
                    // Update the RAID entry with the version last seen — or, every
                    // other time, the one seen before it, as an editor who opened the
                    // entry before someone else saved it would. A 409 is the correct
                    // answer to a stale version: retry once with the current one,
                    // which the 409 carries as its ETag.
                    let tag = {
                        let (last, before) = &*etag.lock().await;
                        if i % 4 == 3 {
                            before.clone()
                        } else {
                            last.clone()
                        }
                    };
                    let mut r = hit(&t, "PUT", &path, Some(b), Some(&tag)).await;
                    if let Ok((409, _, Some(current), _)) = &r {
                        conflicts += 1;
                        r = hit(&t, "PUT", &path, Some(b), Some(current)).await;
                        if let Ok((409, _, _, _)) = &r {
                            conflicts += 1;
                        }
                    }
                    if let Ok((200, _, Some(new), _)) = &r {
                        let mut e = etag.lock().await;
                        e.1 = std::mem::replace(&mut e.0, new.clone());
                    }
                    r
                }
            };
            let ms = scheduled.elapsed().as_secs_f64() * 1000.0;
            let ok = match &result {
                Ok((s, len, _, _)) => (200..300).contains(s) && (*len > 0 || *s == 204),
                Err(_) => false,
            };
            let raced = matches!(&result, Ok((409, _, _, _))) && conflicts > 0;
            let state = result.as_ref().ok().and_then(|r| r.3);
            if is_write && let Some(st) = state {
                acked.fetch_max(st, std::sync::atomic::Ordering::SeqCst);
            }
            let mut t = tally.lock().await;
            t.conflicts += conflicts;
            if !is_write && let Some(st) = state {
                t.lags.push(seen - st);
            }
            if !ok && !raced {
                if is_write {
                    t.write_errors += 1
                } else {
                    t.read_errors += 1
                }
                if t.messages.len() < 5 {
                    let method = if !is_write {
                        "GET"
                    } else if i % 2 == 0 {
                        "POST"
                    } else {
                        "PUT"
                    };
                    t.messages.push(format!(
                        "{method} {path}: {:?}",
                        result.as_ref().map(|(s, len, _, _)| (s, len))
                    ));
                }
            }
            if is_write {
                t.writes.push(ms)
            } else {
                let len = result.as_ref().map_or(0, |r| r.1);
                t.reads.push((which, ms, len))
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let t = tally.lock().await;
    let done = t.reads.len() + t.writes.len();
    println!(
        "{label}: ran {wall:.1} s, {done} requests ({:.1}/s); {} conflicts (409 to the stale RAID updates, not errors)",
        done as f64 / wall,
        t.conflicts
    );
    summary(
        "reads",
        t.reads.iter().map(|r| r.1).collect(),
        t.read_errors,
        "",
    );
    summary("writes", t.writes.clone(), t.write_errors, "");
    for (n, p) in read_paths.iter().enumerate() {
        let mine: Vec<&(usize, f64, usize)> = t.reads.iter().filter(|r| r.0 == n).collect();
        let bytes = mine.iter().map(|r| r.2).sum::<usize>() / mine.len().max(1);
        let name = p.rsplit_once(&slug).map_or(p.as_str(), |(_, rest)| rest);
        let name = if name.is_empty() { "/" } else { name };
        summary(
            &format!("  {name}"),
            mine.iter().map(|r| r.1).collect(),
            0,
            &format!(", {bytes} bytes"),
        );
    }
    let mut lags = t.lags.clone();
    lags.sort_unstable();
    let lag = |p: f64| {
        lags.get(((lags.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "  analysis reads behind the acknowledged writes (record states): p50 {}  p99 {}  max {}; {:.1} % fully fresh",
        lag(0.5),
        lag(0.99),
        lags.last().copied().unwrap_or(0),
        100.0 * lags.iter().filter(|l| **l <= 0).count() as f64 / lags.len().max(1) as f64
    );
    for msg in &t.messages {
        println!("    error: {msg}");
    }
    drop(t);
    let _ = stop.send(());
    let _ = tokio::task::spawn_blocking(move || server.join()).await;
    app.store.close().await;
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = env("TILLER_BENCH_SECS", 20);
    let reads = env("TILLER_BENCH_READS", 200);
    let writes = env("TILLER_BENCH_WRITES", 10);
    let n = env("TILLER_BENCH_TASKS", 5000) as usize;
    let checkout = tiller_server::cli::example_bundle();
    let generated = {
        let text = tiller_plan::generate::generate(&tiller_plan::generate::Options {
            tasks: n,
            seed: 1,
            people: (n / 20).max(5),
            links_per_task: 3.0,
            risks: None,
        })
        .expect("generate");
        let mut files = std::collections::BTreeMap::new();
        files.insert("program.toml".to_string(), text);
        tiller_app::bundle::Bundle {
            root: "program.toml".to_string(),
            files,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!("tiller-bench-{}", tiller_server::random_hex(4)));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut dbs = vec![("SQLite".to_string(), "sqlite".to_string())];
    if let Ok(url) = std::env::var("DATABASE_URL") {
        dbs.push(("PostgreSQL".to_string(), url));
    }
    let which = std::env::var("TILLER_BENCH_PROGRAMS").unwrap_or_default();
    for (name, url) in dbs {
        for (label, bundle) in [
            ("checkout", checkout.clone()),
            (&*format!("generated-{n}"), generated.clone()),
        ] {
            if !which.is_empty() && !label.starts_with(which.as_str()) {
                continue;
            }
            let db = if url == "sqlite" {
                format!("sqlite://{}", dir.join(format!("{label}.db")).display())
            } else {
                url.clone()
            };
            rt.block_on(run_one(
                &db,
                &format!("{name} {label}"),
                bundle,
                secs,
                reads,
                writes,
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
