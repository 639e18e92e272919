//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every REST route.
//!
//! Built from a table rather than derived from handler signatures: handlers
//! take raw query strings (so a bad value is the contract's `400`, never
//! Rocket's `422`), which a derive would describe as typed parameters. A test
//! checks that every mounted `/api` route appears here, so none is forgotten.

use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route};

/// One operation: method, path, tag, summary, who may call it, parameters,
/// request body schema, success status and schema.
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    auth: Auth,
    params: &'static [&'static str],
    body: Option<&'static str>,
    status: &'static str,
    response: Option<&'static str>,
}

#[derive(Clone, Copy, PartialEq)]
enum Auth {
    None,
    Optional,
    Required,
}

const OPS: &[Op] = &[
    Op {
        method: "post",
        path: "/api/auth/register",
        tag: "auth",
        summary: "Create an account and a session",
        auth: Auth::None,
        params: &[],
        body: Some("Register"),
        status: "201",
        response: Some("Session"),
    },
    Op {
        method: "post",
        path: "/api/auth/login",
        tag: "auth",
        summary: "Log in by email or username",
        auth: Auth::None,
        params: &[],
        body: Some("Login"),
        status: "200",
        response: Some("Session"),
    },
    Op {
        method: "post",
        path: "/api/auth/refresh",
        tag: "auth",
        summary: "Rotate a refresh token (body or cookie)",
        auth: Auth::None,
        params: &[],
        body: Some("Refresh"),
        status: "200",
        response: Some("Session"),
    },
    Op {
        method: "post",
        path: "/api/auth/logout",
        tag: "auth",
        summary: "End the refresh token's session",
        auth: Auth::None,
        params: &[],
        body: Some("Refresh"),
        status: "204",
        response: None,
    },
    Op {
        method: "post",
        path: "/api/auth/logout-all",
        tag: "auth",
        summary: "End every session and access token of the caller",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "204",
        response: None,
    },
    Op {
        method: "get",
        path: "/api/auth/me",
        tag: "auth",
        summary: "The caller",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: Some("UserEnvelope"),
    },
    Op {
        method: "post",
        path: "/api/auth/password",
        tag: "auth",
        summary: "Change password; other sessions end",
        auth: Auth::Required,
        params: &[],
        body: Some("PasswordChange"),
        status: "200",
        response: Some("Session"),
    },
    Op {
        method: "get",
        path: "/api/users",
        tag: "users",
        summary: "List users",
        auth: Auth::Required,
        params: &["page", "limit", "search", "sort"],
        body: None,
        status: "200",
        response: Some("UserList"),
    },
    Op {
        method: "post",
        path: "/api/users",
        tag: "users",
        summary: "Create a user (admin, key write)",
        auth: Auth::Required,
        params: &[],
        body: Some("CreateUser"),
        status: "201",
        response: Some("UserEnvelope"),
    },
    Op {
        method: "get",
        path: "/api/users/{id}",
        tag: "users",
        summary: "One user",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "200",
        response: Some("UserEnvelope"),
    },
    Op {
        method: "patch",
        path: "/api/users/{id}",
        tag: "users",
        summary: "Change a user (honours If-Match)",
        auth: Auth::Required,
        params: &["id", "If-Match"],
        body: Some("UpdateUser"),
        status: "200",
        response: Some("UserEnvelope"),
    },
    Op {
        method: "delete",
        path: "/api/users/{id}",
        tag: "users",
        summary: "Delete a user and their posts",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "204",
        response: None,
    },
    Op {
        method: "get",
        path: "/api/users/{id}/posts",
        tag: "users",
        summary: "A user's posts",
        auth: Auth::Optional,
        params: &["id", "page", "limit", "cursor", "published", "sort"],
        body: None,
        status: "200",
        response: Some("PostList"),
    },
    Op {
        method: "get",
        path: "/api/posts",
        tag: "posts",
        summary: "List posts",
        auth: Auth::Optional,
        params: &["page", "limit", "cursor", "author_id", "published", "sort"],
        body: None,
        status: "200",
        response: Some("PostList"),
    },
    Op {
        method: "post",
        path: "/api/posts",
        tag: "posts",
        summary: "Create a post",
        auth: Auth::Required,
        params: &[],
        body: Some("CreatePost"),
        status: "201",
        response: Some("PostEnvelope"),
    },
    Op {
        method: "get",
        path: "/api/posts/{id}",
        tag: "posts",
        summary: "One post by id or slug (ETag, If-None-Match)",
        auth: Auth::Optional,
        params: &["id", "If-None-Match"],
        body: None,
        status: "200",
        response: Some("PostEnvelope"),
    },
    Op {
        method: "patch",
        path: "/api/posts/{id}",
        tag: "posts",
        summary: "Change a post (honours If-Match)",
        auth: Auth::Required,
        params: &["id", "If-Match"],
        body: Some("UpdatePost"),
        status: "200",
        response: Some("PostEnvelope"),
    },
    Op {
        method: "delete",
        path: "/api/posts/{id}",
        tag: "posts",
        summary: "Delete a post",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "204",
        response: None,
    },
    Op {
        method: "post",
        path: "/api/posts/{id}/publish",
        tag: "posts",
        summary: "Publish (sets published_at the first time)",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "200",
        response: Some("PostEnvelope"),
    },
    Op {
        method: "post",
        path: "/api/posts/{id}/unpublish",
        tag: "posts",
        summary: "Unpublish",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "200",
        response: Some("PostEnvelope"),
    },
    Op {
        method: "get",
        path: "/api/search",
        tag: "posts",
        summary: "Full-text search over published posts",
        auth: Auth::Optional,
        params: &["q", "page", "limit"],
        body: None,
        status: "200",
        response: Some("SearchResults"),
    },
    Op {
        method: "post",
        path: "/api/admin/setup",
        tag: "admin",
        summary: "Create the first admin with the one-time token",
        auth: Auth::None,
        params: &[],
        body: Some("Setup"),
        status: "201",
        response: Some("Session"),
    },
    Op {
        method: "post",
        path: "/api/admin/api-keys",
        tag: "admin",
        summary: "Create an API key (shown once)",
        auth: Auth::Required,
        params: &[],
        body: Some("CreateApiKey"),
        status: "201",
        response: Some("CreatedApiKey"),
    },
    Op {
        method: "get",
        path: "/api/admin/api-keys",
        tag: "admin",
        summary: "List active API keys",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: Some("ApiKeyList"),
    },
    Op {
        method: "delete",
        path: "/api/admin/api-keys/{id}",
        tag: "admin",
        summary: "Revoke an API key",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "204",
        response: None,
    },
    Op {
        method: "get",
        path: "/api/events",
        tag: "events",
        summary: "Server-Sent Events stream of changes (types filter, Last-Event-ID resume)",
        auth: Auth::Required,
        params: &["types", "Last-Event-ID"],
        body: None,
        status: "200",
        response: None,
    },
    Op {
        method: "post",
        path: "/api/admin/webhooks",
        tag: "webhooks",
        summary: "Create a webhook (secret shown once)",
        auth: Auth::Required,
        params: &[],
        body: Some("CreateWebhook"),
        status: "201",
        response: Some("CreatedWebhook"),
    },
    Op {
        method: "get",
        path: "/api/admin/webhooks",
        tag: "webhooks",
        summary: "List webhooks",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: Some("WebhookList"),
    },
    Op {
        method: "get",
        path: "/api/admin/webhooks/{id}",
        tag: "webhooks",
        summary: "One webhook",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "200",
        response: Some("WebhookEnvelope"),
    },
    Op {
        method: "patch",
        path: "/api/admin/webhooks/{id}",
        tag: "webhooks",
        summary: "Change url, events or enabled",
        auth: Auth::Required,
        params: &["id"],
        body: Some("UpdateWebhook"),
        status: "200",
        response: Some("WebhookEnvelope"),
    },
    Op {
        method: "delete",
        path: "/api/admin/webhooks/{id}",
        tag: "webhooks",
        summary: "Delete a webhook",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "204",
        response: None,
    },
    Op {
        method: "post",
        path: "/api/admin/webhooks/{id}/ping",
        tag: "webhooks",
        summary: "Send a test event",
        auth: Auth::Required,
        params: &["id"],
        body: None,
        status: "200",
        response: Some("DeliveryEnvelope"),
    },
    Op {
        method: "get",
        path: "/api/admin/webhooks/{id}/deliveries",
        tag: "webhooks",
        summary: "Deliveries, newest first",
        auth: Auth::Required,
        params: &["id", "page", "limit"],
        body: None,
        status: "200",
        response: Some("DeliveryList"),
    },
    Op {
        method: "post",
        path: "/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        tag: "webhooks",
        summary: "Queue a delivery again",
        auth: Auth::Required,
        params: &["id", "delivery_id"],
        body: None,
        status: "200",
        response: Some("DeliveryEnvelope"),
    },
    Op {
        method: "get",
        path: "/api/admin/stats",
        tag: "admin",
        summary: "Dashboard figures",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: Some("Stats"),
    },
    Op {
        method: "get",
        path: "/api/admin/config",
        tag: "admin",
        summary: "The effective configuration, secrets masked",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: None,
    },
    Op {
        method: "post",
        path: "/api/admin/backup",
        tag: "admin",
        summary: "Write a verified online backup",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "201",
        response: Some("Backup"),
    },
    Op {
        method: "get",
        path: "/api/admin/backups",
        tag: "admin",
        summary: "List backups",
        auth: Auth::Required,
        params: &[],
        body: None,
        status: "200",
        response: Some("BackupList"),
    },
    Op {
        method: "get",
        path: "/api/admin/backups/{name}",
        tag: "admin",
        summary: "Download a backup",
        auth: Auth::Required,
        params: &["name"],
        body: None,
        status: "200",
        response: None,
    },
    Op {
        method: "get",
        path: "/api/openapi.json",
        tag: "meta",
        summary: "This document",
        auth: Auth::None,
        params: &[],
        body: None,
        status: "200",
        response: None,
    },
];

