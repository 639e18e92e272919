//! `GET /api/events`: the live stream of change events (Server-Sent Events).
//!
//! Admins and keys with `read`. `types=a,b` filters; `Last-Event-ID` resumes
//! from the outbox (with an `event: gap` message first when that event is no
//! longer retained). Streams end cleanly on shutdown, when the caller's token
//! expires or its access is revoked (checked every heartbeat), and when the
//! subscriber falls too far behind.

use std::sync::Arc;
use std::time::Duration;

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::stream::{Event, EventStream};
use rocket::{get, routes, Request, Route, Shutdown, State};
use tokio::sync::broadcast::error::RecvError;

use super::hub::Hub;
use super::repo::EventRow;
use super::EVENT_TYPES;
use crate::auth::principal::{key_principal, user_from_token};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ids::EventId;

/// The credential a stream was opened with, re-checked while it runs.
#[derive(Clone)]
pub enum Credential {
    Bearer(String),
    ApiKey(String),
    None,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Credential {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let h = req.headers();
        let cred = if let Some(a) = h.get_one("Authorization") {
            a.split_once(' ')
                .map(|(_, t)| Credential::Bearer(t.trim().to_string()))
                .unwrap_or(Credential::None)
        } else if let Some(k) = h.get_one("x-api-key") {
            Credential::ApiKey(k.trim().to_string())
        } else {
            Credential::None
        };
        Outcome::Success(cred)
    }
}

/// `Last-Event-ID`, when sent.
pub struct LastEventId(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for LastEventId {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(LastEventId(
            req.headers()
                .get_one("Last-Event-ID")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        ))
    }
}

/// Parses `types=a,b` against the known event types.
pub fn parse_types(raw: Option<&str>) -> ApiResult<Option<Vec<String>>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let mut list = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !EVENT_TYPES.contains(&t) {
            return Err(ApiError::validation(
                "types",
                format!(
                    "unknown event type \"{t}\" (known: {})",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        list.push(t.to_string());
    }
    Ok(Some(list))
}

fn wanted(types: &Option<Vec<String>>, e: &EventRow) -> bool {
    types.as_ref().is_none_or(|t| t.contains(&e.kind))
}

fn message(e: &EventRow) -> Event {
    Event::data(e.envelope())
        .id(e.id.to_string())
        .event(e.kind.clone())
}

enum Step {
    Send(Arc<EventRow>),
    Skip,
    End(&'static str),
}

/// Is the stream's credential still good?
async fn still_valid(ctx: &Ctx, cred: &Credential) -> bool {
    match cred {
        Credential::Bearer(t) => user_from_token(ctx, t)
            .await
            .is_ok_and(|p| p.can_read_all()),
        Credential::ApiKey(k) => key_principal(ctx, k).await.is_ok_and(|p| p.can_read_all()),
        Credential::None => false,
    }
}

#[get("/events?<types>")]
pub async fn stream(
    ctx: &State<Ctx>,
    hub: &State<Arc<Hub>>,
    who: Principal,
    cred: Credential,
    last_id: LastEventId,
    types: Option<&str>,
    shutdown: Shutdown,
) -> ApiResult<EventStream![Event + 'static]> {
    if !who.can_read_all() {
        return Err(ApiError::forbidden());
    }
    let types = parse_types(types)?;
    let Some((slot, mut rx)) = hub.join() else {
        return Err(ApiError::NotReady(
            "Too many event stream subscribers; try again later".into(),
        ));
    };
    let ctx = ctx.inner().clone();
    // Where to start: after Last-Event-ID, or (when it expired) from the
    // oldest retained event with a gap notice, or live from now.
    let (start, gap) = match last_id.0 {
        Some(raw) => {
            // An id that is not one of ours is treated like an expired one.
            let found = match EventId::parse(&raw) {
                Some(id) => ctx.db.read(move |c| c.events().seq_of(&id)).await?,
                None => None,
            };
            match found {
                Some(seq) => (seq, false),
                None => (0, true),
            }
        }
        None => (*hub.head().borrow(), false),
    };
    let expires_at = match &cred {
        Credential::Bearer(t) => ctx.jwt.verify(t).ok().map(|c| c.exp),
        _ => None,
    };
    let heartbeat = Duration::from_secs(ctx.config.events.heartbeat_seconds.max(1));
    tracing::info!(start, gap, "event stream opened");
    Ok(EventStream! {
        let _slot = slot;
        let mut shutdown = shutdown;
        if gap {
            yield Event::data("{\"reason\":\"the requested event is no longer retained\"}").event("gap");
        }
        let mut last = start;
        // Catch up from the outbox.
        loop {
            let from = last;
            let batch = match ctx.db.read(move |c| c.events().after(from, 500)).await {
                Ok(b) => b,
                Err(_) => break,
            };
            let n = batch.len();
            for e in batch {
                last = e.seq;
                if wanted(&types, &e) {
                    yield message(&e);
                }
            }
            if n < 500 {
                break;
            }
        }
        let expiry = async {
            match expires_at {
                Some(exp) => {
                    let left = (exp - crate::clock::unix_seconds()).max(0) as u64;
                    tokio::time::sleep(Duration::from_secs(left)).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::pin!(expiry);
        let mut checks = tokio::time::interval(heartbeat);
        checks.tick().await;
        loop {
            let step = tokio::select! {
                _ = &mut shutdown => Step::End("server shutting down"),
                _ = &mut expiry => Step::End("access token expired"),
                _ = checks.tick() => {
                    if still_valid(&ctx, &cred).await { Step::Skip } else { Step::End("access revoked") }
                }
                r = rx.recv() => match r {
                    Ok(e) if e.seq > last => Step::Send(e),
                    Ok(_) => Step::Skip,
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!(behind = n, "event subscriber too slow; disconnected");
                        Step::End("subscriber fell behind")
                    }
                    Err(RecvError::Closed) => Step::End("server shutting down"),
                },
            };
            match step {
                Step::Send(e) => {
                    last = e.seq;
                    if wanted(&types, &e) {
                        yield message(&e);
                    }
                }
                Step::Skip => {}
                Step::End(reason) => {
                    tracing::info!(reason, "event stream closed");
                    break;
                }
            }
        }
    }
    .heartbeat(heartbeat))
}

pub fn routes() -> Vec<Route> {
    routes![stream]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_filter() {
        assert_eq!(parse_types(None).unwrap(), None);
        assert_eq!(
            parse_types(Some("post.created, user.deleted")).unwrap(),
            Some(vec!["post.created".to_string(), "user.deleted".to_string()])
        );
        assert!(parse_types(Some("post.exploded")).is_err());
    }
}
