//! `/api/posts`: permissions, drafts, slugs, paging, cursors, ETags.

use std::collections::HashSet;

use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, header, id_of, json_of, token_of, TestApp};

#[rocket::async_test]
async fn create_validates_and_answers_201_with_location() {
    let app = TestApp::new().await;
    let t = app.user_token("anna").await;
    let (status, body) = app
        .call(
            Method::Post,
            "/api/posts",
            None,
            Some(&json!({"title": "x", "content": "y"})),
        )
        .await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "missing_credentials");

    let (status, body) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "", "content": ""})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["title", "content"]);
    let (status, body) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "x".repeat(256), "content": "y"})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "title");
    let (status, body) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "t", "content": "c".repeat(100_001)})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "content");

    let res = app
        .send(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "Ünïcode Straße!", "content": "hello"})),
        )
        .await;
    assert_eq!(res.status(), Status::Created);
    let location = res.headers().get_one("Location").unwrap().to_string();
    let (_, body) = json_of(res).await;
    let post = &body["post"];
    assert_eq!(post["slug"], "unicode-strasse");
    assert_eq!(post["published"], false);
    assert_eq!(post["published_at"], Value::Null);
    assert_eq!(post["author"]["username"], "anna");
    assert_eq!(post["author"]["id"], post["author_id"]);
    assert_eq!(location, format!("/api/posts/{}", id_of(post)));
    let created = post["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    assert_eq!(app.events_of("post.created").await, 1);
}

/// The create answer is built from what was written, not read back: it
/// must be exactly what a read of the post (and its event) returns.
#[rocket::async_test]
async fn a_created_post_reads_back_exactly_as_answered() {
    let app = TestApp::new().await;
    let t = app.user_token("ada").await;
    for published in [false, true] {
        let created = app
            .post_as(
                &t,
                json!({"title": format!("Read back {published}"), "content": "body text", "published": published}),
            )
            .await;
        let (status, read) = app
            .get_as(&format!("/api/posts/{}", id_of(&created)), Some(&t))
            .await;
        assert_eq!(status, Status::Ok);
        assert_eq!(read["post"], created, "published: {published}");
        assert_eq!(created["created_at"], created["updated_at"]);
        if published {
            assert_eq!(created["published_at"], created["created_at"]);
        } else {
            assert_eq!(created["published_at"], Value::Null);
        }
        let id = id_of(&created);
        let data: String = app
            .ctx()
            .db
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT data FROM events WHERE type = 'post.created' AND data ->> '$.id' = ?1",
                    [id],
                    |r| r.get(0),
                )?)
            })
            .await
            .unwrap();
        let event: Value = serde_json::from_str(&data).unwrap();
        assert_eq!(event, created);
    }
}

#[rocket::async_test]
async fn slugs_are_unique_and_explicit_ones_conflict() {
    let app = TestApp::new().await;
    let t = app.user_token("ben").await;
    let a = app
        .post_as(&t, json!({"title": "Same Title", "content": "1"}))
        .await;
    let b = app
        .post_as(&t, json!({"title": "Same title", "content": "2"}))
        .await;
    let c = app
        .post_as(&t, json!({"title": "same-title", "content": "3"}))
        .await;
    assert_eq!(
        (a["slug"].as_str(), b["slug"].as_str(), c["slug"].as_str()),
        (
            Some("same-title"),
            Some("same-title-2"),
            Some("same-title-3")
        )
    );
    let (status, body) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "x", "content": "y", "slug": "same-title"})),
        )
        .await;
    assert_eq!(status, Status::Conflict);
    assert_error(&body, "conflict");
    for bad in ["Bad Slug", "0190a0b0-0000-7000-8000-000000000000", "a--b"] {
        let (status, body) = app
            .call(
                Method::Post,
                "/api/posts",
                Some(&t),
                Some(&json!({"title": "x", "content": "y", "slug": bad})),
            )
            .await;
        assert_eq!(status, Status::BadRequest, "{bad}");
        assert_eq!(body["details"][0]["field"], "slug");
    }
    // Concurrent creates with the same title still get distinct slugs.
    let race = json!({"title": "Race", "content": "r"});
    let mut futures = Vec::new();
    for _ in 0..8 {
        futures.push(app.send(Method::Post, "/api/posts", Some(&t), Some(&race)));
    }
    let mut slugs = HashSet::new();
    for res in futures::future::join_all(futures).await {
        let (status, body) = json_of(res).await;
        assert_eq!(status, Status::Created);
        slugs.insert(body["post"]["slug"].as_str().unwrap().to_string());
    }
    assert_eq!(slugs.len(), 8);
    // A title change keeps the slug.
    let (_, body) = app
        .call(
            Method::Patch,
            &format!("/api/posts/{}", id_of(&a)),
            Some(&t),
            Some(&json!({"title": "Renamed"})),
        )
        .await;
    assert_eq!(body["post"]["slug"], "same-title");
    assert_eq!(body["post"]["title"], "Renamed");
}

