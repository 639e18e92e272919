//! GraphQL against standard tooling and hostile documents: the standard
//! introspection query, limits that still hold for data, logins in
//! fragments, error amplification, response size, and suggestions.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{TestApp, PASSWORD};

/// graphql-js's `getIntrospectionQuery()` (see the fixture's header).
const INTROSPECTION: &str = include_str!("../fixtures/introspection_query.graphql");

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

fn message(body: &Value) -> String {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[rocket::async_test]
async fn the_standard_introspection_query_is_answered_in_full() {
    let app = TestApp::new().await;
    let body = app
        .graphql(INTROSPECTION, json!({}))
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    let types = schema["types"].as_array().unwrap();
    let named = |name: &str| types.iter().find(|t| t["name"] == name);
    // Every type of the SDL is there, with its fields.
    let sdl = folio::graphql::build_schema(&folio::config::GraphqlConfig::default()).sdl();
    for line in sdl.lines() {
        let Some(rest) = line
            .strip_prefix("type ")
            .or_else(|| line.strip_prefix("input "))
        else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap();
        let t = named(name).unwrap_or_else(|| panic!("{name} missing"));
        let members = if line.starts_with("input") {
            &t["inputFields"]
        } else {
            &t["fields"]
        };
        assert!(!members.as_array().unwrap().is_empty(), "{name}: {t}");
    }
    let post = named("Post").unwrap();
    let author = post["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "author")
        .unwrap();
    assert_eq!(author["type"]["kind"], "NON_NULL");
    assert_eq!(author["type"]["ofType"]["name"], "User");
    let directives: Vec<&str> = schema["directives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for d in ["include", "skip", "deprecated"] {
        assert!(directives.contains(&d), "{directives:?}");
    }

    // The switch still turns it off.
    let off = TestApp::with(|c| c.graphql.introspection = false).await;
    off.graphql(INTROSPECTION, json!({}))
        .send()
        .await
        .expect(Status::BadRequest);
}

#[rocket::async_test]
async fn data_queries_cannot_hide_inside_introspection() {
    let app = TestApp::new().await;
    let deep = "posts(limit: 1) { author { posts(limit: 1) { author { posts(limit: 1) { author { posts(limit: 1) { author { posts(limit: 1) { author { posts(limit: 1) { id } } } } } } } } } } }";
    for q in [
        format!("{{ __schema {{ queryType {{ name }} }} {deep} }}"),
        format!("{{ __schema {{ queryType {{ name }} }} ...D }} fragment D on Query {{ {deep} }}"),
        format!("{{ __schema {{ queryType {{ name }} }} ... {{ {deep} }} }}"),
        format!("query I {{ __schema {{ queryType {{ name }} }} }} query Q {{ {deep} }}"),
    ] {
        let body = json!({"query": q, "operationName": "Q"});
        let body = if q.starts_with("query I") {
            body
        } else {
            json!({"query": q})
        };
        let res = app.req(Method::Post, "/graphql").json(&body).send().await;
        assert_eq!(res.status, Status::BadRequest, "{q}");
        let got = message(&res.body);
        assert_eq!(got, "Query is nested too deep.", "{q}: {}", res.text);
    }
    // Introspection that multiplies lists past what tools ask for.
    let wide = "{ __schema { types { fields { type { fields { type { fields { type { fields { type { ofType { name } } } } } } } } } } } }";
    app.graphql(wide, json!({}))
        .send()
        .await
        .expect(Status::BadRequest);
}

#[rocket::async_test]
async fn logins_nested_in_fragments_count_against_the_auth_limit() {
    let app = TestApp::with(|c| c.rate_limit.auth_requests = 10).await;
    app.register("gwen").await;
    // The shape: logins nine inline fragments deep, more than the
    // limit allows, and one more in a named fragment.
    let logins: String = (0..10)
        .map(|i| {
            format!("a{i}: login(identity: \"gwen\", password: \"nope-Nope-{i}\") {{ expiresIn }} ")
        })
        .collect();
    let q = format!(
        "mutation {{ {open}{logins}{close} ...L }} fragment L on Mutation {{ b: login(identity: \"gwen\", password: \"{PASSWORD}\") {{ expiresIn }} }}",
        open = "... { ".repeat(9),
        close = "} ".repeat(9),
    );
    let body = app
        .graphql(&q, json!({}))
        .send()
        .await
        .expect(Status::TooManyRequests)
        .body;
    assert_eq!(code(&body), "rate_limited");
}

#[rocket::async_test]
async fn duplicated_definitions_answer_one_small_error() {
    let app = TestApp::new().await;
    let q = format!("query({}){{__typename}}", "$a:Int ".repeat(120_000));
    let res = app
        .graphql(&q, json!({}))
        .send()
        .await
        .expect(Status::BadRequest);
    assert!(res.text.len() < 1024, "{} bytes", res.text.len());
    let body = res.body;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(code(&body), "validation_failed");

    // Errors the validator finds one by one are capped.
    let unknown = "nope ".repeat(900);
    let body = app
        .graphql(&format!("{{ {unknown}}}"), json!({}))
        .send()
        .await
        .expect(Status::BadRequest)
        .body;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 21, "{}", errors.len());
    assert_eq!(errors[20]["extensions"]["code"], "too_many_errors");
}

#[rocket::async_test]
async fn responses_over_the_size_limit_are_replaced_by_one_error() {
    let app = TestApp::with(|c| c.graphql.max_response_bytes = 4096).await;
    let token = app.user_token("gwen").await;
    for i in 0..5 {
        app.post_as(
            &token,
            json!({"title": format!("Post {i}"), "content": "x".repeat(2000), "published": true}),
        )
        .await;
    }
    let body = app
        .graphql("{ posts { content } }", json!({}))
        .send()
        .await
        .expect(Status::BadRequest)
        .body;
    assert_eq!(code(&body), "response_too_large");
    app.graphql("{ posts(limit: 1) { content } }", json!({}))
        .send()
        .await
        .expect(Status::Ok);
}

#[rocket::async_test]
async fn no_field_suggestions_while_introspection_is_off() {
    let query = "{ me { emai } users(limt: 1) { id } }";
    let on = TestApp::new().await;
    let body = on.graphql(query, json!({})).send().await.body;
    assert!(
        body.to_string().contains("Did you mean \\\"email\\\""),
        "{body}"
    );
    let off = TestApp::with(|c| c.graphql.introspection = false).await;
    let body = off
        .graphql(query, json!({}))
        .send()
        .await
        .expect(Status::BadRequest)
        .body;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    assert!(!body.to_string().contains("email"), "{body}");
}
