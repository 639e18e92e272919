//! GraphQL: the contract's schema and the brief's operations, the same rules
//! as REST, errors, limits, DataLoader batching, and parity with REST.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, token_of, TestApp, PASSWORD};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[rocket::async_test]
async fn register_login_and_me() {
    let app = TestApp::new().await;
    let body = app.graphql("mutation($i: CreateUserInput!) { register(input: $i) { user { id username email role } accessToken refreshToken expiresIn } }", json!({"i": {"username": "gwen", "email": "gwen@example.com", "password": PASSWORD}})).send().await.expect(Status::Ok).body;
    let payload = &body["data"]["register"];
    assert_eq!(payload["user"]["email"], "gwen@example.com");
    assert_eq!(payload["expiresIn"], 900);
    let token = payload["accessToken"].as_str().unwrap();
    let me = app
        .graphql("{ me { username email } }", json!({}))
        .bearer(token)
        .send()
        .await
        .body;
    assert_eq!(
        me["data"]["me"],
        json!({"username": "gwen", "email": "gwen@example.com"})
    );
    let anon = app
        .graphql("{ me { username } }", json!({}))
        .send()
        .await
        .body;
    assert_eq!(anon["data"]["me"], Value::Null);

    let bad = app
        .graphql(
            "mutation { login(identity: \"gwen\", password: \"nope-Nope-1\") { accessToken } }",
            json!({}),
        )
        .send()
        .await
        .body;
    assert_eq!(code(&bad), "invalid_credentials");
    let ok = app.graphql(&format!("mutation {{ login(identity: \"gwen\", password: \"{PASSWORD}\") {{ user {{ username }} }} }}"), json!({})).send().await.body;
    assert_eq!(ok["data"]["login"]["user"]["username"], "gwen");

    let invalid = app.graphql("mutation { register(input: {username: \"x\", email: \"bad\", password: \"weak\"}) { accessToken } }", json!({})).send().await.body;
    assert_eq!(code(&invalid), "validation_failed");
    let fields: Vec<&str> = invalid["errors"][0]["extensions"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "username", "password"]);
}

#[rocket::async_test]
async fn the_briefs_operations_work_under_folios_rules() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.register("hana").await;
    let ut = token_of(&user);
    let uid = id_of(&user["user"]);

    // createUser: admins only.
    let create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id username email } }";
    let vars = json!({"i": {"username": "ivo", "email": "ivo@example.com", "password": PASSWORD}});
    let denied = app
        .graphql(create, vars.clone())
        .bearer(&ut)
        .send()
        .await
        .body;
    assert_eq!(code(&denied), "forbidden");
    let anon = app.graphql(create, vars.clone()).send().await.body;
    assert_eq!(code(&anon), "missing_credentials");
    let made = app.graphql(create, vars).bearer(&admin).send().await.body;
    assert_eq!(made["data"]["createUser"]["username"], "ivo");

    // updateUser: self.
    let upd = app
        .graphql(
            "mutation($id: ID!) { updateUser(id: $id, input: {username: \"hana2\"}) { username } }",
            json!({"id": uid}),
        )
        .bearer(&ut)
        .send()
        .await
        .body;
    assert_eq!(upd["data"]["updateUser"]["username"], "hana2");

    // createPost with the brief's required authorId, publishPost, then the queries.
    let post = app.graphql("mutation($a: ID!) { createPost(input: {title: \"Brief post\", content: \"hello\", authorId: $a}) { id published author { username } } }", json!({"a": uid})).bearer(&ut).send().await.body;
    let pid = post["data"]["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(post["data"]["createPost"]["published"], false);
    let pubd = app
        .graphql(
            "mutation($id: ID!) { publishPost(id: $id) { published publishedAt } }",
            json!({"id": pid}),
        )
        .bearer(&ut)
        .send()
        .await
        .body;
    assert_eq!(pubd["data"]["publishPost"]["published"], true);
    let q = app.graphql("query($id: ID!, $u: ID!) { user(id: $u) { id username email posts { title } createdAt } users(limit: 10, offset: 0) { username } post(id: $id) { title content author { username } createdAt } posts(authorId: $u, published: true) { id } }", json!({"id": pid, "u": uid})).bearer(&ut).send().await.body;
    assert!(q.get("errors").is_none(), "{q}");
    assert_eq!(q["data"]["user"]["posts"][0]["title"], "Brief post");
    assert_eq!(q["data"]["post"]["author"]["username"], "hana2");
    assert_eq!(q["data"]["posts"].as_array().unwrap().len(), 1);
    assert_eq!(q["data"]["users"].as_array().unwrap().len(), 3);
}

#[rocket::async_test]
async fn drafts_stay_hidden_through_every_field() {
    let app = TestApp::new().await;
    let author = app.register("jana").await;
    let at = token_of(&author);
    let other = app.user_token("kemal").await;
    let draft = app
        .post_as(
            &at,
            json!({"title": "Hidden draft", "content": "secretword"}),
        )
        .await;
    app.post_as(
        &at,
        json!({"title": "Visible", "content": "secretword", "published": true}),
    )
    .await;
    let q = "query($id: ID!, $u: ID!) { post(id: $id) { title } postBySlug(slug: \"hidden-draft\") { title } posts(published: false) { title } user(id: $u) { posts { title } } search(query: \"secretword\") { post { title } snippet } }";
    let vars = json!({"id": id_of(&draft), "u": id_of(&author["user"])});
    let seen_by_other = app
        .graphql(q, vars.clone())
        .bearer(&other)
        .send()
        .await
        .body;
    let d = &seen_by_other["data"];
    assert_eq!(d["post"], Value::Null, "invisible is null, not an error");
    assert_eq!(d["postBySlug"], Value::Null);
    assert_eq!(d["posts"], json!([]));
    assert_eq!(d["user"]["posts"], json!([{"title": "Visible"}]));
    assert_eq!(d["search"].as_array().unwrap().len(), 1);
    let seen_by_author = app.graphql(q, vars).bearer(&at).send().await.body;
    let d = &seen_by_author["data"];
    assert_eq!(d["post"]["title"], "Hidden draft");
    assert_eq!(d["posts"], json!([{"title": "Hidden draft"}]));
    assert_eq!(d["user"]["posts"].as_array().unwrap().len(), 2);
    let pub_q = app
        .graphql("{ posts { title author { username email } } }", json!({}))
        .send()
        .await
        .body;
    assert_eq!(
        pub_q["data"]["posts"],
        json!([{"title": "Visible", "author": {"username": "jana", "email": null}}])
    );
}