fn param(name: &str) -> Value {
    let (location, schema, description) = match name {
        "id" => (
            "path",
            json!({"type": "string"}),
            "UUID (posts also accept a slug)",
        ),
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
        "If-Match" | "If-None-Match" => ("header", json!({"type": "string"}), "ETag"),
        _ => (
            "query",
            json!({"type": "string", "enum": ["username", "-username", "created_at", "-created_at", "-published_at", "published_at", "title"]}),
            "Sort order",
        ),
    };
    json!({"name": name, "in": location, "required": location == "path" || name == "q", "schema": schema, "description": description})
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": reference("Error")}}})
}

fn operation(op: &Op) -> Value {
    let mut responses = serde_json::Map::new();
    let ok = match op.response {
        Some(schema) => {
            json!({"description": "Success", "content": {"application/json": {"schema": reference(schema)}}})
        }
        None => json!({"description": "Success"}),
    };
    responses.insert(op.status.to_string(), ok);
    if op.method == "get" && op.path.ends_with("{id}") {
        responses.insert(
            "304".into(),
            json!({"description": "Not modified (If-None-Match)"}),
        );
    }
    if !op.params.is_empty() || op.body.is_some() {
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
    if matches!(op.path, "/api/auth/refresh" | "/api/auth/logout") {
        responses.insert(
            "403".into(),
            error_response("Refresh cookie sent from another origin"),
        );
    }
    if op.path.contains('{') {
        responses.insert("404".into(), error_response("Not found"));
    }
    if op.method == "patch" {
        responses.insert("412".into(), error_response("If-Match does not match"));
    }
    if op.body.is_some() {
        responses.insert(
            "409".into(),
            error_response("Conflict (duplicate or last admin)"),
        );
        responses.insert("413".into(), error_response("Body too large"));
        responses.insert("415".into(), error_response("Content-Type is not JSON"));
    }
    responses.insert(
        "429".into(),
        error_response("Rate limited (see Retry-After)"),
    );
    let mut o = json!({
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-', '.'], "_")),
        "parameters": op.params.iter().map(|p| param(p)).collect::<Vec<_>>(),
        "responses": responses,
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

fn schemas() -> Value {
    let ts = json!({"type": "string", "format": "date-time"});
    let pagination = json!({"type": "object", "properties": {
        "page": {"type": "integer"}, "limit": {"type": "integer"}, "total": {"type": "integer"},
        "pages": {"type": "integer"}, "next_cursor": {"type": ["string", "null"]}, "exact": {"type": "boolean"}}});
    json!({
        "Error": {"type": "object", "required": ["error", "code", "correlation_id"], "properties": {
            "error": {"type": "string"}, "code": {"type": "string"}, "correlation_id": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}},
        "User": {"type": "object", "required": ["id", "username", "created_at"], "properties": {
            "id": {"type": "string", "format": "uuid"}, "username": {"type": "string"}, "email": {"type": "string"},
            "role": {"type": "string", "enum": ["user", "admin"]}, "disabled": {"type": "boolean"},
            "created_at": ts, "updated_at": ts}},
        "UserEnvelope": {"type": "object", "properties": {"user": reference("User")}},
        "UserList": {"type": "object", "properties": {"users": {"type": "array", "items": reference("User")}, "pagination": pagination}},
        "Post": {"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"}, "title": {"type": "string"}, "slug": {"type": "string"},
            "content": {"type": "string"}, "author": {"type": "object", "properties": {"id": {"type": "string"}, "username": {"type": "string"}}},
            "author_id": {"type": "string"}, "published": {"type": "boolean"}, "published_at": {"type": ["string", "null"], "format": "date-time"},
            "created_at": ts, "updated_at": ts}},
        "PostEnvelope": {"type": "object", "properties": {"post": reference("Post")}},
        "PostList": {"type": "object", "properties": {"posts": {"type": "array", "items": reference("Post")}, "pagination": pagination}},
        "SearchResults": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
            "post": reference("Post"), "rank": {"type": "number"}, "snippet": {"type": "string"}}}}, "pagination": pagination}},
        "Session": {"type": "object", "properties": {"user": reference("User"), "access_token": {"type": "string"},
            "refresh_token": {"type": "string", "description": "Absent in browser mode (x-folio-client: browser): it is in the HttpOnly cookie"},
            "token_type": {"type": "string", "const": "Bearer"}, "expires_in": {"type": "integer"}}},
        "Register": {"type": "object", "required": ["email", "username", "password"], "properties": {
            "email": {"type": "string", "format": "email"}, "username": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,30}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 128}}},
        "Login": {"type": "object", "required": ["identity", "password"], "properties": {"identity": {"type": "string"}, "password": {"type": "string"}}},
        "Refresh": {"type": "object", "properties": {"refresh_token": {"type": "string"}}},
        "PasswordChange": {"type": "object", "required": ["current_password", "new_password"], "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}},
        "CreateUser": {"allOf": [reference("Register"), {"type": "object", "properties": {"role": {"type": "string", "enum": ["user", "admin"]}, "disabled": {"type": "boolean"}}}]},
        "UpdateUser": {"type": "object", "properties": {"username": {"type": "string"}, "email": {"type": "string"}, "role": {"type": "string", "enum": ["user", "admin"]}, "disabled": {"type": "boolean"}}},
        "CreatePost": {"type": "object", "required": ["title", "content"], "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 255},
            "content": {"type": "string", "minLength": 1, "maxLength": 100000}, "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "published": {"type": "boolean"}, "author_id": {"type": "string", "format": "uuid"}}},
        "UpdatePost": {"type": "object", "properties": {"title": {"type": "string"}, "content": {"type": "string"}, "slug": {"type": "string"}}},
        "Setup": {"allOf": [reference("Register"), {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}]},
        "CreateApiKey": {"type": "object", "required": ["name", "scopes"], "properties": {"name": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "write", "admin"]}}}},
        "ApiKey": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string"}}, "created_at": ts, "last_used_at": {"type": ["string", "null"]}}},
        "CreatedApiKey": {"type": "object", "properties": {"api_key": reference("ApiKey"), "key": {"type": "string", "description": "Shown once"}}},
        "Webhook": {"type": "object", "properties": {"id": {"type": "string"}, "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"},
            "consecutive_failures": {"type": "integer"}, "created_at": ts, "updated_at": ts}},
        "WebhookEnvelope": {"type": "object", "properties": {"webhook": reference("Webhook")}},
        "WebhookList": {"type": "object", "properties": {"webhooks": {"type": "array", "items": reference("Webhook")}}},
        "CreateWebhook": {"type": "object", "required": ["url", "events"], "properties": {"url": {"type": "string", "format": "uri"},
            "events": {"type": "array", "items": {"type": "string"}}, "secret": {"type": "string"}}},
        "UpdateWebhook": {"type": "object", "properties": {"url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"}}},
        "CreatedWebhook": {"type": "object", "properties": {"webhook": reference("Webhook"), "secret": {"type": "string", "description": "Shown once"}}},
        "Delivery": {"type": "object", "properties": {"id": {"type": "string"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"]}, "attempts": {"type": "integer"},
            "last_response_code": {"type": ["integer", "null"]}, "last_error": {"type": ["string", "null"]},
            "next_attempt_at": {"type": ["string", "null"]}, "created_at": ts, "delivered_at": {"type": ["string", "null"]}}},
        "DeliveryEnvelope": {"type": "object", "properties": {"delivery": reference("Delivery")}},
        "DeliveryList": {"type": "object", "properties": {"deliveries": {"type": "array", "items": reference("Delivery")}, "pagination": pagination}},
        "Stats": {"type": "object", "properties": {"users": {"type": "integer"}, "posts": {"type": "integer"},
            "published_posts": {"type": "integer"}, "db_size_bytes": {"type": "integer"},
            "cache": {"type": "object", "properties": {"hits": {"type": "integer"}, "misses": {"type": "integer"}, "entries": {"type": "integer"}}},
            "requests": {"type": "object", "properties": {"total": {"type": "integer"}, "per_minute": {"type": "array", "items": {"type": "integer"}, "minItems": 60, "maxItems": 60}}},
            "uptime_seconds": {"type": "integer"}, "version": {"type": "string"}}},
        "Backup": {"type": "object", "properties": {"name": {"type": "string"}, "path": {"type": "string"},
            "size_bytes": {"type": "integer"}, "duration_ms": {"type": "integer"}, "created_at": ts}},
        "BackupList": {"type": "object", "properties": {"backups": {"type": "array", "items": reference("Backup")}}},
        "ApiKeyList": {"type": "object", "properties": {"api_keys": {"type": "array", "items": reference("ApiKey")}}},
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for op in OPS {
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
            "schemas": schemas(),
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