#[rocket::async_test]
async fn author_id_rules() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("cleo").await;
    let b = app.register("dina").await;
    let ta = token_of(&a);
    let b_id = id_of(&b["user"]);
    let (status, _) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&ta),
            Some(&json!({"title": "x", "content": "y", "author_id": b_id})),
        )
        .await;
    assert_eq!(
        status,
        Status::Forbidden,
        "a user may not post as someone else"
    );
    let own = app
        .post_as(
            &ta,
            json!({"title": "x", "content": "y", "author_id": id_of(&a["user"])}),
        )
        .await;
    assert_eq!(own["author"]["username"], "cleo");
    let by_admin = app
        .post_as(
            &admin,
            json!({"title": "x", "content": "y", "author_id": b_id}),
        )
        .await;
    assert_eq!(by_admin["author"]["username"], "dina");
    let write = app.api_key(&admin, &["write"]).await;
    let (status, body) = app
        .call_key(
            Method::Post,
            "/api/posts",
            &write,
            Some(&json!({"title": "k", "content": "y", "author_id": b_id})),
        )
        .await;
    assert_eq!(status, Status::Created);
    assert_eq!(body["post"]["author_id"], b_id.as_str());
    let (status, body) = app
        .call_key(
            Method::Post,
            "/api/posts",
            &write,
            Some(&json!({"title": "k", "content": "y"})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(body["details"][0]["field"], "author_id");
    let (status, _) = app.call_key(Method::Post, "/api/posts", &write, Some(&json!({"title": "k", "content": "y", "author_id": "0190a0b0-0000-7000-8000-000000000000"}))).await;
    assert_eq!(status, Status::BadRequest);
    let read = app.api_key(&admin, &["read"]).await;
    let (status, _) = app
        .call_key(
            Method::Post,
            "/api/posts",
            &read,
            Some(&json!({"title": "k", "content": "y", "author_id": b_id})),
        )
        .await;
    assert_eq!(status, Status::Forbidden);
}

#[rocket::async_test]
async fn drafts_are_invisible_and_bola_is_refused() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let ta = app.user_token("eddy").await;
    let tb = app.user_token("flo").await;
    let draft = app
        .post_as(&ta, json!({"title": "Secret plan", "content": "draft"}))
        .await;
    let public = app
        .post_as(
            &ta,
            json!({"title": "Public", "content": "hi", "published": true}),
        )
        .await;
    let read = app.api_key(&admin, &["read"]).await;
    let d = format!("/api/posts/{}", id_of(&draft));
    let p = format!("/api/posts/{}", id_of(&public));
    assert_eq!(app.get_as(&d, None).await.0, Status::NotFound);
    assert_eq!(app.get_as(&d, Some(&tb)).await.0, Status::NotFound);
    assert_eq!(
        app.get_as("/api/posts/secret-plan", None).await.0,
        Status::NotFound,
        "by slug too"
    );
    assert_eq!(app.get_as(&d, Some(&ta)).await.0, Status::Ok);
    assert_eq!(app.get_as(&d, Some(&admin)).await.0, Status::Ok);
    assert_eq!(
        app.call_key(Method::Get, &d, &read, None).await.0,
        Status::Ok
    );
    assert_eq!(app.get_as("/api/posts/public", None).await.0, Status::Ok);
    assert_eq!(
        app.get_as("/api/posts/no-such-slug", None).await.0,
        Status::NotFound
    );

    // User B against every one of A's posts: drafts look absent, public ones forbidden.
    for (path, expect) in [(&d, Status::NotFound), (&p, Status::Forbidden)] {
        let (s1, _) = app
            .call(
                Method::Patch,
                path,
                Some(&tb),
                Some(&json!({"title": "pwned"})),
            )
            .await;
        let s2 = app
            .send(Method::Post, &format!("{path}/publish"), Some(&tb), None)
            .await
            .status();
        let s3 = app
            .send(Method::Post, &format!("{path}/unpublish"), Some(&tb), None)
            .await
            .status();
        let s4 = app
            .send(Method::Delete, path, Some(&tb), None)
            .await
            .status();
        assert_eq!([s1, s2, s3, s4], [expect; 4], "{path}");
    }
    // A read key sees drafts but cannot change them.
    assert_eq!(
        app.send_key(Method::Delete, &d, &read, None).await.status(),
        Status::Forbidden
    );
    assert_eq!(
        app.get_as(&d, Some(&ta)).await.1["post"]["title"],
        "Secret plan"
    );
}

