//! GraphQL: the contract's schema and the brief's operations, the same rules
//! as REST, errors, limits, DataLoader batching, and parity with REST.

use rocket::http::{ContentType, Method, Status};
use serde_json::{json, Value};

use crate::support::{header, id_of, json_of, token_of, TestApp, PASSWORD};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[rocket::async_test]
async fn register_login_and_me() {
    let app = TestApp::new().await;
    let (status, body) = app
        .gql(None, "mutation($i: CreateUserInput!) { register(input: $i) { user { id username email role } accessToken refreshToken expiresIn } }",
            json!({"i": {"username": "gwen", "email": "gwen@example.com", "password": PASSWORD}}))
        .await;
    assert_eq!(status, Status::Ok, "{body}");
    let payload = &body["data"]["register"];
    assert_eq!(payload["user"]["email"], "gwen@example.com");
    assert_eq!(payload["expiresIn"], 900);
    let token = payload["accessToken"].as_str().unwrap();
    let (_, me) = app
        .gql(Some(token), "{ me { username email } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({"username": "gwen", "email": "gwen@example.com"})
    );
    let (_, anon) = app.gql(None, "{ me { username } }", json!({})).await;
    assert_eq!(anon["data"]["me"], Value::Null);

    let (_, bad) = app
        .gql(
            None,
            "mutation { login(identity: \"gwen\", password: \"nope-Nope-1\") { accessToken } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad), "invalid_credentials");
    let (_, ok) = app.gql(None, &format!("mutation {{ login(identity: \"gwen\", password: \"{PASSWORD}\") {{ user {{ username }} }} }}"), json!({})).await;
    assert_eq!(ok["data"]["login"]["user"]["username"], "gwen");

    let (_, invalid) = app
        .gql(None, "mutation { register(input: {username: \"x\", email: \"bad\", password: \"weak\"}) { accessToken } }", json!({}))
        .await;
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
    let (_, denied) = app.gql(Some(&ut), create, vars.clone()).await;
    assert_eq!(code(&denied), "forbidden");
    let (_, anon) = app.gql(None, create, vars.clone()).await;
    assert_eq!(code(&anon), "missing_credentials");
    let (_, made) = app.gql(Some(&admin), create, vars).await;
    assert_eq!(made["data"]["createUser"]["username"], "ivo");

    // updateUser: self.
    let (_, upd) = app
        .gql(
            Some(&ut),
            "mutation($id: ID!) { updateUser(id: $id, input: {username: \"hana2\"}) { username } }",
            json!({"id": uid}),
        )
        .await;
    assert_eq!(upd["data"]["updateUser"]["username"], "hana2");

    // createPost with the brief's required authorId, publishPost, then the queries.
    let (_, post) = app
        .gql(Some(&ut), "mutation($a: ID!) { createPost(input: {title: \"Brief post\", content: \"hello\", authorId: $a}) { id published author { username } } }", json!({"a": uid}))
        .await;
    let pid = post["data"]["createPost"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(post["data"]["createPost"]["published"], false);
    let (_, pubd) = app
        .gql(
            Some(&ut),
            "mutation($id: ID!) { publishPost(id: $id) { published publishedAt } }",
            json!({"id": pid}),
        )
        .await;
    assert_eq!(pubd["data"]["publishPost"]["published"], true);
    let (_, q) = app
        .gql(Some(&ut), "query($id: ID!, $u: ID!) { user(id: $u) { id username email posts { title } createdAt } users(limit: 10, offset: 0) { username } post(id: $id) { title content author { username } createdAt } posts(authorId: $u, published: true) { id } }", json!({"id": pid, "u": uid}))
        .await;
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
    let (_, seen_by_other) = app.gql(Some(&other), q, vars.clone()).await;
    let d = &seen_by_other["data"];
    assert_eq!(d["post"], Value::Null, "invisible is null, not an error");
    assert_eq!(d["postBySlug"], Value::Null);
    assert_eq!(d["posts"], json!([]));
    assert_eq!(d["user"]["posts"], json!([{"title": "Visible"}]));
    assert_eq!(d["search"].as_array().unwrap().len(), 1);
    let (_, seen_by_author) = app.gql(Some(&at), q, vars).await;
    let d = &seen_by_author["data"];
    assert_eq!(d["post"]["title"], "Hidden draft");
    assert_eq!(d["posts"], json!([{"title": "Hidden draft"}]));
    assert_eq!(d["user"]["posts"].as_array().unwrap().len(), 2);
    let (_, pub_q) = app
        .gql(
            None,
            "{ posts { title author { username email } } }",
            json!({}),
        )
        .await;
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
    app.get_as(&format!("/api/posts/{id}"), None).await;
    let (_, upd) = app
        .gql(
            Some(&t),
            "mutation($id: ID!) { updatePost(id: $id, input: {content: \"two\"}) { content } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(upd["data"]["updatePost"]["content"], "two");
    assert_eq!(
        app.get_as(&format!("/api/posts/{id}"), None).await.1["post"]["content"],
        "two"
    );
    // Write through REST, read through GraphQL.
    app.send(
        Method::Post,
        &format!("/api/posts/{id}/unpublish"),
        Some(&t),
        None,
    )
    .await;
    let (_, q) = app
        .gql(
            None,
            "query($id: ID!) { post(id: $id) { title } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(q["data"]["post"], Value::Null);
    let (_, del) = app
        .gql(
            Some(&t),
            "mutation($id: ID!) { deletePost(id: $id) }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(del["data"]["deletePost"], true);
    assert_eq!(
        app.get_as(&format!("/api/posts/{id}"), Some(&t)).await.0,
        Status::NotFound
    );
    assert_eq!(
        app.events_of("post.deleted").await,
        1,
        "the same events as REST"
    );
}

#[rocket::async_test]
async fn errors_codes_and_request_level_statuses() {
    let app = TestApp::new().await;
    let t = app.user_token("mila").await;
    let other = app.user_token("nora").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Mine", "content": "x", "published": true}),
        )
        .await;
    let (_, forbidden) = app
        .gql(
            Some(&other),
            "mutation($id: ID!) { deletePost(id: $id) }",
            json!({"id": id_of(&post)}),
        )
        .await;
    assert_eq!(code(&forbidden), "forbidden");
    assert_eq!(forbidden["errors"][0]["path"], json!(["deletePost"]));
    // An argument async-graphql cannot coerce is the caller's error too.
    let (_, out_of_range) = app
        .gql(Some(&t), "{ posts(limit: 99999999999) { id } }", json!({}))
        .await;
    assert_eq!(code(&out_of_range), "validation_failed", "{out_of_range}");
    assert_eq!(
        out_of_range["errors"][0]["extensions"]["classification"],
        "BAD_USER_INPUT"
    );
    // Tooling tells a refused request from a failed resolver by this marker.
    assert_eq!(
        forbidden["errors"][0]["extensions"]["classification"],
        "BAD_USER_INPUT"
    );
    let (_, nf) = app
        .gql(
            Some(&t),
            "mutation { publishPost(id: \"nope\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&nf), "not_found");
    let (_, conflict) = app
        .gql(
            Some(&t),
            "mutation { createPost(input: {title: \"x\", content: \"y\", slug: \"mine\"}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&conflict), "conflict");

    // Request-level: bad token → 401 with the GraphQL error shape.
    let (status, body) = app.gql(Some("garbage"), "{ me { id } }", json!({})).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(code(&body), "invalid_token");
    // Unparsable or invalid queries → 400, never 5xx.
    for q in [
        "{ me { ",
        "{ nonsense }",
        "query { posts(limit: \"x\") { id } }",
        "",
    ] {
        let (status, body) = app.gql(None, q, json!({})).await;
        assert_eq!(status, Status::BadRequest, "{q}: {body}");
        assert_eq!(code(&body), "validation_failed", "{body}");
    }
    let (_, too_many) = app
        .gql(None, "{ posts(limit: 101) { id } }", json!({}))
        .await;
    assert_eq!(code(&too_many), "validation_failed");
}

#[rocket::async_test]
async fn malformed_bodies_and_content_types() {
    let app = TestApp::new().await;
    let post_raw = |ct: Option<ContentType>, body: &'static str| {
        let mut req = app.client.post("/graphql").body(body);
        if let Some(ct) = ct {
            req = req.header(ct);
        }
        req.dispatch()
    };
    let res = post_raw(Some(ContentType::Plain), "{\"query\": \"{ me { id } }\"}").await;
    assert_eq!(
        res.status(),
        Status::UnsupportedMediaType,
        "no CSRF via text/plain"
    );
    let (_, body) = json_of(res).await;
    assert_eq!(code(&body), "unsupported_media_type");
    assert_eq!(
        post_raw(Some(ContentType::Form), "query=%7Bme%7D")
            .await
            .status(),
        Status::UnsupportedMediaType
    );
    assert_eq!(
        post_raw(None, "{}").await.status(),
        Status::UnsupportedMediaType
    );
    for raw in [
        "{",
        "[]",
        "{\"query\": 5}",
        "null",
        "\"x\"",
        "{\"query\": \"{ me { id } }\", \"variables\": 7}",
    ] {
        let status = post_raw(Some(ContentType::JSON), raw).await.status();
        assert!(status.code >= 400 && status.code < 500, "{raw}: {status}");
    }
    // Mutations over GET are not possible: GET is not a GraphQL endpoint.
    let res = app
        .client
        .get("/graphql?query=mutation%7BdeletePost(id%3A%22x%22)%7D")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::MethodNotAllowed);
}

#[rocket::async_test]
async fn depth_complexity_and_batch_limits() {
    let app = TestApp::with(|c| {
        c.graphql.max_depth = 5;
        c.graphql.max_complexity = 300;
        c.graphql.max_batch = 3;
    })
    .await;
    let deep = "{ posts { author { posts { author { posts { author { username } } } } } } }";
    let (status, body) = app.gql(None, deep, json!({})).await;
    assert_eq!(status, Status::BadRequest, "{body}");
    let costly = "{ posts(limit: 100) { author { posts(limit: 100) { id } } } }";
    let (status, body) = app.gql(None, costly, json!({})).await;
    assert_eq!(status, Status::BadRequest, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{body}"
    );
    let (status, _) = app.gql(None, "{ posts(limit: 5) { id } }", json!({})).await;
    assert_eq!(status, Status::Ok);

    let one = json!({"query": "{ posts { id } }"});
    let batch = |n: usize| Value::Array(vec![one.clone(); n]);
    let (status, body) = app
        .call(Method::Post, "/graphql", None, Some(&batch(3)))
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body.as_array().unwrap().len(), 3);
    let (status, _) = app
        .call(Method::Post, "/graphql", None, Some(&batch(4)))
        .await;
    assert_eq!(status, Status::BadRequest);
}

#[rocket::async_test]
async fn login_fields_count_against_the_auth_limit() {
    let app = TestApp::with(|c| c.rate_limit.auth_requests = 3).await;
    let q = "mutation { a: login(identity: \"x\", password: \"y\") { accessToken } b: login(identity: \"x\", password: \"y\") { accessToken } }";
    let (status, _) = app.gql(None, q, json!({})).await;
    assert_eq!(status, Status::Ok, "2 of 3");
    let (status, body) = app.gql(None, q, json!({})).await;
    assert_eq!(status, Status::TooManyRequests, "aliases count: {body}");
    assert_eq!(code(&body), "rate_limited");
    // The refused request spent nothing: one login is still allowed.
    let batch = |id: &str| {
        app.client
            .post("/graphql")
            .header(ContentType::JSON)
            .header(header("x-correlation-id", id))
            .body(json!([{"query": "mutation { login(identity: \"x\", password: \"y\") { expiresIn } }"}]).to_string())
            .dispatch()
    };
    assert_eq!(batch("gql-1").await.status(), Status::Ok, "the third");
    let res = batch("gql-2").await;
    assert_eq!(res.status(), Status::TooManyRequests, "batches count too");
    assert!(res.headers().get_one("Retry-After").is_some());
}

#[rocket::async_test]
async fn the_default_limit_answers_graphql_in_the_graphql_error_shape() {
    let app = TestApp::with(|c| c.rate_limit.default_requests = 2).await;
    for _ in 0..2 {
        let (status, _) = app.gql(None, "{ __typename }", json!({})).await;
        assert_eq!(status, Status::Ok);
    }
    let res = app
        .client
        .post("/graphql")
        .header(ContentType::JSON)
        .body(json!({"query": "{ __typename }"}).to_string())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::TooManyRequests);
    assert!(res.headers().get_one("Retry-After").is_some());
    let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_eq!(code(&body), "rate_limited", "{body}");
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    // REST keeps its own shape.
    let (status, body) = app.call(Method::Get, "/api/posts", None, None).await;
    assert_eq!(status, Status::TooManyRequests);
    assert_eq!(body["code"], "rate_limited", "{body}");
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
            let (_, b) = app.gql(None, q, json!({})).await;
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
    assert_eq!(off.get("/graphql").await.status(), Status::MethodNotAllowed);
    let (_, intro) = off
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(intro["data"]["__schema"]["queryType"]["name"], "Query");
    let on = TestApp::with(|c| {
        c.graphql.playground = true;
        c.graphql.introspection = false;
    })
    .await;
    let res = on.get("/graphql").await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.into_string().await.unwrap().contains("GraphiQL"));
    let (_, intro) = on
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(
        intro.get("errors").is_some() || intro["data"]["__schema"].is_null(),
        "{intro}"
    );
}
