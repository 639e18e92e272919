//! Correlation ids, the contract's JSON error bodies, health and readiness.

use rocket::http::{ContentType, Header, Status};
use serde_json::json;

use crate::support::{assert_error, header, json_of, TestApp};

#[rocket::async_test]
async fn health_and_ready() {
    let app = TestApp::new().await;
    let (status, body) = json_of(app.get("/health").await).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({"status": "ok"}));
    let (status, body) = json_of(app.get("/ready").await).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({"status": "ready"}));
}

#[rocket::async_test]
async fn correlation_id_is_echoed_when_sane() {
    let app = TestApp::new().await;
    let res = app
        .client
        .get("/health")
        .header(header("x-correlation-id", "req-42.abc_DEF"))
        .dispatch()
        .await;
    assert_eq!(
        res.headers().get_one("x-correlation-id"),
        Some("req-42.abc_DEF")
    );
}

#[rocket::async_test]
async fn correlation_id_is_generated_when_absent_or_insane() {
    let app = TestApp::new().await;
    let res = app.get("/health").await;
    let generated = res
        .headers()
        .get_one("x-correlation-id")
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    for bad in ["has space", "semi;colon", &"x".repeat(129), "<script>"] {
        let res = app
            .client
            .get("/nowhere")
            .header(header("x-correlation-id", bad))
            .dispatch()
            .await;
        let id = res
            .headers()
            .get_one("x-correlation-id")
            .unwrap()
            .to_string();
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        let (_, body) = json_of(res).await;
        assert_eq!(
            body["correlation_id"],
            id.as_str(),
            "error body carries the same id"
        );
    }
}

#[rocket::async_test]
async fn unknown_route_is_json_404() {
    let app = TestApp::new().await;
    let res = app
        .client
        .get("/no/such/thing")
        .header(header("x-correlation-id", "abc"))
        .dispatch()
        .await;
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let (status, body) = json_of(res).await;
    assert_eq!(status, Status::NotFound);
    assert_error(&body, "not_found");
    assert_eq!(body["correlation_id"], "abc");
}

#[rocket::async_test]
async fn wrong_method_is_405_with_allow() {
    let app = TestApp::new().await;
    let res = app.client.delete("/health").dispatch().await;
    assert_eq!(res.status(), Status::MethodNotAllowed);
    let allow = res.headers().get_one("Allow").unwrap().to_string();
    assert!(allow.contains("GET"), "{allow}");
    let (_, body) = json_of(res).await;
    assert_error(&body, "method_not_allowed");

    let res = app.client.get("/test/echo").dispatch().await;
    assert_eq!(res.status(), Status::MethodNotAllowed);
    assert_eq!(res.headers().get_one("Allow"), Some("POST"));
}

#[rocket::async_test]
async fn json_body_success() {
    let app = TestApp::new().await;
    let (status, body) = app
        .post_for("/test/echo", &json!({"name": "a", "count": 2}))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({"name": "a", "count": 2}));
}

#[rocket::async_test]
async fn json_body_wrong_content_type_is_415() {
    let app = TestApp::new().await;
    for ct in [Some(ContentType::Plain), Some(ContentType::Form), None] {
        let mut req = app
            .client
            .post("/test/echo")
            .body(r#"{"name":"a","count":1}"#);
        if let Some(ct) = ct {
            req = req.header(ct);
        }
        let (status, body) = json_of(req.dispatch().await).await;
        assert_eq!(status, Status::UnsupportedMediaType);
        assert_error(&body, "unsupported_media_type");
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
            .client
            .post("/test/echo")
            .header(ContentType::JSON)
            .body(raw)
            .dispatch()
            .await;
        let (status, body) = json_of(res).await;
        assert_eq!(status, Status::BadRequest, "{raw}");
        assert_error(&body, "invalid_json");
    }
}

#[rocket::async_test]
async fn json_body_wrong_shape_is_400_with_field_path() {
    let app = TestApp::new().await;
    let (status, body) = app
        .post_for("/test/echo", &json!({"name": 5, "count": 1}))
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_error(&body, "validation_failed");
    assert_eq!(body["details"][0]["field"], "name");

    let (status, body) = app
        .post_for("/test/echo", &json!({"name": "x", "count": -1}))
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "count");

    let (status, body) = app.post_for("/test/echo", &json!({"name": "x"})).await;
    assert_eq!(status, Status::BadRequest);
    assert_error(&body, "validation_failed");
    assert!(
        body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("count"),
        "{body}"
    );
}

#[rocket::async_test]
async fn json_body_over_limit_is_413() {
    let app = TestApp::with(|c| c.server.body_limit = 64).await;
    let big = json!({"name": "x".repeat(200), "count": 1});
    let (status, body) = app.post_for("/test/echo", &big).await;
    assert_eq!(status, Status::PayloadTooLarge);
    assert_error(&body, "payload_too_large");
    let (status, _) = app
        .post_for("/test/echo", &json!({"name": "x", "count": 1}))
        .await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn json_body_limit_is_exact_and_announced_sizes_are_checked() {
    let app = TestApp::with(|c| c.server.body_limit = 64).await;
    let send = |raw: String, length: Option<&'static str>| {
        let mut req = app
            .client
            .post("/test/echo")
            .header(ContentType::JSON)
            .body(raw);
        if let Some(n) = length {
            req = req.header(Header::new("Content-Length", n));
        }
        req.dispatch()
    };
    let at_limit = format!("{{\"name\":\"{}\",\"count\":1}}", "x".repeat(43));
    assert_eq!(at_limit.len(), 64);
    assert_eq!(send(at_limit.clone(), None).await.status(), Status::Ok);
    let over = format!("{{\"name\":\"{}\",\"count\":1}}", "x".repeat(44));
    assert_eq!(
        send(over, None).await.status(),
        Status::PayloadTooLarge,
        "one byte over"
    );
    // A body announced as larger than the limit is refused unread.
    let res = send(at_limit.clone(), Some("65")).await;
    assert_eq!(res.status(), Status::PayloadTooLarge);
    // An announced size within the limit reads the body as sent.
    assert_eq!(send(at_limit, Some("64")).await.status(), Status::Ok);
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
            .client
            .post("/test/echo")
            .header(ContentType::JSON)
            .body(raw)
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::BadRequest, "{raw}");
    }
}
