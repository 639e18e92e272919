//! A full or read-only database: REST and GraphQL writes get `507
//! storage_full` or `503 storage_unavailable` with `Retry-After`, reads go
//! on, `/ready` and `/metrics` say so, and writes recover by themselves.
//! The writer's connection is limited the way a full disk or a read-only
//! file would limit it (`max_page_count`, `query_only`).

use rocket::http::{Method, Status};
use rocket::serde::json::{json, Value};

use crate::support::{assert_error, id_of, token_of, Resp, TestApp};

/// Runs `sql` on the writer's connection.
async fn on_writer(app: &TestApp, sql: &'static str) {
    app.ctx()
        .db
        .on_writer(Box::new(move |c| c.execute_batch(sql)))
        .await
        .unwrap();
}

/// A post too large for the pages a full database has left.
fn large_post() -> Value {
    json!({"title": "Large", "content": "lorem ipsum dolor ".repeat(4000)})
}

async fn ready(app: &TestApp) -> Resp {
    app.req(Method::Get, "/ready").send().await
}

async fn failing_gauge(app: &TestApp, code: &str) -> String {
    let text = app.req(Method::Get, "/metrics").send().await.text;
    let name = format!("folio_db_storage_failing{{code=\"{code}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&name))
        .unwrap_or("absent")
        .to_string()
}

async fn gql_create(app: &TestApp, token: &str, author: &str) -> Value {
    let create = "mutation($a: ID!, $c: String!) { createPost(input: {title: \"By GraphQL\", content: $c, authorId: $a}) { id } }";
    let vars = json!({"a": author, "c": large_post()["content"]});
    app.graphql(create, vars).bearer(token).send().await.body
}

#[rocket::async_test]
async fn a_full_database_answers_507_keeps_reading_and_recovers() {
    let app = TestApp::new().await;
    let session = app.register("ada").await;
    let (token, uid) = (token_of(&session), id_of(&session["user"]));
    let kept = app
        .post_as(
            &token,
            json!({"title": "Kept", "content": "before", "published": true}),
        )
        .await;
    assert_eq!(failing_gauge(&app, "storage_full").await, "0");

    // The database may not grow past its current size; the first large
    // posts may still fit in free pages.
    on_writer(&app, "PRAGMA max_page_count = 1").await;
    let mut refused = None;
    for _ in 0..20 {
        let res = app
            .req(Method::Post, "/api/posts")
            .bearer(&token)
            .json(&large_post())
            .send()
            .await;
        if res.status != Status::Created {
            refused = Some(res);
            break;
        }
    }
    let res = refused.expect("the database never filled up");
    assert_eq!(res.status, Status::InsufficientStorage);
    assert_eq!(res.header("Retry-After"), Some("10"));
    assert_error(&res.body, "storage_full");

    let body = gql_create(&app, &token, &uid).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "storage_full",
        "{body}"
    );
    assert!(body["data"].is_null() || body["data"]["createPost"].is_null());

    let Resp { status, body, .. } = app
        .req(Method::Get, format!("/api/posts/{}", id_of(&kept)))
        .send()
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let body = ready(&app).await.expect(Status::ServiceUnavailable).body;
    assert_error(&body, "not_ready");
    assert!(
        body["error"].as_str().unwrap().contains("storage_full"),
        "{body}"
    );
    assert_eq!(failing_gauge(&app, "storage_full").await, "1");
    assert_eq!(failing_gauge(&app, "storage_unavailable").await, "0");

    // Space is back: the next write succeeds and the server is ready again.
    on_writer(&app, "PRAGMA max_page_count = 1073741823").await;
    let after = app
        .post_as(
            &token,
            json!({"title": "After", "content": "space is back"}),
        )
        .await;
    let body = gql_create(&app, &token, &uid).await;
    assert!(body["data"]["createPost"]["id"].is_string(), "{body}");
    ready(&app).await.expect(Status::Ok);
    assert_eq!(failing_gauge(&app, "storage_full").await, "0");
    for post in [&kept, &after] {
        let path = format!("/api/posts/{}", id_of(post));
        assert_eq!(
            app.req(Method::Get, &path)
                .bearer(&token)
                .send()
                .await
                .status,
            Status::Ok
        );
    }
}

#[rocket::async_test]
async fn a_read_only_database_answers_503_and_recovers() {
    let app = TestApp::new().await;
    let session = app.register("bea").await;
    let (token, uid) = (token_of(&session), id_of(&session["user"]));
    let kept = app
        .post_as(&token, json!({"title": "Kept", "content": "before"}))
        .await;

    on_writer(&app, "PRAGMA query_only = ON").await;
    let res = app
        .req(Method::Patch, format!("/api/posts/{}", id_of(&kept)))
        .bearer(&token)
        .json(&json!({"title": "Changed"}))
        .send()
        .await
        .expect(Status::ServiceUnavailable);
    assert_eq!(res.header("Retry-After"), Some("10"));
    assert_error(&res.body, "storage_unavailable");
    let body = gql_create(&app, &token, &uid).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "storage_unavailable",
        "{body}"
    );
    let body = ready(&app).await.expect(Status::ServiceUnavailable).body;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("storage_unavailable"),
        "{body}"
    );
    assert_eq!(failing_gauge(&app, "storage_unavailable").await, "1");
    let post = app
        .req(Method::Get, format!("/api/posts/{}", id_of(&kept)))
        .bearer(&token)
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(post["post"]["title"], "Kept");

    on_writer(&app, "PRAGMA query_only = OFF").await;
    app.post_as(
        &token,
        json!({"title": "After", "content": "writable again"}),
    )
    .await;
    ready(&app).await.expect(Status::Ok);
    assert_eq!(failing_gauge(&app, "storage_unavailable").await, "0");
}
