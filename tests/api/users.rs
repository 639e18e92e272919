//! `/api/users`: listing, search, private fields, creating and deleting.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, id_of, token_of, Resp, TestApp, PASSWORD};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Resp {
    app.req(Method::Get, path).bearer_opt(token).send().await
}

fn names(res: &Resp) -> Vec<&str> {
    res.body["users"]
        .as_array()
        .map(|u| u.iter().filter_map(|u| u["username"].as_str()).collect())
        .unwrap_or_default()
}

#[rocket::async_test]
async fn listing_users_needs_a_credential() {
    let app = TestApp::new().await;
    get(&app, "/api/users", None)
        .await
        .expect_error(Status::Unauthorized, "missing_credentials");
}

#[rocket::async_test]
async fn the_list_pages_and_sorts() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for i in 0..5 {
        app.register(&format!("user{i}")).await;
    }
    let page = get(&app, "/api/users?limit=2&page=2", Some(&admin)).await;
    let page = page.expect(Status::Ok);
    assert_eq!(names(&page).len(), 2);
    assert_eq!(
        page.body["pagination"],
        json!({"page": 2, "limit": 2, "total": 6, "pages": 3})
    );
    let past = get(&app, "/api/users?limit=2&page=9", Some(&admin)).await;
    assert!(names(&past.expect(Status::Ok)).is_empty(), "past the end");
    get(&app, "/api/users?limit=100", Some(&admin))
        .await
        .expect(Status::Ok);
    let sorted = get(&app, "/api/users?sort=username", Some(&admin)).await;
    let sorted = names(&sorted);
    let mut expected = sorted.clone();
    expected.sort_by_key(|n| n.to_lowercase());
    assert_eq!(sorted, expected);
    let reversed = get(&app, "/api/users?sort=-username", Some(&admin)).await;
    assert_eq!(names(&reversed)[0], "user4");
}

#[rocket::async_test]
async fn bad_list_parameters_name_their_field() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for bad in [
        "limit=101",
        "limit=0",
        "page=0",
        "page=x",
        "sort=email",
        "limit=-1",
    ] {
        let res = get(&app, &format!("/api/users?{bad}"), Some(&admin)).await;
        assert_eq!(res.status, Status::BadRequest, "{bad}");
        assert_error(&res.body, "validation_failed");
        assert!(res.body["details"][0]["field"].is_string(), "{bad}");
    }
}

async fn search_total(app: &TestApp, term: &str, token: &str) -> Value {
    let res = get(app, &format!("/api/users?search={term}"), Some(token)).await;
    res.expect(Status::Ok).body["pagination"]["total"].clone()
}

#[rocket::async_test]
async fn search_escapes_wildcards_and_hides_emails_from_plain_users() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let plain = app.user_token("plain_one").await;
    app.register("percent").await;
    assert_eq!(
        search_total(&app, "_one", &admin).await,
        1,
        "`_` is literal"
    );
    assert_eq!(search_total(&app, "%25", &admin).await, 0, "`%` is literal");
    // "example.com" is only in emails.
    assert_eq!(search_total(&app, "example.com", &admin).await, 3);
    assert_eq!(
        search_total(&app, "example.com", &plain).await,
        0,
        "plain users cannot search emails"
    );
    let long = format!("/api/users?search={}", "x".repeat(256));
    get(&app, &long, Some(&admin))
        .await
        .expect(Status::BadRequest);
}

#[rocket::async_test]
async fn private_fields_only_for_self_admins_and_keys() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("alice").await;
    let b = app.user_token("bobby").await;
    let path = format!("/api/users/{}", id_of(&a["user"]));
    let own = get(&app, &path, Some(&token_of(&a)))
        .await
        .expect(Status::Ok);
    assert_eq!(own.body["user"]["email"], "alice@example.com");
    let other = get(&app, &path, Some(&b)).await.expect(Status::Ok);
    assert_eq!(
        other.body["user"],
        json!({"id": id_of(&a["user"]), "username": "alice", "created_at": own.body["user"]["created_at"]})
    );
    let by_admin = get(&app, &path, Some(&admin)).await.expect(Status::Ok);
    assert_eq!(by_admin.body["user"]["role"], "user");
    let key = app.api_key(&admin, &["read"]).await;
    let by_key = app
        .req(Method::Get, path.as_str())
        .api_key(&key)
        .send()
        .await;
    assert_eq!(by_key.expect(Status::Ok).body["user"]["disabled"], false);
    let list = get(&app, "/api/users", Some(&b)).await.expect(Status::Ok);
    let users = list.body["users"].as_array().unwrap();
    assert!(
        users
            .iter()
            .all(|u| u.get("email").is_none() || u["username"] == "bobby"),
        "{}",
        list.text
    );
    assert!(!list.text.contains("argon2"));
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
        let res = get(&app, path, Some(&t)).await;
        assert_eq!(res.status, Status::NotFound, "{path}");
        assert_error(&res.body, "not_found");
    }
    get(&app, "/api/users/nope/posts", None)
        .await
        .expect(Status::NotFound);
}

