//! Rate limits: the `RateLimit` fields, the `auth` and `default` quotas,
//! and failed logins counted per account.

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{Resp, TestApp, PASSWORD};

async fn login(app: &TestApp, identity: &str, password: &str) -> Resp {
    app.req(Method::Post, "/api/auth/login")
        .json(&json!({"identity": identity, "password": password}))
        .send()
        .await
}

#[rocket::async_test]
async fn api_answers_carry_the_default_policy_and_whats_left() {
    let app = TestApp::with(|c| c.rate_limit.default_requests = 5).await;
    let res = app.req(Method::Get, "/api/auth/me").send().await;
    assert_eq!(res.header("RateLimit-Policy"), Some("\"default\";q=5;w=60"));
    let limit = res.must_header("RateLimit");
    assert!(limit.starts_with("\"default\";r=4;t="), "{limit}");
}

#[rocket::async_test]
async fn only_api_and_graphql_answers_carry_rate_limit_fields() {
    let app = TestApp::new().await;
    let res = app.req(Method::Get, "/health").send().await;
    assert_eq!(res.header("RateLimit"), None);
    assert_eq!(res.header("RateLimit-Policy"), None);
}

#[rocket::async_test]
async fn the_auth_quota_answers_429_with_retry_after_and_no_store() {
    let app = TestApp::with(|c| c.rate_limit.auth_requests = 3).await;
    for i in 0..3 {
        let res = login(&app, &format!("u{i}"), "x").await;
        let res = res.expect(Status::Unauthorized);
        assert_eq!(res.header("RateLimit-Policy"), Some("\"auth\";q=3;w=60"));
    }
    let res = login(&app, "u9", "x")
        .await
        .expect_error(Status::TooManyRequests, "rate_limited");
    let retry: u64 = res.must_header("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(res.must_header("RateLimit").contains("r=0"));
    // An auth answer is never stored, the refusal included.
    assert_eq!(res.header("Cache-Control"), Some("no-store"));
}

#[rocket::async_test]
async fn failed_logins_are_counted_per_account_through_any_of_its_names() {
    let app = TestApp::with(|c| c.rate_limit.failed_login_attempts = 3).await;
    app.register("oli").await;
    for identity in ["oli", "OLI@example.com", " oli@example.com"] {
        let res = login(&app, identity, "Wrong-Pass-1").await;
        assert_eq!(res.status, Status::Unauthorized, "{identity}");
    }
    let res = login(&app, "Oli", "Wrong-Pass-1")
        .await
        .expect(Status::TooManyRequests);
    res.must_header("Retry-After");
    // The right password is refused too while the account is locked,
    // through either of its names.
    for identity in ["oli", "oli@example.com"] {
        let res = login(&app, identity, PASSWORD).await;
        assert_eq!(res.status, Status::TooManyRequests, "{identity}");
    }
    // Another account is not affected.
    app.register("pam").await;
    login(&app, "pam", PASSWORD).await.expect(Status::Ok);
}

#[rocket::async_test]
async fn failed_logins_of_unknown_accounts_are_counted_too() {
    let app = TestApp::with(|c| c.rate_limit.failed_login_attempts = 3).await;
    for identity in ["ghost", "Ghost", "GHOST "] {
        let res = login(&app, identity, "Wrong-Pass-1").await;
        assert_eq!(res.status, Status::Unauthorized, "{identity}");
    }
    let res = login(&app, "ghost", "Wrong-Pass-1")
        .await
        .expect(Status::TooManyRequests);
    res.must_header("Retry-After");
}
