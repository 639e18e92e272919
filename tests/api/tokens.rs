//! Credentials: forged access tokens, API keys and their scopes, and a
//! credential that must be valid wherever it is sent.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, refresh_of, token_of, Resp, TestApp, PASSWORD};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

async fn me(app: &TestApp, token: &str) -> Resp {
    app.req(Method::Get, "/api/auth/me")
        .bearer(token)
        .send()
        .await
}

fn claims(now: i64) -> Value {
    json!({"sub": "x", "iat": now, "nbf": now, "exp": now + 600, "iss": "folio", "aud": "folio", "jti": "j", "ver": 0})
}

fn sign(alg: Algorithm, secret: &str, claims: &Value) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

/// Claims that pass for `session`'s user, with `change` applied.
fn claims_for(session: &Value, change: impl FnOnce(&mut Value, i64)) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut c = claims(now);
    c["sub"] = json!(id_of(&session["user"]));
    change(&mut c, now);
    c
}

#[rocket::async_test]
async fn forged_tokens_are_all_401() {
    let app = TestApp::with(|c| c.auth.jwt_secret = folio::config::Secret::new(SECRET)).await;
    let session = app.register("gus").await;
    let real = token_of(&session);
    let good = claims_for(&session, |_, _| {});
    let signed =
        |change: fn(&mut Value, i64)| sign(Algorithm::HS256, SECRET, &claims_for(&session, change));
    // Control: the same claims, correctly signed, pass.
    let control = sign(Algorithm::HS256, SECRET, &good);
    me(&app, &control).await.expect(Status::Ok);

    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    let parts: Vec<&str> = real.split('.').collect();
    let mut evil = good.clone();
    evil["sub"] = json!("someone-else");
    let tampered = format!("{}.{}.{}", parts[0], b64(&evil), parts[2]);
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", alg_none, "invalid_token"),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, SECRET, &good),
            "invalid_token",
        ),
        ("tampered payload", tampered, "invalid_token"),
        (
            "expired",
            signed(|c, now| {
                c["exp"] = json!(now - 120);
                c["iat"] = json!(now - 1000);
                c["nbf"] = json!(now - 1000);
            }),
            "token_expired",
        ),
        (
            "nbf in the future",
            signed(|c, now| c["nbf"] = json!(now + 600)),
            "invalid_token",
        ),
        (
            "wrong aud",
            signed(|c, _| c["aud"] = json!("other")),
            "invalid_token",
        ),
        (
            "missing aud",
            signed(|c, _| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            "invalid_token",
        ),
        (
            "wrong iss",
            signed(|c, _| c["iss"] = json!("evil")),
            "invalid_token",
        ),
        (
            "another secret",
            sign(Algorithm::HS256, "another-secret-another-secret-00", &good),
            "invalid_token",
        ),
        (
            "stale token version",
            signed(|c, _| c["ver"] = json!(7)),
            "invalid_token",
        ),
        (
            "refresh token as bearer",
            refresh_of(&session),
            "invalid_token",
        ),
        ("garbage", "not.a.jwt".into(), "invalid_token"),
    ];
    for (name, token, code) in cases {
        let res = me(&app, &token).await;
        assert_eq!(res.status, Status::Unauthorized, "{name}: {}", res.text);
        assert_eq!(res.body["code"], code, "{name}: {}", res.text);
    }
}

#[rocket::async_test]
async fn credentials_outside_the_authorization_header_are_not_accepted() {
    let app = TestApp::new().await;
    let real = app.user_token("gus").await;
    let admin = app.admin_token("root").await;
    let key = app.api_key(&admin, &["read"]).await;
    // An API key as a bearer token.
    me(&app, &key)
        .await
        .expect_error(Status::Unauthorized, "invalid_token");
    for path in [
        format!("/api/auth/me?access_token={real}"),
        format!("/api/auth/me?api_key={key}"),
    ] {
        let res = app.req(Method::Get, path.as_str()).send().await;
        assert_eq!(res.status, Status::Unauthorized, "{path}");
    }
    app.req(Method::Get, "/api/auth/me")
        .header("Authorization", format!("Basic {real}"))
        .send()
        .await
        .expect_error(Status::Unauthorized, "invalid_token");
    app.req(Method::Get, "/api/auth/me")
        .send()
        .await
        .expect_error(Status::Unauthorized, "missing_credentials");
}

