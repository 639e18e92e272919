//! Which events each write records, in order (docs/api.md, Events).

use std::future::Future;
use std::panic::Location;

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, TestApp, PASSWORD};

/// The outbox's last sequence number, to read what a write adds after it.
async fn mark(app: &TestApp) -> i64 {
    app.ctx().db.read(|c| c.events().max_seq()).await.unwrap()
}

/// (type, data) of every event recorded after `since`, in commit order.
async fn events_after(app: &TestApp, since: i64) -> Vec<(String, Value)> {
    app.ctx()
        .db
        .read(move |c| c.events().after(since, u32::MAX))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, serde_json::from_str(&e.data).unwrap()))
        .collect()
}

#[track_caller]
fn assert_types(events: &[(String, Value)], expected: &[&str]) {
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, expected, "{events:?}");
}

/// Sends a request that must succeed; returns its body.
#[track_caller]
fn call<'a>(
    app: &'a TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> impl Future<Output = Value> + 'a {
    let at = Location::caller();
    let mut req = app.req(method, path).bearer(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    async move {
        let res = req.send().await;
        let (status, what) = (res.status, &res.what);
        assert!(status.code < 300, "{at}: {what}: {status} {}", res.text);
        res.body
    }
}

#[rocket::async_test]
async fn a_post_created_published_records_created_then_published() {
    let app = TestApp::new().await;
    let t = app.user_token("ava").await;
    let m = mark(&app).await;
    let body = call(
        &app,
        Method::Post,
        "/api/posts",
        &t,
        Some(json!({"title": "Live", "content": "x", "published": true})),
    )
    .await;
    let events = events_after(&app, m).await;
    assert_types(&events, &["post.created", "post.published"]);
    for (_, data) in &events {
        assert_eq!(data["id"], body["post"]["id"]);
        assert_eq!(data["published"], true);
    }
    // A draft records only its creation.
    let m = mark(&app).await;
    call(
        &app,
        Method::Post,
        "/api/posts",
        &t,
        Some(json!({"title": "Draft", "content": "x"})),
    )
    .await;
    assert_types(&events_after(&app, m).await, &["post.created"]);
}

#[rocket::async_test]
async fn post_updates_publishes_and_deletes_record_what_happened() {
    let app = TestApp::new().await;
    let t = app.user_token("bea").await;
    let post = call(
        &app,
        Method::Post,
        "/api/posts",
        &t,
        Some(json!({"title": "P", "content": "x", "published": true})),
    )
    .await;
    let id = id_of(&post["post"]);
    let path = format!("/api/posts/{id}");

    let m = mark(&app).await;
    call(
        &app,
        Method::Patch,
        &path,
        &t,
        Some(json!({"content": "edited while live"})),
    )
    .await;
    assert_types(&events_after(&app, m).await, &["post.updated"]);

    let m = mark(&app).await;
    call(&app, Method::Post, &format!("{path}/publish"), &t, None).await;
    assert_types(&events_after(&app, m).await, &[]);
    call(&app, Method::Post, &format!("{path}/unpublish"), &t, None).await;
    call(&app, Method::Post, &format!("{path}/unpublish"), &t, None).await;
    call(&app, Method::Post, &format!("{path}/publish"), &t, None).await;
    assert_types(
        &events_after(&app, m).await,
        &["post.unpublished", "post.published"],
    );

    let m = mark(&app).await;
    app.req(Method::Delete, path.as_str())
        .bearer(&t)
        .send()
        .await
        .expect(Status::NoContent);
    let events = events_after(&app, m).await;
    assert_types(&events, &["post.unpublished", "post.deleted"]);
    assert_eq!(events[0].1["published"], false);
    assert_eq!(events[1].1, json!({"id": id}));
}

#[rocket::async_test]
async fn deleting_a_user_unpublishes_its_public_posts_first() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let t = app.user_token("cal").await;
    let me = app.req(Method::Get, "/api/auth/me").bearer(&t).send().await;
    let user_id = id_of(&me.expect(Status::Ok).body["user"]);
    call(
        &app,
        Method::Post,
        "/api/posts",
        &t,
        Some(json!({"title": "Live", "content": "x", "published": true})),
    )
    .await;
    call(
        &app,
        Method::Post,
        "/api/posts",
        &t,
        Some(json!({"title": "Draft", "content": "x"})),
    )
    .await;
    let m = mark(&app).await;
    app.req(Method::Delete, format!("/api/users/{user_id}"))
        .bearer(&admin)
        .send()
        .await
        .expect(Status::NoContent);
    let mut types: Vec<String> = events_after(&app, m)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(types.pop().as_deref(), Some("user.deleted"));
    types.sort();
    assert_eq!(types, ["post.deleted", "post.deleted", "post.unpublished"]);
}

#[rocket::async_test]
async fn a_user_created_disabled_is_recorded_and_stored_disabled() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let m = mark(&app).await;
    let body = call(
        &app,
        Method::Post,
        "/api/users",
        &admin,
        Some(json!({"email": "dee@example.com", "username": "dee", "password": PASSWORD, "disabled": true})),
    )
    .await;
    assert_eq!(body["user"]["disabled"], true);
    let events = events_after(&app, m).await;
    assert_types(&events, &["user.created"]);
    assert_eq!(events[0].1["disabled"], true);
    // The account cannot sign in.
    app.req(Method::Post, "/api/auth/login")
        .json(&json!({"identity": "dee", "password": PASSWORD}))
        .send()
        .await
        .expect_error(Status::Unauthorized, "invalid_credentials");
}
