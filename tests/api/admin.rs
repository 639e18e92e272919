//! The embedded admin UI and the admin-only reads.

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{header, TestApp};

#[rocket::async_test]
async fn ui_is_served_with_types_etags_gzip_and_csp() {
    let app = TestApp::new().await;
    let res = app.get("/admin").await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::HTML));
    let res = app.get("/admin/").await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::HTML));
    let csp = res
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-cache"));
    let etag = res.headers().get_one("ETag").unwrap().to_string();
    let html = res.into_string().await.unwrap();
    assert!(html.contains("/admin/js/main.js"));
    assert!(!html.contains("<script>"), "no inline scripts");

    let res = app
        .client
        .get("/admin/")
        .header(header("If-None-Match", etag))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NotModified);
    let res = app.get("/admin/js/main.js").await;
    assert_eq!(
        res.content_type(),
        Some(rocket::http::ContentType::JavaScript)
    );
    let res = app.get("/admin/app.css").await;
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::CSS));
    let res = app
        .client
        .get("/admin/app.css")
        .header(header("Accept-Encoding", "gzip, br"))
        .dispatch()
        .await;
    assert_eq!(res.headers().get_one("Content-Encoding"), Some("gzip"));
    // Client-side routes fall back to index.html; missing files are 404.
    let res = app.get("/admin/users/123").await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::HTML));
    assert_eq!(
        app.get("/admin/js/missing.js").await.status(),
        Status::NotFound
    );
    assert_eq!(
        app.get("/admin/../Cargo.toml").await.status(),
        Status::NotFound
    );
    // Every file referenced by the UI's modules is embedded.
    let files = folio::admin::ui::files();
    assert!(
        files.iter().any(|f| f == "index.html") && files.iter().any(|f| f.starts_with("js/views/"))
    );
}

#[rocket::async_test]
async fn stats_match_the_data_and_need_an_admin() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("zoe").await;
    app.post_as(
        &user,
        json!({"title": "One", "content": "x", "published": true}),
    )
    .await;
    app.post_as(&user, json!({"title": "Two", "content": "x"}))
        .await;
    let (status, _) = app.get_as("/api/admin/stats", Some(&user)).await;
    assert_eq!(status, Status::Forbidden);
    let (status, s) = app.get_as("/api/admin/stats", Some(&admin)).await;
    assert_eq!(status, Status::Ok, "{s}");
    assert_eq!(
        (
            s["users"].as_i64(),
            s["posts"].as_i64(),
            s["published_posts"].as_i64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert!(s["db_size_bytes"].as_u64().unwrap() > 0);
    assert_eq!(s["requests"]["per_minute"].as_array().unwrap().len(), 60);
    assert!(s["requests"]["total"].as_u64().unwrap() >= 4);
    assert!(s["requests"]["per_minute"][59].as_u64().unwrap() >= 1);
    assert!(s["cache"]["hits"].is_u64() && s["cache"]["entries"].is_u64());
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
}

#[rocket::async_test]
async fn config_is_masked() {
    let app =
        TestApp::with(|c| c.auth.jwt_secret = folio::config::Secret::new("s".repeat(40))).await;
    let admin = app.admin_token("root").await;
    let key = app.api_key(&admin, &["admin"]).await;
    let (status, cfg) = app
        .call_key(Method::Get, "/api/admin/config", &key, None)
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(cfg["auth"]["jwt_secret"], "********");
    assert_eq!(cfg["server"]["port"], 8000);
    assert!(!cfg.to_string().contains(&"s".repeat(40)));
}
