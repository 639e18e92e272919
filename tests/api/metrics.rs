//! `GET /metrics` in both text formats: which one a scraper gets, and that
//! each is well-formed the way Prometheus reads it (names, labels, values,
//! families and histograms checked line by line, as `promtool check
//! metrics` would).

use std::collections::{HashMap, HashSet};

use rocket::http::{Method, Status};

use crate::support::{Resp, TestApp};

/// What Prometheus 3 sends by default.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Text {
    Prometheus,
    OpenMetrics,
}

fn is_name(s: &str, colon: bool) -> bool {
    let ok = |c: char, first: bool| {
        c == '_' || c.is_ascii_alphabetic() || (colon && c == ':') || (!first && c.is_ascii_digit())
    };
    let mut chars = s.chars();
    chars.next().is_some_and(|c| ok(c, true)) && chars.all(|c| ok(c, false))
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        // The formats spell the special values only as above.
        _ if v.contains(['i', 'I', 'n', 'N']) => Err(format!("bad value {v:?}")),
        _ => v.parse().map_err(|_| format!("bad value {v:?}")),
    }
}

/// A sample's labels, in the order written.
type Labels = Vec<(String, String)>;

/// `name{k="v",...} value`: the name, the labels, the value.
fn parse_sample(line: &str) -> Result<(&str, Labels, f64), String> {
    let end = line.find(['{', ' ']).ok_or("no value")?;
    let (name, mut rest) = line.split_at(end);
    if !is_name(name, true) {
        return Err(format!("bad name {name:?}"));
    }
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices();
        loop {
            let key: String = chars
                .by_ref()
                .map(|(_, c)| c)
                .take_while(|c| *c != '=')
                .collect();
            if !is_name(&key, false) || key.starts_with("__") {
                return Err(format!("bad label name {key:?}"));
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('"') => break,
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => return Err(format!("bad escape {other:?}")),
                    },
                    Some('\n') | None => return Err("unterminated label value".into()),
                    Some(c) => value.push(c),
                }
            }
            if labels.iter().any(|(k, _)| *k == key) {
                return Err(format!("label {key} twice"));
            }
            labels.push((key, value));
            match chars.next() {
                Some((_, ',')) => continue,
                Some((i, '}')) => {
                    rest = &after[i + 1..];
                    break;
                }
                _ => return Err("labels not closed".into()),
            }
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    // No timestamps: Folio writes none.
    Ok((name, labels, parse_value(value)?))
}

/// The sample-name suffixes a family of `kind` may have.
fn suffixes(text: Text, kind: &str) -> Option<&'static [&'static str]> {
    Some(match (text, kind) {
        (Text::Prometheus, "counter" | "gauge" | "untyped") => &[""],
        (Text::Prometheus, "histogram") => &["_bucket", "_sum", "_count"],
        (Text::OpenMetrics, "counter") => &["_total", "_created"],
        (Text::OpenMetrics, "gauge" | "unknown") => &[""],
        (Text::OpenMetrics, "info") => &["_info"],
        (Text::OpenMetrics, "histogram") => &["_bucket", "_sum", "_count", "_created"],
        _ => return None,
    })
}

/// A histogram series: its buckets (`le`, count) as listed, and `_count`.
type Buckets = HashMap<String, (Vec<(f64, f64)>, Option<f64>)>;

/// Checks every line of `body` (see the module doc) and answers the first
/// fault. Stricter than the formats in one way: every family must open with
/// `# HELP` then `# TYPE`, as Folio writes them.
fn check(body: &str, text: Text) -> Result<(), String> {
    let body = match text {
        Text::OpenMetrics => body.strip_suffix("# EOF\n").ok_or("no final # EOF")?,
        Text::Prometheus => body,
    };
    if !body.is_empty() && !body.ends_with('\n') {
        return Err("no final newline".into());
    }
    let mut seen_families = HashSet::new();
    let mut family: Option<(&str, Option<&str>)> = None;
    let mut seen_samples = HashSet::new();
    let mut histograms = Buckets::new();
    for (n, line) in body.lines().enumerate() {
        let fault = |m: String| format!("line {}: {m}: {line:?}", n + 1);
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let (word, name, rest) = (words.next(), words.next(), words.next());
            match (word, name, rest) {
                (Some("HELP"), Some(name), Some(_)) if is_name(name, true) => {
                    if !seen_families.insert(name) {
                        return Err(fault("family listed twice".into()));
                    }
                    family = Some((name, None));
                }
                (Some("TYPE"), Some(name), Some(kind)) => match family {
                    Some((f, None)) if f == name && suffixes(text, kind).is_some() => {
                        family = Some((f, Some(kind)));
                    }
                    _ => return Err(fault("TYPE without its HELP, or unknown".into())),
                },
                (Some("UNIT"), Some(name), Some(unit)) if text == Text::OpenMetrics => {
                    let named = family.is_some_and(|(f, k)| f == name && k.is_some());
                    if !named || !name.ends_with(&format!("_{unit}")) {
                        return Err(fault("UNIT of another family".into()));
                    }
                }
                _ => return Err(fault("unexpected comment".into())),
            }
            continue;
        }
        let (name, labels, value) = parse_sample(line).map_err(fault)?;
        let Some((family, Some(kind))) = family else {
            return Err(fault("sample before its TYPE".into()));
        };
        let suffix = name.strip_prefix(family).unwrap_or("?");
        if !suffixes(text, kind).is_some_and(|s| s.contains(&suffix)) {
            return Err(fault(format!("not a sample of {kind} {family}")));
        }
        let mut key: Vec<_> = labels.iter().filter(|(k, _)| k != "le").collect();
        key.sort();
        if !seen_samples.insert(format!("{name}{labels:?}")) {
            return Err(fault("sample listed twice".into()));
        }
        if (kind == "counter" || kind == "histogram") && (value.is_nan() || value < 0.0) {
            return Err(fault("negative or NaN count".into()));
        }
        if kind == "histogram" {
            let series = histograms.entry(format!("{family}{key:?}")).or_default();
            match suffix {
                "_bucket" => {
                    let le = labels.iter().find(|(k, _)| k == "le");
                    let le = le.ok_or_else(|| fault("bucket without le".into()))?;
                    series.0.push((parse_value(&le.1).map_err(fault)?, value));
                }
                "_count" => series.1 = Some(value),
                _ => {}
            }
        }
    }
    for (series, (buckets, count)) in histograms {
        let ordered = buckets
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
        let inf = buckets.last().filter(|(le, _)| *le == f64::INFINITY);
        if !ordered || inf.map(|(_, n)| *n) != count {
            return Err(format!(
                "histogram {series}: buckets {buckets:?}, count {count:?}"
            ));
        }
    }
    Ok(())
}

