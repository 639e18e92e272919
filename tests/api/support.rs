//! Shared helpers: a test app on a temp database, JSON requests, and a real
//! `folio` process on a free port. Not every test uses every helper.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use folio::http::JsonBody;
use folio::Config;
use rocket::http::{ContentType, Header, Method, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::serde::json::{json, Value};
use rocket::{post, routes};
use serde::Deserialize;
use tempfile::TempDir;

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

    pub async fn get(&self, path: &str) -> LocalResponse<'_> {
        self.client.get(path.to_string()).dispatch().await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> LocalResponse<'_> {
        self.client
            .post(path.to_string())
            .header(ContentType::JSON)
            .body(body.to_string())
            .dispatch()
            .await
    }
}

/// Reads a response as (status, JSON body).
pub async fn json_of(res: LocalResponse<'_>) -> (Status, Value) {
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, value)
}

/// Asserts the contract's error body and returns it.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "unexpected body: {body}");
    assert!(body["error"].is_string(), "no error sentence: {body}");
    assert!(
        body["correlation_id"].is_string(),
        "no correlation id: {body}"
    );
}

pub fn header(name: &'static str, value: impl Into<String>) -> Header<'static> {
    Header::new(name, value.into())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The real `folio` binary, started on a free port with its own data dir.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

impl Server {
    pub fn command(data_dir: &Path, port: u16) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
        cmd.env("FOLIO_DATA_DIR", data_dir)
            .env("FOLIO_SERVER__PORT", port.to_string())
            .env("FOLIO_LOG__FORMAT", "json")
            .env_remove("FOLIO_CONFIG")
            .current_dir(data_dir.parent().unwrap_or(data_dir));
        cmd
    }

    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, |_| {})
    }

    pub fn start_with(data_dir: &Path, tweak: impl FnOnce(&mut Command)) -> Server {
        let port = free_port();
        let log = data_dir.with_extension(format!("{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Self::command(data_dir, port);
        cmd.stdout(Stdio::from(log_file.try_clone().expect("clone")))
            .stderr(Stdio::from(log_file));
        tweak(&mut cmd);
        let child = cmd.spawn().expect("folio starts");
        let server = Server {
            child,
            port,
            data_dir: data_dir.to_path_buf(),
            log,
        };
        server.wait_healthy();
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(res) = client.get(self.url("/health")).send() {
                if res.status().is_success() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become healthy; log:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once it contains `needle` (lines reach the file from the
    /// server's log thread a moment after they happen), or as it is after
    /// 10 s.
    pub fn log_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.log_text();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const PASSWORD: &str = "Correct-Horse-42";

impl TestApp {
    pub fn ctx(&self) -> &folio::ctx::Ctx {
        self.client
            .rocket()
            .state::<folio::ctx::Ctx>()
            .expect("ctx")
    }

    /// Registers `name` (email `<name>@example.com`) and returns the session body.
    pub async fn register(&self, name: &str) -> Value {
        let (status, body) = json_of(
            self.post_json(
                "/api/auth/register",
                &json!({"email": format!("{name}@example.com"), "username": name, "password": PASSWORD}),
            )
            .await,
        )
        .await;
        assert_eq!(status, Status::Created, "register {name}: {body}");
        body
    }

    /// Creates an admin directly through the service and logs in.
    pub async fn admin(&self, name: &str) -> Value {
        folio::auth::service::create_admin(
            self.ctx(),
            folio::auth::service::NewAccount {
                email: format!("{name}@example.com"),
                username: name.to_string(),
                password: PASSWORD.to_string(),
            },
        )
        .await
        .expect("admin created");
        self.login(name, PASSWORD).await
    }

    pub async fn login(&self, identity: &str, password: &str) -> Value {
        let (status, body) = json_of(
            self.post_json(
                "/api/auth/login",
                &json!({"identity": identity, "password": password}),
            )
            .await,
        )
        .await;
        assert_eq!(status, Status::Ok, "login {identity}: {body}");
        body
    }

    /// Creates an API key with `scopes` as `admin_token` and returns the key.
    pub async fn api_key(&self, admin_token: &str, scopes: &[&str]) -> String {
        let (status, body) = json_of(
            self.send(
                Method::Post,
                "/api/admin/api-keys",
                Some(admin_token),
                Some(&json!({"name": "test key", "scopes": scopes})),
            )
            .await,
        )
        .await;
        assert_eq!(status, Status::Created, "{body}");
        body["key"].as_str().unwrap().to_string()
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> LocalResponse<'_> {
        let mut req = self.client.req(method, path.to_string());
        if let Some(t) = token {
            req = req.header(Header::new("Authorization", format!("Bearer {t}")));
        }
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        req.dispatch().await
    }

    /// Like `send` but with an `x-api-key`.
    pub async fn send_key(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> LocalResponse<'_> {
        let mut req = self
            .client
            .req(method, path.to_string())
            .header(Header::new("x-api-key", key.to_string()));
        if let Some(b) = body {
            req = req.header(ContentType::JSON).body(b.to_string());
        }
        req.dispatch().await
    }
}

impl TestApp {
    /// `send`, read as (status, JSON body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (Status, Value) {
        json_of(self.send(method, path, token, body).await).await
    }

    /// `send_key`, read as (status, JSON body).
    pub async fn call_key(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> (Status, Value) {
        json_of(self.send_key(method, path, key, body).await).await
    }

    /// `post_json`, read as (status, JSON body).
    pub async fn post_for(&self, path: &str, body: &Value) -> (Status, Value) {
        json_of(self.post_json(path, body).await).await
    }

    /// Registers `name` and returns its access token.
    pub async fn user_token(&self, name: &str) -> String {
        token_of(&self.register(name).await)
    }

    /// Creates the admin `name` and returns its access token.
    pub async fn admin_token(&self, name: &str) -> String {
        token_of(&self.admin(name).await)
    }

    /// `POST /api/auth/refresh` with `refresh_token` in the body.
    pub async fn refresh(&self, refresh_token: &str) -> (Status, Value) {
        self.post_for(
            "/api/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }
}

pub fn token_of(session: &Value) -> String {
    session["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

pub fn refresh_of(session: &Value) -> String {
    session["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string()
}

impl TestApp {
    /// Creates a post as `token` and returns its JSON.
    pub async fn post_as(&self, token: &str, body: Value) -> Value {
        let (status, b) = json_of(
            self.send(Method::Post, "/api/posts", Some(token), Some(&body))
                .await,
        )
        .await;
        assert_eq!(status, Status::Created, "{b}");
        b["post"].clone()
    }

    /// GET `path` with an optional token; returns (status, body).
    pub async fn get_as(&self, path: &str, token: Option<&str>) -> (Status, Value) {
        json_of(self.send(Method::Get, path, token, None).await).await
    }

    /// Number of events of `kind` in the outbox.
    pub async fn events_of(&self, kind: &str) -> i64 {
        let kind = kind.to_string();
        self.ctx()
            .db
            .read(move |c| {
                Ok(
                    c.query_row("SELECT count(*) FROM events WHERE type = ?1", [kind], |r| {
                        r.get(0)
                    })?,
                )
            })
            .await
            .unwrap()
    }
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

impl TestApp {
    /// POSTs a GraphQL request (with an optional bearer token).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (Status, Value) {
        let body = json!({"query": query, "variables": variables});
        json_of(
            self.send(Method::Post, "/graphql", token, Some(&body))
                .await,
        )
        .await
    }
}

/// One request a test receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// A real HTTP receiver on 127.0.0.1 for webhook tests: answers `fail_first`
/// requests with 500, then 200; waits `delay` before answering.
pub struct Receiver {
    pub port: u16,
    pub got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(fail_first: usize, delay: Duration) -> Receiver {
        Self::start_on(
            TcpListener::bind("127.0.0.1:0").expect("bind"),
            fail_first,
            delay,
        )
    }

    pub fn start_on(listener: TcpListener, fail_first: usize, delay: Duration) -> Receiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let port = listener.local_addr().expect("addr").port();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = got.clone();
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let seen = seen.clone();
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut headers = std::collections::HashMap::new();
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = line.trim_end().split_once(':') {
                            headers.insert(k.trim().to_lowercase(), v.trim().to_string());
                        }
                    }
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; len];
                    let _ = reader.read_exact(&mut body);
                    std::thread::sleep(delay);
                    let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    seen.lock().expect("lock").push(Received {
                        headers,
                        body: String::from_utf8_lossy(&body).to_string(),
                    });
                    let status = if n < fail_first {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                });
            }
        });
        Receiver { port, got }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `n` requests arrived (or `within` passed).
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Verifies `x-folio-signature` of a received delivery.
pub fn signature_ok(secret: &str, r: &Received) -> bool {
    use hmac::{Hmac, Mac};
    let Some(sig) = r.headers.get("x-folio-signature") else {
        return false;
    };
    let mut t = "";
    let mut v1 = "";
    for part in sig.split(',') {
        if let Some(x) = part.strip_prefix("t=") {
            t = x;
        } else if let Some(x) = part.strip_prefix("v1=") {
            v1 = x;
        }
    }
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{}", r.body).as_bytes());
    hex::encode(mac.finalize().into_bytes()) == v1
}
