//! `POST /graphql` (and GraphiQL at `GET /graphql` when enabled).
//!
//! Written on plain Rocket rather than async-graphql-rocket so the request
//! goes through the same guards as REST: `JsonBody` (415 for anything but
//! JSON, so no CSRF through forms or `text/plain`; 413 over the body limit),
//! the same credentials, and batch and login-field counting before anything
//! runs.

use std::io::Cursor;
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use rocket::http::{ContentType, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::{self, content::RawHtml, Responder, Response};
use rocket::{get, post, routes, Request, Route, State};

use super::schema::{request_data, FolioSchema};
use crate::auth::service::ClientMeta;
use crate::auth::Caller;
use crate::cache::CachedResponse;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;

/// The client's rate-limit key (its address).
pub struct IpKey(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IpKey {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(IpKey(crate::auth::ratelimit::ip_key(req)))
    }
}

pub struct GraphqlAnswer {
    status: Status,
    body: String,
}

impl<'r> Responder<'r, 'static> for GraphqlAnswer {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(self.status)
            .header(ContentType::JSON)
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// Parsed GraphQL documents by their text. Parsing (async-graphql's pest
/// parser) was 44 % of the route's time for `{ __typename }`, and clients
/// send the same few query texts over and over with different variables.
/// A document depends on nothing but its text, so entries never go stale;
/// the cache holds at most `BUDGET` bytes of query text.
pub struct Documents(moka::sync::Cache<String, Arc<ExecutableDocument>>);

impl Documents {
    const BUDGET: u64 = 1 << 20;
    /// Longer texts are parsed every time (and never crowd out the rest).
    const MAX_TEXT: usize = 16 * 1024;

    pub fn new() -> Self {
        Documents(
            moka::sync::Cache::builder()
                .weigher(|k: &String, _| u32::try_from(k.len()).unwrap_or(u32::MAX))
                .max_capacity(Self::BUDGET)
                .build(),
        )
    }

    /// The parsed document of `query`, or `None` when it does not parse.
    pub fn get(&self, query: &str) -> Option<ExecutableDocument> {
        if query.len() > Self::MAX_TEXT {
            return async_graphql::parser::parse_query(query).ok();
        }
        if let Some(doc) = self.0.get(query) {
            return Some((*doc).clone());
        }
        let doc = async_graphql::parser::parse_query(query).ok()?;
        self.0.insert(query.to_string(), Arc::new(doc.clone()));
        Some(doc)
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new()
    }
}

/// `login` and `register` fields in the mutations of a document, aliases
/// and fragments included.
pub fn auth_fields(doc: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet, doc: &ExecutableDocument, depth: usize) -> usize {
        if depth > 8 {
            return 0;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(matches!(f.node.name.node.as_str(), "login" | "register"))
                }
                Selection::FragmentSpread(s) => doc
                    .fragments
                    .get(&s.node.fragment_name.node)
                    .map_or(0, |frag| {
                        count(&frag.node.selection_set.node, doc, depth + 1)
                    }),
                Selection::InlineFragment(i) => count(&i.node.selection_set.node, doc, depth + 1),
            })
            .sum()
    }
    doc.operations
        .iter()
        .filter(|(_, op)| op.node.ty == OperationType::Mutation)
        .map(|(_, op)| count(&op.node.selection_set.node, doc, 0))
        .sum()
}

