//! `/api/users`: visibility, permissions (BOLA), pagination, ETags.

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{assert_error, header, id_of, json_of, token_of, TestApp, PASSWORD};

#[rocket::async_test]
async fn list_requires_authentication_and_paginates() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for i in 0..5 {
        app.register(&format!("user{i}")).await;
    }
    let (status, body) = app.get_as("/api/users", None).await;
    assert_eq!(status, Status::Unauthorized);
    assert_error(&body, "missing_credentials");

    let (status, body) = app.get_as("/api/users?limit=2&page=2", Some(&admin)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["pagination"],
        json!({"page": 2, "limit": 2, "total": 6, "pages": 3})
    );
    let (_, body) = app.get_as("/api/users?limit=2&page=9", Some(&admin)).await;
    assert_eq!(
        body["users"].as_array().unwrap().len(),
        0,
        "past the last page is empty"
    );
    let (status, _) = app.get_as("/api/users?limit=100", Some(&admin)).await;
    assert_eq!(status, Status::Ok);
    for bad in [
        "limit=101",
        "limit=0",
        "page=0",
        "page=x",
        "sort=email",
        "limit=-1",
    ] {
        let (status, body) = app.get_as(&format!("/api/users?{bad}"), Some(&admin)).await;
        assert_eq!(status, Status::BadRequest, "{bad}");
        assert_error(&body, "validation_failed");
        assert!(body["details"][0]["field"].is_string());
    }
    let (_, body) = app.get_as("/api/users?sort=username", Some(&admin)).await;
    let names: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
    let (_, body) = app.get_as("/api/users?sort=-username", Some(&admin)).await;
    assert_eq!(body["users"][0]["username"], "user4");
}

