//! `PATCH /api/users/{id}`: who may change what, preconditions, disabling,
//! and the last admin.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, id_of, token_of, Resp, TestApp, PASSWORD};

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    app.req(Method::Patch, path)
        .bearer(token)
        .json(&body)
        .send()
        .await
}

/// `fred`'s path and token.
async fn fred(app: &TestApp) -> (String, String) {
    let a = app.register("fred").await;
    (format!("/api/users/{}", id_of(&a["user"])), token_of(&a))
}

#[rocket::async_test]
async fn another_user_cannot_change_a_user() {
    let app = TestApp::new().await;
    let (path, _) = fred(&app).await;
    let b = app.user_token("gina").await;
    patch(&app, &path, &b, json!({"username": "hacked"}))
        .await
        .expect_error(Status::Forbidden, "forbidden");
}

#[rocket::async_test]
async fn a_user_renames_themselves_but_cannot_set_role_or_disabled() {
    let app = TestApp::new().await;
    let (path, ta) = fred(&app).await;
    let body = json!({"username": "freddy", "role": "admin", "disabled": true});
    let me = patch(&app, &path, &ta, body).await.expect(Status::Ok).body;
    assert_eq!(me["user"]["username"], "freddy");
    assert_eq!(me["user"]["role"], "user");
    assert_eq!(me["user"]["disabled"], false);
}

#[rocket::async_test]
async fn updates_are_validated_and_names_stay_unique() {
    let app = TestApp::new().await;
    let (path, ta) = fred(&app).await;
    app.register("gina").await;
    let res = patch(&app, &path, &ta, json!({"email": "bad"}))
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "email");
    patch(&app, &path, &ta, json!({"username": "GINA"}))
        .await
        .expect_error(Status::Conflict, "conflict");
}

#[rocket::async_test]
async fn a_users_etag_answers_304_and_guards_patches() {
    let app = TestApp::new().await;
    let (path, ta) = fred(&app).await;
    let res = app.req(Method::Get, path.as_str()).bearer(&ta).send().await;
    let etag = res.expect(Status::Ok).must_header("ETag").to_string();
    app.req(Method::Get, path.as_str())
        .bearer(&ta)
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect(Status::NotModified);
    let guarded = |tag: &str| {
        app.req(Method::Patch, path.as_str())
            .bearer(&ta)
            .header("If-Match", tag.to_string())
            .json(&json!({"username": "fredo"}))
            .send()
    };
    guarded("\"stale\"")
        .await
        .expect(Status::PreconditionFailed);
    guarded(&etag).await.expect(Status::Ok);
}

#[rocket::async_test]
async fn a_disabled_user_loses_their_tokens_and_logins_until_enabled() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let (path, ta) = fred(&app).await;
    let res = patch(&app, &path, &admin, json!({"disabled": true})).await;
    assert_eq!(res.expect(Status::Ok).body["user"]["disabled"], true);
    let me = app.req(Method::Get, "/api/auth/me").bearer(&ta);
    me.send().await.expect(Status::Unauthorized);
    let login = || {
        app.req(Method::Post, "/api/auth/login")
            .json(&json!({"identity": "fred", "password": PASSWORD}))
            .send()
    };
    login()
        .await
        .expect_error(Status::Unauthorized, "invalid_credentials");
    let body = json!({"disabled": false, "role": "admin"});
    let res = patch(&app, &path, &admin, body).await.expect(Status::Ok);
    assert_eq!(res.body["user"]["role"], "admin");
    login().await.expect(Status::Ok);
    assert_eq!(app.events_of("user.updated").await, 2);
}

#[rocket::async_test]
async fn the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted() {
    let app = TestApp::new().await;
    let root = app.admin("root").await;
    let admin = token_of(&root);
    let (path, _) = fred(&app).await;
    // With two admins, one may be demoted.
    patch(&app, &path, &admin, json!({"role": "admin"}))
        .await
        .expect(Status::Ok);
    patch(&app, &path, &admin, json!({"role": "user"}))
        .await
        .expect(Status::Ok);
    let root_path = format!("/api/users/{}", id_of(&root["user"]));
    for change in [json!({"role": "user"}), json!({"disabled": true})] {
        let res = patch(&app, &root_path, &admin, change.clone()).await;
        assert_eq!(res.status, Status::Conflict, "{change}: {}", res.text);
        assert_error(&res.body, "conflict");
    }
    app.req(Method::Delete, root_path.as_str())
        .bearer(&admin)
        .send()
        .await
        .expect_error(Status::Conflict, "conflict");
}
