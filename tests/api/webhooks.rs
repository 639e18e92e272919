//! Webhooks: management, signed deliveries with retries, and a dispatcher
//! that one bad endpoint cannot hold up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, signature_ok, Received, Receiver, Resp, TestApp};

async fn create_hook(app: &TestApp, token: &str, body: Value) -> Resp {
    app.req(Method::Post, "/api/admin/webhooks")
        .bearer(token)
        .json(&body)
        .send()
        .await
}

async fn patch_hook(app: &TestApp, token: &str, id: &str, body: Value) -> Resp {
    app.req(Method::Patch, format!("/api/admin/webhooks/{id}"))
        .bearer(token)
        .json(&body)
        .send()
        .await
}

async fn deliveries(app: &TestApp, token: &str, hook: &str, query: &str) -> Value {
    app.req(
        Method::Get,
        format!("/api/admin/webhooks/{hook}/deliveries{query}"),
    )
    .bearer(token)
    .send()
    .await
    .expect(Status::Ok)
    .body
}

/// Waits (off the async workers) until `receiver` got `n` requests.
async fn received(receiver: &Arc<Receiver>, n: usize, within: Duration) -> Vec<Received> {
    let r = receiver.clone();
    tokio::task::spawn_blocking(move || r.wait_for(n, within))
        .await
        .unwrap()
}

/// The `data.title` of each delivered envelope, in arrival order.
fn titles(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| {
            let envelope: Value = serde_json::from_str(&r.body).unwrap();
            envelope["data"]["title"].as_str().unwrap_or("").to_string()
        })
        .collect()
}

const HOOK: &str = "http://127.0.0.1:9/hook";

#[rocket::async_test]
async fn only_admins_manage_webhooks() {
    let app = TestApp::new().await;
    let user = app.user_token("vic").await;
    let body = json!({"url": HOOK, "events": ["post.created"]});
    create_hook(&app, &user, body)
        .await
        .expect_error(Status::Forbidden, "forbidden");
}

#[rocket::async_test]
async fn a_webhooks_secret_is_shown_once() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let body = json!({"url": HOOK, "events": ["post.created"]});
    let created = create_hook(&app, &admin, body)
        .await
        .expect(Status::Created)
        .body;
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "{secret}");
    let list = app
        .req(Method::Get, "/api/admin/webhooks")
        .bearer(&admin)
        .send()
        .await
        .expect(Status::Ok)
        .body;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1, "{list}");
    assert!(!list.to_string().contains(secret), "{list}");
}

#[rocket::async_test]
async fn invalid_webhooks_are_refused() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for bad in [
        json!({"url": "ftp://x/", "events": ["post.created"]}),
        json!({"url": "not a url", "events": ["post.created"]}),
        json!({"url": "http://x.example/", "events": ["nope"]}),
        json!({"url": "http://x.example/", "events": []}),
    ] {
        let res = create_hook(&app, &admin, bad.clone()).await;
        assert_eq!(res.status, Status::BadRequest, "{bad}: {}", res.text);
    }
}

#[rocket::async_test]
async fn a_webhook_is_patched_and_deleted() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let body = json!({"url": HOOK, "events": ["post.created"]});
    let created = create_hook(&app, &admin, body)
        .await
        .expect(Status::Created);
    let id = id_of(&created.body["webhook"]);
    let patch = json!({"enabled": false, "events": ["*"]});
    let patched = patch_hook(&app, &admin, &id, patch)
        .await
        .expect(Status::Ok);
    assert_eq!(patched.body["webhook"]["enabled"], false);
    assert_eq!(patched.body["webhook"]["events"], json!(["*"]));
    let path = format!("/api/admin/webhooks/{id}");
    let delete = app.req(Method::Delete, path.as_str()).bearer(&admin);
    delete.send().await.expect(Status::NoContent);
    let get = app.req(Method::Get, path.as_str()).bearer(&admin);
    get.send().await.expect(Status::NotFound);
}

#[rocket::async_test]
async fn private_addresses_are_refused_while_blocked() {
    let app = TestApp::with(|c| c.webhooks.block_private_networks = true).await;
    let admin = app.admin_token("root").await;
    for url in [
        "http://127.0.0.1/x",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://localhost:8080/",
    ] {
        let res = create_hook(&app, &admin, json!({"url": url, "events": ["*"]})).await;
        assert_eq!(res.status, Status::BadRequest, "{url}: {}", res.text);
    }
}