#[rocket::async_test]
async fn publish_keeps_the_first_published_at() {
    let app = TestApp::new().await;
    let t = app.user_token("gil").await;
    let post = app
        .post_as(&t, json!({"title": "Pub", "content": "x"}))
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let (status, first) = app
        .call(Method::Post, &format!("{path}/publish"), Some(&t), None)
        .await;
    assert_eq!(status, Status::Ok);
    let at = first["post"]["published_at"].as_str().unwrap().to_string();
    let (_, un) = app
        .call(Method::Post, &format!("{path}/unpublish"), Some(&t), None)
        .await;
    assert_eq!(un["post"]["published"], false);
    assert_eq!(app.get_as(&path, None).await.0, Status::NotFound);
    let (_, again) = app
        .call(Method::Post, &format!("{path}/publish"), Some(&t), None)
        .await;
    assert_eq!(again["post"]["published_at"], at.as_str());
    assert_eq!(app.events_of("post.published").await, 2);
    assert_eq!(app.events_of("post.unpublished").await, 1);
    assert_eq!(
        app.send(Method::Delete, &path, Some(&t), None)
            .await
            .status(),
        Status::NoContent
    );
    assert_eq!(
        app.send(Method::Delete, &path, Some(&t), None)
            .await
            .status(),
        Status::NotFound
    );
    assert_eq!(
        app.send(Method::Post, "/api/posts/not-an-id/publish", Some(&t), None)
            .await
            .status(),
        Status::NotFound
    );
}

