//! OpenAPI links: where a created resource's id comes from, so clients and
//! stateful fuzzers can follow a create to the operations on that resource.

use rocket::serde::json::{json, Value};

use super::{operation_id, Op};

/// (create operation path, collection it creates in, JSON pointer of the id).
const CREATES: &[(&str, &str, &str)] = &[
    ("/api/auth/register", "/api/users", "/user/id"),
    ("/api/users", "/api/users", "/user/id"),
    ("/api/posts", "/api/posts", "/post/id"),
    ("/api/admin/api-keys", "/api/admin/api-keys", "/api_key/id"),
    ("/api/admin/webhooks", "/api/admin/webhooks", "/webhook/id"),
    ("/api/admin/backup", "/api/admin/backups", "/name"),
];

/// The names of a path template's parameters, in order.
fn template_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The links of `op`'s success answer, if it creates something or reports
/// a delivery; `all` is every operation of the document.
pub(super) fn links<'a>(op: &Op, all: impl Iterator<Item = &'a Op>) -> Option<Value> {
    let mut links = serde_json::Map::new();
    if let Some((_, collection, pointer)) = CREATES
        .iter()
        .find(|(path, _, _)| op.method == "post" && *path == op.path)
    {
        let prefix = format!("{collection}/{{");
        for target in all.filter(|t| t.path.starts_with(&prefix)) {
            let [param] = template_params(target.path)[..] else {
                continue;
            };
            let id = operation_id(target);
            links.insert(
                id.clone(),
                json!({"operationId": id, "parameters": {param: format!("$response.body#{pointer}")}}),
            );
        }
    } else if op.path.ends_with("/ping") {
        let target = "/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver";
        if let Some(t) = all.into_iter().find(|t| t.path == target) {
            let id = operation_id(t);
            links.insert(
                id.clone(),
                json!({"operationId": id, "parameters": {
                    "id": "$request.path.id", "delivery_id": "$response.body#/delivery/id"}}),
            );
        }
    }
    (!links.is_empty()).then_some(Value::Object(links))
}
