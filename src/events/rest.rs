//! `/api/admin/webhooks` routes.

use rocket::http::Status;
use rocket::serde::json::{json, Value};
use rocket::{delete, get, patch, post, routes, Route, State};
use serde::Deserialize;

use super::webhooks::{self, delivery_json, webhook_json};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::body::JsonBody;
use crate::http::etag::Created;
use crate::values::page::Page;

#[derive(Deserialize)]
struct CreateBody {
    url: String,
    events: Vec<String>,
    secret: Option<String>,
}

#[post("/webhooks", data = "<body>")]
async fn create(
    ctx: &State<Ctx>,
    who: Principal,
    body: JsonBody<CreateBody>,
) -> ApiResult<Created> {
    let b = body.into_inner();
    let (hook, secret) = webhooks::create(ctx, &who, &b.url, &b.events, b.secret).await?;
    Ok(Created {
        location: format!("/api/admin/webhooks/{}", hook.id),
        body: json!({"webhook": webhook_json(&hook), "secret": secret}).to_string(),
    })
}

#[get("/webhooks")]
async fn list(ctx: &State<Ctx>, who: Principal) -> ApiResult<Value> {
    let hooks = webhooks::list(ctx, &who).await?;
    Ok(json!({"webhooks": hooks.iter().map(webhook_json).collect::<Vec<_>>()}))
}

#[get("/webhooks/<id>")]
async fn get_one(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Value> {
    let hook = webhooks::get(ctx, &who, id).await?;
    Ok(json!({"webhook": webhook_json(&hook)}))
}

#[derive(Deserialize)]
struct UpdateBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[patch("/webhooks/<id>", data = "<body>")]
async fn update(
    ctx: &State<Ctx>,
    who: Principal,
    id: &str,
    body: JsonBody<UpdateBody>,
) -> ApiResult<Value> {
    let b = body.into_inner();
    let hook = webhooks::update(ctx, &who, id, b.url, b.events, b.enabled).await?;
    Ok(json!({"webhook": webhook_json(&hook)}))
}

#[delete("/webhooks/<id>")]
async fn remove(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Status> {
    webhooks::delete(ctx, &who, id).await?;
    Ok(Status::NoContent)
}

#[post("/webhooks/<id>/ping")]
async fn ping(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Value> {
    let d = webhooks::ping(ctx, &who, id).await?;
    Ok(json!({"delivery": delivery_json(&d)}))
}

#[get("/webhooks/<id>/deliveries?<page>&<limit>")]
async fn deliveries(
    ctx: &State<Ctx>,
    who: Principal,
    id: &str,
    page: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<Value> {
    let page = Page::parse(page, limit)?;
    let (rows, total) = webhooks::deliveries(ctx, &who, id, page).await?;
    let items: Vec<Value> = rows.iter().map(delivery_json).collect();
    Ok(json!({"deliveries": items, "pagination": page.json(total)}))
}

#[post("/webhooks/<id>/deliveries/<delivery>/redeliver")]
async fn redeliver(ctx: &State<Ctx>, who: Principal, id: &str, delivery: &str) -> ApiResult<Value> {
    let d = webhooks::redeliver(ctx, &who, id, delivery).await?;
    Ok(json!({"delivery": delivery_json(&d)}))
}

pub fn routes() -> Vec<Route> {
    routes![create, list, get_one, update, remove, ping, deliveries, redeliver]
}