#[rocket::async_test]
async fn signed_deliveries_with_retries_and_redelivery() {
    let receiver = Arc::new(Receiver::start(2, Duration::ZERO));
    let app = TestApp::with(|c| c.webhooks.retry_base_seconds = 1).await;
    let admin = app.admin_token("root").await;
    let body = json!({"url": receiver.url(), "events": ["post.created", "post.published"]});
    let created = create_hook(&app, &admin, body)
        .await
        .expect(Status::Created);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    let hook = id_of(&created.body["webhook"]);
    let post = app
        .post_as(&admin, json!({"title": "Hooked", "content": "x"}))
        .await;
    // Two failures (500), then success: three requests for one delivery.
    let got = received(&receiver, 3, Duration::from_secs(20)).await;
    assert!(got.len() >= 3, "got {} requests", got.len());
    for r in &got {
        assert!(signature_ok(&secret, r), "bad signature: {r:?}");
        assert_eq!(
            r.headers.get("x-folio-event").map(String::as_str),
            Some("post.created")
        );
        let envelope: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(envelope["type"], "post.created");
        assert_eq!(envelope["data"]["id"], post["id"]);
        assert_eq!(
            r.headers.get("x-folio-delivery"),
            envelope["id"].as_str().map(str::to_string).as_ref()
        );
    }
    assert!(!signature_ok("wrong-secret-wrong-secret", &got[0]));
    // The delivery record says delivered after 3 attempts.
    let mut delivered = Value::Null;
    for _ in 0..50 {
        delivered = deliveries(&app, &admin, &hook, "").await["deliveries"][0].clone();
        if delivered["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered["status"], "delivered", "{delivered}");
    assert_eq!(delivered["attempts"], 3);
    assert_eq!(delivered["last_response_code"], 200);
    assert!(delivered["delivered_at"].is_string());

    // Redeliver and ping reach the receiver again.
    let delivery = delivered["id"].as_str().unwrap();
    for path in [
        format!("/api/admin/webhooks/{hook}/deliveries/{delivery}/redeliver"),
        format!("/api/admin/webhooks/{hook}/ping"),
    ] {
        let req = app.req(Method::Post, path).bearer(&admin);
        req.send().await.expect(Status::Ok);
    }
    let got = received(&receiver, 5, Duration::from_secs(10)).await;
    assert!(got.len() >= 5, "{}", got.len());
    assert!(got
        .iter()
        .any(|r| r.headers.get("x-folio-event").map(String::as_str) == Some("ping")));
}

#[rocket::async_test]
async fn a_dead_endpoint_does_not_delay_a_healthy_one() {
    // The dead one accepts connections and never answers.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!(
        "http://127.0.0.1:{}/hook",
        dead.local_addr().unwrap().port()
    );
    let healthy = Arc::new(Receiver::start(0, Duration::ZERO));
    let app = TestApp::with(|c| c.webhooks.timeout_seconds = 30).await;
    let admin = app.admin_token("root").await;
    for url in [dead_url.clone(), healthy.url()] {
        let body = json!({"url": url, "events": ["*"]});
        create_hook(&app, &admin, body)
            .await
            .expect(Status::Created);
    }
    let started = Instant::now();
    for i in 0..6 {
        app.post_as(&admin, json!({"title": format!("E{i}"), "content": "x"}))
            .await;
    }
    let got = received(&healthy, 6, Duration::from_secs(10)).await;
    let types: Vec<&str> = got
        .iter()
        .filter_map(|r| r.headers.get("x-folio-event").map(String::as_str))
        .collect();
    assert_eq!(
        got.len(),
        6,
        "the healthy endpoint got every event: {types:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(dead);
}

#[rocket::async_test]
async fn a_disabled_webhooks_backlog_does_not_hold_up_the_others() {
    let healthy = Arc::new(Receiver::start(0, Duration::ZERO));
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let body = json!({"url": "http://127.0.0.1:9/gone", "events": ["*"]});
    let created = create_hook(&app, &admin, body)
        .await
        .expect(Status::Created);
    let gone = id_of(&created.body["webhook"]);
    let off = json!({"enabled": false});
    patch_hook(&app, &admin, &gone, off)
        .await
        .expect(Status::Ok);
    // A backlog it built up before it was disabled (by hand, or after too
    // many failures): more overdue deliveries than the dispatcher takes in
    // one round.
    let hook = gone.clone();
    app.ctx()
        .db
        .write(move |c| -> folio::ApiResult<_> {
            for i in 0..250 {
                let event = format!("backlog-{i}");
                c.webhooks().enqueue(&hook, &event, "post.created", "{}")?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let body = json!({"url": healthy.url(), "events": ["post.created"]});
    create_hook(&app, &admin, body)
        .await
        .expect(Status::Created);
    app.post_as(&admin, json!({"title": "After", "content": "x"}))
        .await;
    let got = received(&healthy, 1, Duration::from_secs(10)).await;
    assert_eq!(
        titles(&got),
        ["After"],
        "the enabled webhook got its delivery"
    );
    // The disabled one's deliveries are held, not dropped.
    let list = deliveries(&app, &admin, &gone, "?limit=1").await;
    assert_eq!(list["pagination"]["total"], 250, "{list}");
    assert_eq!(list["deliveries"][0]["status"], "pending");
    assert_eq!(list["deliveries"][0]["attempts"], 0);
    // Enabled again (pointing somewhere that answers), it sends them.
    let resumed = Arc::new(Receiver::start(0, Duration::ZERO));
    let on = json!({"url": resumed.url(), "enabled": true});
    patch_hook(&app, &admin, &gone, on).await.expect(Status::Ok);
    let got = received(&resumed, 1, Duration::from_secs(10)).await;
    assert!(!got.is_empty(), "the held deliveries are sent once enabled");
    assert!(got.iter().all(|r| r
        .headers
        .get("x-folio-delivery")
        .is_some_and(|d| d.starts_with("backlog-"))));
}

/// Waits until the dispatcher has finished a whole round that began after
/// this call: one that saw every commit made before it.
async fn dispatcher_caught_up(app: &TestApp) {
    let dispatch = &app.ctx().webhooks;
    // A round in progress may have looked before the commit; the next one
    // cannot have.
    let target = dispatch.rounds() + 2;
    let deadline = Instant::now() + Duration::from_secs(10);
    while dispatch.rounds() < target {
        assert!(Instant::now() < deadline, "the dispatcher is stuck");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// With no webhook enabled the dispatcher opens no write transactions (one
/// would follow every change), and a webhook created later starts with the
/// events after its creation.
#[rocket::async_test]
async fn an_idle_dispatcher_writes_nothing_and_a_new_hook_starts_now() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    for title in ["Before one", "Before two"] {
        app.post_as(&admin, json!({"title": title, "content": "x"}))
            .await;
    }
    let idle = app.ctx().db.commits_done();
    dispatcher_caught_up(&app).await;
    assert_eq!(app.ctx().db.commits_done(), idle, "the idle rounds wrote");
    let receiver = Arc::new(Receiver::start(0, Duration::ZERO));
    let body = json!({"url": receiver.url(), "events": ["post.created"]});
    let created = create_hook(&app, &admin, body)
        .await
        .expect(Status::Created);
    let hook = id_of(&created.body["webhook"]);
    app.post_as(&admin, json!({"title": "After", "content": "x"}))
        .await;
    let got = received(&receiver, 1, Duration::from_secs(10)).await;
    assert_eq!(titles(&got), ["After"]);
    let mut delivery = Value::Null;
    for _ in 0..50 {
        delivery = deliveries(&app, &admin, &hook, "").await["deliveries"][0].clone();
        if delivery["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivery["status"], "delivered", "{delivery}");
    // The webhook, the post, its delivery row and the delivery's outcome.
    assert_eq!(app.ctx().db.commits_done(), idle + 4);
    // A later event arrives after it: the earlier ones never will.
    app.post_as(&admin, json!({"title": "Later", "content": "x"}))
        .await;
    let got = received(&receiver, 2, Duration::from_secs(10)).await;
    assert_eq!(titles(&got), ["After", "Later"]);
}
