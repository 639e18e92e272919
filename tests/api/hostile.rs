//! What a hostile tester tried: other spellings of a path past the rate
//! limits, parallel password guesses, webhooks to blocked addresses, and
//! the refresh cookie used from elsewhere.

use std::time::Duration;

use rocket::http::{Method, Status};
use rocket::serde::json::{json, Value};

use crate::support::{assert_error, refresh_of, Receiver, Resp, TestApp, PASSWORD};

/// The `r=` of the `RateLimit` field, when its policy is `policy`.
fn remaining(res: &Resp, policy: &str) -> Option<u32> {
    let field = res.header("RateLimit")?;
    let rest = field.strip_prefix(&format!("\"{policy}\";r="))?;
    rest.split(';').next()?.parse().ok()
}

#[track_caller]
fn assert_security_headers(res: &Resp, path: &str) {
    for (name, value) in [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    ] {
        assert_eq!(res.header(name), Some(value), "{path}: {name}");
    }
}

async fn post(app: &TestApp, path: &str, body: Value) -> Resp {
    app.req(Method::Post, path).json(&body).send().await
}

/// Spellings the router takes to `POST /api/auth/login`.
const LOGIN_SPELLINGS: &[&str] = &[
    "//api/auth/login",
    "/api/auth/login/",
    "/api//auth/login",
    "/api/auth/%6cogin",
    "/api/%61uth/login",
    "/%61pi/auth/login",
    "/api/auth/%6C%6F%67%69%6E",
    "///api///auth///login///",
    "/api/auth/login?x",
    "//api/auth/login/?x=1&y",
];

/// Spellings the router takes nowhere.
const NOT_LOGIN: &[&str] = &[
    "/api/auth%2Flogin",
    "/api/auth/login%2F",
    "/api/auth/LOGIN",
    "/API/auth/login",
    "/api/./auth/login",
    "/api/x/../auth/login",
    "/api/auth/login%3Fx",
];

