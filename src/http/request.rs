//! Small request guards shared by the transports: client metadata, browser
//! mode, and whether the refresh cookie may authenticate a request.

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

/// May the refresh cookie authenticate this request? Browsers say where a
/// request comes from in `Sec-Fetch-Site` and `Origin`: the cookie is
/// accepted from the site itself and from `cors.allowed_origins` (never
/// `*`). A request with neither header is not a browser's and carries no
/// victim's cookie, so it stays allowed.
#[derive(Debug, Clone, Copy)]
pub struct CookieOrigin {
    pub allowed: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CookieOrigin {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let headers = req.headers();
        let host = headers
            .get_one("Host")
            .map(str::to_string)
            .or_else(|| req.host().map(|h| h.to_string()));
        let listed: &[String] = req
            .rocket()
            .state::<Ctx>()
            .map_or(&[], |c| &c.config.cors.allowed_origins);
        let allowed = cookie_origin_allowed(
            headers.get_one("Origin"),
            headers.get_one("Sec-Fetch-Site"),
            host.as_deref(),
            listed,
        );
        Outcome::Success(CookieOrigin { allowed })
    }
}

fn cookie_origin_allowed(
    origin: Option<&str>,
    fetch_site: Option<&str>,
    host: Option<&str>,
    listed: &[String],
) -> bool {
    let is_listed = origin.is_some_and(|o| listed.iter().any(|l| l != "*" && l == o));
    if is_listed {
        return true;
    }
    match fetch_site {
        // Set by the browser, never by a page's script; a proxy that rewrites
        // `Host` does not change it.
        Some(site) => site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"),
        None => origin.is_none_or(|o| same_origin(o, host)),
    }
}

/// Does `origin` (`scheme://host[:port]`) name the host the request was
/// sent to?
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    match (origin.split_once("://"), host) {
        (Some((_, authority)), Some(host)) => authority.eq_ignore_ascii_case(host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::cookie_origin_allowed as allowed;

    #[test]
    fn cookie_origin_rules() {
        let listed = vec!["https://app.example.com".to_string(), "*".to_string()];
        let host = Some("folio.example.com");
        // Non-browser clients send neither header.
        assert!(allowed(None, None, host, &listed));
        assert!(allowed(None, None, None, &[]));
        // The site itself.
        assert!(allowed(Some("https://folio.example.com"), None, host, &[]));
        assert!(allowed(Some("http://FOLIO.example.com"), None, host, &[]));
        // Behind a proxy that rewrote `Host`, the browser's word decides.
        let proxied = Some("127.0.0.1:8000");
        assert!(allowed(
            Some("https://folio.example.com"),
            Some("same-origin"),
            proxied,
            &[]
        ));
        assert!(allowed(None, Some("none"), host, &[]));
        // A configured origin, whatever the browser calls it.
        assert!(allowed(
            Some("https://app.example.com"),
            Some("cross-site"),
            host,
            &listed
        ));
        // Anyone else.
        assert!(!allowed(Some("https://evil.example"), None, host, &listed));
        assert!(!allowed(
            Some("https://evil.example"),
            Some("cross-site"),
            host,
            &listed
        ));
        assert!(!allowed(
            Some("https://folio.example.com:8443"),
            None,
            host,
            &[]
        ));
        assert!(!allowed(Some("null"), None, host, &listed));
        assert!(!allowed(Some("https://folio.example.com"), None, None, &[]));
        assert!(!allowed(None, Some("cross-site"), host, &listed));
        assert!(!allowed(None, Some("same-site"), host, &listed));
        assert!(!allowed(
            Some("https://evil.example"),
            Some("same-site"),
            host,
            &listed
        ));
    }
}
