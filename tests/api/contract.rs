//! A fairing every test app carries: each answer of a mounted `/api` route
//! must have its status documented for that operation in the OpenAPI
//! document, so every test of the suite is also a test of the document.

use std::sync::OnceLock;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Request, Response};
use serde_json::Value;

/// `/api/posts/<id>` and `/api/posts/{key}` both become `/api/posts/{}`.
pub fn normalise(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if (seg.starts_with('<') && seg.ends_with('>'))
                || (seg.starts_with('{') && seg.ends_with('}'))
            {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(folio::openapi::document)
}

/// The documented operation for a mounted route, if any.
pub fn operation(method: &str, route_path: &str) -> Option<&'static Value> {
    let wanted = normalise(route_path);
    let paths = document()["paths"].as_object()?;
    paths
        .iter()
        .find(|(path, _)| normalise(path) == wanted)
        .and_then(|(_, item)| item.get(method.to_lowercase()))
}

pub struct Conformance;

#[rocket::async_trait]
impl Fairing for Conformance {
    fn info(&self) -> Info {
        Info {
            name: "OpenAPI status conformance",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let Some(route) = req.route() else { return };
        let path = route.uri.path();
        // HEAD and OPTIONS are answered by Rocket and the CORS fairing.
        if !path.starts_with("/api") || req.method() != route.method {
            return;
        }
        let method = route.method.as_str();
        let status = res.status().code.to_string();
        let documented = operation(method, path)
            .map(|op| op["responses"].get(&status).is_some())
            .unwrap_or(false);
        assert!(
            documented,
            "{method} {path} answered {status}, which the OpenAPI document does not list"
        );
    }
}
