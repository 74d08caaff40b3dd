//! The storage conformance suite: the same checks against SQLite (always) and
//! PostgreSQL (when DATABASE_URL points at one; `scripts/test` starts a throwaway
//! server and sets it). Each PostgreSQL run uses a fresh database of its own.

use serde_json::json;
use tiller_store::{Actor, NewRevision, Options, Store, StoreError, WebhookSpec};

fn temp_sqlite() -> String {
    let dir = std::env::temp_dir().join(format!(
        "tiller-store-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!("sqlite://{}", dir.join("t.db").display())
}

/// A fresh PostgreSQL database next to the one DATABASE_URL names.
async fn fresh_postgres(url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "tiller_conf_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() % 1_000_000_000)
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("PostgreSQL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    format!("{base}/{name}")
}

fn actor(user_id: i64, at: i64) -> Actor {
    Actor { user_id, at }
}

async fn conformance(url: &str) {
    // Migrations apply once and are idempotent; a second process can connect too.
    let store = Store::connect(url, &Options::default())
        .await
        .expect("connect");
    let again = Store::connect(url, &Options::default())
        .await
        .expect("connect again");
    again.close().await;

    // Set-up: one-time token, never a default user.
    assert_eq!(store.user_count().await.expect("count"), 0);
    store.add_setup_token("hash-a", 1).await.expect("token");
    assert!(matches!(
        store.complete_setup("wrong", "root", "h", 2).await,
        Err(StoreError::NotFound)
    ));
    let admin = store
        .complete_setup("hash-a", "root", "h", 2)
        .await
        .expect("setup");
    assert!(admin.is_admin);
    store.add_setup_token("hash-b", 3).await.expect("token");
    assert!(
        matches!(
            store.complete_setup("hash-b", "root2", "h", 4).await,
            Err(StoreError::NotFound)
        ),
        "setup only works while there are no users"
    );

    // Users.
    let a = actor(admin.id, 10);
    let ann = store
        .create_user(a, "ann", "hash1", false)
        .await
        .expect("ann");
    assert!(matches!(
        store.create_user(a, "ann", "x", false).await,
        Err(StoreError::Exists(_))
    ));
    let (found, hash) = store.user_for_login("ann").await.expect("q").expect("ann");
    assert_eq!((found.id, hash.as_str()), (ann.id, "hash1"));
    assert!(store.user_for_login("nobody").await.expect("q").is_none());

    // Sessions expire; tokens revoke.
    store
        .create_session("s1", ann.id, "csrf", 100, 200)
        .await
        .expect("session");
    assert_eq!(
        store.session("s1", 150).await.expect("q").map(|s| s.csrf),
        Some("csrf".to_string())
    );
    assert!(store.session("s1", 250).await.expect("q").is_none());
    let t = store
        .create_token(actor(ann.id, 20), "ci", "th1")
        .await
        .expect("token");
    assert_eq!(
        store.user_by_token("th1").await.expect("q").map(|u| u.id),
        Some(ann.id)
    );
    assert!(
        matches!(
            store.revoke_token(actor(admin.id, 21), t.id).await,
            Err(StoreError::NotFound)
        ),
        "only the owner revokes a token"
    );
    store
        .revoke_token(actor(ann.id, 21), t.id)
        .await
        .expect("revoke");
    assert!(store.user_by_token("th1").await.expect("q").is_none());

    // Programs and members.
    let p = store
        .create_program(actor(ann.id, 30), "checkout", "Checkout")
        .await
        .expect("program");
    assert!(matches!(
        store.create_program(a, "checkout", "x").await,
        Err(StoreError::Exists(_))
    ));
    let (_, role) = store
        .program_with_role("checkout", ann.id)
        .await
        .expect("q")
        .expect("found");
    assert_eq!(role.as_deref(), Some("owner"));
    let bob = store.create_user(a, "bob", "h", false).await.expect("bob");
    assert!(
        store
            .list_programs(bob.id, false)
            .await
            .expect("q")
            .is_empty()
    );
    assert_eq!(
        store.list_programs(admin.id, true).await.expect("q").len(),
        1
    );
    let m = store
        .set_member(actor(ann.id, 31), p.id, bob.id, "viewer", None)
        .await
        .expect("member");
    assert!(matches!(
        store
            .set_member(actor(ann.id, 32), p.id, bob.id, "editor", None)
            .await,
        Err(StoreError::Exists(_))
    ));
    assert!(matches!(
        store
            .set_member(
                actor(ann.id, 32),
                p.id,
                bob.id,
                "editor",
                Some(m.version + 1)
            )
            .await,
        Err(StoreError::Stale)
    ));
    let m = store
        .set_member(actor(ann.id, 33), p.id, bob.id, "editor", Some(m.version))
        .await
        .expect("update");
    assert_eq!((m.role.as_str(), m.version), ("editor", 2));
    let owner = store
        .members(p.id)
        .await
        .expect("q")
        .into_iter()
        .find(|m| m.user_id == ann.id)
        .expect("ann");
    assert!(
        store
            .set_member(
                actor(ann.id, 34),
                p.id,
                ann.id,
                "viewer",
                Some(owner.version)
            )
            .await
            .is_err(),
        "the last owner cannot step down"
    );
    assert!(matches!(
        store.rename_program(a, p.id, p.version + 5, "New").await,
        Err(StoreError::Stale)
    ));
    let p2 = store
        .rename_program(a, p.id, p.version, "New")
        .await
        .expect("rename");
    assert_eq!(p2.version, p.version + 1);

    // Revisions: numbered, never overwritten, content-addressed files.
    let files = |text: &'static str| -> Vec<(&'static str, String, &'static [u8])> {
        vec![
            ("program.toml", format!("h-{}", text.len()), text.as_bytes()),
            ("teams/a.toml", "h-shared".to_string(), b"shared"),
        ]
    };
    let r1 = store
        .add_revision(
            actor(ann.id, 40),
            p.id,
            &NewRevision {
                root: "program.toml",
                bundle_hash: "b1",
                index_json: "{}",
                summary_json: "{}",
                message: Some("first"),
                files: files("one"),
            },
        )
        .await
        .expect("rev 1");
    let r2 = store
        .add_revision(
            actor(ann.id, 41),
            p.id,
            &NewRevision {
                root: "program.toml",
                bundle_hash: "b2",
                index_json: "{}",
                summary_json: "{}",
                message: None,
                files: files("two!"),
            },
        )
        .await
        .expect("rev 2");
    assert_eq!((r1.number, r2.number), (1, 2));
    assert_eq!(r2.author, "ann");
    let list = store.revisions(p.id).await.expect("q");
    assert_eq!(
        list.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(store.revision(p.id, 1).await.expect("q").bundle_hash, "b1");
    let f1 = store.revision_files(r1.id).await.expect("q");
    assert_eq!(f1.len(), 2);
    assert_eq!(store.blob("h-3").await.expect("blob"), b"one");
    assert_eq!(store.blob("h-shared").await.expect("blob"), b"shared");
    let p = store.program_by_id(p.id).await.expect("q");
    assert_eq!(p.head_revision, Some(2));

    // Records: versions, conflicts, history.
    let seq = p.state_seq;
    let body = json!({"task": "a", "date": "2027-01-10", "done": 0.5});
    let r = store
        .create_record(
            actor(bob.id, 50),
            p.id,
            seq,
            "progress",
            "progress",
            "a@2027-01-10",
            &body,
        )
        .await
        .expect("record");
    assert_eq!((r.version, r.created_by.as_str()), (1, "bob"));
    assert!(
        matches!(
            store
                .create_record(
                    actor(bob.id, 51),
                    p.id,
                    seq,
                    "progress",
                    "progress",
                    "b@2027-01-10",
                    &body
                )
                .await,
            Err(StoreError::Stale)
        ),
        "a write validated against an older program state is refused"
    );
    assert!(matches!(
        store
            .create_record(
                actor(bob.id, 51),
                p.id,
                seq + 1,
                "progress",
                "progress",
                "a@2027-01-10",
                &body
            )
            .await,
        Err(StoreError::Exists(_))
    ));
    let body2 = json!({"task": "a", "date": "2027-01-10", "done": 0.7});
    let r = store
        .update_record(
            actor(ann.id, 52),
            p.id,
            seq + 1,
            "progress",
            r.id,
            1,
            "progress",
            "a@2027-01-10",
            &body2,
        )
        .await
        .expect("update");
    assert_eq!((r.version, r.updated_by.as_str()), (2, "ann"));
    assert!(matches!(
        store
            .update_record(
                actor(ann.id, 53),
                p.id,
                seq + 2,
                "progress",
                r.id,
                1,
                "progress",
                "a@2027-01-10",
                &body
            )
            .await,
        Err(StoreError::Stale)
    ));
    assert!(matches!(
        store
            .update_record(
                actor(ann.id, 53),
                p.id,
                seq + 2,
                "raid",
                r.id,
                2,
                "risk",
                "x",
                &body
            )
            .await,
        Err(StoreError::NotFound)
    ));
    let history = store.record_history(r.id).await.expect("q");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].body["done"], json!(0.5));
    assert_eq!(history[1].body["done"], json!(0.7));
    assert_eq!(
        store
            .records(p.id, Some("progress"))
            .await
            .expect("q")
            .len(),
        1
    );
    assert!(
        store
            .records(p.id, Some("raid"))
            .await
            .expect("q")
            .is_empty()
    );
    assert_eq!(
        store
            .records_page(p.id, "progress", r.id, 10)
            .await
            .expect("q")
            .len(),
        0
    );

    // Concurrent writers with the same version: exactly one wins.
    let p = store.program_by_id(p.id).await.expect("q");
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        let (pid, seq, rid, bob) = (p.id, p.state_seq, r.id, bob.id);
        tasks.push(tokio::spawn(async move {
            let b = json!({"task": "a", "date": "2027-01-10", "done": 0.1 * f64::from(i)});
            s.update_record(
                actor(bob, 60 + i64::from(i)),
                pid,
                seq,
                "progress",
                rid,
                2,
                "progress",
                "a@2027-01-10",
                &b,
            )
            .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => wins += 1,
            Err(StoreError::Stale) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(store.record_history(r.id).await.expect("q").len(), 3);

    // Baselines.
    let p = store.program_by_id(p.id).await.expect("q");
    store
        .add_baseline(
            a,
            p.id,
            p.state_seq,
            "por",
            2,
            "2027-01-08",
            "[baseline.por]\n",
        )
        .await
        .expect("baseline");
    assert!(matches!(
        store
            .add_baseline(a, p.id, p.state_seq + 1, "por", 2, "2027-01-08", "x")
            .await,
        Err(StoreError::Exists(_))
    ));
    assert_eq!(store.baselines(p.id).await.expect("q")[0].name, "por");

    // Cache and marks.
    assert!(store.cached("k").await.expect("q").is_none());
    store.cache("k", "200\n{}", 70).await.expect("cache");
    store
        .cache("k", "other", 71)
        .await
        .expect("cache twice is fine");
    assert_eq!(
        store.cached("k").await.expect("q").as_deref(),
        Some("200\n{}")
    );
    assert_eq!(store.prune_cache(71).await.expect("prune"), 1);
    // A slot keeps the analysis of the newest record state only, whatever order the
    // analyses are stored in.
    store
        .cache_in_slot("s2", "200\n{\"state\":2}", 80, "slot", 2)
        .await
        .expect("cache");
    store
        .cache_in_slot("s3", "200\n{\"state\":3}", 81, "slot", 3)
        .await
        .expect("cache");
    assert!(store.cached("s2").await.expect("q").is_none());
    assert!(store.cached("s3").await.expect("q").is_some());
    // An older analysis finished late neither replaces the newer one nor is kept.
    store
        .cache_in_slot("s1", "200\n{\"state\":1}", 82, "slot", 1)
        .await
        .expect("cache");
    assert!(store.cached("s1").await.expect("q").is_none());
    assert!(store.cached("s3").await.expect("q").is_some());
    // The same analysis stored twice (two processes) is one entry.
    store
        .cache_in_slot("s3", "200\n{\"state\":3}", 83, "slot", 3)
        .await
        .expect("cache twice is fine");
    store
        .cache_in_slot("t1", "200\n{}", 84, "other slot", 1)
        .await
        .expect("cache");
    assert!(store.cached("s3").await.expect("q").is_some());
    assert!(store.cached("t1").await.expect("q").is_some());
    assert!(
        store
            .swap_mark(p.id, "colour", None, "green")
            .await
            .expect("mark")
    );
    assert!(
        !store
            .swap_mark(p.id, "colour", None, "red")
            .await
            .expect("mark")
    );
    let (v, ver) = store.mark(p.id, "colour").await.expect("q").expect("set");
    assert_eq!(v, "green");
    assert!(
        store
            .swap_mark(p.id, "colour", Some(ver), "red")
            .await
            .expect("mark")
    );
    assert!(
        !store
            .swap_mark(p.id, "colour", Some(ver), "amber")
            .await
            .expect("mark")
    );

    // Webhooks and deliveries: leases, retries, the log.
    let events = vec!["risk.raised".to_string()];
    let w = store
        .create_webhook(
            a,
            p.id,
            &WebhookSpec {
                url: "http://127.0.0.1:9/x",
                secret: "s",
                events: &events,
                threshold: None,
                active: true,
            },
        )
        .await
        .expect("webhook");
    assert_eq!(
        store
            .enqueue_event(p.id, "risk.raised", &json!({"x": 1}), None, 100)
            .await
            .expect("enqueue"),
        1
    );
    assert_eq!(
        store
            .enqueue_event(p.id, "colour.changed", &json!({}), None, 100)
            .await
            .expect("enqueue"),
        0,
        "not subscribed"
    );
    let claimed = store.claim_deliveries(100, 1000, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .claim_deliveries(500, 1000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );
    let d = &claimed[0].0;
    store
        .finish_delivery(d.id, 600, false, Some(500), Some("boom"), 3, Some(700))
        .await
        .expect("retry");
    assert!(
        store
            .claim_deliveries(650, 1000, 10)
            .await
            .expect("claim")
            .is_empty(),
        "not due yet"
    );
    let again = store.claim_deliveries(700, 1000, 10).await.expect("claim");
    assert_eq!(again.len(), 1);
    store
        .finish_delivery(d.id, 710, true, Some(200), None, 2, None)
        .await
        .expect("done");
    let log = store.deliveries(w.id, 10).await.expect("q");
    assert_eq!((log[0].status.as_str(), log[0].attempts), ("delivered", 2));
    assert!(matches!(
        store
            .update_webhook(
                a,
                p.id,
                w.id,
                w.version + 1,
                &WebhookSpec {
                    url: "http://x",
                    secret: "s",
                    events: &events,
                    threshold: None,
                    active: false
                }
            )
            .await,
        Err(StoreError::Stale)
    ));
    store
        .delete_webhook(a, p.id, w.id, w.version)
        .await
        .expect("delete");
    assert!(store.webhooks(p.id).await.expect("q").is_empty());

    // The audit trail saw the writes, with who did them.
    let audit = store.audit_log(Some(p.id), None, 100).await.expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for want in [
        "program.create",
        "member.set",
        "revision.push",
        "progress.create",
        "progress.update",
        "baseline.save",
        "webhook.create",
        "webhook.delete",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    assert!(audit.iter().any(|e| e.user.as_deref() == Some("bob")));
    assert!(
        store
            .audit_log(None, None, 1000)
            .await
            .expect("q")
            .iter()
            .any(|e| e.action == "setup")
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_conformance() {
    conformance(&temp_sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_conformance() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("postgres_conformance: skipped (DATABASE_URL is not set; scripts/test sets it)");
        return;
    };
    let url = fresh_postgres(&url).await;
    conformance(&url).await;
}

#[tokio::test]
async fn unknown_database_urls_are_refused() {
    assert!(matches!(
        Store::connect("mysql://x", &Options::default()).await,
        Err(StoreError::BadUrl(_))
    ));
}
