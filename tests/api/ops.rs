//! Backups under load, restore rules, scheduled backups.

use std::process::Command;

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{Resp, Server, TestApp, PASSWORD};

#[rocket::async_test]
async fn backup_under_concurrent_writes_is_consistent() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for i in 0..20 {
        app.post_as(
            &admin,
            json!({"title": format!("Before {i}"), "content": "x"}),
        )
        .await;
    }
    // Keep writing while the backup runs.
    let writer = async {
        for i in 0..40 {
            app.post_as(
                &admin,
                json!({"title": format!("During {i}"), "content": "y"}),
            )
            .await;
        }
    };
    let backup = async {
        app.req(Method::Post, "/api/admin/backup")
            .bearer(&admin)
            .send()
            .await
    };
    let (backup, ()) = tokio::join!(backup, writer);
    let info = backup.expect(Status::Created).body;
    let path = info["path"].as_str().unwrap().to_string();
    assert!(info["size_bytes"].as_u64().unwrap() > 0);
    assert!(info["name"].as_str().unwrap().starts_with("folio-"));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let before: i64 = conn
        .query_row(
            "SELECT count(*) FROM posts WHERE title LIKE 'Before %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        before, 20,
        "every row written before the backup began is in it"
    );

    let list = app
        .req(Method::Get, "/api/admin/backups")
        .bearer(&admin)
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(list["backups"][0]["name"], info["name"]);
    let res = app
        .req(
            Method::Get,
            format!("/api/admin/backups/{}", info["name"].as_str().unwrap()),
        )
        .bearer(&admin)
        .send()
        .await
        .expect(Status::Ok);
    let bytes = res.bytes;
    assert_eq!(bytes.len() as u64, info["size_bytes"].as_u64().unwrap());
    assert!(bytes.starts_with(b"SQLite format 3"));
    app.req(Method::Get, "/api/admin/backups/..%2Fjwt_secret")
        .bearer(&admin)
        .send()
        .await
        .expect(Status::NotFound);
    let user = app.user_token("yuri").await;
    app.req(Method::Post, "/api/admin/backup")
        .bearer(&user)
        .send()
        .await
        .expect_error(Status::Forbidden, "forbidden");
}

fn folio(data: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env("FOLIO_DATA_DIR", data)
        .current_dir(data.parent().unwrap())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn restore_refuses_foreign_files_and_running_servers_then_swaps() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with(&data, |cmd| {
        cmd.env("FOLIO_ADMIN_EMAIL", "root@example.com")
            .env("FOLIO_ADMIN_USERNAME", "root")
            .env("FOLIO_ADMIN_PASSWORD", PASSWORD);
    });
    let backup_file = dir.path().join("snap.db");
    let (ok, out) = folio(&data, &["backup", backup_file.to_str().unwrap()]);
    assert!(ok, "{out}");
    let (ok, out) = folio(&data, &["restore", backup_file.to_str().unwrap()]);
    assert!(!ok && out.contains("running"), "{out}");
    drop(server);

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database at all").unwrap();
    let (ok, out) = folio(&data, &["restore", junk.to_str().unwrap()]);
    assert!(!ok && out.contains("junk.db"), "{out}");
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let (ok, out) = folio(&data, &["restore", other.to_str().unwrap()]);
    assert!(!ok && out.contains("not a Folio database"), "{out}");

    // Change the live database, then restore the snapshot: the change is gone
    // and the previous file is kept aside.
    let conn = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    conn.execute("DELETE FROM users", []).unwrap();
    drop(conn);
    let (ok, out) = folio(&data, &["restore", backup_file.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(std::fs::read_dir(&data).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("before-restore")));
    let conn = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    let users: i64 = conn
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 1);
    drop(conn);
    let _server = Server::start(&data);
}

#[rocket::async_test]
async fn metrics_names_and_labels_after_a_few_requests() {
    let app = TestApp::with(|c| c.rate_limit.default_requests = 3).await;
    app.req(Method::Get, "/health")
        .send()
        .await
        .expect(Status::Ok);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.req(Method::Get, "/api/posts").send().await.status.code);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let res = app
        .req(Method::Get, "/metrics")
        .send()
        .await
        .expect(Status::Ok);
    assert!(res
        .content_type
        .unwrap()
        .to_string()
        .starts_with("text/plain"));
    let text = res.text;
    for needle in [
        "folio_build_info{version=",
        "folio_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1",
        "folio_http_requests_total{method=\"GET\",route=\"/api/posts?<page>&<limit>&<cursor>&<author_id>&<published>&<sort>\",status=\"200\"} 3",
        "folio_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1",
        "folio_rate_limited_total{policy=\"default\"} 1",
        "folio_cache_hits_total{cache=\"feed\"}",
        "folio_cache_entries{cache=\"posts\"}",
        "folio_db_read_connections{state=\"in_use\"}",
        "\n# TYPE folio_db_reads_queued gauge\nfolio_db_reads_queued ",
        "folio_db_write_transactions_total",
        "folio_events_pending 0",
        "folio_webhook_deliveries{outcome=\"failed\"} 0",
        "folio_sse_subscribers 0",
        "process_resident_memory_bytes",
        "process_open_fds",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    assert!(
        !text.contains("/api/posts/0190"),
        "routes are templates, never raw paths"
    );
    // With `synchronous = full` (the default) the writer checkpoints.
    assert!(!text.contains("folio_db_checkpoint"), "{text}");
}

