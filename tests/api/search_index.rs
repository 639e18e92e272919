//! The search index and its caches follow every write; searches share the
//! read pool within their cap; ranking in parts equals ranking at once.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::search::{search, seeded, titles};
use crate::support::{id_of, Resp, TestApp};

async fn act(app: &TestApp, token: &str, method: Method, path: String, body: Option<Value>) {
    let mut req = app.req(method, path).bearer(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res: Resp = req.send().await;
    assert!(res.status.code < 300, "{}: {}", res.what, res.text);
}

/// The seeded posts plus a published "Zebra crossing" by `zoe`, already
/// found by a (now cached) prefix search; its path and zoe's token.
async fn zebra(app: &TestApp) -> (String, String) {
    let t = app.user_token("zoe").await;
    assert!(titles(app, "zebr*").await.is_empty());
    let post = app
        .post_as(
            &t,
            json!({"title": "Zebra crossing", "content": "stripes", "published": true}),
        )
        .await;
    (format!("/api/posts/{}", id_of(&post)), t)
}

/// Prefix searches are expanded into the indexed tokens they match, and
/// the expansion is cached: every write must show at once.
#[rocket::async_test]
async fn a_new_post_is_found_by_prefix_at_once() {
    let app = seeded().await;
    zebra(&app).await;
    assert_eq!(titles(&app, "zebr*").await, ["Zebra crossing"]);
    assert_eq!(titles(&app, "Zebras*").await, ["Zebra crossing"]);
    assert!(titles(&app, "okap*").await.is_empty());
}

#[rocket::async_test]
async fn an_edit_moves_prefix_hits_at_once() {
    let app = seeded().await;
    let (path, t) = zebra(&app).await;
    assert_eq!(titles(&app, "zebr*").await, ["Zebra crossing"]);
    assert!(titles(&app, "okap*").await.is_empty());
    let edit = json!({"title": "Okapi crossing"});
    act(&app, &t, Method::Patch, path, Some(edit)).await;
    // Words the old and new titles share stay searchable (0006's fix).
    assert_eq!(titles(&app, "crossing").await, ["Okapi crossing"]);
    assert!(titles(&app, "zebr*").await.is_empty());
    assert_eq!(titles(&app, "okap*").await, ["Okapi crossing"]);
    assert!(titles(&app, "crossing -okap*").await.is_empty());
}

#[rocket::async_test]
async fn unpublish_publish_and_delete_move_prefix_hits_at_once() {
    let app = seeded().await;
    let (path, t) = zebra(&app).await;
    assert_eq!(titles(&app, "zebr*").await, ["Zebra crossing"]);
    let unpublish = format!("{path}/unpublish");
    act(&app, &t, Method::Post, unpublish, None).await;
    assert!(titles(&app, "zebr*").await.is_empty());
    act(&app, &t, Method::Post, format!("{path}/publish"), None).await;
    assert_eq!(titles(&app, "zebr*").await, ["Zebra crossing"]);
    act(&app, &t, Method::Delete, path, None).await;
    assert!(titles(&app, "zebr*").await.is_empty());
}

#[rocket::async_test]
async fn a_prefix_matching_more_tokens_than_are_expanded_finds_them_all() {
    let app = seeded().await;
    let t = app.user_token("zoe").await;
    let words: Vec<String> = (0..40).map(|i| format!("quux{i:02}x")).collect();
    app.post_as(
        &t,
        json!({"title": "Many", "content": words.join(" "), "published": true}),
    )
    .await;
    assert_eq!(titles(&app, "quux*").await, ["Many"]);
    assert_eq!(titles(&app, "quux3*").await, ["Many"]);
    assert!(titles(&app, "many -quux*").await.is_empty());
}

/// Editing a published post keeps the words its old and new text share in
/// the index (the update triggers once ran in the wrong order: 0006).
#[rocket::async_test]
async fn edits_keep_shared_words_searchable() {
    let app = TestApp::new().await;
    let t = app.user_token("eve").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Zebra crossing", "content": "black stripes", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let edit = json!({"title": "Okapi crossing", "content": "brown stripes"});
    act(&app, &t, Method::Patch, path, Some(edit)).await;
    for q in ["crossing", "stripes", "okapi", "brown"] {
        assert_eq!(titles(&app, q).await, ["Okapi crossing"], "{q}");
    }
    for q in ["zebra", "black"] {
        assert!(titles(&app, q).await.is_empty(), "{q}");
    }
    // Index changes are queued per write and applied before each commit:
    // nothing is left queued and the index agrees with the posts.
    let conn = rusqlite::Connection::open(app.ctx().db.path()).unwrap();
    let queued: i64 = conn
        .query_row("SELECT count(*) FROM posts_fts_pending", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 0);
    conn.execute(
        "INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap();
}

/// Searches together hold at most `database.search_reads` read
/// connections: while the test holds them all, a search waits and other
/// reads go on; once they are free, the search answers.
#[rocket::async_test]
async fn searches_wait_for_the_search_cap_while_other_reads_go_on() {
    use rocket::futures::FutureExt;
    let app = TestApp::with(|c| {
        c.database.read_pool_size = 2;
        c.database.search_reads = 1;
        c.cache.enabled = false;
    })
    .await;
    let t = app.user_token("cap").await;
    app.post_as(
        &t,
        json!({"title": "Capped", "content": "held back", "published": true}),
    )
    .await;
    let limits = &app.ctx().search_limits;
    assert_eq!(limits.available(), 1);
    let held = limits.hold_all().await.unwrap();
    let waiting = search(&app, "held", "");
    let mut waiting = std::pin::pin!(waiting);
    assert!(waiting.as_mut().now_or_never().is_none());
    for _ in 0..10 {
        let list = app.req(Method::Get, "/api/posts?limit=5").send().await;
        list.expect(Status::Ok);
        assert!(
            waiting.as_mut().now_or_never().is_none(),
            "search ran past the cap"
        );
    }
    drop(held);
    let res = waiting.await.expect(Status::Ok);
    assert_eq!(res.body["results"][0]["post"]["title"], "Capped");
}

/// A search with 2,000 or more matches to rank is ranked in parts on
/// several read connections at once (`database.search_parallelism`), and
/// the parts' best are merged: every page equals ranking in one statement.
#[rocket::async_test]
async fn searches_ranked_in_parts_answer_as_ranked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::test_config(dir.path());
    // `folio seed` runs its own runtime, so not on this one's thread.
    let seed_config = config.clone();
    std::thread::spawn(move || folio::cli::seed(&seed_config, 3, 2_500, 100))
        .join()
        .unwrap()
        .unwrap();
    // Each common query carries an exclusion that matches nothing: common
    // words alone are answered from decoded lists, in one read, instead
    // (tests/api/search_common.rs).
    let queries = [
        "/api/search?q=folio%20-zzqx",
        "/api/search?q=folio%20-zzqx&limit=7&page=50",
        "/api/search?q=folio%20-zzqx&limit=100&page=25",
        "/api/search?q=rust%20folio%20-zzqx&limit=50&page=3",
        "/api/search?q=centum%20OR%20cache&limit=20&page=9",
        "/api/search?q=ru*%20-zzqx&limit=20&page=2",
        "/api/search?q=centum",
    ];
    let mut answers = Vec::new();
    for parts in [1, 3] {
        let data_dir = config.data_dir.clone();
        let app = TestApp::with(|c| {
            c.data_dir = data_dir;
            c.database.search_parallelism = parts;
        })
        .await;
        let mut bodies = Vec::new();
        for q in queries {
            let body = app.req(Method::Get, q).send().await.expect(Status::Ok).body;
            // One read; or, in parts, one to plan, one per part, and the page
            // in up to as many reads (none of fewer than four hits).
            let split = parts > 1 && body["pagination"]["total"].as_u64().unwrap() >= 2_000;
            let hits = body["results"].as_array().unwrap().len();
            let expected = if split {
                let parts = u64::from(parts);
                1 + parts + parts.min((hits as u64).div_ceil(4))
            } else {
                1
            };
            // Background work (the webhook dispatcher, the event pump) reads
            // too and can only add: the fewest reads over a few tries is the
            // search's own.
            let mut reads = u64::MAX;
            for _ in 0..20 {
                let before = app.ctx().db.reads();
                let again = app.req(Method::Get, q).send().await.expect(Status::Ok);
                assert_eq!(again.body, body, "{q}");
                reads = reads.min(app.ctx().db.reads() - before);
                if reads <= expected {
                    break;
                }
            }
            assert_eq!(reads, expected, "{q} in {parts} parts");
            bodies.push(body);
        }
        assert_eq!(bodies[0]["pagination"]["total"], 2_500);
        assert_eq!(bodies[2]["results"].as_array().unwrap().len(), 100);
        answers.push(bodies);
    }
    assert_eq!(answers[0], answers[1]);
}

/// The document frequencies a search ranks with are cached, and forgotten
/// on every change to posts: after a write, ranks equal a fresh server's.
#[rocket::async_test]
async fn ranks_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let q = "rust lifetimes";
    let after_write = {
        let app = TestApp::with(|c| c.data_dir = data_dir.clone()).await;
        let t = app.user_token("sam").await;
        for content in ["rust and lifetimes", "rust again", "more rust"] {
            app.post_as(
                &t,
                json!({"title": "Notes", "content": content, "published": true}),
            )
            .await;
        }
        let before = search(&app, q, "").await.expect(Status::Ok).body;
        app.post_as(
            &t,
            json!({"title": "Other", "content": "lifetimes only", "published": true}),
        )
        .await;
        let after = search(&app, q, "").await.expect(Status::Ok).body;
        assert_ne!(before["results"][0]["rank"], after["results"][0]["rank"]);
        after
    };
    let fresh = TestApp::with(|c| c.data_dir = data_dir.clone()).await;
    let body = search(&fresh, q, "").await.expect(Status::Ok).body;
    assert_eq!(body["results"], after_write["results"]);
}