fn new_user(name: &str, role: &str) -> Value {
    json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD, "role": role})
}

async fn create_user(app: &TestApp, token: &str, body: Value) -> Resp {
    app.req(Method::Post, "/api/users")
        .bearer(token)
        .json(&body)
        .send()
        .await
}

#[rocket::async_test]
async fn admins_create_users_with_roles_and_a_location() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let res = create_user(&app, &admin, new_user("mod1", "admin")).await;
    let res = res.expect(Status::Created);
    assert_eq!(res.body["user"]["role"], "admin");
    let location = res.must_header("Location");
    assert_eq!(location, format!("/api/users/{}", id_of(&res.body["user"])));
    get(&app, location, Some(&admin)).await.expect(Status::Ok);
    create_user(&app, &admin, new_user("mod1", "user"))
        .await
        .expect_error(Status::Conflict, "conflict");
    let res = create_user(&app, &admin, new_user("mod2", "king")).await;
    let res = res.expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(res.body["details"][0]["field"], "role");
}

#[rocket::async_test]
async fn plain_users_and_read_keys_cannot_create_users() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("dora").await;
    create_user(&app, &user, new_user("eve1", "user"))
        .await
        .expect_error(Status::Forbidden, "forbidden");
    let read = app.api_key(&admin, &["read"]).await;
    let res = app
        .req(Method::Post, "/api/users")
        .api_key(&read)
        .json(&new_user("svc2", "user"))
        .send()
        .await;
    res.expect(Status::Forbidden);
}

#[rocket::async_test]
async fn a_write_key_creates_users_but_cannot_set_roles() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let write = app.api_key(&admin, &["write"]).await;
    let res = app
        .req(Method::Post, "/api/users")
        .api_key(&write)
        .json(&new_user("svc1", "admin"))
        .send()
        .await
        .expect(Status::Created);
    assert_eq!(res.body["user"]["role"], "user");
}

#[rocket::async_test]
async fn deleting_a_user_takes_their_posts_and_search_entries() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("hank").await;
    let ta = token_of(&a);
    let post = app
        .post_as(
            &ta,
            json!({"title": "Bye", "content": "soon gone", "published": true}),
        )
        .await;
    let path = format!("/api/users/{}", id_of(&a["user"]));
    let delete = app.req(Method::Delete, path.as_str()).bearer(&ta);
    delete.send().await.expect(Status::NoContent);
    get(&app, &path, Some(&admin))
        .await
        .expect(Status::NotFound);
    let post_path = format!("/api/posts/{}", id_of(&post));
    get(&app, &post_path, None).await.expect(Status::NotFound);
    let search = get(&app, "/api/search?q=bye", None).await;
    let search = search.expect(Status::Ok);
    assert_eq!(
        search.body["pagination"]["total"], 0,
        "search entries go too"
    );
    assert_eq!(app.events_of("post.deleted").await, 1);
    assert_eq!(app.events_of("user.deleted").await, 1);
}

#[rocket::async_test]
async fn only_the_user_and_admins_delete_a_user() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let a = app.register("hank").await;
    let b = app.user_token("iris").await;
    let path = format!("/api/users/{}", id_of(&a["user"]));
    let delete = || app.req(Method::Delete, path.as_str());
    delete().bearer(&b).send().await.expect(Status::Forbidden);
    let write = app.api_key(&admin, &["write"]).await;
    // Deleting users needs an admin key.
    let by_key = delete().api_key(&write).send().await;
    by_key.expect(Status::Forbidden);
    delete()
        .bearer(&admin)
        .send()
        .await
        .expect(Status::NoContent);
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
    let cases: [(&str, Option<&str>, usize); 5] = [
        ("", None, 1),
        ("?published=false", None, 0),
        ("?published=any", Some(&other), 1),
        ("?published=any", Some(&ta), 2),
        ("?published=false", Some(&admin), 1),
    ];
    for (query, token, expected) in cases {
        let res = get(&app, &format!("{base}{query}"), token).await;
        let res = res.expect(Status::Ok);
        let n = res.body["posts"].as_array().map_or(0, Vec::len);
        assert_eq!(n, expected, "{query} as {token:?}");
    }
}
