//! Accounts: registration, validation, login and the stored hashes.

use std::future::Future;
use std::panic::Location;

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, token_of, Resp, TestApp, PASSWORD};

async fn register(app: &TestApp, body: Value) -> Resp {
    app.req(Method::Post, "/api/auth/register")
        .json(&body)
        .send()
        .await
}

async fn login(app: &TestApp, identity: &str, password: &str) -> Resp {
    app.req(Method::Post, "/api/auth/login")
        .json(&json!({"identity": identity, "password": password}))
        .send()
        .await
}

async fn stored_hash(app: &TestApp, username: &'static str) -> String {
    app.ctx()
        .db
        .read(move |c| -> folio::ApiResult<_> {
            Ok(c.sqlite_conn()
                .query_row(
                    "SELECT password_hash FROM users WHERE username = ?1",
                    [username],
                    |r| r.get(0),
                )
                .map_err(folio::db::StoreError::from)?)
        })
        .await
        .unwrap()
}

#[track_caller]
fn fields(body: &Value) -> Vec<&str> {
    let Some(details) = body["details"].as_array() else {
        panic!("no details in {body}");
    };
    details
        .iter()
        .map(|d| d["field"].as_str().unwrap_or_default())
        .collect()
}

#[rocket::async_test]
async fn register_returns_a_session_and_ignores_role() {
    let app = TestApp::new().await;
    let body = json!({"email": "Ann@Example.com", "username": "ann", "password": PASSWORD, "role": "admin"});
    let body = register(&app, body).await.expect(Status::Created).body;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].is_string());
    let user = &body["user"];
    assert_eq!(user["email"], "ann@example.com", "email normalised");
    assert_eq!(user["role"], "user", "role in register is ignored");
    assert_eq!(user["disabled"], false);
    assert!(uuid::Uuid::parse_str(user["id"].as_str().unwrap()).is_ok());
    let text = body.to_string();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
    let me = app
        .req(Method::Get, "/api/auth/me")
        .bearer(&token_of(&body))
        .send()
        .await
        .expect(Status::Ok);
    assert_eq!(me.body["user"]["id"], user["id"]);
}

#[rocket::async_test]
async fn register_validation_reports_every_field() {
    let app = TestApp::new().await;
    let body = json!({"email": "not-an-email", "username": "a", "password": "short"});
    let res = register(&app, body)
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(fields(&res.body), ["email", "username", "password"]);
}

#[rocket::async_test]
async fn weak_passwords_are_refused() {
    let app = TestApp::new().await;
    for weak in ["Password1", "alllowercase1", "NOLOWER123", "NoDigitsHere"] {
        let body = json!({"email": "b@example.com", "username": "bob", "password": weak});
        let res = register(&app, body).await;
        assert_eq!(res.status, Status::BadRequest, "{weak}");
        assert_eq!(fields(&res.body), ["password"], "{weak}");
    }
}

#[rocket::async_test]
async fn missing_fields_are_named() {
    let app = TestApp::new().await;
    let res = register(&app, json!({"email": "b@example.com"}))
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "username");
}

#[rocket::async_test]
async fn duplicates_are_409_regardless_of_case() {
    let app = TestApp::new().await;
    app.register("carol").await;
    for (email, username) in [("CAROL@example.com", "other"), ("x@example.com", "CaRoL")] {
        let body = json!({"email": email, "username": username, "password": PASSWORD});
        let res = register(&app, body).await;
        assert_eq!(res.status, Status::Conflict, "{email} {username}");
        assert_error(&res.body, "conflict");
    }
}

#[rocket::async_test]
async fn login_by_email_or_username() {
    let app = TestApp::new().await;
    app.register("dave").await;
    app.login("dave", PASSWORD).await;
    app.login("DAVE@example.com", PASSWORD).await;
}

/// The body of a failed login, without its correlation id.
#[track_caller]
fn refusal<'a>(
    app: &'a TestApp,
    identity: &'a str,
    password: &'a str,
) -> impl Future<Output = Value> + 'a {
    let at = Location::caller();
    async move {
        let mut body = login(app, identity, password)
            .await
            .expect_error_at(Status::Unauthorized, "invalid_credentials", at)
            .body;
        body["correlation_id"] = Value::Null;
        body
    }
}

#[rocket::async_test]
async fn wrong_password_unknown_and_disabled_accounts_answer_alike() {
    let app = TestApp::new().await;
    app.register("dave").await;
    let wrong = refusal(&app, "dave", "Wrong-Password-1").await;
    let unknown = refusal(&app, "nobody", "Wrong-Password-1").await;
    assert_eq!(wrong, unknown, "same answer for unknown and wrong password");
    app.ctx()
        .db
        .write(|c| -> folio::ApiResult<_> {
            c.sqlite_conn()
                .execute("UPDATE users SET disabled = 1 WHERE username = 'dave'", [])
                .map_err(folio::db::StoreError::from)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(refusal(&app, "dave", PASSWORD).await, unknown);
}

#[rocket::async_test]
async fn stored_hash_is_argon2id_with_configured_parameters() {
    let app = TestApp::with(|c| {
        c.auth.argon2_memory_kib = 19456;
        c.auth.argon2_iterations = 2;
        c.auth.argon2_parallelism = 1;
    })
    .await;
    app.register("erin").await;
    let hash = stored_hash(&app, "erin").await;
    let parsed = argon2::PasswordHash::new(&hash).unwrap();
    assert_eq!(parsed.algorithm.as_str(), "argon2id");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[rocket::async_test]
async fn old_hash_parameters_are_upgraded_on_login() {
    let app = TestApp::new().await;
    app.register("fay").await;
    // Pretend the hash was made with weaker parameters.
    let weak = folio::auth::password::Hasher::new(&folio::config::AuthConfig {
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        ..Default::default()
    })
    .unwrap()
    .hash_blocking(PASSWORD)
    .unwrap();
    app.ctx()
        .db
        .write(move |c| -> folio::ApiResult<_> {
            c.sqlite_conn()
                .execute(
                    "UPDATE users SET password_hash = ?1 WHERE username = 'fay'",
                    [&weak],
                )
                .map_err(folio::db::StoreError::from)?;
            Ok(())
        })
        .await
        .unwrap();
    assert!(stored_hash(&app, "fay").await.contains("m=1024,t=1"));
    app.login("fay", PASSWORD).await;
    let hash = stored_hash(&app, "fay").await;
    assert!(
        hash.contains("m=4096,t=1"),
        "upgraded to configured params: {hash}"
    );
}
