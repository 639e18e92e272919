//! `GET /metrics`: the `metrics.token` check, the text format the scraper
//! asked for, and the answer.

use std::sync::Arc;

use rocket::http::{Accept, ContentType, MediaType};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::{get, routes, Request, Route, State};

use super::collect::Scrape;
use super::Format;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure};

/// `metrics.token`, when set, must be presented as a bearer token.
pub struct MetricsAccess;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsAccess {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ApiError> {
        let Some(ctx) = req.rocket().state::<Ctx>() else {
            return Outcome::Success(MetricsAccess);
        };
        let want = ctx.config.metrics.token.expose();
        if want.is_empty() {
            return Outcome::Success(MetricsAccess);
        }
        let given = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if crate::auth::principal::constant_time_eq(given.trim().as_bytes(), want.as_bytes()) {
            Outcome::Success(MetricsAccess)
        } else {
            let f = if given.is_empty() {
                AuthFailure::MissingCredentials
            } else {
                AuthFailure::InvalidToken
            };
            Outcome::Error(crate::http::error::stash(req, ApiError::Unauthorized(f)))
        }
    }
}

impl Format {
    /// The format of one `Accept` entry, if it names one we write.
    fn of(media: &MediaType) -> Option<Format> {
        let is = |top: &str, sub: &str| media.top() == top && media.sub() == sub;
        if is("application", "openmetrics-text") {
            // 0.0.1 differs from 1.0.0 in nothing we write.
            let version = media.param("version");
            matches!(version, None | Some("1.0.0" | "0.0.1")).then_some(Format::OpenMetrics)
        } else if is("text", "plain") || is("text", "*") || is("*", "*") {
            Some(Format::Prometheus)
        } else {
            None
        }
    }

    /// The entry of highest weight we can write, the first of equals; the
    /// Prometheus text when none (or no `Accept`) says otherwise.
    fn negotiate(accept: Option<&Accept>) -> Format {
        let mut best: Option<(f32, Format)> = None;
        for entry in accept.into_iter().flat_map(|a| a.iter()) {
            let weight = entry.weight_or(1.0);
            if let Some(format) = Format::of(entry.media_type()) {
                if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                    best = Some((weight, format));
                }
            }
        }
        best.map_or(Format::Prometheus, |(_, f)| f)
    }

    fn content_type(self) -> ContentType {
        match self {
            Format::Prometheus => ContentType::new("text", "plain")
                .with_params([("version", "0.0.4"), ("charset", "utf-8")]),
            Format::OpenMetrics => ContentType::new("application", "openmetrics-text")
                .with_params([("version", "1.0.0"), ("charset", "utf-8")]),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Format {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(Format::negotiate(req.accept()))
    }
}

#[get("/metrics")]
async fn metrics(
    ctx: &State<Ctx>,
    _access: MetricsAccess,
    format: Format,
) -> ApiResult<(ContentType, String)> {
    let scrape = Scrape::read(ctx).await;
    let body = ctx
        .metrics
        .encode(scrape, format)
        .map_err(|e| ApiError::Internal(Arc::new(e)))?;
    Ok((format.content_type(), body))
}

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

#[cfg(test)]
mod tests {
    use super::Format;
    use rocket::http::Accept;

    fn negotiate(accept: &str) -> Format {
        Format::negotiate(accept.parse::<Accept>().ok().as_ref())
    }

    #[test]
    fn openmetrics_only_when_asked_for_above_the_text_format() {
        let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(negotiate(prometheus3), Format::OpenMetrics);
        assert_eq!(
            negotiate("application/openmetrics-text"),
            Format::OpenMetrics
        );
        assert_eq!(Format::negotiate(None), Format::Prometheus);
        assert_eq!(negotiate("*/*"), Format::Prometheus);
        assert_eq!(negotiate("application/json"), Format::Prometheus);
        assert_eq!(
            negotiate("text/plain, application/openmetrics-text;q=0.5"),
            Format::Prometheus
        );
        assert_eq!(
            negotiate("application/openmetrics-text;version=2.0.0"),
            Format::Prometheus
        );
        assert_eq!(
            negotiate("application/openmetrics-text;q=0, text/plain;q=0.1"),
            Format::Prometheus
        );
    }
}
