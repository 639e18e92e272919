//! GraphQL's anonymous answers come from shared caches (the feed, the
//! authors, whole responses) and follow every write at once, like REST.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, token_of, write, TestApp};

const FEED: &str = "{ posts(limit: 5) { id title author { username } } }";
/// The same page through another query text (its own response cache
/// entry): it reads the page and authors from the caches `FEED` filled.
const FEED_AGAIN: &str = "{ posts(limit: 5) { id  title author { username } } }";

async fn query(app: &TestApp, token: Option<&str>, q: &str) -> Value {
    app.graphql(q, json!({}))
        .bearer_opt(token)
        .send()
        .await
        .expect(Status::Ok)
        .body
}

#[track_caller]
fn titles(body: &Value) -> Vec<String> {
    let Some(posts) = body["data"]["posts"].as_array() else {
        panic!("no posts in {body}");
    };
    posts
        .iter()
        .map(|p| p["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A user with one published post, read anonymously through both texts
/// so that every shared cache holds it; the user's id, token and post path.
async fn warmed(app: &TestApp) -> (String, String, String) {
    let s = app.register("gale").await;
    let (t, uid) = (token_of(&s), id_of(&s["user"]));
    for q in [FEED, FEED_AGAIN] {
        assert!(titles(&query(app, None, q).await).is_empty());
    }
    assert!(
        app.ctx().caches.feed.stats().hits > 0,
        "the feed cache is in use"
    );
    let post = app
        .post_as(
            &t,
            json!({"title": "First", "content": "x", "published": true}),
        )
        .await;
    for q in [FEED, FEED_AGAIN, FEED] {
        let body = query(app, None, q).await;
        assert_eq!(titles(&body), ["First"]);
        assert_eq!(body["data"]["posts"][0]["author"]["username"], "gale");
    }
    let caches = &app.ctx().caches;
    assert!(caches.users.stats().hits > 0, "authors from the cache");
    assert!(caches.graphql.stats().hits > 0, "whole answers cached");
    (uid, t, format!("/api/posts/{}", id_of(&post)))
}

#[rocket::async_test]
async fn an_edit_reaches_cached_graphql_answers() {
    let app = TestApp::new().await;
    let (_, t, path) = warmed(&app).await;
    write(
        &app,
        Method::Patch,
        &path,
        &t,
        Some(json!({"title": "Second"})),
    )
    .await;
    assert_eq!(titles(&query(&app, None, FEED).await), ["Second"]);
    assert_eq!(titles(&query(&app, None, FEED_AGAIN).await), ["Second"]);
}

#[rocket::async_test]
async fn an_authors_rename_reaches_cached_graphql_answers() {
    let app = TestApp::new().await;
    let (uid, t, _) = warmed(&app).await;
    let rename = json!({"username": "gale2"});
    write(
        &app,
        Method::Patch,
        &format!("/api/users/{uid}"),
        &t,
        Some(rename),
    )
    .await;
    let body = query(&app, None, FEED).await;
    assert_eq!(body["data"]["posts"][0]["author"]["username"], "gale2");
}

#[rocket::async_test]
async fn unpublish_publish_and_delete_reach_cached_graphql_answers() {
    let app = TestApp::new().await;
    let (_, t, path) = warmed(&app).await;
    write(&app, Method::Post, &format!("{path}/unpublish"), &t, None).await;
    assert!(titles(&query(&app, None, FEED).await).is_empty());
    write(&app, Method::Post, &format!("{path}/publish"), &t, None).await;
    assert_eq!(titles(&query(&app, None, FEED).await), ["First"]);
    write(&app, Method::Delete, &path, &t, None).await;
    assert!(titles(&query(&app, None, FEED).await).is_empty());
}

/// Drafts: only their author sees them, never through a cached
/// anonymous page.
#[rocket::async_test]
async fn drafts_never_come_from_the_anonymous_cache() {
    let app = TestApp::new().await;
    let (_, t, _) = warmed(&app).await;
    app.post_as(
        &t,
        json!({"title": "Draft", "content": "x", "published": false}),
    )
    .await;
    assert_eq!(titles(&query(&app, None, FEED).await), ["First"]);
    let drafts = "{ posts(limit: 5, published: false) { id title author { username } } }";
    assert!(titles(&query(&app, None, drafts).await).is_empty());
    assert_eq!(titles(&query(&app, Some(&t), drafts).await), ["Draft"]);
}

const SEARCH: &str = "{ search(query: \"okapi\") { post { title } } }";

#[track_caller]
fn found(body: &Value) -> usize {
    match body["data"]["search"].as_array() {
        Some(hits) => hits.len(),
        None => panic!("no search in {body}"),
    }
}

/// The anonymous search answer, asked twice: the second comes from the
/// response cache.
async fn cached_search(app: &TestApp) {
    for _ in 0..2 {
        assert_eq!(found(&query(app, None, SEARCH).await), 0);
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, 1);
}

/// A write job that changes no row (it only reads, or updates nothing)
/// commits an empty batch, which retires nothing.
#[rocket::async_test]
async fn a_commit_that_changes_no_row_keeps_cached_graphql_answers() {
    let app = TestApp::new().await;
    cached_search(&app).await;
    let commits = app.ctx().db.commits_done();
    app.ctx()
        .db
        .write(|c| -> folio::ApiResult<_> {
            c.sqlite_conn()
                .execute("UPDATE posts SET title = 'x' WHERE id = 'no such post'", [])
                .map_err(folio::db::StoreError::from)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(app.ctx().db.commits_done(), commits);
    assert_eq!(found(&query(&app, None, SEARCH).await), 0);
    assert_eq!(app.ctx().caches.graphql.stats().hits, 2);
}

/// A write through the writer that no service invalidates anything for
/// (its queued search index change is applied in the same commit) still
/// retires every cached answer.
#[rocket::async_test]
async fn any_commit_that_changes_rows_retires_cached_graphql_answers() {
    let app = TestApp::new().await;
    app.register("hugo").await;
    cached_search(&app).await;
    let db = &app.ctx().db;
    let author = db
        .read(|c| -> folio::ApiResult<_> {
            Ok(c.sqlite_conn()
                .query_row("SELECT id FROM users LIMIT 1", [], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(folio::db::StoreError::from)?)
        })
        .await
        .unwrap();
    db.write(move |c| -> folio::ApiResult<_> {
        c.sqlite_conn()
            .execute(
                "INSERT INTO posts (id, author_id, title, slug, content, published, published_at)
             VALUES ('00000000-0000-7000-8000-000000000001', ?1, 'Okapi', 'okapi', 'x', 1,
                     '2026-01-01T00:00:00Z')",
                [author],
            )
            .map_err(folio::db::StoreError::from)?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(found(&query(&app, None, SEARCH).await), 1);
}

#[rocket::async_test]
async fn signed_in_callers_never_use_the_anonymous_cache() {
    let app = TestApp::new().await;
    let t = app.user_token("hugo").await;
    cached_search(&app).await;
    for _ in 0..2 {
        assert_eq!(found(&query(&app, Some(&t), SEARCH).await), 0);
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, 1);
}

#[rocket::async_test]
async fn errors_are_never_cached() {
    let app = TestApp::new().await;
    let bad = "{ user(id: \"x\") { username } }";
    for _ in 0..2 {
        let body = app.graphql(bad, json!({})).send().await.body;
        assert!(body["errors"].is_array(), "{body}");
    }
    assert_eq!(app.ctx().caches.graphql.stats().hits, 0);
}
