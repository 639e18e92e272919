//! The OpenAPI document against the mounted routes: the same operations both
//! ways, the same path and query parameters, a schema for every 2xx body.
//! (Every status a test sees is checked by `contract::Conformance`.)

use std::collections::BTreeSet;

use rocket::http::{Method, Status};
use serde_json::Value;

use crate::contract::normalise;
use crate::support::TestApp;

/// The names in `<a>&<b>` (a route's dynamic query segments).
fn dynamic_names(query: Option<&str>) -> BTreeSet<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|seg| seg.strip_prefix('<')?.strip_suffix('>'))
        .map(|name| name.trim_end_matches("..").to_string())
        .collect()
}

fn params_in(op: &Value, location: &str) -> Vec<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == location)
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect()
}

/// What is wrong with the document's description of one mounted route.
fn route_problems(method: &str, path: &str, query: Option<&str>, doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let found = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(p, _)| normalise(p) == normalise(path));
    let Some((doc_path, op)) =
        found.and_then(|(p, item)| Some((p, item.get(method.to_lowercase())?)))
    else {
        return vec![format!("{method} {path} is not documented")];
    };
    let templated: Vec<String> = doc_path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_string)
        .collect();
    let mut in_path = params_in(op, "path");
    in_path.sort();
    let mut wanted = templated.clone();
    wanted.sort();
    if in_path != wanted {
        problems.push(format!(
            "{method} {doc_path}: path parameters {in_path:?}, template has {templated:?}"
        ));
    }
    let in_query: BTreeSet<String> = params_in(op, "query").into_iter().collect();
    let mounted = dynamic_names(query);
    if in_query != mounted {
        problems.push(format!(
            "{method} {doc_path}: query parameters {in_query:?}, route takes {mounted:?}"
        ));
    }
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        let body_expected = status != "204" && status != "304";
        let has_schema = response["content"]
            .as_object()
            .is_some_and(|c| !c.is_empty() && c.values().all(|m| m["schema"].is_object()));
        if body_expected != has_schema {
            problems.push(format!(
                "{method} {doc_path} {status}: schema present is {has_schema}"
            ));
        }
    }
    problems
}

#[rocket::async_test]
async fn openapi_matches_the_mounted_routes_both_ways() {
    let app = TestApp::new().await;
    let doc = app
        .req(Method::Get, "/api/openapi.json")
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["apiKey"].is_object());
    let routes: Vec<_> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.uri.path().starts_with("/api"))
        .collect();
    let mut problems = Vec::new();
    let mut mounted = BTreeSet::new();
    for r in &routes {
        let method = r.method.as_str();
        mounted.insert((method.to_lowercase(), normalise(r.uri.path())));
        problems.extend(route_problems(method, r.uri.path(), r.uri.query(), &doc));
    }
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if !mounted.contains(&(method.clone(), normalise(path))) {
                problems.push(format!("{method} {path} is documented but not mounted"));
            }
        }
    }
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        if !doc["components"]["schemas"][&name].is_object() {
            problems.push(format!("dangling $ref {name}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn drift_in_parameters_or_schemas_is_found() {
    let doc = folio::openapi::document();
    let backup = "/api/admin/backups/<name>";
    assert_eq!(
        route_problems("GET", backup, None, &doc),
        Vec::<String>::new()
    );
    // The route taking a query parameter the document lacks.
    assert_eq!(route_problems("GET", backup, Some("<sort>"), &doc).len(), 1);
    // The document describing the path parameter as a query one.
    let mut drifted = doc.clone();
    drifted["paths"]["/api/admin/backups/{name}"]["get"]["parameters"][0]["in"] = "query".into();
    assert_eq!(route_problems("GET", backup, None, &drifted).len(), 2);
    // A 2xx answer without a schema.
    let mut drifted = doc.clone();
    drifted["paths"]["/api/admin/config"]["get"]["responses"]["200"] =
        serde_json::json!({"description": "Success"});
    assert_eq!(
        route_problems("GET", "/api/admin/config", None, &drifted).len(),
        1
    );
}

#[test]
fn writes_document_storage_errors_and_every_route_its_rate_limit() {
    let doc = folio::openapi::document();
    let responses = |method: &str, path: &str| doc["paths"][path][method]["responses"].clone();
    assert!(responses("delete", "/api/users/{id}")["409"].is_object());
    assert!(responses("post", "/api/admin/setup")["404"].is_object());
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let r = &op["responses"];
            assert!(r["429"].is_object(), "{method} {path} lacks 429");
            if method != "get" {
                for status in ["503", "507"] {
                    assert!(
                        r[status]["headers"]["Retry-After"].is_object(),
                        "{method} {path} lacks {status} with Retry-After"
                    );
                }
            }
        }
    }
}

#[test]
fn every_link_names_an_operation_and_its_path_parameters() {
    let doc = folio::openapi::document();
    let mut ops = std::collections::HashMap::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, i)| i)
    {
        for op in item.as_object().into_iter().flatten().map(|(_, o)| o) {
            ops.insert(
                op["operationId"].as_str().unwrap_or_default().to_string(),
                op,
            );
        }
    }
    let mut links = 0;
    for op in ops.values() {
        for response in op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
        {
            for link in response["links"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(_, l)| l)
            {
                let target = ops[link["operationId"].as_str().unwrap_or_default()];
                let mut given: Vec<&String> =
                    link["parameters"].as_object().unwrap().keys().collect();
                let mut wanted = params_in(target, "path");
                given.sort();
                wanted.sort();
                assert_eq!(given, wanted.iter().collect::<Vec<_>>(), "{link}");
                links += 1;
            }
        }
    }
    assert!(links >= 10, "only {links} links");
}

#[test]
fn every_required_field_is_a_property() {
    let doc = folio::openapi::document();
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        for field in schema["required"].as_array().into_iter().flatten() {
            let field = field.as_str().unwrap_or_default();
            assert!(
                schema["properties"][field].is_object(),
                "{name} requires {field}, which it does not describe"
            );
        }
    }
}
