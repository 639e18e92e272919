//! `/api/auth` routes: thin adapters from HTTP to `auth::service`.

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::serde::json::{json, Value};
use rocket::{get, post, routes, Route, State};
use serde::Deserialize;

use super::principal::Principal;
use super::service::{self, ClientMeta, NewAccount, Session};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure};
use crate::http::body::{JsonBody, OptionalJsonBody};
use crate::http::etag::Created;
use crate::http::request::{Browser, CookieOrigin};

pub const REFRESH_COOKIE: &str = "folio_refresh";

/// The refresh cookie is sent to the auth routes only.
const REFRESH_COOKIE_PATH: &str = "/api/auth";

#[derive(Deserialize)]
pub struct RegisterBody {
    email: String,
    username: String,
    password: String,
}

impl From<RegisterBody> for NewAccount {
    fn from(b: RegisterBody) -> Self {
        NewAccount {
            email: b.email,
            username: b.username,
            password: b.password,
        }
    }
}

#[derive(Deserialize)]
struct LoginBody {
    identity: String,
    password: String,
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// The JSON of a session; in browser mode the refresh token goes into the
/// HttpOnly cookie instead of the body.
pub fn session_json(s: Session, browser: Browser, jar: &CookieJar<'_>, ctx: &Ctx) -> Value {
    let mut body = json!({
        "user": s.user.private_json(),
        "access_token": s.access_token,
        "token_type": "Bearer",
        "expires_in": s.expires_in,
    });
    if browser.enabled {
        let max_age = time::Duration::days(i64::from(ctx.config.auth.refresh_idle_days));
        jar.add(
            Cookie::build((REFRESH_COOKIE, s.refresh_token))
                .http_only(true)
                .same_site(SameSite::Strict)
                .path(REFRESH_COOKIE_PATH)
                .secure(browser.secure)
                .max_age(max_age),
        );
    } else {
        body["refresh_token"] = json!(s.refresh_token);
    }
    body
}

/// Tells a browser to drop its refresh cookie.
fn forget_refresh_cookie(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(REFRESH_COOKIE).path(REFRESH_COOKIE_PATH));
}

/// A refresh token as presented: in the body, or by the cookie.
struct Presented {
    token: String,
    by_cookie: bool,
}

/// The refresh token from the body, else from the cookie. The cookie counts
/// only from where [`CookieOrigin`] allows it (`403 cross_origin_refused`).
fn presented_refresh(
    body: Option<RefreshBody>,
    jar: &CookieJar<'_>,
    origin: CookieOrigin,
) -> ApiResult<Presented> {
    if let Some(token) = body
        .and_then(|b| b.refresh_token)
        .filter(|t| !t.trim().is_empty())
    {
        return Ok(Presented {
            token,
            by_cookie: false,
        });
    }
    let cookie = jar
        .get(REFRESH_COOKIE)
        .ok_or(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken))?;
    if !origin.allowed {
        return Err(ApiError::CrossOrigin);
    }
    Ok(Presented {
        token: cookie.value().to_string(),
        by_cookie: true,
    })
}

#[post("/register", data = "<body>")]
async fn register(
    ctx: &State<Ctx>,
    body: JsonBody<RegisterBody>,
    meta: ClientMeta,
    browser: Browser,
    jar: &CookieJar<'_>,
) -> ApiResult<Created> {
    let s = service::register(ctx, body.into_inner().into(), meta).await?;
    Ok(Created {
        location: format!("/api/users/{}", s.user.id),
        body: session_json(s, browser, jar, ctx).to_string(),
    })
}

#[post("/login", data = "<body>")]
async fn login(
    ctx: &State<Ctx>,
    body: JsonBody<LoginBody>,
    meta: ClientMeta,
    browser: Browser,
    jar: &CookieJar<'_>,
) -> ApiResult<Value> {
    let body = body.into_inner();
    let s = service::login(ctx, &body.identity, body.password, meta).await?;
    Ok(session_json(s, browser, jar, ctx))
}

#[post("/refresh", data = "<body>")]
async fn refresh(
    ctx: &State<Ctx>,
    body: OptionalJsonBody<RefreshBody>,
    meta: ClientMeta,
    browser: Browser,
    origin: CookieOrigin,
    jar: &CookieJar<'_>,
) -> ApiResult<Value> {
    let presented = presented_refresh(body.0, jar, origin)?;
    // A token the client never saw (an HttpOnly cookie) is never handed to
    // it in the body: what the cookie authenticates gets a cookie back.
    let browser = Browser {
        enabled: browser.enabled || presented.by_cookie,
        ..browser
    };
    match service::refresh(ctx, &presented.token, meta).await {
        Ok(s) => Ok(session_json(s, browser, jar, ctx)),
        Err(e) => {
            if browser.enabled {
                forget_refresh_cookie(jar);
            }
            Err(e)
        }
    }
}

#[post("/logout", data = "<body>")]
async fn logout(
    ctx: &State<Ctx>,
    body: OptionalJsonBody<RefreshBody>,
    origin: CookieOrigin,
    jar: &CookieJar<'_>,
) -> ApiResult<Status> {
    let presented = presented_refresh(body.0, jar, origin)?;
    forget_refresh_cookie(jar);
    service::logout(ctx, &presented.token).await?;
    Ok(Status::NoContent)
}

#[post("/logout-all")]
async fn logout_all(ctx: &State<Ctx>, who: Principal, jar: &CookieJar<'_>) -> ApiResult<Status> {
    service::logout_all(ctx, &who).await?;
    forget_refresh_cookie(jar);
    Ok(Status::NoContent)
}

#[get("/me")]
async fn me(ctx: &State<Ctx>, who: Principal) -> ApiResult<Value> {
    let user = service::me(ctx, &who).await?;
    Ok(json!({"user": user.private_json()}))
}

#[post("/password", data = "<body>")]
async fn password(
    ctx: &State<Ctx>,
    who: Principal,
    body: JsonBody<PasswordBody>,
    meta: ClientMeta,
    browser: Browser,
    jar: &CookieJar<'_>,
) -> ApiResult<Value> {
    let body = body.into_inner();
    let s =
        service::change_password(ctx, &who, body.current_password, body.new_password, meta).await?;
    Ok(session_json(s, browser, jar, ctx))
}

pub fn routes() -> Vec<Route> {
    routes![register, login, refresh, logout, logout_all, me, password]
}
