//! A read after a write never sees old data, on every write path; other
//! processes' writes flush the caches; a disabled cache stores nothing.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, token_of, write, Resp, TestApp};

async fn get(app: &TestApp, path: &str) -> Resp {
    app.req(Method::Get, path).send().await
}

/// The fewest database reads a GET of `path` took over a few tries: 0 once
/// it is served from a cache. Background tasks read too, and only add.
async fn reads_for(app: &TestApp, path: &str) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = app.ctx().db.reads();
        get(app, path).await.expect(Status::Ok);
        fewest = fewest.min(app.ctx().db.reads() - before);
        if fewest == 0 {
            break;
        }
    }
    fewest
}

/// A published post by a new user, its path, and the author's token.
async fn cached_post(app: &TestApp, title: &str) -> (String, String) {
    let t = app.user_token("ruth").await;
    let post = app
        .post_as(
            &t,
            json!({"title": title, "content": "v1", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    for warm in [path.as_str(), "/api/posts"] {
        assert_eq!(reads_for(app, warm).await, 0, "{warm} is served cached");
    }
    (path, t)
}

fn feed_len(res: &Resp) -> usize {
    res.body["posts"].as_array().map_or(0, Vec::len)
}

#[rocket::async_test]
async fn an_edit_is_seen_at_once_by_id_slug_and_feed() {
    let app = TestApp::new().await;
    let (path, t) = cached_post(&app, "Cached").await;
    assert_eq!(reads_for(&app, "/api/posts/cached").await, 0);
    let edit = json!({"content": "v2", "slug": "moved"});
    write(&app, Method::Patch, &path, &t, Some(edit)).await;
    let res = get(&app, &path).await.expect(Status::Ok);
    assert_eq!(res.body["post"]["content"], "v2");
    get(&app, "/api/posts/cached")
        .await
        .expect(Status::NotFound);
    let res = get(&app, "/api/posts/moved").await.expect(Status::Ok);
    assert_eq!(res.body["post"]["content"], "v2");
    let res = get(&app, "/api/posts").await;
    assert_eq!(res.body["posts"][0]["content"], "v2");
}

#[rocket::async_test]
async fn unpublish_and_publish_are_seen_at_once() {
    let app = TestApp::new().await;
    let (path, t) = cached_post(&app, "Cached").await;
    write(&app, Method::Post, &format!("{path}/unpublish"), &t, None).await;
    get(&app, &path).await.expect(Status::NotFound);
    assert_eq!(feed_len(&get(&app, "/api/posts").await), 0);
    write(&app, Method::Post, &format!("{path}/publish"), &t, None).await;
    get(&app, &path).await.expect(Status::Ok);
    assert_eq!(feed_len(&get(&app, "/api/posts").await), 1);
}

#[rocket::async_test]
async fn a_delete_is_seen_at_once() {
    let app = TestApp::new().await;
    let (path, t) = cached_post(&app, "Cached").await;
    assert_eq!(reads_for(&app, "/api/posts/cached").await, 0);
    write(&app, Method::Delete, &path, &t, None).await;
    get(&app, &path).await.expect(Status::NotFound);
    get(&app, "/api/posts/cached")
        .await
        .expect(Status::NotFound);
    assert_eq!(feed_len(&get(&app, "/api/posts").await), 0);
}

#[rocket::async_test]
async fn an_authors_rename_reaches_cached_posts_and_their_etags() {
    let app = TestApp::new().await;
    let s = app.register("olga").await;
    let (t, uid) = (token_of(&s), id_of(&s["user"]));
    let post = app
        .post_as(
            &t,
            json!({"title": "Mine", "content": "x", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let etag = get(&app, &path).await.must_header("ETag").to_string();
    assert_eq!(reads_for(&app, &path).await, 0);
    assert_eq!(reads_for(&app, "/api/posts").await, 0);
    let rename = json!({"username": "olga2"});
    write(
        &app,
        Method::Patch,
        &format!("/api/users/{uid}"),
        &t,
        Some(rename),
    )
    .await;
    let res = get(&app, &path).await.expect(Status::Ok);
    assert_ne!(res.must_header("ETag"), etag, "the ETag follows the name");
    assert_eq!(res.body["post"]["author"]["username"], "olga2");
    let res = get(&app, "/api/posts").await;
    assert_eq!(res.body["posts"][0]["author"]["username"], "olga2");
    let res = app
        .req(Method::Get, format!("/api/users/{uid}"))
        .bearer(&t)
        .send()
        .await
        .expect(Status::Ok);
    assert_eq!(res.body["user"]["username"], "olga2");
}

#[rocket::async_test]
async fn an_authors_deletion_reaches_cached_posts() {
    let app = TestApp::new().await;
    let s = app.register("olga").await;
    let (t, uid) = (token_of(&s), id_of(&s["user"]));
    let post = app
        .post_as(
            &t,
            json!({"title": "Mine", "content": "x", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    assert_eq!(reads_for(&app, &path).await, 0);
    assert_eq!(reads_for(&app, "/api/posts").await, 0);
    write(&app, Method::Delete, &format!("/api/users/{uid}"), &t, None).await;
    get(&app, &path).await.expect(Status::NotFound);
    assert_eq!(feed_len(&get(&app, "/api/posts").await), 0);
}

/// Polls `path` until `done` accepts the body (about three seconds).
async fn eventually(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut body = Value::Null;
    for _ in 0..30 {
        body = get(app, path).await.expect(Status::Ok).body;
        if done(&body) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    body
}

#[rocket::async_test]
async fn writes_by_another_process_flush_the_caches() {
    let app = TestApp::new().await;
    let t = app.user_token("paul").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Outside", "content": "before", "published": true}),
        )
        .await;
    let id = id_of(&post);
    let path = format!("/api/posts/{id}");
    assert_eq!(reads_for(&app, &path).await, 0, "served cached");
    // Another connection (as the CLI would) changes the row behind the server.
    let conn = rusqlite::Connection::open(app.ctx().db.path()).unwrap();
    conn.execute("UPDATE posts SET content = 'after' WHERE id = ?1", [&id])
        .unwrap();
    drop(conn);
    let body = eventually(&app, &path, |b| b["post"]["content"] == "after").await;
    assert_eq!(
        body["post"]["content"], "after",
        "noticed within a second or so"
    );
    // Its search index change (queued by the trigger) is applied too.
    let body = eventually(&app, "/api/search?q=after", |b| {
        b["pagination"]["total"] == 1
    })
    .await;
    assert_eq!(body["pagination"]["total"], 1, "{body}");
}

/// With `cache.enabled = false` every read goes to the database, so even a
/// change made behind the server's back is seen by the very next read.
#[rocket::async_test]
async fn a_disabled_cache_reads_the_database_every_time() {
    let app = TestApp::with(|c| c.cache.enabled = false).await;
    let t = app.user_token("quin").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Nocache", "content": "before", "published": true}),
        )
        .await;
    let id = id_of(&post);
    let path = format!("/api/posts/{id}");
    for path in [path.as_str(), "/api/posts/nocache", "/api/posts"] {
        assert!(reads_for(&app, path).await >= 1, "{path} was cached");
    }
    let conn = rusqlite::Connection::open(app.ctx().db.path()).unwrap();
    conn.execute("UPDATE posts SET content = 'after' WHERE id = ?1", [&id])
        .unwrap();
    drop(conn);
    let res = get(&app, &path).await.expect(Status::Ok);
    assert_eq!(res.body["post"]["content"], "after");
}