async fn list_keys(app: &TestApp, key: &str) -> Resp {
    app.req(Method::Get, "/api/admin/api-keys")
        .api_key(key)
        .send()
        .await
}

#[rocket::async_test]
async fn a_new_api_key_is_shown_once_and_listed_by_prefix() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let read = app.api_key(&admin, &["read"]).await;
    assert!(read.starts_with("folio_") && read.len() == 49, "{read}");
    let admin_key = app.api_key(&admin, &["admin"]).await;
    let list = list_keys(&app, &admin_key).await.expect(Status::Ok).body;
    let keys = list["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{list}");
    assert!(!list.to_string().contains(&read), "the key is never listed");
    assert!(
        keys.iter()
            .all(|k| k["prefix"].as_str().unwrap().starts_with("folio_")),
        "{list}"
    );
}

#[rocket::async_test]
async fn only_admins_and_admin_keys_manage_keys() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("nia").await;
    app.req(Method::Get, "/api/admin/api-keys")
        .bearer(&user)
        .send()
        .await
        .expect(Status::Forbidden);
    let read = app.api_key(&admin, &["read"]).await;
    // A read key authenticates but cannot administer.
    list_keys(&app, &read).await.expect(Status::Forbidden);
    let bad = json!({"name": "x", "scopes": ["root"]});
    let res = app
        .req(Method::Post, "/api/admin/api-keys")
        .bearer(&admin)
        .json(&bad)
        .send()
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "scopes");
}

#[rocket::async_test]
async fn a_revoked_key_is_refused_at_once() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let read = app.api_key(&admin, &["read"]).await;
    list_keys(&app, &read).await.expect(Status::Forbidden);
    let admin_key = app.api_key(&admin, &["admin"]).await;
    let list = list_keys(&app, &admin_key).await.expect(Status::Ok).body;
    let keys = list["api_keys"].as_array().unwrap();
    let read_row = keys.iter().find(|k| k["scopes"] == json!(["read"]));
    let id = id_of(read_row.unwrap());
    let path = format!("/api/admin/api-keys/{id}");
    let revoke = || app.req(Method::Delete, path.as_str()).bearer(&admin).send();
    revoke().await.expect(Status::NoContent);
    list_keys(&app, &read)
        .await
        .expect_error(Status::Unauthorized, "invalid_api_key");
    revoke().await.expect(Status::NotFound);
    list_keys(&app, "folio_nope")
        .await
        .expect_error(Status::Unauthorized, "invalid_api_key");
}

#[rocket::async_test]
async fn a_bad_credential_is_refused_even_where_none_is_needed() {
    let app = TestApp::new().await;
    let spec = || app.req(Method::Get, "/api/openapi.json");
    spec().send().await.expect(Status::Ok);
    spec()
        .bearer("garbage")
        .send()
        .await
        .expect_error(Status::Unauthorized, "invalid_token");
    spec()
        .api_key("folio_bogus")
        .send()
        .await
        .expect_error(Status::Unauthorized, "invalid_api_key");
}

#[rocket::async_test]
async fn a_bearer_and_a_key_together_must_both_be_valid() {
    let app = TestApp::new().await;
    let token = app.user_token("quin").await;
    app.req(Method::Get, "/api/auth/me")
        .bearer(&token)
        .api_key("folio_bogus")
        .send()
        .await
        .expect_error(Status::Unauthorized, "invalid_api_key");
}

#[rocket::async_test]
async fn the_token_exchanges_ignore_a_stale_bearer() {
    let app = TestApp::new().await;
    app.register("quin").await;
    let login = app
        .req(Method::Post, "/api/auth/login")
        .bearer("expired-or-garbage")
        .json(&json!({"identity": "quin", "password": PASSWORD}))
        .send()
        .await
        .expect(Status::Ok);
    app.req(Method::Post, "/api/auth/refresh")
        .bearer("expired-or-garbage")
        .json(&json!({"refresh_token": login.body["refresh_token"]}))
        .send()
        .await
        .expect(Status::Ok);
}
