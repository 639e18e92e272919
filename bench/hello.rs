//! `bench-hello`: the baseline for `bench/run` — the smallest Rocket 0.5
//! server answering `GET /hello` with `{"hello":"world"}`. No logging, no
//! metrics, no rate limiting, no database: what Rocket and the machine can do
//! at best, so Folio's figures can be read as a ratio of it.
//!
//! Configured like `folio serve` (release defaults, one async worker per
//! core, Rocket's own logging off); the port comes from `PORT` (default
//! 8001), the address is always 127.0.0.1.

use rocket::figment::Figment;
use rocket::serde::json::{Json, Value};

#[rocket::get("/hello")]
fn hello() -> Json<Value> {
    Json(serde_json::json!({ "hello": "world" }))
}

fn main() -> std::process::ExitCode {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8001);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let figment = Figment::from(rocket::Config::release_default())
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("workers", workers))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("ident", "bench-hello"))
        .merge(("shutdown.ctrlc", true))
        .merge(("shutdown.signals", vec!["term"]))
        .merge(("shutdown.grace", 1u32))
        .merge(("shutdown.mercy", 1u32));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("bench-hello")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-hello: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        rocket::custom(figment)
            .mount("/", rocket::routes![hello])
            .launch()
            .await
    });
    match result {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-hello: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
