//! The one fairing: what runs around every request, in order, in one
//! place.
//!
//! On the way in: the correlation id and arrival time
//! ([`request_log::begin`]), the rate limit ([`admission::admit`], which may
//! answer `429`), then the check that a credential sent is valid
//! ([`admission::check_credentials`], which may answer `401`). On the way
//! out: the correlation id header, the request line and the metrics
//! ([`request_log::finish`]), the `RateLimit` fields ([`admission::annotate`]),
//! and the security, cache and CORS headers ([`headers::secure`]).
//!
//! One fairing rather than four: Rocket boxes each fairing's future and
//! looks up the managed state anew in each, per request.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use super::area::Area;
use super::{admission, headers, request_log};
use crate::ctx::Ctx;

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
        request_log::begin(req);
        // Classified before a rejection rewrites the request.
        Area::of(req);
        if let Some(ctx) = req.rocket().state::<Ctx>() {
            admission::admit(ctx, req).await;
        }
        admission::check_credentials(req).await;
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let ctx = req.rocket().state::<Ctx>();
        request_log::finish(ctx, req, res);
        admission::annotate(req, res);
        headers::secure(ctx, req, res);
    }
}
