//! `GET /api/posts`: filters, sorts, visibility, pages and cursors.

use std::collections::HashSet;

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, id_of, token_of, Resp, TestApp};

/// Three published posts and a draft by `ivan`, a draft by `jill`.
struct Listed {
    app: TestApp,
    admin: String,
    ivan: String,
    ivan_id: String,
    jill: String,
}

async fn listed() -> Listed {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("ivan").await;
    let ivan = token_of(&a);
    let jill = app.user_token("jill").await;
    for i in 0..3 {
        app.post_as(
            &ivan,
            json!({"title": format!("A pub {i}"), "content": "x", "published": true}),
        )
        .await;
    }
    app.post_as(&ivan, json!({"title": "A draft", "content": "x"}))
        .await;
    app.post_as(&jill, json!({"title": "B draft", "content": "x"}))
        .await;
    Listed {
        ivan_id: id_of(&a["user"]),
        app,
        admin,
        ivan,
        jill,
    }
}

async fn list(app: &TestApp, query: &str, token: Option<&str>) -> Resp {
    app.req(Method::Get, format!("/api/posts{query}"))
        .bearer_opt(token)
        .send()
        .await
}

fn count(res: &Resp) -> usize {
    res.body["posts"].as_array().map_or(0, Vec::len)
}

#[rocket::async_test]
async fn the_anonymous_feed_lists_published_posts_newest_first() {
    let l = listed().await;
    let res = list(&l.app, "", None).await.expect(Status::Ok);
    assert_eq!(count(&res), 3);
    assert_eq!(res.body["pagination"]["total"], 3);
    assert_eq!(res.body["pagination"]["next_cursor"], Value::Null);
    assert_eq!(res.body["posts"][0]["title"], "A pub 2");
}

#[rocket::async_test]
async fn filters_show_only_the_drafts_a_caller_may_see() {
    let l = listed().await;
    let nobody = "0190a0b0-0000-7000-8000-000000000000";
    let by_ivan = format!("?author_id={}", l.ivan_id);
    let cases: [(&str, Option<&str>, usize); 8] = [
        ("?published=false", None, 0),
        ("?published=false", Some(&l.jill), 1),
        ("?published=any", Some(&l.jill), 4),
        ("?published=any", Some(&l.ivan), 4),
        ("?published=false", Some(&l.admin), 2),
        (&by_ivan, None, 3),
        (&format!("?author_id={nobody}"), None, 0),
        ("?author_id=garbage", None, 0),
    ];
    for (query, token, expected) in cases {
        let res = list(&l.app, query, token).await.expect(Status::Ok);
        assert_eq!(count(&res), expected, "{query} as {token:?}");
    }
}

#[rocket::async_test]
async fn sorts_by_title_and_by_published_at() {
    let l = listed().await;
    for query in ["?sort=title", "?sort=published_at"] {
        let res = list(&l.app, query, None).await.expect(Status::Ok);
        assert_eq!(res.body["posts"][0]["title"], "A pub 0", "{query}");
    }
}

#[rocket::async_test]
async fn bad_list_parameters_are_400() {
    let l = listed().await;
    for bad in [
        "sort=bogus",
        "published=maybe",
        "limit=101",
        "page=0",
        "cursor=%21%21",
    ] {
        let res = list(&l.app, &format!("?{bad}"), None).await;
        assert_eq!(res.status, Status::BadRequest, "{bad}");
        assert_error(&res.body, "validation_failed");
    }
}

#[rocket::async_test]
async fn pages_carry_their_pagination() {
    let l = listed().await;
    let last = list(&l.app, "?limit=2&page=2", None)
        .await
        .expect(Status::Ok);
    assert_eq!(count(&last), 1);
    assert_eq!(
        last.body["pagination"],
        json!({"page": 2, "limit": 2, "total": 3, "pages": 2, "next_cursor": null})
    );
    let past = list(&l.app, "?limit=2&page=5", None)
        .await
        .expect(Status::Ok);
    assert_eq!(count(&past), 0);
}

#[rocket::async_test]
async fn cursor_walk_sees_every_post_once_while_posts_are_added() {
    let app = TestApp::new().await;
    let t = app.user_token("kurt").await;
    for i in 0..25 {
        app.post_as(
            &t,
            json!({"title": format!("P{i}"), "content": "x", "published": true}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let first = list(&app, "?limit=10", None).await.expect(Status::Ok);
    seen.extend(first.body["posts"].as_array().unwrap().iter().map(id_of));
    let mut cursor = first.body["pagination"]["next_cursor"]
        .as_str()
        .map(str::to_string);
    let mut round = 0;
    while let Some(c) = cursor {
        // New posts arrive while the walk goes on; they are newer than the
        // cursor, so the walk neither repeats nor skips.
        app.post_as(
            &t,
            json!({"title": format!("New{round}"), "content": "x", "published": true}),
        )
        .await;
        round += 1;
        let page = list(&app, &format!("?limit=10&cursor={c}"), None)
            .await
            .expect(Status::Ok);
        assert!(
            page.body["pagination"].get("total").is_none(),
            "no COUNT when paging by cursor"
        );
        seen.extend(page.body["posts"].as_array().unwrap().iter().map(id_of));
        cursor = page.body["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_string);
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 25);
    assert_eq!(unique.len(), 25);
}

#[rocket::async_test]
async fn a_cursor_is_bound_to_its_sort_and_filters() {
    let l = listed().await;
    let page = list(&l.app, "?limit=2", None).await.expect(Status::Ok);
    let c = page.body["pagination"]["next_cursor"].as_str().unwrap();
    for other in ["sort=title", "published=any"] {
        let res = list(&l.app, &format!("?limit=2&{other}&cursor={c}"), None).await;
        assert_eq!(res.status, Status::BadRequest, "{other}: {}", res.text);
    }
}

/// Titles long enough to fill the 80-character slug still get distinct
/// slugs however often they repeat (the suffix must fit within 80).
#[rocket::async_test]
async fn long_titles_repeat_with_distinct_slugs() {
    let app = TestApp::new().await;
    let t = app.user_token("lena").await;
    let title = "word ".repeat(30);
    let mut slugs = HashSet::new();
    for _ in 0..12 {
        let post = app
            .post_as(&t, json!({"title": title, "content": "x"}))
            .await;
        let slug = post["slug"].as_str().unwrap().to_string();
        assert!(slug.len() <= 80, "{slug}");
        assert!(slugs.insert(slug.clone()), "{slug} given twice");
    }
}