#[post("/graphql", data = "<body>")]
pub async fn execute(
    ctx: &State<Ctx>,
    schema: &State<FolioSchema>,
    documents: &State<Documents>,
    caller: Caller,
    meta: ClientMeta,
    ip: IpKey,
    body: JsonBody<serde_json::Value>,
) -> ApiResult<GraphqlAnswer> {
    let body = body.into_inner();
    let (items, batched) = match body {
        serde_json::Value::Array(items) => (items, true),
        single => (vec![single], false),
    };
    if items.is_empty() {
        return Err(ApiError::validation(
            "body",
            "an empty batch has nothing to run",
        ));
    }
    if items.len() > ctx.config.graphql.max_batch {
        return Err(ApiError::validation(
            "body",
            format!(
                "at most {} operations per batch",
                ctx.config.graphql.max_batch
            ),
        ));
    }
    let mut requests = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let req: async_graphql::Request = serde_json::from_value(item).map_err(|e| {
            let field = if batched {
                format!("[{i}]")
            } else {
                "body".into()
            };
            ApiError::validation(field, format!("not a GraphQL request: {e}"))
        })?;
        requests.push(req);
    }
    // Parse once (from the cache when this text was seen before); what
    // does not parse is left for `execute` to report.
    for req in &mut requests {
        if let Some(doc) = documents.get(&req.query) {
            req.set_parsed_query(doc);
        }
    }
    // Every login/register field counts against the `auth` policy.
    if ctx.limits.enabled {
        let mut fields = 0;
        for req in &mut requests {
            if let Ok(doc) = req.parsed_query() {
                fields += auth_fields(doc);
            }
        }
        if fields > 0 {
            // All of them or none: a refused request spends nothing.
            let d = ctx
                .limits
                .auth
                .check_n(&ip.0, u32::try_from(fields).unwrap_or(u32::MAX));
            if !d.allowed {
                return Err(ApiError::RateLimited {
                    retry_after: d.retry_after,
                });
            }
        }
    }
    // An anonymous query (not a batch) may be answered from the cache.
    let cached = match requests.as_mut_slice() {
        [req] if !batched && caller.0.is_none() => response_key(req).map(|key| {
            // Noted before anything is read: see `CachedResponse`.
            let commit = ctx.db.commits_done();
            let lookup = ctx
                .caches
                .graphql
                .get_valid(&key, |hit| hit.commit == commit);
            (key, commit, lookup)
        }),
        _ => None,
    };
    let cached = match cached {
        Some((_, _, Ok(hit))) => {
            return Ok(GraphqlAnswer {
                status: Status::Ok,
                body: hit.body.clone(),
            })
        }
        Some((key, commit, Err(ticket))) => Some((key, commit, ticket)),
        None => None,
    };
    let mut responses = Vec::with_capacity(requests.len());
    for req in requests {
        let req = request_data(req, ctx.inner().clone(), caller.0.clone(), meta.clone());
        responses.push(schema.execute(req).await);
    }
    if batched {
        let body = serde_json::to_string(&responses).map_err(ApiError::internal)?;
        return Ok(GraphqlAnswer {
            status: Status::Ok,
            body,
        });
    }
    let Some(mut res) = responses.pop() else {
        return Err(ApiError::internal("no GraphQL response"));
    };
    // Nothing ran (unparsable, invalid, over a limit): REST's status.
    let refused = res.data == async_graphql::Value::Null
        && !res.errors.is_empty()
        && res.errors.iter().all(|e| e.path.is_empty());
    let status = if refused {
        for e in &mut res.errors {
            let ext = e.extensions.get_or_insert_with(Default::default);
            if ext.get("code").is_none() {
                ext.set("code", "validation_failed");
            }
        }
        Status::BadRequest
    } else {
        Status::Ok
    };
    let body = serde_json::to_string(&res).map_err(ApiError::internal)?;
    if let Some((key, commit, ticket)) = cached {
        if status == Status::Ok && res.errors.is_empty() && body.len() <= MAX_CACHED_RESPONSE {
            let entry = CachedResponse {
                commit,
                body: body.clone(),
            };
            ctx.caches.graphql.insert(ticket, key, Arc::new(entry));
        }
    }
    Ok(GraphqlAnswer { status, body })
}

/// Larger responses are not cached.
const MAX_CACHED_RESPONSE: usize = 256 * 1024;

/// The cache key of a request whose chosen operation is a query (never a
/// mutation or subscription): its text, operation name and variables.
fn response_key(req: &mut async_graphql::Request) -> Option<String> {
    let name = req.operation_name.clone();
    let doc = req.parsed_query().ok()?;
    let op = match (&doc.operations, name.as_deref()) {
        (DocumentOperations::Single(op), None) => op,
        (DocumentOperations::Single(_), Some(_)) => return None,
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n)?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    if op.node.ty != OperationType::Query {
        return None;
    }
    let variables = serde_json::to_string(&req.variables).ok()?;
    Some(format!(
        "{}\u{0}{}\u{0}{variables}",
        req.query,
        name.unwrap_or_default()
    ))
}

#[get("/graphql")]
fn graphiql() -> RawHtml<&'static str> {
    RawHtml(GRAPHIQL)
}

const GRAPHIQL: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Folio GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css"></head>
<body style="margin:0"><div id="graphiql" style="height:100vh"></div>
<script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher: GraphiQL.createFetcher({ url: '/graphql' }) }));
</script></body></html>"#;

pub fn routes(playground: bool) -> Vec<Route> {
    if playground {
        routes![execute, graphiql]
    } else {
        routes![execute]
    }
}
