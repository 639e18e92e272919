//! `/api/posts`: creating, validation, slugs, authors, drafts, publishing
//! and ETags.

use std::collections::HashSet;

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, Req, Resp, TestApp};

fn create<'a>(app: &'a TestApp, token: &str, body: &Value) -> Req<'a> {
    app.req(Method::Post, "/api/posts").bearer(token).json(body)
}

#[rocket::async_test]
async fn creating_needs_credentials() {
    let app = TestApp::new().await;
    app.req(Method::Post, "/api/posts")
        .json(&json!({"title": "x", "content": "y"}))
        .send()
        .await
        .expect_error(Status::Unauthorized, "missing_credentials");
}

#[rocket::async_test]
async fn create_validates_every_field() {
    let app = TestApp::new().await;
    let t = app.user_token("anna").await;
    let cases = [
        (
            json!({"title": "", "content": ""}),
            vec!["title", "content"],
        ),
        (
            json!({"title": "x".repeat(256), "content": "y"}),
            vec!["title"],
        ),
        (
            json!({"title": "t", "content": "c".repeat(100_001)}),
            vec!["content"],
        ),
    ];
    for (body, expected) in cases {
        let res = create(&app, &t, &body).send().await;
        assert_eq!(res.status, Status::BadRequest, "{expected:?}");
        let fields: Vec<&str> = res.body["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, expected, "{}", res.text);
    }
}

#[rocket::async_test]
async fn create_answers_201_with_location_and_the_post() {
    let app = TestApp::new().await;
    let t = app.user_token("anna").await;
    let body = json!({"title": "Ünïcode Straße!", "content": "hello"});
    let res = create(&app, &t, &body).send().await.expect(Status::Created);
    let post = &res.body["post"];
    assert_eq!(post["slug"], "unicode-strasse");
    assert_eq!(post["published"], false);
    assert_eq!(post["published_at"], Value::Null);
    assert_eq!(post["author"]["username"], "anna");
    assert_eq!(post["author"]["id"], post["author_id"]);
    assert_eq!(
        res.header("Location"),
        Some(format!("/api/posts/{}", id_of(post)).as_str())
    );
    let created = post["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert_eq!(app.events_of("post.created").await, 1);
}

/// The create answer is built from what was written, not read back: it
/// must be exactly what a read of the post (and its event) returns.
#[rocket::async_test]
async fn a_created_post_reads_back_exactly_as_answered() {
    let app = TestApp::new().await;
    let t = app.user_token("ada").await;
    for published in [false, true] {
        let created = app
            .post_as(
                &t,
                json!({"title": format!("Read back {published}"), "content": "body text", "published": published}),
            )
            .await;
        let read = app
            .req(Method::Get, format!("/api/posts/{}", id_of(&created)))
            .bearer(&t)
            .send()
            .await
            .expect(Status::Ok);
        assert_eq!(read.body["post"], created, "published: {published}");
        assert_eq!(created["created_at"], created["updated_at"]);
        let published_at = if published {
            &created["created_at"]
        } else {
            &Value::Null
        };
        assert_eq!(&created["published_at"], published_at);
        let id = id_of(&created);
        let data: String = app
            .ctx()
            .db
            .read(move |c| -> folio::ApiResult<_> {
                Ok(c.sqlite_conn().query_row(
                    "SELECT data FROM events WHERE type = 'post.created' AND data ->> '$.id' = ?1",
                    [id],
                    |r| r.get(0),
                ).map_err(folio::db::StoreError::from)?)
            })
            .await
            .unwrap();
        let event: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(event, created);
    }
}

#[rocket::async_test]
async fn titles_get_unique_slugs() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    let mut slugs = Vec::new();
    for title in ["Same Title", "Same title", "same-title"] {
        let post = app
            .post_as(&t, json!({"title": title, "content": "1"}))
            .await;
        slugs.push(post["slug"].as_str().unwrap().to_string());
    }
    assert_eq!(slugs, ["same-title", "same-title-2", "same-title-3"]);
}

#[rocket::async_test]
async fn a_taken_explicit_slug_is_409() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    app.post_as(&t, json!({"title": "Same Title", "content": "1"}))
        .await;
    let body = json!({"title": "x", "content": "y", "slug": "same-title"});
    create(&app, &t, &body)
        .send()
        .await
        .expect_error(Status::Conflict, "conflict");
}

