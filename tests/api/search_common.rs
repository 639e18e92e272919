//! `/api/search` on words most posts contain: answered from decoded posting
//! lists (the `postings` cache), with the answer FTS5 itself gives, and
//! never stale after a write.

use std::future::Future;
use std::panic::Location;

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::TestApp;

/// Posts `alpha beta` is in (more than the lists' threshold).
const POSTS: usize = 1_200;

/// An app with [`POSTS`] published posts holding `alpha` and `beta` at
/// varying counts and lengths, written straight into the database.
async fn common_words() -> TestApp {
    let app = TestApp::new().await;
    let author = app.register("writer").await;
    let author_id = author["user"]["id"].as_str().unwrap().to_string();
    app.ctx()
        .db
        .write(move |c| -> folio::ApiResult<_> {
            let mut stmt = c.sqlite_conn().prepare(
                "INSERT INTO posts (id, author_id, title, slug, content, published, published_at)
                 VALUES (?1, ?2, ?3, ?1, ?4, 1, '2026-01-01T00:00:00Z')",
            ).map_err(folio::db::StoreError::from)?;
            for i in 0..POSTS {
                let title = if i % 41 == 0 { "alpha notes" } else { "notes" };
                let mut content = "alpha ".repeat(1 + i % 4);
                content.push_str(&"beta ".repeat(1 + i % 3));
                content.push_str(&"filler ".repeat(i % 9));
                stmt.execute(rusqlite::params![
                    format!("p{i}"),
                    author_id,
                    title,
                    content
                ])
                .map_err(folio::db::StoreError::from)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    app
}

/// The body of `GET /api/search?<q>`; fails at the caller's line unless 200.
#[track_caller]
fn search<'a>(app: &'a TestApp, q: &str) -> impl Future<Output = Value> + 'a {
    let at = Location::caller();
    let req = app.req(Method::Get, format!("/api/search?{q}"));
    async move { req.send().await.expect_at(Status::Ok, at).body }
}

#[rocket::async_test]
async fn common_words_are_answered_from_decoded_lists() {
    let app = common_words().await;
    let before = app.ctx().caches.postings.stats();
    let first = search(&app, "q=alpha+beta").await;
    assert_eq!(first["pagination"]["total"], json!(POSTS));
    let loaded = app.ctx().caches.postings.stats();
    assert_eq!(loaded.misses - before.misses, 2, "one list per word");
    let again = search(&app, "q=beta+alpha").await;
    assert_eq!(app.ctx().caches.postings.stats().hits - loaded.hits, 2);
    assert_eq!(again["pagination"], first["pagination"]);
}

/// The same query through FTS5 (an exclusion that matches nothing keeps it
/// off the decoded lists) gives the same bytes: posts, order, ranks,
/// snippets and totals.
#[rocket::async_test]
async fn decoded_lists_answer_what_fts5_answers() {
    let app = common_words().await;
    for page in ["limit=100", "limit=100&page=3", "limit=7&page=170"] {
        let fast = search(&app, &format!("q=alpha+beta&{page}")).await;
        let fts5 = search(&app, &format!("q=alpha+beta+-zzzabsent&{page}")).await;
        assert_eq!(fast, fts5, "{page}");
    }
    let lone = search(&app, "q=alpha&limit=100&page=2").await;
    let lone_fts5 = search(&app, "q=alpha+-zzzabsent&limit=100&page=2").await;
    assert_eq!(lone, lone_fts5);
    assert!(app.ctx().caches.postings.stats().hits > 0);
}

#[rocket::async_test]
async fn a_write_is_seen_by_the_next_search() {
    let app = common_words().await;
    let token = app.user_token("sam").await;
    search(&app, "q=alpha+beta").await;
    let post = app
        .post_as(
            &token,
            json!({"title": "alpha beta", "content": "alpha beta", "published": true}),
        )
        .await;
    let after = search(&app, "q=alpha+beta").await;
    assert_eq!(after["pagination"]["total"], json!(POSTS + 1));
    // A short post with both words in its title ranks first.
    assert_eq!(after["results"][0]["post"]["id"], post["id"]);
    let id = post["id"].as_str().unwrap();
    app.req(Method::Delete, format!("/api/posts/{id}"))
        .bearer(&token)
        .send()
        .await
        .expect(Status::NoContent);
    let gone = search(&app, "q=alpha+beta").await;
    assert_eq!(gone["pagination"]["total"], json!(POSTS));
    assert_ne!(gone["results"][0]["post"]["id"], post["id"]);
}
