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
//! TILLER_BENCH_TASKS (generated program size, default 5000), DATABASE_URL (also run
//! against this PostgreSQL database; it must be empty or a previous Tiller database).

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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut lat: Vec<f64>, errors: usize) {
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    println!(
        "  {name:<6} {:>6} requests, {errors} errors; latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
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
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            let _w = server_app.spawn_workers();
            let _ = tiller_server::serve(server_app, listener, async {
                tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
            })
            .await;
        });
    });
    let _ = server;
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
    let etag = Arc::new(Mutex::new(etag.unwrap_or_default()));
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
    let read_lat = Arc::new(Mutex::new(Vec::new()));
    let write_lat = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new((0usize, 0usize, Vec::<String>::new())));
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
    for (at, is_write, i) in events {
        let now = t0.elapsed();
        if at > now {
            tokio::time::sleep(at - now).await;
        }
        let t = t.clone();
        let (read_lat, write_lat, errors, etag) = (
            read_lat.clone(),
            write_lat.clone(),
            errors.clone(),
            etag.clone(),
        );
        let path = read_paths[(i as usize) % read_paths.len()].clone();
        let slug = slug.clone();
        let ntasks = tasks.len();
        let task = tasks[((i / 2) as usize) % ntasks].clone();
        let start_date = start_date.clone();
        handles.push(tokio::spawn(async move {
            let scheduled = t0 + at;
            let result = if !is_write {
                call(&t, "GET", &path, None, None).await.map(|(s, v, _)| (s, v))
            } else if i % 2 == 0 {
                // A new progress record: one per task and date.
                let w = (i / 2) as usize;
                let date = chrono::NaiveDate::parse_from_str(&start_date, "%Y-%m-%d").expect("date")
                    + chrono::Days::new((w / ntasks) as u64);
                call(&t, "POST", &format!("/api/v1/programs/{slug}/progress"), Some(json!({"task": task, "date": date.to_string(), "done": 0.1, "note": format!("bench {i}")})), None).await.map(|(s, v, _)| (s, v))
            } else {
                // Update the RAID entry with the version last seen; a 409 is a correct
                // answer to a stale version, then retry once with the current one.
                let mut tag = etag.lock().await.clone();
                let body = json!({"kind": "issue", "id": "I-BENCH", "title": format!("Benchmark issue, update {i}"), "severity": "low"});
                let mut r = call(&t, "PUT", &format!("/api/v1/programs/{slug}/raid/{raid_id}"), Some(body.clone()), Some(tag.clone())).await;
                if let Ok((409, v, _)) = &r {
                    tag = format!("\"{}\"", v["error"]["current"]["version"]);
                    r = call(&t, "PUT", &format!("/api/v1/programs/{slug}/raid/{raid_id}"), Some(body), Some(tag)).await;
                }
                if let Ok((200, _, Some(new))) = &r {
                    *etag.lock().await = new.clone();
                }
                r.map(|(s, v, _)| (s, v))
            };
            let ms = scheduled.elapsed().as_secs_f64() * 1000.0;
            let ok = matches!(&result, Ok((s, _)) if (200..300).contains(s));
            if !ok {
                let mut e = errors.lock().await;
                if is_write { e.1 += 1 } else { e.0 += 1 }
                if e.2.len() < 5 {
                    e.2.push(format!("{path}: {:?}", result.as_ref().map(|(s, v)| (s, v.to_string().chars().take(200).collect::<String>()))));
                }
            }
            if is_write { write_lat.lock().await.push(ms) } else { read_lat.lock().await.push(ms) }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let wall = t0.elapsed().as_secs_f64();
    let e = errors.lock().await;
    println!("{label}: ran {wall:.1} s");
    summary("reads", read_lat.lock().await.clone(), e.0);
    summary("writes", write_lat.lock().await.clone(), e.1);
    for msg in &e.2 {
        println!("    error: {msg}");
    }
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
    for (name, url) in dbs {
        for (label, bundle) in [
            ("checkout", checkout.clone()),
            (&*format!("generated-{n}"), generated.clone()),
        ] {
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
