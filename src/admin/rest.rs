//! `/api/admin` routes. Every rule (admin only, validation) lives in the
//! services these call.

use rocket::http::{CookieJar, Status};
use rocket::serde::json::{json, Json, Value};
use rocket::{delete, get, post, routes, Route, State};
use serde::Deserialize;

use crate::auth::rest::{session_json, RegisterBody};
use crate::auth::service::{self, ClientMeta, NewAccount};
use crate::auth::{apikeys, Principal};
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::etag::Created;
use crate::http::request::Browser;

#[derive(Deserialize)]
struct SetupBody {
    token: String,
    #[serde(flatten)]
    account: RegisterBody,
}

#[post("/setup", data = "<body>")]
async fn setup(
    ctx: &State<Ctx>,
    body: JsonBody<SetupBody>,
    meta: ClientMeta,
    browser: Browser,
    jar: &CookieJar<'_>,
) -> ApiResult<Created> {
    let body = body.into_inner();
    let account: NewAccount = body.account.into();
    let s = service::setup_admin(ctx, &body.token, account, meta).await?;
    Ok(Created {
        location: format!("/api/users/{}", s.user.id),
        body: session_json(s, browser, jar, ctx).to_string(),
    })
}

#[derive(Deserialize)]
struct NewKeyBody {
    name: String,
    scopes: Vec<String>,
}

#[post("/api-keys", data = "<body>")]
async fn create_key(
    ctx: &State<Ctx>,
    who: Principal,
    body: JsonBody<NewKeyBody>,
) -> ApiResult<(Status, Value)> {
    let body = body.into_inner();
    let (row, key) = apikeys::create(ctx, &who, &body.name, &body.scopes).await?;
    Ok((
        Status::Created,
        json!({"api_key": apikeys::to_json(&row), "key": key}),
    ))
}

#[get("/api-keys")]
async fn list_keys(ctx: &State<Ctx>, who: Principal) -> ApiResult<Value> {
    let rows = apikeys::list(ctx, &who).await?;
    let keys: Vec<Value> = rows.iter().map(apikeys::to_json).collect();
    Ok(json!({ "api_keys": keys }))
}

#[delete("/api-keys/<id>")]
async fn revoke_key(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Status> {
    apikeys::revoke(ctx, &who, id).await?;
    Ok(Status::NoContent)
}

#[get("/stats")]
async fn stats(ctx: &State<Ctx>, who: Principal) -> ApiResult<Json<super::service::Stats>> {
    Ok(Json(super::service::stats(ctx, &who).await?))
}

#[get("/config")]
fn config(ctx: &State<Ctx>, who: Principal) -> ApiResult<Value> {
    super::service::config(ctx, &who)
}

#[post("/backup")]
async fn backup(ctx: &State<Ctx>, who: Principal) -> ApiResult<Created> {
    let info = super::service::backup(ctx, &who).await?;
    Ok(Created {
        location: format!("/api/admin/backups/{}", info.name),
        body: json!(info).to_string(),
    })
}

#[get("/backups")]
async fn backups(ctx: &State<Ctx>, who: Principal) -> ApiResult<Value> {
    Ok(json!({"backups": super::service::backups(ctx, &who).await?}))
}

/// A backup file as a download.
pub struct Download {
    name: String,
    file: rocket::tokio::fs::File,
}

impl<'r> rocket::response::Responder<'r, 'static> for Download {
    fn respond_to(self, _: &'r rocket::Request<'_>) -> rocket::response::Result<'static> {
        rocket::Response::build()
            .header(rocket::http::ContentType::Binary)
            .header(rocket::http::Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", self.name),
            ))
            .streamed_body(self.file)
            .ok()
    }
}

#[get("/backups/<name>")]
async fn download(ctx: &State<Ctx>, who: Principal, name: &str) -> ApiResult<Download> {
    let path = super::service::backup_file(ctx, &who, name).await?;
    let file = rocket::tokio::fs::File::open(&path)
        .await
        .map_err(crate::error::ApiError::internal)?;
    Ok(Download {
        name: name.to_string(),
        file,
    })
}

pub fn routes() -> Vec<Route> {
    routes![setup, create_key, list_keys, revoke_key, stats, config, backup, backups, download]
}
