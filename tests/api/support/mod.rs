//! Shared helpers: a test app on a temp database with its request builder
//! ([`request`]), a few fixtures built on it, and a real `folio` process on a
//! free port. Not every test uses every helper.
#![allow(dead_code)]

mod receiver;
mod request;
mod server;

use std::future::Future;
use std::panic::Location;
use std::path::Path;

use folio::http::JsonBody;
use folio::Config;
use rocket::http::{Method, Status};
use rocket::local::asynchronous::Client;
use rocket::serde::json::{json, Value};
use rocket::{post, routes};
use serde::Deserialize;
use tempfile::TempDir;

pub use receiver::{signature_ok, Received, Receiver};
pub use request::{assert_error, Req, Resp};
pub use server::{free_port, Server};

pub const PASSWORD: &str = "Correct-Horse-42";

#[derive(Deserialize)]
pub struct Echo {
    pub name: String,
    pub count: u32,
}

/// A test-only route exercising the JSON body guard.
#[post("/echo", data = "<body>")]
fn echo(body: JsonBody<Echo>) -> Value {
    let body = body.into_inner();
    json!({"name": body.name, "count": body.count})
}

pub struct TestApp {
    pub client: Client,
    pub config: Config,
    _dir: TempDir,
}

pub fn test_config(dir: &Path) -> Config {
    let mut config = Config {
        data_dir: dir.join("data"),
        ..Config::default()
    };
    // Cheap hashing keeps the suite fast; one test checks the real defaults.
    config.auth.argon2_memory_kib = 4096;
    config.auth.argon2_iterations = 1;
    // Local clients share one address; tests of the limits lower these.
    config.rate_limit.auth_requests = 10_000;
    config.rate_limit.default_requests = 10_000;
    config
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path());
        tweak(&mut config);
        let rocket = folio::app::build(config.clone())
            .await
            .expect("app builds")
            .mount("/test", routes![echo])
            .attach(crate::contract::Conformance);
        let client = Client::tracked(rocket).await.expect("valid rocket");
        TestApp {
            client,
            config,
            _dir: dir,
        }
    }

    pub fn ctx(&self) -> &folio::ctx::Ctx {
        self.client
            .rocket()
            .state::<folio::ctx::Ctx>()
            .expect("ctx")
    }

    /// Starts a request: `app.req(Method::Get, "/health").send().await`.
    pub fn req(&self, method: Method, path: impl Into<String>) -> Req<'_> {
        let path = path.into();
        let what = format!("{method} {path}");
        Req::new(self.client.req(method, path), what)
    }

    /// A GraphQL request (`POST /graphql`) with `variables`.
    pub fn graphql(&self, query: &str, variables: Value) -> Req<'_> {
        self.req(Method::Post, "/graphql")
            .json(&json!({"query": query, "variables": variables}))
    }
}

// Fixtures. They run inside futures, where `#[track_caller]` does not
// reach, so each notes its caller's line and names it when it fails.
impl TestApp {
    /// Registers `name` (email `<name>@example.com`) and returns the session body.
    #[track_caller]
    pub fn register<'a>(&'a self, name: &'a str) -> impl Future<Output = Value> + 'a {
        let at = Location::caller();
        async move {
            let body = json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD});
            self.req(Method::Post, "/api/auth/register")
                .json(&body)
                .send()
                .await
                .expect_at(Status::Created, at)
                .body
        }
    }

    /// Creates an admin directly through the service and logs in.
    #[track_caller]
    pub fn admin<'a>(&'a self, name: &'a str) -> impl Future<Output = Value> + 'a {
        let at = Location::caller();
        async move {
            let account = folio::auth::service::NewAccount {
                email: format!("{name}@example.com"),
                username: name.to_string(),
                password: PASSWORD.to_string(),
            };
            if let Err(e) = folio::auth::service::create_admin(self.ctx(), account).await {
                panic!("{at}: creating the admin {name}: {e}");
            }
            self.login_at(name, PASSWORD, at).await
        }
    }

    /// Logs in and returns the session body.
    #[track_caller]
    pub fn login<'a>(
        &'a self,
        identity: &'a str,
        password: &'a str,
    ) -> impl Future<Output = Value> + 'a {
        self.login_at(identity, password, Location::caller())
    }

    async fn login_at(&self, identity: &str, password: &str, at: &Location<'_>) -> Value {
        self.req(Method::Post, "/api/auth/login")
            .json(&json!({"identity": identity, "password": password}))
            .send()
            .await
            .expect_at(Status::Ok, at)
            .body
    }

    /// Registers `name` and returns its access token.
    #[track_caller]
    pub fn user_token<'a>(&'a self, name: &'a str) -> impl Future<Output = String> + 'a {
        let session = self.register(name);
        async move { token_of(&session.await) }
    }

    /// Creates the admin `name` and returns its access token.
    #[track_caller]
    pub fn admin_token<'a>(&'a self, name: &'a str) -> impl Future<Output = String> + 'a {
        let session = self.admin(name);
        async move { token_of(&session.await) }
    }

    /// Creates an API key with `scopes` as `admin_token` and returns the key.
    #[track_caller]
    pub fn api_key<'a>(
        &'a self,
        admin_token: &'a str,
        scopes: &'a [&'a str],
    ) -> impl Future<Output = String> + 'a {
        let at = Location::caller();
        async move {
            let res = self
                .req(Method::Post, "/api/admin/api-keys")
                .bearer(admin_token)
                .json(&json!({"name": "test key", "scopes": scopes}))
                .send()
                .await
                .expect_at(Status::Created, at);
            match res.body["key"].as_str() {
                Some(key) => key.to_string(),
                None => panic!("{at}: no key in {}", res.text),
            }
        }
    }

    /// Creates a post as `token` and returns its JSON.
    #[track_caller]
    pub fn post_as<'a>(&'a self, token: &'a str, body: Value) -> impl Future<Output = Value> + 'a {
        let at = Location::caller();
        async move {
            self.req(Method::Post, "/api/posts")
                .bearer(token)
                .json(&body)
                .send()
                .await
                .expect_at(Status::Created, at)
                .body["post"]
                .clone()
        }
    }

    /// `POST /api/auth/refresh` with `refresh_token` in the body.
    pub async fn refresh(&self, refresh_token: &str) -> Resp {
        self.req(Method::Post, "/api/auth/refresh")
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
    }

    /// Number of events of `kind` in the outbox.
    pub async fn events_of(&self, kind: &str) -> i64 {
        let kind = kind.to_string();
        self.ctx()
            .db
            .read(move |c| -> folio::ApiResult<_> {
                Ok(c.sqlite_conn()
                    .query_row("SELECT count(*) FROM events WHERE type = ?1", [kind], |r| {
                        r.get(0)
                    })
                    .map_err(folio::db::StoreError::from)?)
            })
            .await
            .unwrap()
    }
}

#[track_caller]
pub fn token_of(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

#[track_caller]
pub fn refresh_of(session: &Value) -> String {
    session["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string()
}

#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// A write as `token` that must succeed (any 2xx).
pub async fn write(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) {
    let mut req = app.req(method, path).bearer(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await;
    assert!(res.status.code < 300, "{}: {}", res.what, res.text);
}
