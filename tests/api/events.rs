//! The outbox: events commit with their change or not at all, and the
//! upkeep purges what is past its retention (and writes nothing else).

use std::time::Duration;

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::TestApp;

#[rocket::async_test]
async fn a_rolled_back_write_leaves_no_event() {
    let app = TestApp::new().await;
    let before = app.events_of("post.created").await;
    // A write that records its event, then fails: both roll back together.
    let result = app
        .ctx()
        .db
        .write(|c| -> folio::ApiResult<_> {
            folio::events::outbox::record(c, "post.created", &json!({"id": "x"}))?;
            Err::<(), _>(folio::ApiError::Conflict("boom".into()))
        })
        .await;
    assert!(result.is_err());
    assert_eq!(app.events_of("post.created").await, before);
}

#[rocket::async_test]
async fn a_refused_request_records_no_event() {
    let app = TestApp::new().await;
    let t = app.user_token("una").await;
    let body = json!({"title": "T", "content": "x", "slug": "taken"});
    app.post_as(&t, body.clone()).await;
    assert_eq!(app.events_of("post.created").await, 1);
    app.req(Method::Post, "/api/posts")
        .bearer(&t)
        .json(&body)
        .send()
        .await
        .expect_error(Status::Conflict, "conflict");
    let invalid = json!({"title": "", "content": "x"});
    app.req(Method::Post, "/api/posts")
        .bearer(&t)
        .json(&invalid)
        .send()
        .await
        .expect_error(Status::BadRequest, "validation_failed");
    assert_eq!(app.events_of("post.created").await, 1);
}

/// The hourly upkeep looks before it writes: with nothing past its
/// retention it commits nothing (a commit would retire every cached
/// GraphQL response on an idle server).
#[rocket::async_test]
async fn upkeep_with_nothing_to_purge_commits_nothing() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    app.post_as(&admin, json!({"title": "Fresh", "content": "x"}))
        .await;
    let ctx = app.ctx();
    let commits = ctx.db.commits_done();
    assert_eq!(folio::auth::service::purge_expired(ctx).await.unwrap(), 0);
    assert_eq!(folio::events::purge_old(ctx).await.unwrap(), (0, 0));
    assert_eq!(ctx.db.commits_done(), commits, "no commit");
}

const OLD_EVENT: &str = "INSERT INTO events (id, type, occurred_at, data)
     VALUES ('old-event', 'post.created', '2001-01-01T00:00:00Z', '{}')";
const EXPIRED_SESSIONS: &str = "UPDATE refresh_tokens SET expires_at = '2001-01-01T00:00:00Z'";

/// Rows past their retention: expired refresh tokens and old events.
async fn stale_rows(app: &TestApp) -> i64 {
    app.ctx()
        .db
        .read(|c| -> folio::ApiResult<_> {
            Ok(c.sqlite_conn()
                .query_row(
                    "SELECT (SELECT count(*) FROM refresh_tokens WHERE expires_at < '2002')
                      + (SELECT count(*) FROM events WHERE id = 'old-event')",
                    [],
                    |r| r.get(0),
                )
                .map_err(folio::db::StoreError::from)?)
        })
        .await
        .unwrap()
}

#[rocket::async_test]
async fn upkeep_purges_what_is_past_retention() {
    let app = TestApp::new().await;
    app.admin_token("root").await;
    let ctx = app.ctx();
    ctx.db
        .write(|c| -> folio::ApiResult<_> {
            c.sqlite_conn()
                .execute(OLD_EVENT, [])
                .map_err(folio::db::StoreError::from)?;
            c.sqlite_conn()
                .execute(EXPIRED_SESSIONS, [])
                .map_err(folio::db::StoreError::from)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(stale_rows(&app).await, 2);
    let commits = ctx.db.commits_done();
    assert_eq!(folio::auth::service::purge_expired(ctx).await.unwrap(), 1);
    assert_eq!(folio::events::purge_old(ctx).await.unwrap(), (1, 0));
    assert_eq!(ctx.db.commits_done(), commits + 2);
    assert_eq!(stale_rows(&app).await, 0);
}

/// A server started on a database where `stale` made one row stale; the
/// temporary directory holds its data.
async fn started_after(stale: &'static str) -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    {
        let first = TestApp::with(|c| c.data_dir = data_dir.clone()).await;
        // A session, so there is a refresh token to expire.
        first.admin_token("root").await;
        first
            .ctx()
            .db
            .write(move |c| -> folio::ApiResult<_> {
                c.sqlite_conn()
                    .execute(stale, [])
                    .map_err(folio::db::StoreError::from)?;
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(stale_rows(&first).await, 1);
    }
    let app = TestApp::with(|c| c.data_dir = data_dir).await;
    (dir, app)
}

/// Waits for the start-up round to purge the one stale row, then counts
/// its commits: one for what it purged, none for what it had nothing to do.
async fn assert_startup_round_commits_once(app: &TestApp) {
    let mut left = stale_rows(app).await;
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        left = stale_rows(app).await;
    }
    assert_eq!(left, 0, "the start-up round purged the stale row");
    assert_eq!(app.ctx().db.commits_done(), 1);
}

#[rocket::async_test]
async fn the_startup_upkeep_purges_old_events_and_writes_nothing_else() {
    let (_dir, app) = started_after(OLD_EVENT).await;
    assert_startup_round_commits_once(&app).await;
}

#[rocket::async_test]
async fn the_startup_upkeep_purges_expired_sessions_and_writes_nothing_else() {
    let (_dir, app) = started_after(EXPIRED_SESSIONS).await;
    assert_startup_round_commits_once(&app).await;
}
