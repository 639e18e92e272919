//! Correlation ids, the contract's JSON error bodies, health and readiness.

use rocket::http::{ContentType, Method, Status};
use serde_json::json;

use crate::support::{assert_error, TestApp};

#[rocket::async_test]
async fn health_answers_ok() {
    let app = TestApp::new().await;
    let res = app.req(Method::Get, "/health").send().await;
    assert_eq!(res.expect(Status::Ok).body, json!({"status": "ok"}));
}

#[rocket::async_test]
async fn ready_answers_ready() {
    let app = TestApp::new().await;
    let res = app.req(Method::Get, "/ready").send().await;
    assert_eq!(res.expect(Status::Ok).body, json!({"status": "ready"}));
}

#[rocket::async_test]
async fn correlation_id_is_echoed_when_sane() {
    let app = TestApp::new().await;
    let res = app
        .req(Method::Get, "/health")
        .header("x-correlation-id", "req-42.abc_DEF")
        .send()
        .await;
    assert_eq!(res.header("x-correlation-id"), Some("req-42.abc_DEF"));
}

#[rocket::async_test]
async fn correlation_id_is_generated_when_absent() {
    let app = TestApp::new().await;
    let res = app.req(Method::Get, "/health").send().await;
    let generated = res.must_header("x-correlation-id");
    assert!(uuid::Uuid::parse_str(generated).is_ok(), "{generated}");
}

#[rocket::async_test]
async fn an_insane_correlation_id_is_replaced_in_header_and_body() {
    let app = TestApp::new().await;
    for bad in ["has space", "semi;colon", &"x".repeat(129), "<script>"] {
        let res = app
            .req(Method::Get, "/nowhere")
            .header("x-correlation-id", bad)
            .send()
            .await;
        let id = res.must_header("x-correlation-id");
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{bad:?} gave {id}");
        assert_eq!(
            res.body["correlation_id"], id,
            "error body carries the same id"
        );
    }
}

#[rocket::async_test]
async fn unknown_route_is_json_404() {
    let app = TestApp::new().await;
    let res = app
        .req(Method::Get, "/no/such/thing")
        .header("x-correlation-id", "abc")
        .send()
        .await;
    assert_eq!(res.content_type, Some(ContentType::JSON));
    let res = res.expect_error(Status::NotFound, "not_found");
    assert_eq!(res.body["correlation_id"], "abc");
}

#[rocket::async_test]
async fn wrong_method_is_405_with_allow() {
    let app = TestApp::new().await;
    let res = app
        .req(Method::Delete, "/health")
        .send()
        .await
        .expect_error(Status::MethodNotAllowed, "method_not_allowed");
    let allow = res.must_header("Allow");
    assert!(allow.contains("GET"), "{allow}");

    let res = app.req(Method::Get, "/test/echo").send().await;
    let res = res.expect(Status::MethodNotAllowed);
    assert_eq!(res.header("Allow"), Some("POST"));
}

#[rocket::async_test]
async fn json_body_success() {
    let app = TestApp::new().await;
    let body = json!({"name": "a", "count": 2});
    let res = app.req(Method::Post, "/test/echo").json(&body).send().await;
    assert_eq!(res.expect(Status::Ok).body, body);
}

#[rocket::async_test]
async fn json_body_wrong_content_type_is_415() {
    let app = TestApp::new().await;
    for ct in [Some(ContentType::Plain), Some(ContentType::Form), None] {
        let mut req = app
            .req(Method::Post, "/test/echo")
            .body(r#"{"name":"a","count":1}"#);
        if let Some(ct) = ct.clone() {
            req = req.content_type(ct);
        }
        let res = req.send().await;
        assert_eq!(res.status, Status::UnsupportedMediaType, "{ct:?}");
        assert_error(&res.body, "unsupported_media_type");
    }
}

#[rocket::async_test]
async fn json_body_broken_syntax_is_400_invalid_json() {
    let app = TestApp::new().await;
    for raw in [
        "{",
        "{\"name\": }",
        "",
        "[1,2",
        "{\"name\":\"a\",\"count\":1} trailing",
        // A wrong shape before the broken part is still broken syntax.
        "{\"name\": 5, \"count\": ",
    ] {
        let res = app
            .req(Method::Post, "/test/echo")
            .content_type(ContentType::JSON)
            .body(raw)
            .send()
            .await;
        assert_eq!(res.status, Status::BadRequest, "{raw}");
        assert_error(&res.body, "invalid_json");
    }
}

#[rocket::async_test]
async fn json_body_wrong_shape_is_400_with_field_path() {
    let app = TestApp::new().await;
    let echo = |body: serde_json::Value| {
        let app = &app;
        async move { app.req(Method::Post, "/test/echo").json(&body).send().await }
    };
    let res = echo(json!({"name": 5, "count": 1}))
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "name");

    let res = echo(json!({"name": "x", "count": -1}))
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "count");

    let res = echo(json!({"name": "x"}))
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    let message = res.body["details"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("count"), "{}", res.text);
}

#[rocket::async_test]
async fn json_body_over_limit_is_413() {
    let app = TestApp::with(|c| c.server.body_limit = 64).await;
    let big = json!({"name": "x".repeat(200), "count": 1});
    app.req(Method::Post, "/test/echo")
        .json(&big)
        .send()
        .await
        .expect_error(Status::PayloadTooLarge, "payload_too_large");
    app.req(Method::Post, "/test/echo")
        .json(&json!({"name": "x", "count": 1}))
        .send()
        .await
        .expect(Status::Ok);
}

#[rocket::async_test]
async fn json_body_limit_is_exact_and_announced_sizes_are_checked() {
    let app = TestApp::with(|c| c.server.body_limit = 64).await;
    let send = |raw: String, length: Option<&'static str>| {
        let mut req = app
            .req(Method::Post, "/test/echo")
            .content_type(ContentType::JSON)
            .body(raw);
        if let Some(n) = length {
            req = req.header("Content-Length", n);
        }
        req.send()
    };
    let at_limit = format!("{{\"name\":\"{}\",\"count\":1}}", "x".repeat(43));
    assert_eq!(at_limit.len(), 64);
    send(at_limit.clone(), None).await.expect(Status::Ok);
    let over = format!("{{\"name\":\"{}\",\"count\":1}}", "x".repeat(44));
    // One byte over.
    send(over, None).await.expect(Status::PayloadTooLarge);
    // A body announced as larger than the limit is refused unread.
    send(at_limit.clone(), Some("65"))
        .await
        .expect(Status::PayloadTooLarge);
    // An announced size within the limit reads the body as sent.
    send(at_limit, Some("64")).await.expect(Status::Ok);
}

#[rocket::async_test]
async fn no_request_gets_rockets_422() {
    let app = TestApp::new().await;
    let bodies = [
        "null",
        "[]",
        "{\"name\": null}",
        "\"str\"",
        "{\"count\": 1e400}",
    ];
    for raw in bodies {
        let res = app
            .req(Method::Post, "/test/echo")
            .content_type(ContentType::JSON)
            .body(raw)
            .send()
            .await;
        assert_eq!(res.status, Status::BadRequest, "{raw}");
    }
}
