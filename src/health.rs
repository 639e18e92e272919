//! `/health` (the process serves) and `/ready` (the database answers and
//! every migration is applied).

use rocket::serde::json::{json, Value};
use rocket::{get, routes, Route, State};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};

#[get("/health")]
fn health() -> Value {
    json!({"status": "ok"})
}

#[get("/ready")]
async fn ready(ctx: &State<Ctx>) -> ApiResult<Value> {
    match ctx.db.ready().await {
        Ok(Ok(())) => Ok(json!({"status": "ready"})),
        Ok(Err(reason)) => Err(ApiError::NotReady(reason)),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::NotReady("database is not answering".into()))
        }
    }
}

pub fn routes() -> Vec<Route> {
    routes![health, ready]
}
