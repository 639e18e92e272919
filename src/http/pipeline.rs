//! The one fairing: what runs around every request, in order, in one
//! place.
//!
//! On the way in: the correlation id and arrival time
//! ([`telemetry::begin`]), the rate limit ([`ratelimit::admit`], which may
//! answer `429`), then the check that a credential sent is valid
//! ([`ratelimit::check_credentials`], which may answer `401`). On the way
//! out: the correlation id header, the request line and the metrics
//! ([`telemetry::finish`]), the `RateLimit` fields ([`ratelimit::annotate`]),
//! and the security, cache and CORS headers ([`headers::secure`]).
//!
//! One fairing rather than four: Rocket boxes each fairing's future and
//! looks up the managed state anew in each, per request.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::auth::ratelimit;
use crate::ctx::Ctx;
use crate::http::area::Area;
use crate::http::headers;
use crate::telemetry;

pub struct Pipeline;

#[rocket::async_trait]
impl Fairing for Pipeline {
    fn info(&self) -> Info {
        Info {
            name: "Folio request pipeline",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        telemetry::begin(req);
        // Classified before a rejection rewrites the request.
        Area::of(req);
        if let Some(ctx) = req.rocket().state::<Ctx>() {
            ratelimit::admit(ctx, req).await;
        }
        ratelimit::check_credentials(req).await;
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let ctx = req.rocket().state::<Ctx>();
        telemetry::finish(ctx, req, res);
        ratelimit::annotate(req, res);
        headers::secure(ctx, req, res);
    }
}