#[rocket::async_test]
async fn malformed_slugs_are_refused() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    for bad in ["Bad Slug", "0190a0b0-0000-7000-8000-000000000000", "a--b"] {
        let body = json!({"title": "x", "content": "y", "slug": bad});
        let res = create(&app, &t, &body).send().await;
        assert_eq!(res.status, Status::BadRequest, "{bad}");
        assert_eq!(res.body["details"][0]["field"], "slug", "{bad}");
    }
}

#[rocket::async_test]
async fn concurrent_creates_with_the_same_title_get_distinct_slugs() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    let race = json!({"title": "Race", "content": "r"});
    let creates = (0..8).map(|_| create(&app, &t, &race).send());
    let mut slugs = HashSet::new();
    for res in futures::future::join_all(creates).await {
        let res = res.expect(Status::Created);
        slugs.insert(res.body["post"]["slug"].as_str().unwrap().to_string());
    }
    assert_eq!(slugs.len(), 8, "{slugs:?}");
}

#[rocket::async_test]
async fn a_title_change_keeps_the_slug() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    let post = app
        .post_as(&t, json!({"title": "Same Title", "content": "1"}))
        .await;
    let res = app
        .req(Method::Patch, format!("/api/posts/{}", id_of(&post)))
        .bearer(&t)
        .json(&json!({"title": "Renamed"}))
        .send()
        .await
        .expect(Status::Ok);
    assert_eq!(res.body["post"]["slug"], "same-title");
    assert_eq!(res.body["post"]["title"], "Renamed");
}

async fn act(app: &TestApp, token: &str, method: Method, path: String) -> Resp {
    app.req(method, path).bearer(token).send().await
}

#[rocket::async_test]
async fn publish_keeps_the_first_published_at() {
    let app = TestApp::new().await;
    let t = app.user_token("gil").await;
    let post = app
        .post_as(&t, json!({"title": "Pub", "content": "x"}))
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let first = act(&app, &t, Method::Post, format!("{path}/publish")).await;
    let at = first.expect(Status::Ok).body["post"]["published_at"].clone();
    assert!(at.is_string(), "{at}");
    let un = act(&app, &t, Method::Post, format!("{path}/unpublish")).await;
    assert_eq!(un.expect(Status::Ok).body["post"]["published"], false);
    let anonymous = app.req(Method::Get, path.as_str()).send().await;
    anonymous.expect(Status::NotFound);
    let again = act(&app, &t, Method::Post, format!("{path}/publish")).await;
    assert_eq!(again.expect(Status::Ok).body["post"]["published_at"], at);
    assert_eq!(app.events_of("post.published").await, 2);
    assert_eq!(app.events_of("post.unpublished").await, 1);
}

#[rocket::async_test]
async fn a_deleted_post_is_gone_and_unknown_ids_are_404() {
    let app = TestApp::new().await;
    let t = app.user_token("gil").await;
    let post = app
        .post_as(&t, json!({"title": "Pub", "content": "x"}))
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let delete = || act(&app, &t, Method::Delete, path.clone());
    delete().await.expect(Status::NoContent);
    delete().await.expect_error(Status::NotFound, "not_found");
    let publish = "/api/posts/not-an-id/publish".to_string();
    act(&app, &t, Method::Post, publish)
        .await
        .expect_error(Status::NotFound, "not_found");
}

/// A published post's path, its ETag, and its author's token.
async fn tagged(app: &TestApp) -> (String, String, String) {
    let t = app.user_token("hugo").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Tagged", "content": "x", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let res = app.req(Method::Get, path.as_str()).send().await;
    let etag = res.expect(Status::Ok).must_header("ETag").to_string();
    (path, etag, t)
}

#[rocket::async_test]
async fn a_current_etag_answers_304() {
    let app = TestApp::new().await;
    let (path, etag, _) = tagged(&app).await;
    app.req(Method::Get, path.as_str())
        .header("If-None-Match", etag)
        .send()
        .await
        .expect(Status::NotModified);
}

#[rocket::async_test]
async fn if_match_guards_a_patch_and_the_etag_moves_on() {
    let app = TestApp::new().await;
    let (path, etag, t) = tagged(&app).await;
    let patch = |tag: &str| {
        app.req(Method::Patch, path.as_str())
            .bearer(&t)
            .header("If-Match", tag.to_string())
            .json(&json!({"content": "new"}))
            .send()
    };
    patch("\"old\"").await.expect(Status::PreconditionFailed);
    patch(&etag).await.expect(Status::Ok);
    // The ETag moved on.
    patch(&etag).await.expect(Status::PreconditionFailed);
    let res = app
        .req(Method::Get, path.as_str())
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect(Status::Ok);
    assert_ne!(res.must_header("ETag"), etag);
}