#[rocket::async_test]
async fn search_escapes_wildcards_and_hides_emails_from_plain_users() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let plain = app.user_token("plain_one").await;
    app.register("percent").await;
    let (_, body) = app.get_as("/api/users?search=_one", Some(&admin)).await;
    assert_eq!(
        body["pagination"]["total"], 1,
        "`_` is a literal underscore: {body}"
    );
    let (_, body) = app.get_as("/api/users?search=%25", Some(&admin)).await;
    assert_eq!(body["pagination"]["total"], 0, "`%` is literal");
    // "example.com" is only in emails.
    let (_, body) = app
        .get_as("/api/users?search=example.com", Some(&admin))
        .await;
    assert_eq!(body["pagination"]["total"], 3);
    let (_, body) = app
        .get_as("/api/users?search=example.com", Some(&plain))
        .await;
    assert_eq!(
        body["pagination"]["total"], 0,
        "plain users cannot search emails"
    );
    let (status, _) = app
        .get_as(
            &format!("/api/users?search={}", "x".repeat(256)),
            Some(&admin),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn private_fields_only_for_self_admins_and_keys() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("alice").await;
    let b = app.user_token("bobby").await;
    let id = id_of(&a["user"]);
    let (_, own) = app
        .get_as(&format!("/api/users/{id}"), Some(&token_of(&a)))
        .await;
    assert_eq!(own["user"]["email"], "alice@example.com");
    let (_, other) = app.get_as(&format!("/api/users/{id}"), Some(&b)).await;
    assert_eq!(
        other["user"],
        json!({"id": id, "username": "alice", "created_at": own["user"]["created_at"]})
    );
    let (_, by_admin) = app.get_as(&format!("/api/users/{id}"), Some(&admin)).await;
    assert_eq!(by_admin["user"]["role"], "user");
    let key = app.api_key(&admin, &["read"]).await;
    let (_, by_key) = app
        .call_key(Method::Get, &format!("/api/users/{id}"), &key, None)
        .await;
    assert_eq!(by_key["user"]["disabled"], false);
    let (_, list) = app.get_as("/api/users", Some(&b)).await;
    assert!(list["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u.get("email").is_none() || u["username"] == "bobby"));
    assert!(!list.to_string().contains("argon2"));
}

#[rocket::async_test]
async fn malformed_and_unknown_ids_are_404() {
    let app = TestApp::new().await;
    let t = app.user_token("carl").await;
    for path in [
        "/api/users/not-a-uuid",
        "/api/users/0190a0b0-0000-7000-8000-000000000000",
        "/api/users/%00",
    ] {
        let (status, body) = app.get_as(path, Some(&t)).await;
        assert_eq!(status, Status::NotFound, "{path}");
        assert_error(&body, "not_found");
    }
    let (status, _) = app.get_as("/api/users/nope/posts", None).await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn create_user_permissions_roles_and_location() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("dora").await;
    let body = |name: &str, role: &str| json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD, "role": role});
    let (status, _) = app
        .call(
            Method::Post,
            "/api/users",
            Some(&user),
            Some(&body("eve1", "user")),
        )
        .await;
    assert_eq!(status, Status::Forbidden);
    let res = app
        .send(
            Method::Post,
            "/api/users",
            Some(&admin),
            Some(&body("mod1", "admin")),
        )
        .await;
    assert_eq!(res.status(), Status::Created);
    let location = res.headers().get_one("Location").unwrap().to_string();
    let (_, created) = json_of(res).await;
    assert_eq!(created["user"]["role"], "admin");
    assert_eq!(location, format!("/api/users/{}", id_of(&created["user"])));
    let (status, _) = app.get_as(&location, Some(&admin)).await;
    assert_eq!(status, Status::Ok);

    let write = app.api_key(&admin, &["write"]).await;
    let (status, created) = app
        .call_key(
            Method::Post,
            "/api/users",
            &write,
            Some(&body("svc1", "admin")),
        )
        .await;
    assert_eq!(status, Status::Created);
    assert_eq!(
        created["user"]["role"], "user",
        "a write key cannot set roles"
    );
    let read = app.api_key(&admin, &["read"]).await;
    let (status, _) = app
        .call_key(
            Method::Post,
            "/api/users",
            &read,
            Some(&body("svc2", "user")),
        )
        .await;
    assert_eq!(status, Status::Forbidden);

    let (status, _) = app
        .call(
            Method::Post,
            "/api/users",
            Some(&admin),
            Some(&body("mod1", "user")),
        )
        .await;
    assert_eq!(status, Status::Conflict);
    let (status, b) = app
        .call(
            Method::Post,
            "/api/users",
            Some(&admin),
            Some(&body("mod2", "king")),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(b["details"][0]["field"], "role");
}

#[rocket::async_test]
async fn patch_self_others_roles_and_preconditions() {
    let app = TestApp::new().await;
    let admin_s = app.admin("root").await;
    let admin = token_of(&admin_s);
    let a = app.register("fred").await;
    let b = app.user_token("gina").await;
    let id = id_of(&a["user"]);
    let path = format!("/api/users/{id}");
    let ta = token_of(&a);

    // BOLA: another user cannot change fred.
    let (status, _) = app
        .call(
            Method::Patch,
            &path,
            Some(&b),
            Some(&json!({"username": "hacked"})),
        )
        .await;
    assert_eq!(status, Status::Forbidden);
    // Fred renames himself; a role in the body is ignored.
    let (status, me) = app
        .call(
            Method::Patch,
            &path,
            Some(&ta),
            Some(&json!({"username": "freddy", "role": "admin", "disabled": true})),
        )
        .await;
    assert_eq!(status, Status::Ok, "{me}");
    assert_eq!(me["user"]["username"], "freddy");
    assert_eq!(me["user"]["role"], "user");
    assert_eq!(me["user"]["disabled"], false);
    let (status, b2) = app
        .call(
            Method::Patch,
            &path,
            Some(&ta),
            Some(&json!({"email": "bad"})),
        )
        .await;
    assert_eq!(status, Status::BadRequest);
    assert_eq!(b2["details"][0]["field"], "email");
    let (status, _) = app
        .call(
            Method::Patch,
            &path,
            Some(&ta),
            Some(&json!({"username": "GINA"})),
        )
        .await;
    assert_eq!(status, Status::Conflict);

    // ETag / If-None-Match / If-Match.
    let res = app.send(Method::Get, &path, Some(&ta), None).await;
    let etag = res.headers().get_one("ETag").unwrap().to_string();
    let res = app
        .client
        .get(path.clone())
        .header(header("Authorization", format!("Bearer {ta}")))
        .header(header("If-None-Match", etag.clone()))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::NotModified);
    let res = app
        .client
        .patch(path.clone())
        .header(header("Authorization", format!("Bearer {ta}")))
        .header(header("If-Match", "\"stale\""))
        .header(rocket::http::ContentType::JSON)
        .body(json!({"username": "fredo"}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::PreconditionFailed);
    let res = app
        .client
        .patch(path.clone())
        .header(header("Authorization", format!("Bearer {ta}")))
        .header(header("If-Match", etag))
        .header(rocket::http::ContentType::JSON)
        .body(json!({"username": "fredo"}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);

    // Admin disables fred: his token dies at once; re-enable.
    let (status, body) = app
        .call(
            Method::Patch,
            &path,
            Some(&admin),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["user"]["disabled"], true);
    assert_eq!(
        app.get_as("/api/auth/me", Some(&ta)).await.0,
        Status::Unauthorized
    );
    let (status, _) = app
        .post_for(
            "/api/auth/login",
            &json!({"identity": "fredo", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, Status::Unauthorized);
    let (_, body) = app
        .call(
            Method::Patch,
            &path,
            Some(&admin),
            Some(&json!({"disabled": false, "role": "admin"})),
        )
        .await;
    assert_eq!(body["user"]["role"], "admin");
    assert!(app.events_of("user.updated").await >= 3);

    // Demoting everyone but the last admin works; the last one is refused.
    let (status, _) = app
        .call(
            Method::Patch,
            &path,
            Some(&admin),
            Some(&json!({"role": "user"})),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let root_path = format!("/api/users/{}", id_of(&admin_s["user"]));
    let (status, body) = app
        .call(
            Method::Patch,
            &root_path,
            Some(&admin),
            Some(&json!({"role": "user"})),
        )
        .await;
    assert_eq!(status, Status::Conflict);
    assert_error(&body, "conflict");
    let (status, _) = app
        .call(
            Method::Patch,
            &root_path,
            Some(&admin),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, Status::Conflict);
    let res = app
        .send(Method::Delete, &root_path, Some(&admin), None)
        .await;
    assert_eq!(res.status(), Status::Conflict);
}

#[rocket::async_test]
async fn delete_user_takes_their_posts() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("hank").await;
    let b = app.user_token("iris").await;
    let ta = token_of(&a);
    let id = id_of(&a["user"]);
    let post = app
        .post_as(
            &ta,
            json!({"title": "Bye", "content": "soon gone", "published": true}),
        )
        .await;
    let path = format!("/api/users/{id}");
    assert_eq!(
        app.send(Method::Delete, &path, Some(&b), None)
            .await
            .status(),
        Status::Forbidden
    );
    let write = app.api_key(&admin, &["write"]).await;
    assert_eq!(
        app.send_key(Method::Delete, &path, &write, None)
            .await
            .status(),
        Status::Forbidden,
        "deleting users needs an admin key"
    );
    assert_eq!(
        app.send(Method::Delete, &path, Some(&ta), None)
            .await
            .status(),
        Status::NoContent
    );
    assert_eq!(app.get_as(&path, Some(&admin)).await.0, Status::NotFound);
    assert_eq!(
        app.get_as(&format!("/api/posts/{}", id_of(&post)), None)
            .await
            .0,
        Status::NotFound
    );
    let (_, search) = app.get_as("/api/search?q=bye", None).await;
    assert_eq!(search["pagination"]["total"], 0, "search entries go too");
    assert_eq!(app.events_of("post.deleted").await, 1);
    assert_eq!(app.events_of("user.deleted").await, 1);
}

#[rocket::async_test]
async fn a_users_posts_respect_draft_visibility() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("jack").await;
    let ta = token_of(&a);
    let other = app.user_token("kate").await;
    app.post_as(
        &ta,
        json!({"title": "Public", "content": "x", "published": true}),
    )
    .await;
    app.post_as(&ta, json!({"title": "Draft", "content": "x"}))
        .await;
    let base = format!("/api/users/{}/posts", id_of(&a["user"]));
    let count = |v: &serde_json::Value| v["posts"].as_array().unwrap().len();
    let (_, anon) = app.get_as(&base, None).await;
    assert_eq!(count(&anon), 1);
    let (_, anon_drafts) = app.get_as(&format!("{base}?published=false"), None).await;
    assert_eq!(count(&anon_drafts), 0);
    let (_, other_any) = app
        .get_as(&format!("{base}?published=any"), Some(&other))
        .await;
    assert_eq!(count(&other_any), 1);
    let (_, own_any) = app
        .get_as(&format!("{base}?published=any"), Some(&ta))
        .await;
    assert_eq!(count(&own_any), 2);
    let (_, admin_drafts) = app
        .get_as(&format!("{base}?published=false"), Some(&admin))
        .await;
    assert_eq!(count(&admin_drafts), 1);
}