#[rocket::async_test]
async fn rest_and_graphql_see_each_others_writes() {
    let app = TestApp::new().await;
    let t = app.user_token("lars").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Via REST", "content": "one", "published": true}),
        )
        .await;
    let id = id_of(&post);
    // Warm REST's cache, write through GraphQL, read through REST.
    app.req(Method::Get, format!("/api/posts/{id}"))
        .send()
        .await;
    let upd = app
        .graphql(
            "mutation($id: ID!) { updatePost(id: $id, input: {content: \"two\"}) { content } }",
            json!({"id": id}),
        )
        .bearer(&t)
        .send()
        .await
        .body;
    assert_eq!(upd["data"]["updatePost"]["content"], "two");
    assert_eq!(
        app.req(Method::Get, format!("/api/posts/{id}"))
            .send()
            .await
            .body["post"]["content"],
        "two"
    );
    // Write through REST, read through GraphQL.
    app.req(Method::Post, format!("/api/posts/{id}/unpublish"))
        .bearer(&t)
        .send()
        .await;
    let q = app
        .graphql(
            "query($id: ID!) { post(id: $id) { title } }",
            json!({"id": id}),
        )
        .send()
        .await
        .body;
    assert_eq!(q["data"]["post"], Value::Null);
    let del = app
        .graphql(
            "mutation($id: ID!) { deletePost(id: $id) }",
            json!({"id": id}),
        )
        .bearer(&t)
        .send()
        .await
        .body;
    assert_eq!(del["data"]["deletePost"], true);
    assert_eq!(
        app.req(Method::Get, format!("/api/posts/{id}"))
            .bearer(&t)
            .send()
            .await
            .status,
        Status::NotFound
    );
    assert_eq!(
        app.events_of("post.deleted").await,
        1,
        "the same events as REST"
    );
}

#[rocket::async_test]
async fn dataloader_keeps_the_query_count_constant() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let mut authors = Vec::new();
    for i in 0..10 {
        authors.push(id_of(&app.register(&format!("author{i}")).await["user"]));
    }
    for i in 0..50 {
        let a = &authors[i % authors.len()];
        app.post_as(&admin, json!({"title": format!("Post {i}"), "content": "x", "published": true, "author_id": a})).await;
    }
    // Background tasks (event pump, webhook dispatcher) also read now and
    // then: take the fewest round trips over a few runs.
    async fn round_trips(app: &TestApp, q: &str) -> (u64, Value) {
        let mut best = u64::MAX;
        let mut body = Value::Null;
        for _ in 0..3 {
            let before = app.ctx().db.reads();
            let b = app.graphql(q, json!({})).send().await.body;
            best = best.min(app.ctx().db.reads() - before);
            body = b;
        }
        (best, body)
    }
    let (used, body) = round_trips(
        &app,
        "{ posts(limit: 50) { title author { username posts(limit: 5) { title } } } }",
    )
    .await;
    assert_eq!(body["data"]["posts"].as_array().unwrap().len(), 50);
    assert_eq!(
        body["data"]["posts"][0]["author"]["posts"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(
        used <= 8,
        "50 posts with authors and their posts took {used} database round trips"
    );
    // Unbatched the 50-post query needs 1 + 50 + 50 round trips; a busy
    // machine may split a level into two batches, so a few are allowed.
    let (small, _) = round_trips(
        &app,
        "{ posts(limit: 5) { title author { username posts(limit: 5) { title } } } }",
    )
    .await;
    assert!(small <= 8, "5 posts: {small}, 50 posts: {used} round trips");
}

#[test]
fn committed_schema_matches_the_running_schema() {
    let sdl = folio::graphql::build_schema(&folio::config::GraphqlConfig::default()).sdl();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/schema.graphql"))
            .unwrap();
    assert_eq!(
        committed, sdl,
        "run `folio graphql-schema` and commit docs/schema.graphql"
    );
    for needle in [
        "type Query",
        "type Mutation",
        "postBySlug(slug: String!): Post",
        "search(query: String!, limit: Int, offset: Int): [SearchHit!]!",
    ] {
        assert!(sdl.contains(needle), "{needle}");
    }
}

#[rocket::async_test]
async fn graphiql_only_when_enabled_and_introspection_switch() {
    let off = TestApp::new().await;
    off.req(Method::Get, "/graphql")
        .send()
        .await
        .expect(Status::MethodNotAllowed);
    let intro = off
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .send()
        .await
        .body;
    assert_eq!(intro["data"]["__schema"]["queryType"]["name"], "Query");
    let on = TestApp::with(|c| {
        c.graphql.playground = true;
        c.graphql.introspection = false;
    })
    .await;
    let res = on.req(Method::Get, "/graphql").send().await;
    assert!(res.expect(Status::Ok).text.contains("GraphiQL"));
    let intro = on
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .send()
        .await
        .body;
    assert!(
        intro.get("errors").is_some() || intro["data"]["__schema"].is_null(),
        "{intro}"
    );
}
