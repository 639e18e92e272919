//! Who may post as whom, and who sees or changes a draft.

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{id_of, token_of, TestApp};

#[rocket::async_test]
async fn a_user_posts_only_as_themselves() {
    let app = TestApp::new().await;
    let a = app.register("cleo").await;
    let b = app.register("dina").await;
    let ta = token_of(&a);
    let as_b = json!({"title": "x", "content": "y", "author_id": id_of(&b["user"])});
    app.req(Method::Post, "/api/posts")
        .bearer(&ta)
        .json(&as_b)
        .send()
        .await
        .expect_error(Status::Forbidden, "forbidden");
    let as_self = json!({"title": "x", "content": "y", "author_id": id_of(&a["user"])});
    let own = app.post_as(&ta, as_self).await;
    assert_eq!(own["author"]["username"], "cleo");
}

#[rocket::async_test]
async fn admins_and_write_keys_post_as_anyone() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let b_id = id_of(&app.register("dina").await["user"]);
    let body = json!({"title": "x", "content": "y", "author_id": b_id});
    let by_admin = app.post_as(&admin, body.clone()).await;
    assert_eq!(by_admin["author"]["username"], "dina");
    let write = app.api_key(&admin, &["write"]).await;
    let res = app
        .req(Method::Post, "/api/posts")
        .api_key(&write)
        .json(&body)
        .send()
        .await
        .expect(Status::Created);
    assert_eq!(res.body["post"]["author_id"], b_id.as_str());
}

/// A key is no user: it must name an author, one that exists, and a read
/// key may not post at all.
#[rocket::async_test]
async fn keys_must_name_an_existing_author_and_need_write() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let b_id = id_of(&app.register("dina").await["user"]);
    let write = app.api_key(&admin, &["write"]).await;
    let read = app.api_key(&admin, &["read"]).await;
    let nobody = "0190a0b0-0000-7000-8000-000000000000";
    let cases = [
        (
            &write,
            json!({"title": "k", "content": "y"}),
            Status::BadRequest,
        ),
        (
            &write,
            json!({"title": "k", "content": "y", "author_id": nobody}),
            Status::BadRequest,
        ),
        (
            &read,
            json!({"title": "k", "content": "y", "author_id": b_id}),
            Status::Forbidden,
        ),
    ];
    for (key, body, status) in cases {
        let req = app.req(Method::Post, "/api/posts").api_key(key).json(&body);
        let res = req.send().await;
        assert_eq!(res.status, status, "{body}: {}", res.text);
        if status == Status::BadRequest {
            assert_eq!(res.body["details"][0]["field"], "author_id", "{body}");
        }
    }
}

/// A draft and a published post by `eddy`; the app, eddy's token, and
/// the two paths.
async fn draft_and_public() -> (TestApp, String, String, String) {
    let app = TestApp::new().await;
    let ta = app.user_token("eddy").await;
    let draft = app
        .post_as(&ta, json!({"title": "Secret plan", "content": "draft"}))
        .await;
    let public = app
        .post_as(
            &ta,
            json!({"title": "Public", "content": "hi", "published": true}),
        )
        .await;
    let d = format!("/api/posts/{}", id_of(&draft));
    let p = format!("/api/posts/{}", id_of(&public));
    (app, ta, d, p)
}

#[rocket::async_test]
async fn drafts_are_seen_only_by_their_author_admins_and_keys() {
    let (app, ta, d, _) = draft_and_public().await;
    let admin = app.admin_token("root").await;
    let tb = app.user_token("flo").await;
    let read = app.api_key(&admin, &["read"]).await;
    let get = |path: &str| app.req(Method::Get, path.to_string());
    let cases = [
        ("anonymous", get(&d), Status::NotFound),
        ("by slug", get("/api/posts/secret-plan"), Status::NotFound),
        ("another user", get(&d).bearer(&tb), Status::NotFound),
        ("its author", get(&d).bearer(&ta), Status::Ok),
        ("an admin", get(&d).bearer(&admin), Status::Ok),
        ("a read key", get(&d).api_key(&read), Status::Ok),
        ("public by slug", get("/api/posts/public"), Status::Ok),
        (
            "unknown slug",
            get("/api/posts/no-such-slug"),
            Status::NotFound,
        ),
    ];
    for (who, req, status) in cases {
        assert_eq!(req.send().await.status, status, "{who}");
    }
}

/// Another user against every one of a user's posts: drafts look absent,
/// public ones are forbidden.
#[rocket::async_test]
async fn others_cannot_change_a_users_posts() {
    let (app, _, d, p) = draft_and_public().await;
    let tb = app.user_token("flo").await;
    for (path, expect) in [(&d, Status::NotFound), (&p, Status::Forbidden)] {
        let attempts = [
            app.req(Method::Patch, path.as_str())
                .json(&json!({"title": "pwned"})),
            app.req(Method::Post, format!("{path}/publish")),
            app.req(Method::Post, format!("{path}/unpublish")),
            app.req(Method::Delete, path.as_str()),
        ];
        for req in attempts {
            let res = req.bearer(&tb).send().await;
            assert_eq!(res.status, expect, "{}", res.what);
        }
    }
}

#[rocket::async_test]
async fn a_read_key_sees_drafts_but_cannot_change_them() {
    let (app, ta, d, _) = draft_and_public().await;
    let admin = app.admin_token("root").await;
    let read = app.api_key(&admin, &["read"]).await;
    let delete = app.req(Method::Delete, d.as_str()).api_key(&read);
    delete.send().await.expect(Status::Forbidden);
    let res = app.req(Method::Get, d.as_str()).bearer(&ta).send().await;
    assert_eq!(res.expect(Status::Ok).body["post"]["title"], "Secret plan");
}
