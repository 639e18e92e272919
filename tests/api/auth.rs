//! Accounts, sessions, tokens and their attacks.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, header, json_of, refresh_of, token_of, TestApp, PASSWORD};

const SECRET: &str = "0123456789abcdef0123456789abcdef-test-secret";

async fn me(app: &TestApp, token: &str) -> (Status, Value) {
    app.call(Method::Get, "/api/auth/me", Some(token), None)
        .await
}

#[rocket::async_test]
async fn register_returns_a_session_and_ignores_role() {
    let app = TestApp::new().await;
    let body = json!({"email": "Ann@Example.com", "username": "ann", "password": PASSWORD, "role": "admin"});
    let (status, body) = app.post_for("/api/auth/register", &body).await;
    assert_eq!(status, Status::Created);
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

    let (status, me_body) = me(&app, &token_of(&body)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me_body["user"]["id"], user["id"]);
}

#[rocket::async_test]
async fn register_validation_reports_every_field() {
    let app = TestApp::new().await;
    let (status, body) = app
        .post_for(
            "/api/auth/register",
            &json!({"email": "not-an-email", "username": "a", "password": "short"}),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_error(&body, "validation_failed");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "username", "password"]);

    for weak in ["Password1", "alllowercase1", "NOLOWER123", "NoDigitsHere"] {
        let (status, body) = app
            .post_for(
                "/api/auth/register",
                &json!({"email": "b@example.com", "username": "bob", "password": weak}),
            )
            .await;
        assert_eq!(status, Status::BadRequest, "{weak}");
        assert_eq!(body["details"][0]["field"], "password", "{weak}");
    }
    let (status, body) = app
        .post_for("/api/auth/register", &json!({"email": "b@example.com"}))
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "username");
}

