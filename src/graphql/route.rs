//! `POST /graphql` (and GraphiQL at `GET /graphql` when enabled, from
//! `graphiql`).
//!
//! Written on plain Rocket rather than async-graphql-rocket so the request
//! goes through the same guards as REST: `JsonBody` (415 for anything but
//! JSON, so no CSRF through forms or `text/plain`; 413 over the body limit),
//! the same credentials, and batch and login-field counting before anything
//! runs.

use std::io::Cursor;
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use rocket::http::{ContentType, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::{self, Responder, Response};
use rocket::{post, routes, Request, Route, State};

use super::cached::CachedResponse;
use super::document::{self, Refusal, Shape};
use super::introspection::Schemas;
use super::response as answers;
use super::schema::request_data;
use crate::auth::guards::Caller;
use crate::auth::service::ClientMeta;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;

/// The client's rate-limit key (its address).
pub struct IpKey(String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IpKey {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(IpKey(crate::http::admission::ip_key(req)))
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
/// parser) is most of a small query's cost, and clients send the same few
/// query texts over and over with different variables.
/// A document depends on nothing but its text, so entries never go stale;
/// the cache holds at most `BUDGET` bytes of query text.
pub struct Documents(moka::sync::Cache<String, Arc<Checked>>);

/// A parsed document and what `document::check` found in it.
pub type Checked = (ExecutableDocument, Result<Shape, Refusal>);

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

    /// The checked document of `query`, or `None` when it does not parse.
    pub fn get(&self, query: &str) -> Option<Arc<Checked>> {
        let parse = || {
            let doc = async_graphql::parser::parse_query(query).ok()?;
            let shape = document::check(&doc);
            Some(Arc::new((doc, shape)))
        };
        if query.len() > Self::MAX_TEXT {
            return parse();
        }
        if let Some(hit) = self.0.get(query) {
            return Some(hit);
        }
        let checked = parse()?;
        self.0.insert(query.to_string(), checked.clone());
        Some(checked)
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new()
    }
}

#[post("/graphql", data = "<body>")]
pub async fn execute(
    ctx: &State<Ctx>,
    schemas: &State<Schemas>,
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
    // Parse and check once (from the cache when this text was seen
    // before); what does not parse is left for `execute` to report.
    let mut runs = Vec::with_capacity(requests.len());
    for mut req in requests {
        let run = match documents.get(&req.query) {
            Some(checked) => {
                let (doc, shape) = &*checked;
                req.set_parsed_query(doc.clone());
                match shape {
                    Ok(shape) => Run::Checked(req, *shape),
                    Err(refusal) => Run::Refused(refusal.to_string()),
                }
            }
            None => Run::Unparsed(req),
        };
        runs.push(run);
    }
    // Every login/register field counts against the `auth` policy.
    if ctx.limits.enabled {
        let fields = runs
            .iter()
            .map(|run| match run {
                Run::Checked(_, shape) => shape.auth_fields,
                _ => 0,
            })
            .fold(0usize, usize::saturating_add);
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
    let cached = match runs.as_mut_slice() {
        [Run::Checked(req, _)] if !batched && caller.0.is_none() => response_key(req).map(|key| {
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
    let mut responses = Vec::with_capacity(runs.len());
    for run in runs {
        let (req, introspection) = match run {
            Run::Refused(message) => {
                responses.push(answers::refusal(message));
                continue;
            }
            Run::Checked(req, shape) => (req, shape.introspection),
            Run::Unparsed(req) => (req, false),
        };
        let schema = schemas.for_operation(introspection);
        let req = request_data(req, ctx.inner().clone(), caller.0.clone(), meta.clone());
        let mut res = schema.execute(req).await;
        answers::label_errors(&mut res);
        answers::cap_errors(&mut res);
        responses.push(res);
    }
    let limit = ctx.config.graphql.max_response_bytes;
    if batched {
        return render(Status::Ok, &responses, limit);
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
    let answer = render(status, &res, limit)?;
    let body = answer.body.clone();
    if let Some((key, commit, ticket)) = cached {
        if answer.status == Status::Ok && res.errors.is_empty() && body.len() <= MAX_CACHED_RESPONSE
        {
            let entry = CachedResponse {
                commit,
                body: body.clone(),
            };
            ctx.caches.graphql.insert(ticket, key, Arc::new(entry));
        }
    }
    Ok(answer)
}

/// One request of a body, once its document was looked at.
enum Run {
    Checked(async_graphql::Request, Shape),
    /// Refused before validation, with one error.
    Refused(String),
    /// Left for `execute` to report.
    Unparsed(async_graphql::Request),
}

/// `value` as the body, or one error when it passes `limit` bytes.
fn render<T: serde::Serialize>(
    status: Status,
    value: &T,
    limit: usize,
) -> ApiResult<GraphqlAnswer> {
    if let Some(body) = answers::to_json_within(value, limit).map_err(ApiError::internal)? {
        return Ok(GraphqlAnswer { status, body });
    }
    let body = serde_json::json!({"errors": [{
        "message": format!("The response is larger than the limit of {limit} bytes; ask for fewer items or fields."),
        "extensions": {"code": "response_too_large"},
    }]});
    Ok(GraphqlAnswer {
        status: Status::BadRequest,
        body: body.to_string(),
    })
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

pub fn routes(playground: bool) -> Vec<Route> {
    if playground {
        routes![execute, super::graphiql::page, super::graphiql::file]
    } else {
        routes![execute]
    }
}
