//! The component schemas of the OpenAPI document: one per body shape.

use rocket::serde::json::{json, Value};

use super::reference;
use crate::events::EVENT_TYPES;

/// The fields every answer of a schema carries, so that schemathesis's
/// response check catches a field gone missing.
const REQUIRED: &[(&str, &[&str])] = &[
    ("UserEnvelope", &["user"]),
    ("UserList", &["users", "pagination"]),
    (
        "Post",
        &[
            "id",
            "title",
            "slug",
            "content",
            "author",
            "author_id",
            "published",
            "published_at",
            "created_at",
            "updated_at",
        ],
    ),
    ("PostEnvelope", &["post"]),
    ("PostList", &["posts", "pagination"]),
    ("SearchResults", &["results", "pagination"]),
    (
        "Session",
        &["user", "access_token", "token_type", "expires_in"],
    ),
    (
        "ApiKey",
        &[
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "last_used_at",
        ],
    ),
    ("CreatedApiKey", &["api_key", "key"]),
    ("ApiKeyList", &["api_keys"]),
    (
        "Webhook",
        &[
            "id",
            "url",
            "events",
            "enabled",
            "consecutive_failures",
            "created_at",
            "updated_at",
        ],
    ),
    ("WebhookEnvelope", &["webhook"]),
    ("WebhookList", &["webhooks"]),
    ("CreatedWebhook", &["webhook", "secret"]),
    (
        "Delivery",
        &[
            "id",
            "webhook_id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_response_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ],
    ),
    ("DeliveryEnvelope", &["delivery"]),
    ("DeliveryList", &["deliveries", "pagination"]),
    (
        "Stats",
        &[
            "users",
            "posts",
            "published_posts",
            "db_size_bytes",
            "cache",
            "requests",
            "uptime_seconds",
            "version",
        ],
    ),
    (
        "Backup",
        &["name", "path", "size_bytes", "duration_ms", "created_at"],
    ),
    ("BackupList", &["backups"]),
];

pub(super) fn schemas() -> Value {
    let mut schemas = all();
    for (name, fields) in REQUIRED {
        schemas[*name]["required"] = json!(fields);
    }
    for (name, example) in examples() {
        schemas[name]["example"] = example;
    }
    schemas
}

/// Valid bodies, so the fuzzer's examples phase gets past the validators
/// (a password must also pass the strength check, which no schema states).
fn examples() -> [(&'static str, Value); 5] {
    let account = json!({"email": "ada@example.com", "username": "ada_l",
        "password": "Analytical-Engine-1843"});
    let mut user = account.clone();
    user["role"] = "user".into();
    [
        ("Register", account),
        ("CreateUser", user),
        (
            "CreatePost",
            json!({"title": "Notes on the engine", "content": "It weaves algebraic patterns."}),
        ),
        (
            "CreateApiKey",
            json!({"name": "deploy", "scopes": ["read", "write"]}),
        ),
        // A closed local port: deliveries fail without leaving the machine.
        (
            "CreateWebhook",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["post.published"]}),
        ),
    ]
}

fn all() -> Value {
    let ts = json!({"type": "string", "format": "date-time"});
    let pagination = json!({"type": "object", "properties": {
        "page": {"type": "integer"}, "limit": {"type": "integer"}, "total": {"type": "integer"},
        "pages": {"type": "integer"}, "next_cursor": {"type": ["string", "null"]}, "exact": {"type": "boolean"}},
        "required": ["limit"]});
    let url = json!({"type": "string", "format": "uri", "pattern": "^https?://[^/@\\s]+", "maxLength": 2048});
    let mut event_types = vec!["*"];
    event_types.extend(EVENT_TYPES);
    let events =
        json!({"type": "array", "minItems": 1, "items": {"type": "string", "enum": event_types}});
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
            "post": reference("Post"), "rank": {"type": "number"}, "snippet": {"type": "string"}}, "required": ["post", "rank", "snippet"]}},
            "pagination": pagination}},
        "Session": {"type": "object", "properties": {"user": reference("User"), "access_token": {"type": "string"},
            "refresh_token": {"type": "string", "description": "Absent in browser mode (x-folio-client: browser): it is in the HttpOnly cookie"},
            "token_type": {"type": "string", "const": "Bearer"}, "expires_in": {"type": "integer"}}},
        "Register": {"type": "object", "required": ["email", "username", "password"], "properties": {
            "email": {"type": "string", "format": "email"}, "username": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,30}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 128,
                "description": "A lower-case letter, an upper-case letter and a digit; not a common password"}}},
        "Login": {"type": "object", "required": ["identity", "password"], "properties": {"identity": {"type": "string"}, "password": {"type": "string"}}},
        "Refresh": {"type": "object", "properties": {"refresh_token": {"type": "string"}}},
        "PasswordChange": {"type": "object", "required": ["current_password", "new_password"], "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string"}}},
        "CreateUser": {"allOf": [reference("Register"), {"type": "object", "properties": {"role": {"type": "string", "enum": ["user", "admin"]}, "disabled": {"type": "boolean"}}}]},
        "UpdateUser": {"type": "object", "properties": {"username": {"type": "string", "pattern": "^[A-Za-z0-9_-]{3,30}$"}, "email": {"type": "string", "format": "email"}, "role": {"type": "string", "enum": ["user", "admin"]}, "disabled": {"type": "boolean"}}},
        "CreatePost": {"type": "object", "required": ["title", "content"], "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 255},
            "content": {"type": "string", "minLength": 1, "maxLength": 100000}, "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "published": {"type": "boolean"}, "author_id": {"type": "string", "format": "uuid"}}},
        "UpdatePost": {"type": "object", "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 255},
            "content": {"type": "string", "minLength": 1, "maxLength": 100000}, "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}}},
        "Setup": {"allOf": [reference("Register"), {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}]},
        "CreateApiKey": {"type": "object", "required": ["name", "scopes"], "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"},
            "scopes": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["read", "write", "admin"]}}}},
        "ApiKey": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "prefix": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string"}}, "created_at": ts, "last_used_at": {"type": ["string", "null"]}}},
        "CreatedApiKey": {"type": "object", "properties": {"api_key": reference("ApiKey"), "key": {"type": "string", "description": "Shown once"}}},
        "Webhook": {"type": "object", "properties": {"id": {"type": "string"}, "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"},
            "consecutive_failures": {"type": "integer"}, "created_at": ts, "updated_at": ts}},
        "WebhookEnvelope": {"type": "object", "properties": {"webhook": reference("Webhook")}},
        "WebhookList": {"type": "object", "properties": {"webhooks": {"type": "array", "items": reference("Webhook")}}},
        "CreateWebhook": {"type": "object", "required": ["url", "events"], "properties": {"url": url.clone(),
            "events": events.clone(), "secret": {"type": "string", "minLength": 16, "maxLength": 256}}},
        "UpdateWebhook": {"type": "object", "properties": {"url": url, "events": events, "enabled": {"type": "boolean"}}},
        "CreatedWebhook": {"type": "object", "properties": {"webhook": reference("Webhook"), "secret": {"type": "string", "description": "Shown once"}}},
        "Delivery": {"type": "object", "properties": {"id": {"type": "string"}, "webhook_id": {"type": "string"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
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
        "Config": {"type": "object", "description": "The effective configuration by section, secrets masked"},
        "OpenApi": {"type": "object", "required": ["openapi", "info", "paths"], "properties": {
            "openapi": {"type": "string"}, "info": {"type": "object"}, "paths": {"type": "object"}}},
        "ApiKeyList": {"type": "object", "properties": {"api_keys": {"type": "array", "items": reference("ApiKey")}}},
    })
}
