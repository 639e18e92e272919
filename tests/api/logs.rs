//! What the real binary logs about requests: rate-limited ones under the
//! method and path they were sent to, and request lines that follow the
//! log filter and format.

use crate::support::Server;

#[test]
fn a_rate_limited_request_is_logged_with_the_method_and_path_it_was_sent_to() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), |cmd| {
        cmd.env("FOLIO_RATE_LIMIT__DEFAULT_REQUESTS", "2");
    });
    let client = reqwest::blocking::Client::new();
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            let res = client.get(server.url("/api/posts?limit=1")).send().unwrap();
            res.status().as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    let post = client
        .post(server.url("/api/posts"))
        .json(&serde_json::json!({"title": "t", "content": "c"}))
        .send()
        .unwrap();
    assert_eq!(post.status().as_u16(), 429);
    let log = server.log_with("\"method\":\"POST\"");
    let rejected: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.contains("\"status\":429"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejected.len(), 2, "{log}");
    assert_eq!(rejected[0]["method"], "GET");
    assert_eq!(rejected[0]["path"], "/api/posts");
    assert_eq!(rejected[1]["method"], "POST");
    assert_eq!(rejected[1]["path"], "/api/posts");
    assert_eq!(rejected[1]["route"], "/__folio/rate-limited");
    // The metrics count it under the method it was sent with too.
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(
            r#"folio_http_requests_total{method="POST",route="/__folio/rate-limited",status="429"} 1"#
        ),
        "{metrics}"
    );
}

/// Request lines follow `log.level` and `log.format` like every other
/// line: in JSON they are written by Folio itself (not through `tracing`),
/// so the decision is checked here, end to end.
#[test]
fn request_lines_follow_the_log_filter_and_format() {
    let request_and_stop = |level: &str, format: &str| -> String {
        let dir = tempfile::tempdir().unwrap();
        let (level, format) = (level.to_string(), format.to_string());
        let mut server = Server::start_with(&dir.path().join("data"), move |cmd| {
            cmd.env("FOLIO_LOG__LEVEL", level)
                .env("FOLIO_LOG__FORMAT", format);
        });
        let res = reqwest::blocking::get(server.url("/api/posts?limit=1")).unwrap();
        assert_eq!(res.status().as_u16(), 200);
        // The queue is written out on a normal stop.
        server.signal("TERM");
        assert_eq!(
            server.wait_exit(std::time::Duration::from_secs(15)),
            Some(0)
        );
        server.log_text()
    };
    let json = request_and_stop("info", "json");
    assert!(json.contains(r#""target":"folio::request""#), "{json}");
    let off = request_and_stop("info,folio::request=off", "json");
    assert!(!off.contains("folio::request"), "{off}");
    assert!(off.contains("folio stopped"), "{off}");
    let warn = request_and_stop("warn", "json");
    assert!(!warn.contains("folio::request"), "{warn}");
    let only = request_and_stop("warn,folio::request=info", "json");
    assert!(only.contains(r#""path":"/api/posts""#), "{only}");
    let pretty = request_and_stop("info", "pretty");
    let line = pretty
        .lines()
        .find(|l| l.contains("folio::request") && l.contains("/api/posts"))
        .unwrap_or_else(|| panic!("no request line: {pretty}"));
    assert!(line.contains("200") && !line.starts_with('{'), "{line}");
}
