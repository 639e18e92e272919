//! Sessions: rotating refresh tokens, logout, password changes, the
//! browser's cookie mode and the first admin's one-time setup.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{refresh_of, token_of, Resp, TestApp, PASSWORD};

async fn me(app: &TestApp, token: &str) -> Status {
    let req = app.req(Method::Get, "/api/auth/me").bearer(token);
    req.send().await.status
}

#[rocket::async_test]
async fn refresh_rotates_the_token() {
    let app = TestApp::new().await;
    let first = app.register("hal").await;
    let r1 = refresh_of(&first);
    let second = app.refresh(&r1).await.expect(Status::Ok).body;
    let r2 = refresh_of(&second);
    assert_ne!(r1, r2, "a new refresh token every time");
    assert_eq!(me(&app, &token_of(&second)).await, Status::Ok);
}

#[rocket::async_test]
async fn a_reused_refresh_token_revokes_its_family_only() {
    let app = TestApp::new().await;
    let first = app.register("hal").await;
    let r1 = refresh_of(&first);
    let r2 = refresh_of(&app.refresh(&r1).await.expect(Status::Ok).body);
    let other = app.login("hal", PASSWORD).await;
    // r1 again: reuse → 401, and the whole family (r2 too) is revoked.
    app.refresh(&r1)
        .await
        .expect_error(Status::Unauthorized, "invalid_refresh_token");
    app.refresh(&r2)
        .await
        .expect_error(Status::Unauthorized, "invalid_refresh_token");
    // Another session of the same user is unaffected.
    app.refresh(&refresh_of(&other)).await.expect(Status::Ok);
}

#[rocket::async_test]
async fn unknown_or_missing_refresh_tokens_are_401() {
    let app = TestApp::new().await;
    app.refresh("made-up")
        .await
        .expect_error(Status::Unauthorized, "invalid_refresh_token");
    app.req(Method::Post, "/api/auth/refresh")
        .json(&json!({}))
        .send()
        .await
        .expect(Status::Unauthorized);
}

#[rocket::async_test]
async fn concurrent_refresh_one_wins_and_the_family_is_revoked() {
    let app = TestApp::new().await;
    let s = app.register("ivy").await;
    let token = refresh_of(&s);
    let (a, b) = tokio::join!(app.refresh(&token), app.refresh(&token));
    let mut statuses = [a.status.code, b.status.code];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let winner = if a.status == Status::Ok { a } else { b };
    // The reuse revoked the winner's family too.
    app.refresh(&refresh_of(&winner.body))
        .await
        .expect(Status::Unauthorized);
}

#[rocket::async_test]
async fn logout_ends_that_session_only() {
    let app = TestApp::new().await;
    let a = app.register("jay").await;
    let b = app.login("jay", PASSWORD).await;
    app.req(Method::Post, "/api/auth/logout")
        .json(&json!({"refresh_token": refresh_of(&a)}))
        .send()
        .await
        .expect(Status::NoContent);
    app.refresh(&refresh_of(&a))
        .await
        .expect(Status::Unauthorized);
    app.refresh(&refresh_of(&b)).await.expect(Status::Ok);
}

#[rocket::async_test]
async fn logout_all_kills_access_tokens_at_once() {
    let app = TestApp::new().await;
    let a = app.register("kim").await;
    let b = app.login("kim", PASSWORD).await;
    assert_eq!(me(&app, &token_of(&b)).await, Status::Ok);
    app.req(Method::Post, "/api/auth/logout-all")
        .bearer(&token_of(&a))
        .send()
        .await
        .expect(Status::NoContent);
    for s in [&a, &b] {
        assert_eq!(me(&app, &token_of(s)).await, Status::Unauthorized);
        app.refresh(&refresh_of(s))
            .await
            .expect(Status::Unauthorized);
    }
    app.login("kim", PASSWORD).await;
}

async fn change_password(app: &TestApp, session: &Value, current: &str) -> Resp {
    app.req(Method::Post, "/api/auth/password")
        .bearer(&token_of(session))
        .json(&json!({"current_password": current, "new_password": "Another-Pass-77"}))
        .send()
        .await
}

#[rocket::async_test]
async fn a_password_change_needs_the_current_password() {
    let app = TestApp::new().await;
    let a = app.register("lee").await;
    let res = change_password(&app, &a, "Wrong-Password-9")
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "current_password");
    app.login("lee", PASSWORD).await;
}

#[rocket::async_test]
async fn a_password_change_gives_a_fresh_session_and_ends_the_others() {
    let app = TestApp::new().await;
    let a = app.register("lee").await;
    let b = app.login("lee", PASSWORD).await;
    let fresh = change_password(&app, &a, PASSWORD)
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(me(&app, &token_of(&fresh)).await, Status::Ok);
    // The caller's old token too.
    assert_eq!(me(&app, &token_of(&a)).await, Status::Unauthorized);
    assert_eq!(me(&app, &token_of(&b)).await, Status::Unauthorized);
    app.refresh(&refresh_of(&b))
        .await
        .expect(Status::Unauthorized);
    app.refresh(&refresh_of(&fresh)).await.expect(Status::Ok);
    app.login("lee", "Another-Pass-77").await;
}

#[rocket::async_test]
async fn browser_mode_keeps_the_refresh_token_in_an_httponly_cookie() {
    let app = TestApp::new().await;
    let res = app
        .req(Method::Post, "/api/auth/register")
        .header("x-folio-client", "browser")
        .json(&json!({"email": "moe@example.com", "username": "moe", "password": PASSWORD}))
        .send()
        .await
        .expect(Status::Created);
    let cookie = res.must_header("Set-Cookie");
    assert!(cookie.starts_with("folio_refresh="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/auth"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(res.body.get("refresh_token").is_none(), "{}", res.text);

    // The tracked client sends the cookie back: refresh with no body.
    let browser = |path: &'static str| {
        app.req(Method::Post, path)
            .header("x-folio-client", "browser")
            .send()
    };
    let res = browser("/api/auth/refresh").await.expect(Status::Ok);
    assert!(res.body["access_token"].is_string(), "{}", res.text);
    assert!(res.body.get("refresh_token").is_none(), "{}", res.text);
    browser("/api/auth/logout").await.expect(Status::NoContent);
    browser("/api/auth/refresh")
        .await
        .expect(Status::Unauthorized);
}

#[rocket::async_test]
async fn first_admin_setup_with_the_one_time_token() {
    let app = TestApp::new().await;
    let token = app.ctx().setup.issue();
    let setup = |t: &str| {
        let body = json!({"token": t, "email": "boss@example.com", "username": "boss", "password": PASSWORD});
        app.req(Method::Post, "/api/admin/setup").json(&body).send()
    };
    setup("wrong").await.expect(Status::Unauthorized);
    let res = setup(&token).await.expect(Status::Created);
    assert_eq!(res.body["user"]["role"], "admin");
    // Once an admin exists.
    setup(&token).await.expect(Status::NotFound);
}
