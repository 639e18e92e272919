//! `/api/search`: query language, ranking, snippets, drafts, hostile input.

use std::future::Future;
use std::panic::Location;

use rocket::http::{Method, Status};
use serde_json::json;

use crate::support::{assert_error, Resp, TestApp};

/// Five published posts and a draft, by `sam`.
pub async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    let t = app.user_token("sam").await;
    let posts = [
        (
            "Rust ownership explained",
            "Borrowing and lifetimes in depth.",
        ),
        (
            "Cooking pasta",
            "Boil water, add salt. Rust is not an ingredient.",
        ),
        ("Café culture", "Espresso and croissants in Paris."),
        (
            "Gardening",
            "Tomatoes need sun; <script>alert(1)</script> is not a plant.",
        ),
        ("Databases", "SQLite full text search with FTS5 is fast."),
    ];
    for (title, content) in posts {
        app.post_as(
            &t,
            json!({"title": title, "content": content, "published": true}),
        )
        .await;
    }
    app.post_as(
        &t,
        json!({"title": "Unpublished rust draft", "content": "secret rust"}),
    )
    .await;
    app
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /api/search?q=<q><extra>`, anonymously.
pub async fn search(app: &TestApp, q: &str, extra: &str) -> Resp {
    let path = format!("/api/search?q={}{extra}", urlencode(q));
    app.req(Method::Get, path).send().await
}

/// The titles `q` finds, best first; fails unless the search answers 200.
#[track_caller]
pub fn titles<'a>(app: &'a TestApp, q: &'a str) -> impl Future<Output = Vec<String>> + 'a {
    let at = Location::caller();
    async move {
        let res = search(app, q, "").await.expect_at(Status::Ok, at);
        let Some(results) = res.body["results"].as_array() else {
            panic!("{at}: {q}: no results in {}", res.text);
        };
        results
            .iter()
            .map(|r| r["post"]["title"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

#[rocket::async_test]
async fn the_query_language_finds_what_it_says() {
    let app = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        // Title matches outrank content matches; drafts are never found.
        ("rust", &["Rust ownership explained", "Cooking pasta"]),
        ("rust pasta", &["Cooking pasta"]),
        ("\"boil water\"", &["Cooking pasta"]),
        ("\"water boil\"", &[]),
        ("own*", &["Rust ownership explained"]),
        ("rust -pasta", &["Rust ownership explained"]),
        ("sun tomatoes OR nothing", &["Gardening"]),
        // Diacritics are folded.
        ("cafe", &["Café culture"]),
        ("CAFÉ", &["Café culture"]),
        ("secret", &[]),
    ];
    for (q, expected) in cases {
        assert_eq!(titles(&app, q).await, *expected, "{q}");
    }
    let mut either = titles(&app, "tomatoes OR espresso").await;
    either.sort();
    assert_eq!(either, ["Café culture", "Gardening"]);
}

#[rocket::async_test]
async fn results_carry_ranks_pagination_and_marked_snippets() {
    let app = seeded().await;
    let body = search(&app, "rust", "").await.expect(Status::Ok).body;
    let results = body["results"].as_array().unwrap();
    let rank = |i: usize| results[i]["rank"].as_f64().unwrap();
    assert!(rank(0) > rank(1), "{body}");
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "limit": 20, "total": 2, "pages": 1, "exact": true})
    );
    let snippet = results[1]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>Rust</mark>"), "{snippet}");
}

#[rocket::async_test]
async fn snippets_escape_html() {
    let app = seeded().await;
    let body = search(&app, "tomatoes", "").await.expect(Status::Ok).body;
    let snippet = body["results"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("<mark>Tomatoes</mark>"), "{snippet}");
}

#[rocket::async_test]
async fn nothing_searchable_is_400() {
    let app = seeded().await;
    for q in ["", "   ", "!!!", "-rust", "\"\"", "OR", "-\"a b\""] {
        let res = search(&app, q, "").await;
        assert_eq!(res.status, Status::BadRequest, "{q:?}");
        assert_error(&res.body, "validation_failed");
    }
    let res = app.req(Method::Get, "/api/search").send().await;
    res.expect_error(Status::BadRequest, "validation_failed");
}

#[rocket::async_test]
async fn hostile_queries_never_5xx() {
    let app = seeded().await;
    let long = "a\"b(c)d*e-f OR ".repeat(400);
    let hostile: Vec<String> = [
        "\"unbalanced",
        "NEAR(rust pasta)",
        "title:rust",
        "content:pasta",
        "rust AND",
        "NOT rust",
        "^rust",
        "{title content}:rust",
        "+rust",
        "rust*)",
        "(((",
        ")))",
        "*",
        "**",
        "\"a\"*",
        "--rust",
        "rust OR",
        "OR OR OR",
        "'; DROP TABLE posts; --",
        "\u{0}rust\u{0}",
        "🦀 rust 🦀",
        "العربية",
        "rust\u{202e}",
        "a:b:c",
        "NEAR/3",
        "\"\"\"",
        "- - -",
        "rust -",
        "x y z OR OR -",
        "%",
        "_",
        "\\",
        "rust\"pasta",
        "[rust]",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([long, "x".repeat(5000), "é".repeat(1200)])
    .collect();
    for q in hostile {
        let res = search(&app, &q, "").await;
        match res.status {
            Status::Ok => assert!(res.body["results"].is_array(), "{q:?}: {}", res.text),
            Status::BadRequest => assert_error(&res.body, "validation_failed"),
            other => panic!("{q:?} gave {other}: {}", res.text),
        }
    }
}

#[rocket::async_test]
async fn search_pages_and_limits() {
    let app = TestApp::new().await;
    let t = app.user_token("pat").await;
    for i in 0..7 {
        app.post_as(
            &t,
            json!({"title": format!("Common {i}"), "content": "common words", "published": true}),
        )
        .await;
    }
    let res = search(&app, "common", "&limit=3&page=3").await;
    let body = res.expect(Status::Ok).body;
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["pagination"]["total"], 7);
    assert_eq!(body["pagination"]["pages"], 3);
    search(&app, "common", "&limit=101")
        .await
        .expect_error(Status::BadRequest, "validation_failed");
}

/// Many prefixes that each match many tokens: within the expansion budget
/// and with at most two left as FTS5 prefixes the query searches; past
/// that it is refused with a 400 instead of merging every list in full.
#[rocket::async_test]
async fn wide_prefixes_search_within_the_budget_and_are_refused_beyond() {
    let app = TestApp::new().await;
    let t = app.user_token("max").await;
    let prefixes: Vec<String> = (b'a'..=b'z')
        .map(|c| format!("x{}", c as char))
        .chain((b'a'..=b'f').map(|c| format!("y{}", c as char)))
        .collect();
    assert_eq!(prefixes.len(), 32);
    let words: Vec<String> = prefixes
        .iter()
        .flat_map(|p| (0..32).map(move |n| format!("{p}{n:02}w")))
        .collect();
    app.post_as(
        &t,
        json!({"title": "Wide", "content": words.join(" "), "published": true}),
    )
    .await;
    let q: Vec<String> = prefixes.iter().map(|p| format!("{p}*")).collect();
    // 4 × 32 tokens fill the budget; two more stay FTS5 prefixes.
    assert_eq!(titles(&app, &q[..6].join(" ")).await, ["Wide"]);
    for q in [q[..7].join(" "), q.join(" ")] {
        let res = search(&app, &q, "")
            .await
            .expect_error(Status::BadRequest, "validation_failed");
        let detail = &res.body["details"][0];
        assert_eq!(detail["field"], "q");
        let message = detail["message"].as_str().unwrap_or_default();
        assert!(message.contains("too broad"), "{}", res.text);
    }
}

/// `s* s* …` (32 times) is searched as `s*`: the same hits, with the same
/// ranks, not 32 times the work.
#[rocket::async_test]
async fn repeated_terms_search_as_once() {
    let app = seeded().await;
    for term in ["s*", "rust", "\"boil water\""] {
        let once = search(&app, term, "").await.expect(Status::Ok);
        let once = &once.body["results"];
        assert!(!once.as_array().unwrap().is_empty(), "{term}");
        let many = search(&app, &vec![term; 32].join(" "), "").await;
        assert_eq!(&many.expect(Status::Ok).body["results"], once, "{term}");
    }
}