async fn scrape(app: &TestApp, accept: Option<&str>) -> Resp {
    let req = app.req(Method::Get, "/metrics");
    let req = match accept {
        Some(a) => req.header("Accept", a),
        None => req,
    };
    req.send().await.expect(Status::Ok)
}

#[rocket::async_test]
async fn metrics_in_both_formats_are_well_formed() {
    // With `synchronous = normal` every family is there, the checkpoint
    // thread's too.
    let app = TestApp::with(|c| {
        c.database.synchronous = folio::config::Synchronous::Normal;
        c.rate_limit.default_requests = 2;
    })
    .await;
    for path in ["/health", "/api/posts", "/api/posts", "/api/posts", "/nope"] {
        app.req(Method::Get, path).send().await;
    }
    app.req(Method::Post, "/api/posts").send().await;

    let res = scrape(&app, None).await;
    let content_type = res.content_type.as_ref().map(|c| c.to_string());
    assert_eq!(
        content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    check(&res.text, Text::Prometheus).unwrap_or_else(|e| panic!("{e} in:\n{}", res.text));
    assert!(res
        .text
        .contains("\n# TYPE folio_http_requests_total counter\n"));

    let res = scrape(&app, Some(PROMETHEUS_ACCEPT)).await;
    let content_type = res.content_type.as_ref().map(|c| c.to_string());
    assert_eq!(
        content_type.as_deref(),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    check(&res.text, Text::OpenMetrics).unwrap_or_else(|e| panic!("{e} in:\n{}", res.text));
    for needle in [
        "\n# TYPE folio_http_requests counter\n",
        "\nfolio_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n",
        "\n# TYPE folio_build info\nfolio_build_info{version=",
        "\n# TYPE folio_db_checkpoint_seconds counter\n# UNIT folio_db_checkpoint_seconds seconds\nfolio_db_checkpoint_seconds_total ",
    ] {
        assert!(res.text.contains(needle), "missing {needle} in:\n{}", res.text);
    }
}

#[rocket::async_test]
async fn metrics_answer_in_the_text_format_unless_openmetrics_is_preferred() {
    let app = TestApp::new().await;
    for (accept, openmetrics) in [
        ("text/plain", false),
        ("*/*", false),
        ("application/json", false),
        (
            "text/plain;q=0.9, application/openmetrics-text;q=0.5",
            false,
        ),
        ("application/openmetrics-text;version=2.0.0", false),
        ("application/openmetrics-text", true),
        (
            "application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.1",
            true,
        ),
    ] {
        let text = scrape(&app, Some(accept)).await.text;
        assert_eq!(text.ends_with("# EOF\n"), openmetrics, "Accept: {accept}");
    }
}

/// The check above finds faults: each of these texts has one.
#[test]
fn the_metrics_check_rejects_malformed_text() {
    let help = "# HELP a_total A.\n# TYPE a_total counter\n";
    for (text, body) in [
        (Text::Prometheus, format!("{help}a_total{{x=\"1\"}} 1\na_total{{x=\"1\"}} 2\n")),
        (Text::Prometheus, format!("{help}b_total 1\n")),
        (Text::Prometheus, format!("{help}a_total{{x=1}} 1\n")),
        (Text::Prometheus, format!("{help}a_total{{x=\"\\t\"}} 1\n")),
        (Text::Prometheus, format!("{help}a_total -1\n")),
        (Text::Prometheus, format!("{help}a_total one\n")),
        (Text::Prometheus, format!("{help}{help}")),
        (Text::Prometheus, "# TYPE a gauge\na 1\n".into()),
        (Text::OpenMetrics, "# HELP a A.\n# TYPE a counter\na 1\n# EOF\n".into()),
        (Text::OpenMetrics, "# HELP a A.\n# TYPE a gauge\na 1\n".into()),
        (
            Text::Prometheus,
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n".into(),
        ),
        (
            Text::Prometheus,
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 3\n".into(),
        ),
    ] {
        assert!(check(&body, text).is_err(), "{text:?} passed:\n{body}");
    }
    let good = "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n";
    assert_eq!(check(good, Text::Prometheus), Ok(()));
}
