//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every REST route.
//!
//! Built from a table rather than derived from handler signatures: handlers
//! take raw query strings (so a bad value is the contract's `400`, never
//! Rocket's `422`), which a derive would describe as typed parameters. The
//! integration tests hold the table to the mounted routes (method, path,
//! path and query parameters, both ways) and to every status they answer.

mod admin_ops;
mod links;
mod ops;
mod schemas;

use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route};

/// One operation: method, path, tag, summary, who may call it, parameters,
/// request body schema, success status and body, and the statuses only this
/// route answers (the ones every route of its kind answers are derived).
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
    params: &'static [&'static str],
    body: Option<&'static str>,
    status: u16,
    response: Reply,
    extra: &'static [(u16, &'static str)],
}

#[derive(Clone, Copy, PartialEq)]
enum Auth {
    None,
    Optional,
    Required,
}

/// What a success answers.
#[derive(Clone, Copy)]
enum Reply {
    Empty,
    Json(&'static str),
    EventStream,
    Binary,
}

fn param(path: &str, name: &str) -> Value {
    if path.contains(&format!("{{{name}}}")) {
        let description = match name {
            "id" if path.starts_with("/api/posts") => "Post UUID (GET also accepts a slug)",
            "id" => "UUID",
            "delivery_id" => "Delivery UUID",
            "name" => "Backup file name, as listed by GET /api/admin/backups",
            _ => "",
        };
        return json!({"name": name, "in": "path", "required": true,
            "schema": {"type": "string"}, "description": description});
    }
    let (location, schema, description) = match name {
        "page" => (
            "query",
            json!({"type": "integer", "minimum": 1, "default": 1}),
            "Page number",
        ),
        "limit" => (
            "query",
            json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
            "Items per page",
        ),
        "cursor" => (
            "query",
            json!({"type": "string"}),
            "Opaque cursor from pagination.next_cursor",
        ),
        "author_id" => (
            "query",
            json!({"type": "string", "format": "uuid"}),
            "Only this author's posts",
        ),
        "published" => (
            "query",
            json!({"type": "string", "enum": ["true", "false", "any"], "default": "true"}),
            "Drafts only for those who may see them",
        ),
        "search" => (
            "query",
            json!({"type": "string", "maxLength": 255}),
            "Case-insensitive substring of username (and email for privileged callers)",
        ),
        "q" => (
            "query",
            json!({"type": "string"}),
            "Words, \"phrases\", prefix*, -excluded, a OR b",
        ),
        "types" => (
            "query",
            json!({"type": "string"}),
            "Comma-separated event types (default: all)",
        ),
        "sort" if path.starts_with("/api/users") && !path.ends_with("/posts") => (
            "query",
            json!({"type": "string", "enum": ["username", "-username", "created_at", "-created_at"]}),
            "Sort order",
        ),
        "sort" => (
            "query",
            json!({"type": "string", "enum": ["-published_at", "published_at", "-created_at", "created_at", "title"]}),
            "Sort order",
        ),
        "If-Match" | "If-None-Match" | "Last-Event-ID" => {
            ("header", json!({"type": "string"}), "ETag or event id")
        }
        _ => ("query", json!({"type": "string"}), ""),
    };
    json!({"name": name, "in": location, "required": name == "q", "schema": schema, "description": description})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": reference("Error")}}})
}

/// A storage error answer: the error body and when to try again.
fn storage_response(description: &str) -> Value {
    let mut r = error_response(description);
    r["headers"] =
        json!({"Retry-After": {"description": "Seconds", "schema": {"type": "integer"}}});
    r
}

fn success(op: &Op) -> Value {
    let content = match op.response {
        Reply::Empty => return json!({"description": "Success, no body"}),
        Reply::Json(name) => json!({"application/json": {"schema": reference(name)}}),
        Reply::EventStream => {
            json!({"text/event-stream": {"schema": {"type": "string", "description": "SSE frames: id, event, data (the event envelope)"}}})
        }
        Reply::Binary => {
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        }
    };
    let mut ok = json!({"description": "Success", "content": content});
    if let Some(links) = links::links(op, all_ops()) {
        ok["links"] = links;
    }
    if op.status == 201 {
        ok["headers"] =
            json!({"Location": {"description": "The new resource", "schema": {"type": "string"}}});
    }
    ok
}

fn responses(op: &Op) -> serde_json::Map<String, Value> {
    let mut responses = serde_json::Map::new();
    responses.insert(op.status.to_string(), success(op));
    if op.params.contains(&"If-None-Match") {
        responses.insert(
            "304".into(),
            json!({"description": "Not modified (If-None-Match)"}),
        );
    }
    let has_query = op
        .params
        .iter()
        .any(|p| !op.path.contains(&format!("{{{p}}}")) && !p.contains('-'));
    if has_query || op.body.is_some() {
        responses.insert(
            "400".into(),
            error_response("Validation failed or invalid JSON"),
        );
    }
    if op.auth != Auth::None || op.path.starts_with("/api/auth") {
        responses.insert(
            "401".into(),
            error_response("Missing or invalid credentials"),
        );
    }
    if op.auth == Auth::Required {
        responses.insert("403".into(), error_response("Not allowed"));
    }
    if op.path.contains('{') {
        responses.insert("404".into(), error_response("Not found"));
    }
    if op.params.contains(&"If-Match") {
        responses.insert("412".into(), error_response("If-Match does not match"));
    }
    if op.body.is_some() {
        responses.insert("413".into(), error_response("Body too large"));
        responses.insert("415".into(), error_response("Content-Type is not JSON"));
    }
    responses.insert(
        "429".into(),
        error_response("Rate limited (see Retry-After)"),
    );
    if op.method != "get" {
        responses.insert(
            "503".into(),
            storage_response("storage_unavailable: the database is read-only or failing"),
        );
        responses.insert(
            "507".into(),
            storage_response("storage_full: the disk is full"),
        );
    }
    for (status, description) in op.extra {
        responses.insert(status.to_string(), error_response(description));
    }
    responses
}

fn operation_id(op: &Op) -> String {
    format!(
        "{}{}",
        op.method,
        op.path.replace(['/', '{', '}', '-', '.'], "_")
    )
}

fn all_ops() -> impl Iterator<Item = &'static Op> {
    ops::OPS.iter().chain(admin_ops::OPS)
}

fn operation(op: &Op) -> Value {
    let mut o = json!({
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": operation_id(op),
        "parameters": op.params.iter().map(|p| param(op.path, p)).collect::<Vec<_>>(),
        "responses": responses(op),
    });
    if let Some(body) = op.body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": reference(body)}}});
    }
    o["security"] = match op.auth {
        Auth::None => json!([]),
        Auth::Optional => json!([{}, {"bearer": []}, {"apiKey": []}]),
        Auth::Required => json!([{"bearer": []}, {"apiKey": []}]),
    };
    o
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in all_ops() {
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method] = operation(op);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Folio",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A users-and-posts backend in one binary. Every error is {error, code, details?, correlation_id}; every /api response carries RateLimit-Policy and RateLimit.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas::schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    })
}

#[get("/openapi.json")]
fn openapi() -> Value {
    document()
}

pub fn routes() -> Vec<Route> {
    routes![openapi]
}
