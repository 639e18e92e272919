//! Small request guards shared by the transports: client metadata and
//! browser mode.

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::Request;

use crate::auth::service::ClientMeta;
use crate::ctx::Ctx;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientMeta {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let ip = req
            .rocket()
            .state::<Ctx>()
            .and_then(|c| c.proxies.client_ip(req))
            .map(|ip| ip.to_string());
        let user_agent = req
            .headers()
            .get_one("User-Agent")
            .map(|ua| ua.chars().take(256).collect());
        Outcome::Success(ClientMeta { ip, user_agent })
    }
}

/// `x-folio-client: browser`: the refresh token travels in an HttpOnly
/// cookie instead of the JSON body. `secure` says whether to mark it Secure.
#[derive(Debug, Clone, Copy)]
pub struct Browser {
    pub enabled: bool,
    pub secure: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Browser {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let enabled = req
            .headers()
            .get_one("x-folio-client")
            .is_some_and(|v| v.eq_ignore_ascii_case("browser"));
        let ctx = req.rocket().state::<Ctx>();
        let via_https_proxy = req
            .headers()
            .get_one("X-Forwarded-Proto")
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
            && ctx.is_some_and(|c| {
                req.remote()
                    .is_some_and(|peer| c.proxies.is_trusted(peer.ip()))
            });
        let secure = via_https_proxy || ctx.is_some_and(|c| c.config.server.hsts);
        Outcome::Success(Browser { enabled, secure })
    }
}