#[rocket::async_test]
async fn etag_304_and_if_match_412() {
    let app = TestApp::new().await;
    let t = app.user_token("hugo").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Tagged", "content": "x", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", id_of(&post));
    let res = app.get(&path).await;
    let etag = res.headers().get_one("ETag").unwrap().to_string();
    let res = app
        .client
        .get(path.clone())
        .header(header("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NotModified);
    let patch = |tag: &str| {
        app.client
            .patch(path.clone())
            .header(header("Authorization", format!("Bearer {t}")))
            .header(header("If-Match", tag.to_string()))
            .header(ContentType::JSON)
            .body(json!({"content": "new"}).to_string())
            .dispatch()
    };
    assert_eq!(patch("\"old\"").await.status(), Status::PreconditionFailed);
    assert_eq!(patch(&etag).await.status(), Status::Ok);
    assert_eq!(
        patch(&etag).await.status(),
        Status::PreconditionFailed,
        "the ETag moved on"
    );
    let res = app
        .client
        .get(path.clone())
        .header(header("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert_ne!(res.headers().get_one("ETag").unwrap(), etag);
}

#[rocket::async_test]
async fn list_filters_sorts_and_visibility() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("ivan").await;
    let ta = token_of(&a);
    let tb = app.user_token("jill").await;
    for i in 0..3 {
        app.post_as(
            &ta,
            json!({"title": format!("A pub {i}"), "content": "x", "published": true}),
        )
        .await;
    }
    app.post_as(&ta, json!({"title": "A draft", "content": "x"}))
        .await;
    app.post_as(&tb, json!({"title": "B draft", "content": "x"}))
        .await;
    let n = |v: &Value| v["posts"].as_array().unwrap().len();
    let (_, anon) = app.get_as("/api/posts", None).await;
    assert_eq!(n(&anon), 3);
    assert_eq!(anon["pagination"]["total"], 3);
    assert_eq!(anon["pagination"]["next_cursor"], Value::Null);
    assert_eq!(
        anon["posts"][0]["title"], "A pub 2",
        "newest published first"
    );
    assert_eq!(
        n(&app.get_as("/api/posts?published=false", None).await.1),
        0
    );
    assert_eq!(
        n(&app.get_as("/api/posts?published=false", Some(&tb)).await.1),
        1,
        "own drafts only"
    );
    assert_eq!(
        n(&app.get_as("/api/posts?published=any", Some(&tb)).await.1),
        4
    );
    assert_eq!(
        n(&app
            .get_as("/api/posts?published=false", Some(&admin))
            .await
            .1),
        2
    );
    assert_eq!(
        n(&app
            .get_as(&format!("/api/posts?author_id={}", id_of(&a["user"])), None)
            .await
            .1),
        3
    );
    assert_eq!(
        n(&app
            .get_as(
                "/api/posts?author_id=0190a0b0-0000-7000-8000-000000000000",
                None
            )
            .await
            .1),
        0
    );
    assert_eq!(
        n(&app.get_as("/api/posts?author_id=garbage", None).await.1),
        0
    );
    let (_, titles) = app.get_as("/api/posts?sort=title", None).await;
    assert_eq!(titles["posts"][0]["title"], "A pub 0");
    let (_, oldest) = app.get_as("/api/posts?sort=published_at", None).await;
    assert_eq!(oldest["posts"][0]["title"], "A pub 0");
    for bad in [
        "sort=bogus",
        "published=maybe",
        "limit=101",
        "page=0",
        "cursor=%21%21",
    ] {
        let (status, body) = app.get_as(&format!("/api/posts?{bad}"), None).await;
        assert_eq!(status, Status::BadRequest, "{bad}");
        assert_error(&body, "validation_failed");
    }
    let (_, last) = app.get_as("/api/posts?limit=2&page=2", None).await;
    assert_eq!(n(&last), 1);
    assert_eq!(
        last["pagination"],
        json!({"page": 2, "limit": 2, "total": 3, "pages": 2, "next_cursor": null})
    );
    let (_, empty) = app.get_as("/api/posts?limit=2&page=5", None).await;
    assert_eq!(n(&empty), 0);
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
    let (_, first) = app.get_as("/api/posts?limit=10", None).await;
    seen.extend(first["posts"].as_array().unwrap().iter().map(id_of));
    let mut cursor = first["pagination"]["next_cursor"]
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
        let (status, page) = app
            .get_as(&format!("/api/posts?limit=10&cursor={c}"), None)
            .await;
        assert_eq!(status, Status::Ok, "{page}");
        assert!(
            page["pagination"].get("total").is_none(),
            "no COUNT when paging by cursor"
        );
        seen.extend(page["posts"].as_array().unwrap().iter().map(id_of));
        cursor = page["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_string);
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 25);
    assert_eq!(unique.len(), 25);
    // A cursor is bound to its sort and filters.
    let (_, page) = app.get_as("/api/posts?limit=5", None).await;
    let c = page["pagination"]["next_cursor"].as_str().unwrap();
    let (status, _) = app
        .get_as(&format!("/api/posts?limit=5&sort=title&cursor={c}"), None)
        .await;
    assert_eq!(status, Status::BadRequest);
    let (status, _) = app
        .get_as(
            &format!("/api/posts?limit=5&published=any&cursor={c}"),
            None,
        )
        .await;
    assert_eq!(status, Status::BadRequest);
}

/// Titles long enough to fill the 80-character slug still get distinct
/// slugs however often they repeat (the suffix must fit within 80).
#[rocket::async_test]
async fn long_titles_repeat_with_distinct_slugs() {
    let app = TestApp::new().await;
    let t = app.user_token("lena").await;
    let title = "word ".repeat(30);
    let mut slugs = std::collections::HashSet::new();
    for _ in 0..12 {
        let post = app
            .post_as(&t, json!({"title": title, "content": "x"}))
            .await;
        let slug = post["slug"].as_str().unwrap().to_string();
        assert!(slug.len() <= 80, "{slug}");
        assert!(slugs.insert(slug.clone()), "{slug} given twice");
    }
}
