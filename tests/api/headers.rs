//! Security headers on every answer, `no-store` on authenticated ones, and
//! CORS for the configured origins only.

use rocket::http::{Method, Status};

use crate::support::TestApp;

#[rocket::async_test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::with(|c| c.server.hsts = true).await;
    let res = app.req(Method::Get, "/health").send().await;
    for (name, value) in [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ] {
        assert_eq!(res.header(name), Some(value), "{name}");
    }
    res.must_header("Strict-Transport-Security");
}

#[rocket::async_test]
async fn hsts_is_off_by_default() {
    let app = TestApp::new().await;
    let res = app.req(Method::Get, "/health").send().await;
    assert_eq!(res.header("Strict-Transport-Security"), None);
}

#[rocket::async_test]
async fn authenticated_answers_are_not_stored() {
    let app = TestApp::new().await;
    let token = app.user_token("pia").await;
    let res = app
        .req(Method::Get, "/api/auth/me")
        .bearer(&token)
        .send()
        .await
        .expect(Status::Ok);
    assert_eq!(res.header("Cache-Control"), Some("no-store"));
}

async fn cors_app() -> TestApp {
    TestApp::with(|c| c.cors.allowed_origins = vec!["https://app.example.com".into()]).await
}

#[rocket::async_test]
async fn a_configured_origin_passes_the_preflight_with_credentials() {
    let app = cors_app().await;
    let res = app
        .req(Method::Options, "/api/auth/login")
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect(Status::NoContent);
    assert_eq!(
        res.header("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    assert_eq!(res.header("Access-Control-Allow-Credentials"), Some("true"));
    let methods = res.must_header("Access-Control-Allow-Methods");
    assert!(methods.contains("POST"), "{methods}");
}

#[rocket::async_test]
async fn other_origins_get_no_cors_headers() {
    let app = cors_app().await;
    let res = app
        .req(Method::Get, "/health")
        .header("Origin", "https://evil.example.com")
        .send()
        .await;
    assert_eq!(res.header("Access-Control-Allow-Origin"), None);
}

/// The answer varies with the Origin, allowed or not, or none sent.
#[rocket::async_test]
async fn answers_vary_with_the_origin() {
    let app = cors_app().await;
    let evil = app
        .req(Method::Get, "/health")
        .header("Origin", "https://evil.example.com")
        .send()
        .await;
    assert_eq!(evil.header("Vary"), Some("Origin"));
    let none = app.req(Method::Get, "/health").send().await;
    assert_eq!(none.header("Vary"), Some("Origin"));
}