#[rocket::async_test]
async fn duplicates_are_409_regardless_of_case() {
    let app = TestApp::new().await;
    app.register("carol").await;
    for (email, username) in [("CAROL@example.com", "other"), ("x@example.com", "CaRoL")] {
        let (status, body) = app
            .post_for(
                "/api/auth/register",
                &json!({"email": email, "username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, Status::Conflict, "{email} {username}");
        assert_error(&body, "conflict");
    }
}

#[rocket::async_test]
async fn login_by_email_or_username_and_enumeration_safe_failures() {
    let app = TestApp::new().await;
    app.register("dave").await;
    app.login("dave", PASSWORD).await;
    app.login("DAVE@example.com", PASSWORD).await;

    let attempt = |identity: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.post_for(
                "/api/auth/login",
                &json!({"identity": identity, "password": password}),
            )
            .await
        }
    };
    let (s1, mut wrong) = attempt("dave", "Wrong-Password-1").await;
    let (s2, mut unknown) = attempt("nobody", "Wrong-Password-1").await;
    assert_eq!((s1, s2), (Status::Unauthorized, Status::Unauthorized));
    assert_error(&wrong, "invalid_credentials");
    wrong["correlation_id"] = Value::Null;
    unknown["correlation_id"] = Value::Null;
    assert_eq!(wrong, unknown, "same answer for unknown and wrong password");

    // A disabled account answers the same.
    let ctx = app.ctx().clone();
    ctx.db
        .write(|c| {
            c.execute("UPDATE users SET disabled = 1 WHERE username = 'dave'", [])?;
            Ok(())
        })
        .await
        .unwrap();
    let (s3, mut disabled) = attempt("dave", PASSWORD).await;
    assert_eq!(s3, Status::Unauthorized);
    disabled["correlation_id"] = Value::Null;
    assert_eq!(disabled, unknown);
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
    let hash: String = app
        .ctx()
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE username = 'erin'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
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
        .write(move |c| {
            c.execute(
                "UPDATE users SET password_hash = ?1 WHERE username = 'fay'",
                [&weak],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    app.login("fay", PASSWORD).await;
    let hash: String = app
        .ctx()
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE username = 'fay'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert!(
        hash.contains("m=4096,t=1"),
        "upgraded to configured params: {hash}"
    );
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

#[rocket::async_test]
async fn forged_tokens_are_all_401() {
    let app = TestApp::with(|c| c.auth.jwt_secret = folio::config::Secret::new(SECRET)).await;
    let session = app.register("gus").await;
    let real = token_of(&session);
    let id = session["user"]["id"].as_str().unwrap().to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut good = claims(now);
    good["sub"] = json!(id);

    // Control: the same claims, correctly signed, pass.
    let control = sign(Algorithm::HS256, SECRET, &good);
    assert_eq!(
        me(&app, &control).await.0,
        Status::Ok,
        "control token must pass"
    );

    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&good)
    );
    let parts: Vec<&str> = real.split('.').collect();
    let mut evil = good.clone();
    evil["sub"] = json!("someone-else");
    let tampered = format!("{}.{}.{}", parts[0], b64(&evil), parts[2]);
    let mut expired = good.clone();
    expired["exp"] = json!(now - 120);
    expired["iat"] = json!(now - 1000);
    expired["nbf"] = json!(now - 1000);
    let mut future = good.clone();
    future["nbf"] = json!(now + 600);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("other");
    let mut no_aud = good.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("evil");
    let mut stale_version = good.clone();
    stale_version["ver"] = json!(7);

    let cases: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        (
            "HS512 with the right secret",
            sign(Algorithm::HS512, SECRET, &good),
        ),
        ("tampered payload", tampered),
        ("expired", sign(Algorithm::HS256, SECRET, &expired)),
        ("nbf in the future", sign(Algorithm::HS256, SECRET, &future)),
        ("wrong aud", sign(Algorithm::HS256, SECRET, &wrong_aud)),
        ("missing aud", sign(Algorithm::HS256, SECRET, &no_aud)),
        ("wrong iss", sign(Algorithm::HS256, SECRET, &wrong_iss)),
        (
            "another secret",
            sign(Algorithm::HS256, "another-secret-another-secret-00", &good),
        ),
        (
            "stale token version",
            sign(Algorithm::HS256, SECRET, &stale_version),
        ),
        ("refresh token as bearer", refresh_of(&session)),
        ("garbage", "not.a.jwt".into()),
    ];
    for (name, token) in cases {
        let (status, body) = me(&app, &token).await;
        assert_eq!(status, Status::Unauthorized, "{name}: {body}");
        let code = body["code"].as_str().unwrap();
        assert!(
            code == "invalid_token" || code == "token_expired",
            "{name}: {code}"
        );
    }
    let (_, body) = me(&app, &sign(Algorithm::HS256, SECRET, &expired)).await;
    assert_eq!(body["code"], "token_expired");

    // An API key as a bearer token, a token in the query string, and a
    // malformed Authorization header.
    let admin = app.admin("root").await;
    let key = app.api_key(&token_of(&admin), &["read"]).await;
    assert_eq!(me(&app, &key).await.0, Status::Unauthorized);
    let res = app
        .client
        .get(format!("/api/auth/me?access_token={real}"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    let res = app
        .client
        .get(format!("/api/auth/me?api_key={key}"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    let res = app
        .client
        .get("/api/auth/me")
        .header(header("Authorization", format!("Basic {real}")))
        .dispatch()
        .await;
    let (status, body) = json_of(res).await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "invalid_token");
    let (status, body) = json_of(app.get("/api/auth/me").await).await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "missing_credentials");
}

#[rocket::async_test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new().await;
    let first = app.register("hal").await;
    let r1 = refresh_of(&first);
    let (status, second) = app.refresh(&r1).await;
    assert_eq!(status, Status::Ok, "{second}");
    let r2 = refresh_of(&second);
    assert_ne!(r1, r2, "a new refresh token every time");
    assert_eq!(me(&app, &token_of(&second)).await.0, Status::Ok);

    // r1 again: reuse → 401, and the whole family (r2 too) is revoked.
    let (status, body) = app.refresh(&r1).await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "invalid_refresh_token");
    let (status, _) = app.refresh(&r2).await;
    assert_eq!(status, Status::Unauthorized, "family revoked");

    // Another session of the same user is unaffected.
    let other = app.login("hal", PASSWORD).await;
    let (status, _) = app.refresh(&refresh_of(&other)).await;
    assert_eq!(status, Status::Ok);

    let (status, _) = app.refresh("made-up").await;
    assert_eq!(status, Status::Unauthorized);
    let (status, _) = app.post_for("/api/auth/refresh", &json!({})).await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn concurrent_refresh_one_wins_and_the_family_is_revoked() {
    let app = TestApp::new().await;
    let s = app.register("ivy").await;
    let body = json!({"refresh_token": refresh_of(&s)});
    let a = app
        .client
        .post("/api/auth/refresh")
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch();
    let b = app
        .client
        .post("/api/auth/refresh")
        .header(ContentType::JSON)
        .body(body.to_string())
        .dispatch();
    let (ra, rb) = tokio::join!(a, b);
    let (sa, ba) = json_of(ra).await;
    let (sb, bb) = json_of(rb).await;
    let mut statuses = [sa.code, sb.code];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let winner = if sa == Status::Ok { ba } else { bb };
    let (status, _) = app.refresh(&refresh_of(&winner)).await;
    assert_eq!(
        status,
        Status::Unauthorized,
        "the reuse revoked the winner's family too"
    );
}

#[rocket::async_test]
async fn logout_ends_that_session_only() {
    let app = TestApp::new().await;
    let a = app.register("jay").await;
    let b = app.login("jay", PASSWORD).await;
    let res = app
        .post_json(
            "/api/auth/logout",
            &json!({"refresh_token": refresh_of(&a)}),
        )
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let (status, _) = app.refresh(&refresh_of(&a)).await;
    assert_eq!(status, Status::Unauthorized);
    let (status, _) = app.refresh(&refresh_of(&b)).await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn logout_all_kills_access_tokens_at_once() {
    let app = TestApp::new().await;
    let a = app.register("kim").await;
    let b = app.login("kim", PASSWORD).await;
    assert_eq!(me(&app, &token_of(&b)).await.0, Status::Ok);
    let res = app
        .send(
            Method::Post,
            "/api/auth/logout-all",
            Some(&token_of(&a)),
            None,
        )
        .await;
    assert_eq!(res.status(), Status::NoContent);
    assert_eq!(me(&app, &token_of(&a)).await.0, Status::Unauthorized);
    assert_eq!(me(&app, &token_of(&b)).await.0, Status::Unauthorized);
    for s in [&a, &b] {
        let (status, _) = app.refresh(&refresh_of(s)).await;
        assert_eq!(status, Status::Unauthorized);
    }
    app.login("kim", PASSWORD).await;
}

#[rocket::async_test]
async fn password_change_gives_a_fresh_session_and_ends_the_others() {
    let app = TestApp::new().await;
    let a = app.register("lee").await;
    let b = app.login("lee", PASSWORD).await;
    let (status, body) = app
        .call(
            Method::Post,
            "/api/auth/password",
            Some(&token_of(&a)),
            Some(
                &json!({"current_password": "Wrong-Password-9", "new_password": "Another-Pass-77"}),
            ),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "current_password");

    let (status, fresh) = app
        .call(
            Method::Post,
            "/api/auth/password",
            Some(&token_of(&a)),
            Some(&json!({"current_password": PASSWORD, "new_password": "Another-Pass-77"})),
        )
        .await;
    assert_eq!(status, Status::Ok, "{fresh}");
    assert_eq!(me(&app, &token_of(&fresh)).await.0, Status::Ok);
    assert_eq!(
        me(&app, &token_of(&a)).await.0,
        Status::Unauthorized,
        "the caller's old token too"
    );
    assert_eq!(me(&app, &token_of(&b)).await.0, Status::Unauthorized);
    let (status, _) = app.refresh(&refresh_of(&b)).await;
    assert_eq!(status, Status::Unauthorized);
    let (status, _) = app.refresh(&refresh_of(&fresh)).await;
    assert_eq!(status, Status::Ok);
    app.login("lee", "Another-Pass-77").await;
}

#[rocket::async_test]
async fn browser_mode_keeps_the_refresh_token_in_an_httponly_cookie() {
    let app = TestApp::new().await;
    let res = app
        .client
        .post("/api/auth/register")
        .header(ContentType::JSON)
        .header(header("x-folio-client", "browser"))
        .body(
            json!({"email": "moe@example.com", "username": "moe", "password": PASSWORD})
                .to_string(),
        )
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Created);
    let cookie = res.headers().get_one("Set-Cookie").unwrap().to_string();
    assert!(cookie.starts_with("folio_refresh="), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api/auth"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    let (_, body) = json_of(res).await;
    assert!(body.get("refresh_token").is_none(), "{body}");

    // The tracked client sends the cookie back: refresh with no body.
    let res = app
        .client
        .post("/api/auth/refresh")
        .header(header("x-folio-client", "browser"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let (_, body) = json_of(res).await;
    assert!(body["access_token"].is_string() && body.get("refresh_token").is_none());

    let res = app
        .client
        .post("/api/auth/logout")
        .header(header("x-folio-client", "browser"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let res = app
        .client
        .post("/api/auth/refresh")
        .header(header("x-folio-client", "browser"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn first_admin_setup_with_the_one_time_token() {
    let app = TestApp::new().await;
    let token = app.ctx().setup.issue();
    let body = |t: &str| json!({"token": t, "email": "boss@example.com", "username": "boss", "password": PASSWORD});
    let (status, b) = app.post_for("/api/admin/setup", &body("wrong")).await;
    assert_eq!(status, Status::Unauthorized, "{b}");
    let (status, b) = app.post_for("/api/admin/setup", &body(&token)).await;
    assert_eq!(status, Status::Created, "{b}");
    assert_eq!(b["user"]["role"], "admin");
    let (status, _) = app.post_for("/api/admin/setup", &body(&token)).await;
    assert_eq!(status, Status::NotFound, "once an admin exists");
}

#[rocket::async_test]
async fn api_keys_scopes_and_revocation() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("nia").await;
    let read = app.api_key(&admin, &["read"]).await;
    assert!(read.starts_with("folio_") && read.len() == 49, "{read}");

    // Only admins (users or admin keys) manage keys.
    let (status, _) = app
        .call(Method::Get, "/api/admin/api-keys", Some(&user), None)
        .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = app
        .call_key(Method::Get, "/api/admin/api-keys", &read, None)
        .await;
    assert_eq!(status, Status::Forbidden, "a read key cannot administer");
    let admin_key = app.api_key(&admin, &["admin"]).await;
    let (status, list) = app
        .call_key(Method::Get, "/api/admin/api-keys", &admin_key, None)
        .await;
    assert_eq!(status, Status::Ok);
    let keys = list["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(!list.to_string().contains(&read), "the key is never listed");
    assert!(keys
        .iter()
        .all(|k| k["prefix"].as_str().unwrap().starts_with("folio_")));

    // The read key authenticates (last_used_at appears), then is revoked.
    let id = keys
        .iter()
        .find(|k| k["scopes"] == json!(["read"]))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .send_key(Method::Get, "/api/admin/api-keys", &read, None)
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    let res = app
        .send(
            Method::Delete,
            &format!("/api/admin/api-keys/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status(), Status::NoContent);
    let (status, body) = app
        .call_key(Method::Get, "/api/admin/api-keys", &read, None)
        .await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "invalid_api_key");
    let (status, body) = app
        .call_key(Method::Get, "/api/admin/api-keys", "folio_nope", None)
        .await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "invalid_api_key");
    let res = app
        .send(
            Method::Delete,
            &format!("/api/admin/api-keys/{id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status(), Status::NotFound);

    let (status, body) = app
        .call(
            Method::Post,
            "/api/admin/api-keys",
            Some(&admin),
            Some(&json!({"name": "x", "scopes": ["root"]})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "scopes");
}

#[rocket::async_test]
async fn rate_limit_fields_and_429() {
    let app = TestApp::with(|c| {
        c.rate_limit.auth_requests = 3;
        c.rate_limit.default_requests = 5;
    })
    .await;
    let res = app.get("/api/auth/me").await;
    assert_eq!(
        res.headers().get_one("RateLimit-Policy"),
        Some("\"default\";q=5;w=60")
    );
    let limit = res.headers().get_one("RateLimit").unwrap().to_string();
    assert!(limit.starts_with("\"default\";r=4;t="), "{limit}");
    assert!(
        app.get("/health")
            .await
            .headers()
            .get_one("RateLimit")
            .is_none(),
        "only /api and /graphql"
    );

    for i in 0..3 {
        let res = app
            .post_json(
                "/api/auth/login",
                &json!({"identity": format!("u{i}"), "password": "x"}),
            )
            .await;
        assert_eq!(
            res.headers().get_one("RateLimit-Policy"),
            Some("\"auth\";q=3;w=60")
        );
        assert_eq!(res.status(), Status::Unauthorized);
    }
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({"identity": "u9", "password": "x"}),
        )
        .await;
    assert_eq!(res.status(), Status::TooManyRequests);
    let retry: u64 = res
        .headers()
        .get_one("Retry-After")
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(res.headers().get_one("RateLimit").unwrap().contains("r=0"));
    // An auth answer is never stored, the refusal included.
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    let (_, body) = json_of(res).await;
    assert_error(&body, "rate_limited");
}

#[rocket::async_test]
async fn failed_logins_are_limited_per_account_even_unknown_ones() {
    let app = TestApp::with(|c| c.rate_limit.failed_login_attempts = 3).await;
    app.register("oli").await;
    // The account's username and email (in any case) share one count.
    let tries = [
        ["oli", "OLI@example.com", " oli@example.com", "Oli"],
        ["ghost", "Ghost", "GHOST ", "ghost"],
    ];
    for identities in tries {
        for identity in &identities[..3] {
            let res = app
                .post_json(
                    "/api/auth/login",
                    &json!({"identity": identity, "password": "Wrong-Pass-1"}),
                )
                .await;
            assert_eq!(res.status(), Status::Unauthorized, "{identity}");
        }
        let res = app
            .post_json(
                "/api/auth/login",
                &json!({"identity": identities[3], "password": "Wrong-Pass-1"}),
            )
            .await;
        assert_eq!(res.status(), Status::TooManyRequests, "{identities:?}");
        assert!(res.headers().get_one("Retry-After").is_some());
    }
    // The right password is refused too while the account is locked,
    // through either of its names.
    for identity in ["oli", "oli@example.com"] {
        let res = app
            .post_json(
                "/api/auth/login",
                &json!({"identity": identity, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), Status::TooManyRequests, "{identity}");
    }
    // Another account is not affected.
    app.register("pam").await;
    let res = app
        .post_json(
            "/api/auth/login",
            &json!({"identity": "pam", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn security_headers_and_no_store() {
    let app = TestApp::with(|c| c.server.hsts = true).await;
    let res = app.get("/health").await;
    assert_eq!(
        res.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert_eq!(
        res.headers().get_one("Referrer-Policy"),
        Some("no-referrer")
    );
    assert_eq!(res.headers().get_one("X-Frame-Options"), Some("DENY"));
    assert!(res.headers().get_one("Strict-Transport-Security").is_some());
    let s = app.register("pia").await;
    let res = app
        .send(Method::Get, "/api/auth/me", Some(&token_of(&s)), None)
        .await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
}

#[rocket::async_test]
async fn cors_allows_only_configured_origins() {
    let app =
        TestApp::with(|c| c.cors.allowed_origins = vec!["https://app.example.com".into()]).await;
    let res = app
        .client
        .options("/api/auth/login")
        .header(header("Origin", "https://app.example.com"))
        .header(header("Access-Control-Request-Method", "POST"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NoContent);
    assert_eq!(
        res.headers().get_one("Access-Control-Allow-Origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        res.headers().get_one("Access-Control-Allow-Credentials"),
        Some("true")
    );
    assert!(res
        .headers()
        .get_one("Access-Control-Allow-Methods")
        .unwrap()
        .contains("POST"));
    let res = app
        .client
        .get("/health")
        .header(header("Origin", "https://evil.example.com"))
        .dispatch()
        .await;
    assert!(res
        .headers()
        .get_one("Access-Control-Allow-Origin")
        .is_none());
    // The answer varies with the Origin, allowed or not, or none sent.
    assert_eq!(res.headers().get_one("Vary"), Some("Origin"));
    let res = app.client.get("/health").dispatch().await;
    assert_eq!(res.headers().get_one("Vary"), Some("Origin"));
}

#[rocket::async_test]
async fn a_credential_sent_must_be_valid_on_every_route() {
    let app = TestApp::new().await;
    let s = app.register("quin").await;
    let token = token_of(&s);
    // A route whose handler never looks at the caller.
    let (status, body) = app
        .call(Method::Get, "/api/openapi.json", Some("garbage"), None)
        .await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "invalid_token");
    let (status, _) = app.call(Method::Get, "/api/openapi.json", None, None).await;
    assert_eq!(status, Status::Ok);
    let res = app
        .send_key(Method::Get, "/api/openapi.json", "folio_bogus", None)
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    // Bearer and key together: the key must be valid too.
    let res = app
        .client
        .get("/api/auth/me")
        .header(header("Authorization", format!("Bearer {token}")))
        .header(header("x-api-key", "folio_bogus"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    let (_, body) = json_of(res).await;
    assert_error(&body, "invalid_api_key");
    // The token exchanges ignore a stale bearer a client still attaches.
    let res = app
        .send(
            Method::Post,
            "/api/auth/login",
            Some("expired-or-garbage"),
            Some(&json!({"identity": "quin", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), Status::Ok);
    let (_, login) = json_of(res).await;
    let res = app
        .send(
            Method::Post,
            "/api/auth/refresh",
            Some("expired-or-garbage"),
            Some(&json!({"refresh_token": login["refresh_token"]})),
        )
        .await;
    assert_eq!(res.status(), Status::Ok);
}
