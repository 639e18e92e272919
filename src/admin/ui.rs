//! The embedded admin UI: the files of `static/`, compiled into the binary
//! and served at `/admin` with correct MIME types, strong ETags,
//! `Cache-Control: no-cache` (ES module imports cannot carry version
//! strings, so every load revalidates with a cheap `304`), gzip when the
//! client accepts it, a strict Content-Security-Policy, and `index.html` for
//! client-side routes.

use std::collections::HashMap;
use std::sync::OnceLock;

use rocket::{get, routes, Route};
use rust_embed::RustEmbed;

use crate::http::embedded::{self, Asset, Negotiation, Prepared};

/// GraphiQL's files (`graphiql/`) are the GraphQL transport's.
#[derive(RustEmbed)]
#[folder = "static/"]
#[exclude = "graphiql/*"]
struct Assets;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Every asset, prepared once on first use.
fn assets() -> &'static HashMap<String, Prepared> {
    static ALL: OnceLock<HashMap<String, Prepared>> = OnceLock::new();
    ALL.get_or_init(embedded::prepare::<Assets>)
}

/// A file, or `index.html` for `/admin`, `/admin/` and client-side routes
/// (paths without a dot). All asset URLs in the UI are absolute.
#[get("/admin/<path..>")]
fn file(path: std::path::PathBuf, neg: Negotiation) -> Option<Asset> {
    let key = path.to_string_lossy().replace('\\', "/");
    let all = assets();
    let found = match all.get(key.as_str()) {
        Some(f) => Some(f),
        None if key.is_empty() || !key.rsplit('/').next().unwrap_or("").contains('.') => {
            all.get("index.html")
        }
        None => None,
    };
    found.map(|file| Asset {
        file,
        neg,
        csp: CSP,
    })
}

pub fn routes() -> Vec<Route> {
    routes![file]
}

/// Names of the embedded files (for tests and the startup log).
pub fn files() -> Vec<String> {
    let mut names: Vec<String> = assets().keys().cloned().collect();
    names.sort();
    names
}
