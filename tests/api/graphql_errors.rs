//! GraphQL's errors: resolver codes, request-level statuses, malformed
//! requests, and the depth, complexity, batch and rate limits.

use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, Resp, TestApp};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// A resolver's refusal carries the REST code, its path, and the
/// classification tooling tells a refused request from a failed one by.
#[rocket::async_test]
async fn resolver_errors_carry_their_code_and_classification() {
    let app = TestApp::new().await;
    let t = app.user_token("mila").await;
    let other = app.user_token("nora").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Mine", "content": "x", "published": true}),
        )
        .await;
    let delete = "mutation($id: ID!) { deletePost(id: $id) }";
    let conflict =
        "mutation { createPost(input: {title: \"x\", content: \"y\", slug: \"mine\"}) { id } }";
    // A resolver's refusal answers 200; an argument async-graphql cannot
    // coerce fails the request (400) but is the caller's error just the same.
    let cases = [
        (
            &other,
            delete,
            json!({"id": id_of(&post)}),
            Status::Ok,
            "forbidden",
        ),
        (
            &t,
            "{ posts(limit: 99999999999) { id } }",
            json!({}),
            Status::BadRequest,
            "validation_failed",
        ),
        (
            &t,
            "mutation { publishPost(id: \"nope\") { id } }",
            json!({}),
            Status::Ok,
            "not_found",
        ),
        (&t, conflict, json!({}), Status::Ok, "conflict"),
        (
            &t,
            "{ posts(limit: 101) { id } }",
            json!({}),
            Status::Ok,
            "validation_failed",
        ),
    ];
    for (token, q, vars, status, expected) in cases {
        let res = app.graphql(q, vars).bearer(token).send().await;
        assert_eq!(res.status, status, "{q}: {}", res.text);
        let body = res.body;
        assert_eq!(code(&body), expected, "{q}: {body}");
        let error = &body["errors"][0];
        assert_eq!(
            error["extensions"]["classification"], "BAD_USER_INPUT",
            "{q}"
        );
    }
    let res = app
        .graphql(delete, json!({"id": id_of(&post)}))
        .bearer(&other)
        .send()
        .await;
    assert_eq!(res.body["errors"][0]["path"], json!(["deletePost"]));
}

#[rocket::async_test]
async fn a_bad_token_is_401_in_the_graphql_error_shape() {
    let app = TestApp::new().await;
    let res = app
        .graphql("{ me { id } }", json!({}))
        .bearer("garbage")
        .send()
        .await
        .expect(Status::Unauthorized);
    assert_eq!(code(&res.body), "invalid_token", "{}", res.text);
}

#[rocket::async_test]
async fn unparsable_or_invalid_queries_are_400_never_5xx() {
    let app = TestApp::new().await;
    for q in [
        "{ me { ",
        "{ nonsense }",
        "query { posts(limit: \"x\") { id } }",
        "",
    ] {
        let Resp { status, body, .. } = app.graphql(q, json!({})).send().await;
        assert_eq!(status, Status::BadRequest, "{q}: {body}");
        assert_eq!(code(&body), "validation_failed", "{body}");
    }
}

#[rocket::async_test]
async fn malformed_bodies_and_content_types() {
    let app = TestApp::new().await;
    let post_raw = |ct: Option<ContentType>, body: &'static str| {
        let mut req = app.req(Method::Post, "/graphql").body(body);
        if let Some(ct) = ct {
            req = req.content_type(ct);
        }
        req.send()
    };
    // No CSRF via text/plain.
    let res = post_raw(Some(ContentType::Plain), "{\"query\": \"{ me { id } }\"}").await;
    let res = res.expect(Status::UnsupportedMediaType);
    assert_eq!(code(&res.body), "unsupported_media_type");
    post_raw(Some(ContentType::Form), "query=%7Bme%7D")
        .await
        .expect(Status::UnsupportedMediaType);
    post_raw(None, "{}")
        .await
        .expect(Status::UnsupportedMediaType);
    for raw in [
        "{",
        "[]",
        "{\"query\": 5}",
        "null",
        "\"x\"",
        "{\"query\": \"{ me { id } }\", \"variables\": 7}",
    ] {
        let status = post_raw(Some(ContentType::JSON), raw).await.status;
        assert!(status.code >= 400 && status.code < 500, "{raw}: {status}");
    }
    // Mutations over GET are not possible: GET is not a GraphQL endpoint.
    app.req(
        Method::Get,
        "/graphql?query=mutation%7BdeletePost(id%3A%22x%22)%7D",
    )
    .send()
    .await
    .expect(Status::MethodNotAllowed);
}