/// With `synchronous = normal` the checkpoint thread's counters are there.
#[rocket::async_test]
async fn metrics_count_the_checkpoint_thread_with_normal() {
    let app = TestApp::with(|c| c.database.synchronous = folio::config::Synchronous::Normal).await;
    let text = app.req(Method::Get, "/metrics").send().await.text;
    for name in [
        "folio_db_checkpoints_total",
        "folio_db_checkpoint_frames_total",
        "folio_db_checkpoint_seconds_total",
        "folio_db_checkpoint_finishes_total",
        "folio_db_checkpoint_finish_waits_total",
        "folio_db_checkpoint_failures_total",
    ] {
        assert!(
            text.contains(&format!("\n# TYPE {name} counter\n{name} ")),
            "missing {name} in:\n{text}"
        );
    }
}

#[rocket::async_test]
async fn metrics_token_is_required_when_set() {
    let app =
        TestApp::with(|c| c.metrics.token = folio::config::Secret::new("scrape-secret")).await;
    let metrics = || app.req(Method::Get, "/metrics");
    metrics().send().await.expect(Status::Unauthorized);
    let wrong = metrics().bearer("wrong").send().await;
    wrong.expect(Status::Unauthorized);
    let right = metrics().bearer("scrape-secret").send().await;
    right.expect(Status::Ok);
}

#[test]
fn export_then_import_into_a_fresh_database_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out) = folio(&data, &["seed", "--users", "3", "--posts", "25"]);
    assert!(ok, "{out}");
    let export = dir.path().join("exp");
    let (ok, out) = folio(&data, &["export", "--out", export.to_str().unwrap()]);
    assert!(ok && out.contains("exported 3 users and 25 posts"), "{out}");
    let users = std::fs::read_to_string(export.join("users.jsonl")).unwrap();
    assert_eq!(users.lines().count(), 3);
    assert!(
        !users.contains("argon2"),
        "no hashes without --with-secrets"
    );
    let (ok, _) = folio(
        &data,
        &[
            "export",
            "--out",
            dir.path().join("exp2").to_str().unwrap(),
            "--with-secrets",
        ],
    );
    assert!(ok);
    assert!(std::fs::read_to_string(dir.path().join("exp2/users.jsonl"))
        .unwrap()
        .contains("argon2id"));

    let fresh = dir.path().join("fresh");
    let (ok, out) = folio(
        &fresh,
        &["import", dir.path().join("exp2").to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let (ok, out) = folio(
        &fresh,
        &["import", dir.path().join("exp2").to_str().unwrap()],
    );
    assert!(!ok && out.contains("not empty"), "{out}");
    let a = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    let b = rusqlite::Connection::open(fresh.join("folio.db")).unwrap();
    for q in ["SELECT group_concat(id || username || email || password_hash, ',') FROM (SELECT * FROM users ORDER BY id)", "SELECT group_concat(id || slug || title || content || published || coalesce(published_at, ''), ',') FROM (SELECT * FROM posts ORDER BY id)"] {
        let x: String = a.query_row(q, [], |r| r.get(0)).unwrap();
        let y: String = b.query_row(q, [], |r| r.get(0)).unwrap();
        assert_eq!(x, y, "{q}");
    }
    let fts: i64 = b
        .query_row(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'rust OR sqlite OR cache'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(fts > 0, "imported posts are searchable");
}

/// One write job of 20,000 posts (a `folio seed` batch) commits, their
/// search index changes included. SQLite keeps a job's undo journal in
/// memory up to `db::STATEMENT_JOURNAL_SPILL`; at 192 KiB and above the
/// index insert of such a batch failed with "database or disk is full".
#[test]
fn seeding_a_large_batch_commits_with_its_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out) = folio(&data, &["seed", "--users", "3", "--posts", "20000"]);
    assert!(ok, "{out}");
    let conn = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    let (posts, indexed, published): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM posts),
                    (SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'folio'),
                    (SELECT count(*) FROM posts WHERE published = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(posts, 20_000);
    assert_eq!(indexed, published);
    assert!(published > 0);
}

#[rocket::async_test]
async fn every_201_names_the_new_resource_in_location() {
    let app = TestApp::new().await;
    let location = |res: Resp| {
        res.expect(Status::Created)
            .must_header("Location")
            .to_string()
    };
    let setup = app.ctx().setup.issue();
    let body = json!({"token": setup, "email": "boss@example.com", "username": "boss", "password": PASSWORD});
    let res = app
        .req(Method::Post, "/api/admin/setup")
        .json(&body)
        .send()
        .await;
    let admin = crate::support::token_of(&res.body);
    let boss_at = location(res);
    let res = app
        .req(Method::Post, "/api/auth/register")
        .json(&json!({"email": "newbie@example.com", "username": "newbie", "password": PASSWORD}))
        .send()
        .await;
    let newbie_at = location(res);
    let res = app
        .req(Method::Post, "/api/admin/webhooks")
        .bearer(&admin)
        .json(&json!({"url": "http://127.0.0.1:9/hook", "events": ["post.created"]}))
        .send()
        .await;
    let hook_at = location(res);
    let res = app
        .req(Method::Post, "/api/admin/backup")
        .bearer(&admin)
        .send()
        .await;
    let backup_at = location(res);
    let res = app
        .req(Method::Post, "/api/posts")
        .bearer(&admin)
        .json(&json!({"title": "t", "content": "c"}))
        .send()
        .await;
    let post_at = location(res);
    for (path, prefix) in [
        (&boss_at, "/api/users/"),
        (&newbie_at, "/api/users/"),
        (&hook_at, "/api/admin/webhooks/"),
        (&backup_at, "/api/admin/backups/"),
        (&post_at, "/api/posts/"),
    ] {
        assert!(path.starts_with(prefix), "{path}");
        let res = app.req(Method::Get, path).bearer(&admin).send().await;
        res.expect(Status::Ok);
    }
}
