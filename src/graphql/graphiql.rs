//! GraphiQL at `GET /graphql` (with `graphql.playground`), served from the
//! embedded `static/graphiql/` (see its README): no CDN, so it works
//! offline, under the admin UI's CSP plus `data:` fonts, which GraphiQL's
//! stylesheet inlines.

use std::collections::HashMap;
use std::sync::OnceLock;

use rocket::get;
use rust_embed::RustEmbed;

use crate::http::embedded::{self, Asset, Negotiation, Prepared};

#[derive(RustEmbed)]
#[folder = "static/graphiql/"]
#[exclude = "README.md"]
struct Files;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

fn asset(name: &str, neg: Negotiation) -> Option<Asset> {
    static ALL: OnceLock<HashMap<String, Prepared>> = OnceLock::new();
    let file = ALL.get_or_init(embedded::prepare::<Files>).get(name)?;
    Some(Asset {
        file,
        neg,
        csp: CSP,
    })
}

#[get("/graphql")]
pub fn page(neg: Negotiation) -> Option<Asset> {
    asset("index.html", neg)
}

/// The page's scripts, styles and the vendored licences.
#[get("/graphql/assets/<name>")]
pub fn file(name: &str, neg: Negotiation) -> Option<Asset> {
    asset(name, neg)
}
