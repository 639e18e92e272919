//! A read after a write never sees old data, on every write path; other
//! processes' writes flush the caches.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, json_of, token_of, TestApp};

async fn read_post(app: &TestApp, key: &str) -> (Status, Value) {
    app.get_as(&format!("/api/posts/{key}"), None).await
}

#[rocket::async_test]
async fn every_post_write_path_is_seen_at_once() {
    let app = TestApp::new().await;
    let t = app.user_token("ruth").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Cached", "content": "v1", "published": true}),
        )
        .await;
    let id = id_of(&post);
    let path = format!("/api/posts/{id}");
    // Warm the caches: by id, by slug, and the anonymous feed.
    for _ in 0..2 {
        assert_eq!(read_post(&app, &id).await.0, Status::Ok);
        assert_eq!(read_post(&app, "cached").await.0, Status::Ok);
        app.get_as("/api/posts", None).await;
    }
    assert!(
        app.ctx().caches.posts.stats().hits > 0,
        "the cache is in use"
    );

    // Edit.
    app.send(
        Method::Patch,
        &path,
        Some(&t),
        Some(&json!({"content": "v2", "slug": "moved"})),
    )
    .await;
    assert_eq!(read_post(&app, &id).await.1["post"]["content"], "v2");
    assert_eq!(
        read_post(&app, "cached").await.0,
        Status::NotFound,
        "old slug forgotten"
    );
    assert_eq!(read_post(&app, "moved").await.1["post"]["content"], "v2");
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"][0]["content"],
        "v2"
    );
    // Unpublish.
    app.send(Method::Post, &format!("{path}/unpublish"), Some(&t), None)
        .await;
    assert_eq!(read_post(&app, &id).await.0, Status::NotFound);
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Publish.
    app.send(Method::Post, &format!("{path}/publish"), Some(&t), None)
        .await;
    assert_eq!(read_post(&app, &id).await.0, Status::Ok);
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Delete.
    app.send(Method::Delete, &path, Some(&t), None).await;
    assert_eq!(read_post(&app, &id).await.0, Status::NotFound);
    assert_eq!(read_post(&app, "moved").await.0, Status::NotFound);
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[rocket::async_test]
async fn user_rename_and_deletion_reach_cached_posts() {
    let app = TestApp::new().await;
    let s = app.register("olga").await;
    let t = token_of(&s);
    let uid = id_of(&s["user"]);
    let post = app
        .post_as(
            &t,
            json!({"title": "Mine", "content": "x", "published": true}),
        )
        .await;
    let id = id_of(&post);
    let res = app.get(&format!("/api/posts/{id}")).await;
    let etag = res.headers().get_one("ETag").unwrap().to_string();
    read_post(&app, &id).await;
    app.get_as("/api/posts", None).await;
    app.send(
        Method::Patch,
        &format!("/api/users/{uid}"),
        Some(&t),
        Some(&json!({"username": "olga2"})),
    )
    .await;
    let res = app.get(&format!("/api/posts/{id}")).await;
    assert_ne!(
        res.headers().get_one("ETag").unwrap(),
        etag,
        "the ETag follows the author's name"
    );
    let (_, body) = json_of(res).await;
    assert_eq!(body["post"]["author"]["username"], "olga2");
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"][0]["author"]["username"],
        "olga2"
    );
    let (_, me) = app.get_as(&format!("/api/users/{uid}"), Some(&t)).await;
    assert_eq!(me["user"]["username"], "olga2");
    app.send(Method::Delete, &format!("/api/users/{uid}"), Some(&t), None)
        .await;
    assert_eq!(read_post(&app, &id).await.0, Status::NotFound);
    assert_eq!(
        app.get_as("/api/posts", None).await.1["posts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
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
    assert_eq!(read_post(&app, &id).await.1["post"]["content"], "before");
    assert_eq!(read_post(&app, &id).await.1["post"]["content"], "before");
    // Another connection (as the CLI would) changes the row behind the server.
    let path = app.ctx().db.path().to_path_buf();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE posts SET content = 'after' WHERE id = ?1", [&id])
        .unwrap();
    drop(conn);
    let mut seen = String::new();
    for _ in 0..30 {
        seen = read_post(&app, &id).await.1["post"]["content"]
            .as_str()
            .unwrap()
            .to_string();
        if seen == "after" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "after", "noticed within a second or so");
    // Its search index change (queued by the trigger) is applied too.
    let mut found = false;
    for _ in 0..30 {
        let (_, body) = app.get_as("/api/search?q=after", None).await;
        if body["pagination"]["total"] == 1 {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "the other process's change reached the search index");
}

#[rocket::async_test]
async fn disabled_cache_still_serves_correctly() {
    let app = TestApp::with(|c| c.cache.enabled = false).await;
    let t = app.user_token("quin").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Nocache", "content": "x", "published": true}),
        )
        .await;
    assert_eq!(read_post(&app, &id_of(&post)).await.0, Status::Ok);
    assert_eq!(read_post(&app, &id_of(&post)).await.0, Status::Ok);
    assert_eq!(app.ctx().caches.posts.stats().entries, 0);
}

/// GraphQL's anonymous `posts` (shared feed cache) and `author` (shared
/// users cache) follow every write at once, like REST.
#[rocket::async_test]
async fn graphql_reads_follow_every_write() {
    let app = TestApp::new().await;
    let s = app.register("gale").await;
    let t = token_of(&s);
    let uid = id_of(&s["user"]);
    let q = "{ posts(limit: 5) { id title author { username } } }";
    let titles = |body: &Value| -> Vec<String> {
        body["data"]["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["title"].as_str().unwrap().to_string())
            .collect()
    };
    // The same page through another query text (its own response cache
    // entry): the second text reads the page and authors from the shared
    // caches the first one filled.
    let q2 = "{ posts(limit: 5) { id  title author { username } } }";
    // Warm: the empty page, through both texts.
    for q in [q, q2] {
        assert!(titles(&app.gql(None, q, json!({})).await.1).is_empty());
    }
    let hits = app.ctx().caches.feed.stats().hits;
    assert!(hits > 0, "the feed cache is in use");
    let post = app
        .post_as(
            &t,
            json!({"title": "First", "content": "x", "published": true}),
        )
        .await;
    let id = id_of(&post);
    let path = format!("/api/posts/{id}");
    for q in [q, q2, q] {
        let (_, body) = app.gql(None, q, json!({})).await;
        assert_eq!(titles(&body), ["First"]);
        assert_eq!(body["data"]["posts"][0]["author"]["username"], "gale");
    }
    assert!(
        app.ctx().caches.users.stats().hits > 0,
        "authors from the cache"
    );
    assert!(
        app.ctx().caches.graphql.stats().hits > 0,
        "whole responses from the cache"
    );
    // Edit.
    app.send(
        Method::Patch,
        &path,
        Some(&t),
        Some(&json!({"title": "Second"})),
    )
    .await;
    assert_eq!(titles(&app.gql(None, q, json!({})).await.1), ["Second"]);
    // The author's rename.
    app.send(
        Method::Patch,
        &format!("/api/users/{uid}"),
        Some(&t),
        Some(&json!({"username": "gale2"})),
    )
    .await;
    let (_, body) = app.gql(None, q, json!({})).await;
    assert_eq!(body["data"]["posts"][0]["author"]["username"], "gale2");
    // Unpublish, publish, delete.
    app.send(Method::Post, &format!("{path}/unpublish"), Some(&t), None)
        .await;
    assert!(titles(&app.gql(None, q, json!({})).await.1).is_empty());
    app.send(Method::Post, &format!("{path}/publish"), Some(&t), None)
        .await;
    assert_eq!(titles(&app.gql(None, q, json!({})).await.1), ["Second"]);
    app.send(Method::Delete, &path, Some(&t), None).await;
    assert!(titles(&app.gql(None, q, json!({})).await.1).is_empty());
    // Drafts: only their author sees them (never a cached anonymous page).
    app.post_as(
        &t,
        json!({"title": "Draft", "content": "x", "published": false}),
    )
    .await;
    assert!(titles(&app.gql(None, q, json!({})).await.1).is_empty());
    let drafts = "{ posts(limit: 5, published: false) { id title author { username } } }";
    assert!(titles(&app.gql(None, drafts, json!({})).await.1).is_empty());
    assert_eq!(
        titles(&app.gql(Some(&t), drafts, json!({})).await.1),
        ["Draft"]
    );
}

/// A cached anonymous GraphQL response is used only while no write that
/// changed rows has committed since it was made, even a write no cache hook
/// knows about;
/// signed-in callers and errors never use it.
#[rocket::async_test]
async fn graphql_responses_last_until_the_next_commit() {
    let app = TestApp::new().await;
    let t = app.user_token("hugo").await;
    let q = "{ search(query: \"okapi\") { post { title } } }";
    let found = |body: &Value| body["data"]["search"].as_array().unwrap().len();
    for _ in 0..2 {
        let (status, body) = app.gql(None, q, json!({})).await;
        assert_eq!(status, Status::Ok);
        assert_eq!(found(&body), 0);
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, 1);
    // A write job that changes no row (it only reads, or updates nothing)
    // commits an empty batch, which retires nothing.
    let commits = app.ctx().db.commits_done();
    app.ctx()
        .db
        .write(|c| {
            c.execute("UPDATE posts SET title = 'x' WHERE id = 'no such post'", [])?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(app.ctx().db.commits_done(), commits);
    let (_, body) = app.gql(None, q, json!({})).await;
    assert_eq!(found(&body), 0);
    assert_eq!(app.ctx().caches.graphql.stats().hits, 2);
    // A write through the writer that no service invalidates anything for
    // (its queued search index change is applied in the same commit).
    let author = app
        .ctx()
        .db
        .read(|c| {
            Ok(c.query_row("SELECT id FROM users LIMIT 1", [], |r| {
                r.get::<_, String>(0)
            })?)
        })
        .await
        .unwrap();
    app.ctx()
        .db
        .write(move |c| {
            c.execute(
                "INSERT INTO posts (id, author_id, title, slug, content, published, published_at)
                 VALUES ('00000000-0000-7000-8000-000000000001', ?1, 'Okapi', 'okapi', 'x', 1,
                         '2026-01-01T00:00:00Z')",
                [author],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, body) = app.gql(None, q, json!({})).await;
    assert_eq!(found(&body), 1, "the commit retired the cached response");
    // Signed in: never served from (or stored in) the anonymous cache.
    let hits = app.ctx().caches.graphql.stats().hits;
    for _ in 0..2 {
        assert_eq!(found(&app.gql(Some(&t), q, json!({})).await.1), 1);
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, hits);
    // Errors are not cached: the same query keeps answering afresh.
    let bad = "{ user(id: \"x\") { username } }";
    for _ in 0..2 {
        let (_, body) = app.gql(None, bad, json!({})).await;
        assert!(body["errors"].is_array());
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, hits);
}