#[rocket::async_test]
async fn depth_complexity_and_batch_limits() {
    let app = TestApp::with(|c| {
        c.graphql.max_depth = 5;
        c.graphql.max_complexity = 300;
        c.graphql.max_batch = 3;
    })
    .await;
    let deep = "{ posts { author { posts { author { posts { author { username } } } } } } }";
    app.graphql(deep, json!({}))
        .send()
        .await
        .expect(Status::BadRequest);
    let costly = "{ posts(limit: 100) { author { posts(limit: 100) { id } } } }";
    let body = app
        .graphql(costly, json!({}))
        .send()
        .await
        .expect(Status::BadRequest)
        .body;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{body}"
    );
    app.graphql("{ posts(limit: 5) { id } }", json!({}))
        .send()
        .await
        .expect(Status::Ok);

    let one = json!({"query": "{ posts { id } }"});
    let batch = |n: usize| Value::Array(vec![one.clone(); n]);
    let body = app
        .req(Method::Post, "/graphql")
        .json(&batch(3))
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(body.as_array().unwrap().len(), 3);
    app.req(Method::Post, "/graphql")
        .json(&batch(4))
        .send()
        .await
        .expect(Status::BadRequest);
}

#[rocket::async_test]
async fn login_fields_count_against_the_auth_limit() {
    let app = TestApp::with(|c| c.rate_limit.auth_requests = 3).await;
    let q = "mutation { a: login(identity: \"x\", password: \"y\") { accessToken } b: login(identity: \"x\", password: \"y\") { accessToken } }";
    let status = app.graphql(q, json!({})).send().await.status;
    assert_eq!(status, Status::Ok, "2 of 3");
    let Resp { status, body, .. } = app.graphql(q, json!({})).send().await;
    assert_eq!(status, Status::TooManyRequests, "aliases count: {body}");
    assert_eq!(code(&body), "rate_limited");
    // The refused request spent nothing: one login is still allowed.
    let batch = |id: &'static str| {
        let login = "mutation { login(identity: \"x\", password: \"y\") { expiresIn } }";
        app.req(Method::Post, "/graphql")
            .header("x-correlation-id", id)
            .json(&json!([{ "query": login }]))
            .send()
    };
    batch("gql-1").await.expect(Status::Ok);
    // Batches count too.
    let res = batch("gql-2").await.expect(Status::TooManyRequests);
    res.must_header("Retry-After");
}

#[rocket::async_test]
async fn the_default_limit_answers_graphql_in_the_graphql_error_shape() {
    let app = TestApp::with(|c| c.rate_limit.default_requests = 2).await;
    for _ in 0..2 {
        let status = app.graphql("{ __typename }", json!({})).send().await.status;
        assert_eq!(status, Status::Ok);
    }
    let res = app
        .graphql("{ __typename }", json!({}))
        .send()
        .await
        .expect(Status::TooManyRequests);
    res.must_header("Retry-After");
    assert_eq!(code(&res.body), "rate_limited", "{}", res.text);
    assert!(res.body["errors"][0]["message"].is_string(), "{}", res.text);
    // REST keeps its own shape.
    let body = app
        .req(Method::Get, "/api/posts")
        .send()
        .await
        .expect(Status::TooManyRequests)
        .body;
    assert_eq!(body["code"], "rate_limited", "{body}");
}