#[rocket::async_test]
async fn every_spelling_of_login_counts_under_auth_with_its_headers() {
    let quota = LOGIN_SPELLINGS.len() as u32 + 2;
    let app = TestApp::with(|c| c.rate_limit.auth_requests = quota).await;
    app.register("ada").await;
    let mut left = quota - 1;

    // Tokens from another spelling are not stored either.
    let res = post(
        &app,
        "//api/auth/login",
        json!({"identity": "ada", "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status, Status::Ok);
    left -= 1;
    assert_eq!(remaining(&res, "auth"), Some(left));
    assert_eq!(res.header("Cache-Control"), Some("no-store"));
    assert_security_headers(&res, "//api/auth/login");

    for (i, path) in LOGIN_SPELLINGS.iter().enumerate() {
        let res = post(
            &app,
            path,
            json!({"identity": format!("nobody{i}"), "password": "Wrong-Pass-1"}),
        )
        .await;
        assert_eq!(res.status, Status::Unauthorized, "{path}");
        left -= 1;
        assert_eq!(remaining(&res, "auth"), Some(left), "{path}");
        assert_eq!(
            res.header("RateLimit-Policy"),
            Some(format!("\"auth\";q={quota};w=60").as_str()),
            "{path}"
        );
        assert_eq!(res.header("Cache-Control"), Some("no-store"), "{path}");
        assert_security_headers(&res, path);
    }

    // Spellings that reach no route are not counted under `auth`.
    for path in NOT_LOGIN {
        let res = post(&app, path, json!({"identity": "x", "password": "y"})).await;
        assert_eq!(res.status, Status::NotFound, "{path}");
        assert_eq!(remaining(&res, "auth"), None, "{path}");
        assert_security_headers(&res, path);
    }

    // The quota is spent, whatever the spelling.
    for path in ["/api/auth/login", "//api/auth/login", "/api/%61uth/login/"] {
        let res = post(&app, path, json!({"identity": "ada", "password": PASSWORD})).await;
        assert_eq!(res.status, Status::TooManyRequests, "{path}");
        assert!(res.header("Retry-After").is_some(), "{path}");
        assert_eq!(res.header("Cache-Control"), Some("no-store"), "{path}");
        let body = res.body;
        assert_error(&body, "rate_limited");
    }
}

#[rocket::async_test]
async fn every_spelling_of_a_route_counts_under_default() {
    let app = TestApp::with(|c| c.rate_limit.default_requests = 6).await;
    let spellings = [
        "//api/posts",
        "/api/posts/",
        "/api//posts?page=1",
        "/%61pi/%70osts",
        "//api//posts//",
    ];
    for (i, path) in spellings.iter().enumerate() {
        let res = app.req(Method::Get, *path).send().await.expect(Status::Ok);
        assert_eq!(remaining(&res, "default"), Some(5 - i as u32), "{path}");
        assert_security_headers(&res, path);
    }
    let typename = json!({"query": "{__typename}"});
    let res = post(&app, "//graphql/", typename.clone())
        .await
        .expect(Status::Ok);
    assert_eq!(remaining(&res, "default"), Some(0));
    app.req(Method::Get, "//api/posts")
        .send()
        .await
        .expect(Status::TooManyRequests);
    // Refused under /graphql in GraphQL's shape, whatever the spelling.
    let res = post(&app, "//graphql", typename)
        .await
        .expect(Status::TooManyRequests);
    let message = &res.body["errors"][0]["message"];
    assert!(message.is_string(), "{}", res.text);
}

#[rocket::async_test]
async fn a_bad_credential_is_refused_on_every_spelling() {
    let app = TestApp::new().await;
    for path in [
        "//api/openapi.json",
        "/api/openapi.json/",
        "/api/%6fpenapi.json",
    ] {
        let Resp { status, body, .. } = app.req(Method::Get, path).bearer("garbage").send().await;
        assert_eq!(status, Status::Unauthorized, "{path}");
        assert_error(&body, "invalid_token");
    }
    // A token exchange ignores a stale token under any spelling.
    app.register("bob").await;
    app.req(Method::Post, "//api/auth/login/")
        .bearer("garbage")
        .json(&json!({"identity": "bob", "password": PASSWORD}))
        .send()
        .await
        .expect(Status::Ok);
}

#[rocket::async_test]
async fn parallel_wrong_guesses_never_pass_the_failed_login_limit() {
    let app = TestApp::with(|c| c.rate_limit.failed_login_attempts = 5).await;
    app.register("cal").await;
    let guesses: Vec<_> = (0..30)
        .map(|i| {
            post(
                &app,
                "/api/auth/login",
                json!({"identity": "cal", "password": format!("Wrong-Pass-{i}")}),
            )
        })
        .collect();
    let mut checked = 0;
    for res in futures::future::join_all(guesses).await {
        match res.status {
            Status::Unauthorized => checked += 1,
            Status::TooManyRequests => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(checked, 5, "guesses that reached the password check");
    // The right password is refused too until the window passes.
    let res = post(
        &app,
        "/api/auth/login",
        json!({"identity": "cal", "password": PASSWORD}),
    )
    .await;
    assert_eq!(res.status, Status::TooManyRequests);
}

#[rocket::async_test]
async fn successful_logins_give_their_attempt_back() {
    let app = TestApp::with(|c| c.rate_limit.failed_login_attempts = 2).await;
    app.register("dee").await;
    for _ in 0..5 {
        app.login("dee", PASSWORD).await;
    }
    let wrong = json!({"identity": "dee", "password": "Wrong-Pass-1"});
    for _ in 0..2 {
        let res = post(&app, "/api/auth/login", wrong.clone()).await;
        assert_eq!(res.status, Status::Unauthorized);
    }
    let res = post(&app, "/api/auth/login", wrong.clone()).await;
    assert_eq!(res.status, Status::TooManyRequests);
}

/// A webhook stored before `block_private_networks` was turned on (its URL
/// was never checked).
async fn stored_webhook(app: &TestApp, url: String) -> String {
    let id = folio::ids::new_uuid();
    let hook = id.clone();
    app.ctx()
        .db
        .write(move |c| {
            c.webhooks()
                .insert(&hook, &url, &["*".to_string()], "a-secret-of-16-chars")
        })
        .await
        .unwrap();
    id
}

#[rocket::async_test]
async fn deliveries_to_blocked_addresses_are_refused_on_every_attempt() {
    let receiver = Receiver::start(0, Duration::ZERO);
    let app = TestApp::with(|c| {
        c.webhooks.block_private_networks = true;
        c.webhooks.max_attempts = 1;
    })
    .await;
    let admin = app.admin_token("root").await;
    let urls = [
        receiver.url(),
        format!("http://localhost:{}/hook", receiver.port),
        format!("http://[::ffff:127.0.0.1]:{}/hook", receiver.port),
        format!("http://2130706433:{}/hook", receiver.port),
    ];
    for url in urls {
        let hook = stored_webhook(&app, url.clone()).await;
        let status = app
            .req(Method::Post, format!("/api/admin/webhooks/{hook}/ping"))
            .bearer(&admin)
            .send()
            .await
            .status;
        assert_eq!(status, Status::Ok, "{url}");
        let mut delivery = Value::Null;
        for _ in 0..100 {
            let list = app
                .req(
                    Method::Get,
                    format!("/api/admin/webhooks/{hook}/deliveries"),
                )
                .bearer(&admin)
                .send()
                .await
                .body;
            delivery = list["deliveries"][0].clone();
            if delivery["attempts"].as_i64().unwrap_or(0) >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(delivery["status"], "failed", "{url}: {delivery}");
        let error = delivery["last_error"].as_str().unwrap_or_default();
        assert!(error.starts_with("refused: "), "{url}: {delivery}");
        assert!(delivery["last_response_code"].is_null(), "{url}");
    }
    assert!(receiver.received().is_empty(), "nothing reached 127.0.0.1");
}

/// Registers `name` in browser mode: the tracked client keeps the cookie.
async fn browser_session(app: &TestApp, name: &str) {
    let body =
        json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
    app.req(Method::Post, "/api/auth/register")
        .header("x-folio-client", "browser")
        .json(&body)
        .send()
        .await
        .expect(Status::Created);
}

async fn cookie_call(app: &TestApp, path: &str, headers: &[(&'static str, &str)]) -> Resp {
    let mut req = app.req(Method::Post, path);
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    req.send().await
}

#[rocket::async_test]
async fn a_refresh_by_cookie_answers_only_a_cookie() {
    let app = TestApp::new().await;
    browser_session(&app, "eve").await;
    // No x-folio-client header: the cookie still only buys a cookie.
    for _ in 0..2 {
        let res = cookie_call(&app, "/api/auth/refresh", &[]).await;
        assert_eq!(res.status, Status::Ok);
        let cookie = res.header("Set-Cookie").unwrap_or_default();
        assert!(cookie.starts_with("folio_refresh="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(res.body["access_token"].is_string(), "{}", res.text);
        assert!(res.body.get("refresh_token").is_none(), "{}", res.text);
    }
}

#[rocket::async_test]
async fn the_refresh_cookie_is_refused_from_other_origins() {
    let app =
        TestApp::with(|c| c.cors.allowed_origins = vec!["https://app.example.com".into()]).await;
    browser_session(&app, "fay").await;
    let evil: &[&[(&str, &str)]] = &[
        &[("Origin", "https://evil.example")],
        &[
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        &[("Sec-Fetch-Site", "cross-site")],
        &[
            ("Sec-Fetch-Site", "same-site"),
            ("Origin", "https://sub.folio.test"),
        ],
        &[("Origin", "null"), ("Host", "folio.test")],
    ];
    for path in ["/api/auth/refresh", "/api/auth/logout"] {
        for headers in evil {
            let res = cookie_call(&app, path, headers).await;
            assert_eq!(res.status, Status::Forbidden, "{path} {headers:?}");
            assert!(res.header("Set-Cookie").is_none(), "{path}");
            assert_error(&res.body, "cross_origin_refused");
        }
    }
    // The session survived every refusal; its own site, a configured
    // origin and a client that is no browser may use the cookie.
    let fine: &[&[(&str, &str)]] = &[
        &[],
        &[("Origin", "http://folio.test"), ("Host", "folio.test")],
        &[("Sec-Fetch-Site", "same-origin")],
        &[
            ("Origin", "https://app.example.com"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
    ];
    for headers in fine {
        let res = cookie_call(&app, "/api/auth/refresh", headers).await;
        assert_eq!(res.status, Status::Ok, "{headers:?}");
    }
    let res = cookie_call(
        &app,
        "/api/auth/logout",
        &[("Origin", "http://folio.test"), ("Host", "folio.test")],
    )
    .await;
    assert_eq!(res.status, Status::NoContent);
    // A token in the body is no cookie: any origin may present it.
    let s = app.register("gus").await;
    app.req(Method::Post, "/api/auth/refresh")
        .header("Origin", "https://evil.example")
        .json(&json!({"refresh_token": refresh_of(&s)}))
        .send()
        .await
        .expect(Status::Ok);
}
