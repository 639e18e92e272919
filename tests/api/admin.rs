//! The embedded admin UI and the admin-only reads.

use std::time::Duration;

use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, Resp, TestApp};

async fn get(app: &TestApp, path: &str) -> Resp {
    app.req(Method::Get, path).send().await
}

#[rocket::async_test]
async fn ui_index_is_html_under_a_strict_csp() {
    let app = TestApp::new().await;
    let res = get(&app, "/admin").await.expect(Status::Ok);
    assert_eq!(res.content_type, Some(ContentType::HTML));
    let res = get(&app, "/admin/").await.expect(Status::Ok);
    assert_eq!(res.content_type, Some(ContentType::HTML));
    let csp = res.must_header("Content-Security-Policy");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(res.header("Cache-Control"), Some("no-cache"));
    assert!(res.text.contains("/admin/js/main.js"), "{}", res.text);
    assert!(!res.text.contains("<script>"), "no inline scripts");
}

#[rocket::async_test]
async fn ui_index_answers_304_to_its_etag() {
    let app = TestApp::new().await;
    let res = get(&app, "/admin/").await.expect(Status::Ok);
    app.req(Method::Get, "/admin/")
        .header("If-None-Match", res.must_header("ETag"))
        .send()
        .await
        .expect(Status::NotModified);
}

#[rocket::async_test]
async fn ui_assets_are_served_with_their_types() {
    let app = TestApp::new().await;
    let res = get(&app, "/admin/js/main.js").await.expect(Status::Ok);
    assert_eq!(res.content_type, Some(ContentType::JavaScript));
    let res = get(&app, "/admin/app.css").await.expect(Status::Ok);
    assert_eq!(res.content_type, Some(ContentType::CSS));
}

#[rocket::async_test]
async fn ui_assets_are_gzipped_when_the_client_accepts_it() {
    let app = TestApp::new().await;
    let res = app
        .req(Method::Get, "/admin/app.css")
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .expect(Status::Ok);
    assert_eq!(res.header("Content-Encoding"), Some("gzip"));
}

#[rocket::async_test]
async fn ui_client_routes_fall_back_to_the_index_and_missing_files_are_404() {
    let app = TestApp::new().await;
    let res = get(&app, "/admin/users/123").await.expect(Status::Ok);
    assert_eq!(res.content_type, Some(ContentType::HTML));
    get(&app, "/admin/js/missing.js")
        .await
        .expect(Status::NotFound);
    get(&app, "/admin/../Cargo.toml")
        .await
        .expect(Status::NotFound);
}

#[test]
fn every_ui_module_is_embedded() {
    let files = folio::admin::ui::files();
    assert!(files.iter().any(|f| f == "index.html"), "{files:?}");
    assert!(
        files.iter().any(|f| f.starts_with("js/views/")),
        "{files:?}"
    );
}

async fn stats(app: &TestApp, token: &str) -> Value {
    app.req(Method::Get, "/api/admin/stats")
        .bearer(token)
        .send()
        .await
        .expect(Status::Ok)
        .body
}

#[rocket::async_test]
async fn stats_need_an_admin() {
    let app = TestApp::new().await;
    let user = app.user_token("zoe").await;
    app.req(Method::Get, "/api/admin/stats")
        .bearer(&user)
        .send()
        .await
        .expect_error(Status::Forbidden, "forbidden");
}

#[rocket::async_test]
async fn stats_match_the_data() {
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
    let s = stats(&app, &admin).await;
    assert_eq!(
        (&s["users"], &s["posts"], &s["published_posts"]),
        (&json!(2), &json!(2), &json!(1)),
        "{s}"
    );
    assert!(s["db_size_bytes"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["requests"]["per_minute"].as_array().unwrap().len(), 60);
    assert!(s["requests"]["total"].as_u64().unwrap() >= 4, "{s}");
    assert!(
        s["requests"]["per_minute"][59].as_u64().unwrap() >= 1,
        "{s}"
    );
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
}

fn cache(s: &Value, figure: &str) -> i64 {
    s["cache"][figure].as_i64().unwrap_or(-1)
}

/// The cache figures count what reads do: a cached read is one more hit
/// and no miss beyond what a stats call itself costs.
#[rocket::async_test]
async fn stats_cache_hits_and_misses_follow_reads() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let post = app
        .post_as(
            &admin,
            json!({"title": "Cached", "content": "x", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    // What one stats call adds by itself (its caller's credentials).
    let s1 = stats(&app, &admin).await;
    let s2 = stats(&app, &admin).await;
    let own = |a: &Value, b: &Value, figure| cache(b, figure) - cache(a, figure);
    get(&app, &path).await.expect(Status::Ok);
    let s3 = stats(&app, &admin).await;
    assert!(
        own(&s2, &s3, "misses") > own(&s1, &s2, "misses"),
        "the first read missed: {s2} then {s3}"
    );
    get(&app, &path).await.expect(Status::Ok);
    let s4 = stats(&app, &admin).await;
    assert_eq!(
        own(&s3, &s4, "hits") - own(&s1, &s2, "hits"),
        1,
        "the second read was one hit: {s3} then {s4}"
    );
    assert_eq!(
        own(&s3, &s4, "misses"),
        own(&s1, &s2, "misses"),
        "and no miss: {s3} then {s4}"
    );
}

/// Entries are counted by the cache's own housekeeping, which runs during
/// later cache calls: the figure moves within a few reads.
#[rocket::async_test]
async fn stats_cache_entries_grow_as_reads_fill_the_cache() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let post = app
        .post_as(
            &admin,
            json!({"title": "Cached", "content": "x", "published": true}),
        )
        .await;
    let before = cache(&stats(&app, &admin).await, "entries");
    assert!(before >= 0);
    let path = format!("/api/posts/{}", id_of(&post));
    let mut after = before;
    for _ in 0..40 {
        get(&app, &path).await.expect(Status::Ok);
        after = cache(&stats(&app, &admin).await, "entries");
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(after > before, "entries stayed at {before}");
}

#[rocket::async_test]
async fn config_is_masked() {
    let app =
        TestApp::with(|c| c.auth.jwt_secret = folio::config::Secret::new("s".repeat(40))).await;
    let admin = app.admin_token("root").await;
    let key = app.api_key(&admin, &["admin"]).await;
    let cfg = app
        .req(Method::Get, "/api/admin/config")
        .api_key(&key)
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(cfg["auth"]["jwt_secret"], "********");
    assert_eq!(cfg["server"]["port"], 8000);
    assert!(!cfg.to_string().contains(&"s".repeat(40)));
}
