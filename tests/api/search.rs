//! `/api/search`: query language, ranking, snippets, drafts, hostile input.

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{assert_error, TestApp};

async fn seeded() -> TestApp {
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

async fn titles(app: &TestApp, q: &str) -> Vec<String> {
    let (status, body) = app
        .get_as(&format!("/api/search?q={}", urlencode(q)), None)
        .await;
    assert_eq!(status, Status::Ok, "{q}: {body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["post"]["title"].as_str().unwrap().to_string())
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[rocket::async_test]
async fn words_phrases_prefixes_exclusions_or_and_ranking() {
    let app = seeded().await;
    // Title matches outrank content matches; drafts are never found.
    assert_eq!(
        titles(&app, "rust").await,
        vec!["Rust ownership explained", "Cooking pasta"]
    );
    assert_eq!(titles(&app, "rust pasta").await, vec!["Cooking pasta"]);
    assert_eq!(titles(&app, "\"boil water\"").await, vec!["Cooking pasta"]);
    assert!(titles(&app, "\"water boil\"").await.is_empty());
    assert_eq!(titles(&app, "own*").await, vec!["Rust ownership explained"]);
    assert_eq!(
        titles(&app, "rust -pasta").await,
        vec!["Rust ownership explained"]
    );
    let mut either = titles(&app, "tomatoes OR espresso").await;
    either.sort();
    assert_eq!(either, vec!["Café culture", "Gardening"]);
    assert_eq!(
        titles(&app, "sun tomatoes OR nothing").await,
        vec!["Gardening"]
    );
    assert_eq!(
        titles(&app, "cafe").await,
        vec!["Café culture"],
        "diacritics are folded"
    );
    assert_eq!(titles(&app, "CAFÉ").await, vec!["Café culture"]);
    assert!(
        titles(&app, "secret").await.is_empty(),
        "drafts are never found"
    );

    let (_, body) = app.get_as("/api/search?q=rust", None).await;
    let results = body["results"].as_array().unwrap();
    assert!(results[0]["rank"].as_f64().unwrap() > results[1]["rank"].as_f64().unwrap());
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
    let (_, body) = app.get_as("/api/search?q=tomatoes", None).await;
    let snippet = body["results"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("<mark>Tomatoes</mark>"), "{snippet}");
}

#[rocket::async_test]
async fn nothing_searchable_is_400() {
    let app = seeded().await;
    for q in ["", "   ", "!!!", "-rust", "\"\"", "OR", "-\"a b\""] {
        let (status, body) = app
            .get_as(&format!("/api/search?q={}", urlencode(q)), None)
            .await;
        assert_eq!(status, Status::BadRequest, "{q:?}");
        assert_error(&body, "validation_failed");
    }
    let (status, _) = app.get_as("/api/search", None).await;
    assert_eq!(status, Status::BadRequest);
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
        let (status, body) = app
            .get_as(&format!("/api/search?q={}", urlencode(&q)), None)
            .await;
        assert!(status.code < 500, "{q:?} gave {status}: {body}");
        assert!(
            status == Status::Ok || status == Status::BadRequest,
            "{q:?}: {status}"
        );
        if status == Status::Ok {
            assert!(body["results"].is_array());
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
    let (_, body) = app
        .get_as("/api/search?q=common&limit=3&page=3", None)
        .await;
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["pagination"]["total"], 7);
    assert_eq!(body["pagination"]["pages"], 3);
    let (status, _) = app.get_as("/api/search?q=common&limit=101", None).await;
    assert_eq!(status, Status::BadRequest);
    let _: Value = body;
}

/// Prefix searches are expanded into the indexed tokens they match, and the
/// expansion is cached: every write must show at once.
#[rocket::async_test]
async fn prefix_searches_follow_every_write() {
    let app = seeded().await;
    let t = app.user_token("zoe").await;
    assert!(titles(&app, "zebr*").await.is_empty());
    let post = app
        .post_as(
            &t,
            json!({"title": "Zebra crossing", "content": "stripes", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", post["id"].as_str().unwrap());
    assert_eq!(titles(&app, "zebr*").await, vec!["Zebra crossing"]);
    assert_eq!(titles(&app, "Zebras*").await, vec!["Zebra crossing"]);
    assert!(titles(&app, "okap*").await.is_empty());

    let (status, _) = app
        .call(
            Method::Patch,
            &path,
            Some(&t),
            Some(&json!({"title": "Okapi crossing"})),
        )
        .await;
    assert_eq!(status, Status::Ok);
    // Words the old and new titles share stay searchable (0006's fix).
    assert_eq!(titles(&app, "crossing").await, vec!["Okapi crossing"]);
    assert!(titles(&app, "zebr*").await.is_empty());
    assert_eq!(titles(&app, "okap*").await, vec!["Okapi crossing"]);
    assert_eq!(titles(&app, "crossing -okap*").await, Vec::<String>::new());

    let (status, _) = app
        .call(Method::Post, &format!("{path}/unpublish"), Some(&t), None)
        .await;
    assert_eq!(status, Status::Ok);
    assert!(titles(&app, "okap*").await.is_empty());
    let (status, _) = app
        .call(Method::Post, &format!("{path}/publish"), Some(&t), None)
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(titles(&app, "okap*").await, vec!["Okapi crossing"]);
    let (status, _) = app.call(Method::Delete, &path, Some(&t), None).await;
    assert_eq!(status, Status::NoContent);
    assert!(titles(&app, "okap*").await.is_empty());

    // A prefix matching more tokens than are expanded still finds them all.
    let words: Vec<String> = (0..40).map(|i| format!("quux{i:02}x")).collect();
    app.post_as(
        &t,
        json!({"title": "Many", "content": words.join(" "), "published": true}),
    )
    .await;
    assert_eq!(titles(&app, "quux*").await, vec!["Many"]);
    assert_eq!(titles(&app, "quux3*").await, vec!["Many"]);
    assert!(titles(&app, "many -quux*").await.is_empty());
}

/// Editing a published post keeps the words its old and new text share in
/// the index (the update triggers once ran in the wrong order: 0006).
#[rocket::async_test]
async fn edits_keep_shared_words_searchable() {
    let app = TestApp::new().await;
    let t = app.user_token("eve").await;
    let post = app
        .post_as(
            &t,
            json!({"title": "Zebra crossing", "content": "black stripes", "published": true}),
        )
        .await;
    let path = format!("/api/posts/{}", post["id"].as_str().unwrap());
    let edit = json!({"title": "Okapi crossing", "content": "brown stripes"});
    let (status, _) = app.call(Method::Patch, &path, Some(&t), Some(&edit)).await;
    assert_eq!(status, Status::Ok);
    for q in ["crossing", "stripes", "okapi", "brown"] {
        assert_eq!(titles(&app, q).await, vec!["Okapi crossing"], "{q}");
    }
    for q in ["zebra", "black"] {
        assert!(titles(&app, q).await.is_empty(), "{q}");
    }
    // Index changes are queued per write and applied before each commit:
    // nothing is left queued and the index agrees with the posts.
    let conn = rusqlite::Connection::open(app.ctx().db.path()).unwrap();
    let queued: i64 = conn
        .query_row("SELECT count(*) FROM posts_fts_pending", [], |r| r.get(0))
        .unwrap();
    assert_eq!(queued, 0);
    conn.execute(
        "INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .unwrap();
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
    assert_eq!(titles(&app, &q[..6].join(" ")).await, vec!["Wide"]);
    for q in [q[..7].join(" "), q.join(" ")] {
        let (status, body) = app
            .get_as(&format!("/api/search?q={}", urlencode(&q)), None)
            .await;
        assert_eq!(status, Status::BadRequest, "{body}");
        assert_error(&body, "validation_failed");
        assert_eq!(body["details"][0]["field"], "q");
        assert!(body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too broad"));
    }
}

/// `s* s* …` (32 times) is searched as `s*`: the same hits, with the same
/// ranks, not 32 times the work.
#[rocket::async_test]
async fn repeated_terms_search_as_once() {
    let app = seeded().await;
    let search = |q: String| {
        let app = &app;
        async move {
            let (status, body) = app
                .get_as(&format!("/api/search?q={}", urlencode(&q)), None)
                .await;
            assert_eq!(status, Status::Ok, "{q}: {body}");
            body["results"].clone()
        }
    };
    for term in ["s*", "rust", "\"boil water\""] {
        let once = search(term.to_string()).await;
        assert!(!once.as_array().unwrap().is_empty(), "{term}");
        assert_eq!(search(vec![term; 32].join(" ")).await, once, "{term}");
    }
}

/// Searches together hold at most `database.search_reads` read
/// connections: while the test holds them all, a search waits and other
/// reads go on; once they are free, the search answers.
#[rocket::async_test]
async fn searches_wait_for_the_search_cap_while_other_reads_go_on() {
    use rocket::futures::FutureExt;
    let app = TestApp::with(|c| {
        c.database.read_pool_size = 2;
        c.database.search_reads = 1;
        c.cache.enabled = false;
    })
    .await;
    let t = app.user_token("cap").await;
    app.post_as(
        &t,
        json!({"title": "Capped", "content": "held back", "published": true}),
    )
    .await;
    let limits = &app.ctx().search_limits;
    assert_eq!(limits.available(), 1);
    let held = limits.hold_all().await.unwrap();
    let search = app.get_as("/api/search?q=held", None);
    let mut search = std::pin::pin!(search);
    assert!(search.as_mut().now_or_never().is_none());
    for _ in 0..10 {
        let (status, body) = app.get_as("/api/posts?limit=5", None).await;
        assert_eq!(status, Status::Ok, "{body}");
        assert!(
            search.as_mut().now_or_never().is_none(),
            "search ran past the cap"
        );
    }
    drop(held);
    let (status, body) = search.await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["results"][0]["post"]["title"], "Capped");
}

/// A search with 2,000 or more matches to rank is ranked in parts on
/// several read connections at once (`database.search_parallelism`), and
/// the parts' best are merged: every page equals ranking in one statement.
#[rocket::async_test]
async fn searches_ranked_in_parts_answer_as_ranked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::test_config(dir.path());
    // `folio seed` runs its own runtime, so not on this one's thread.
    let seed_config = config.clone();
    std::thread::spawn(move || folio::cli::seed(&seed_config, 3, 2_500, 100))
        .join()
        .unwrap()
        .unwrap();
    // Each common query carries an exclusion that matches nothing: common
    // words alone are answered from decoded lists, in one read, instead
    // (tests/api/search_common.rs).
    let queries = [
        "/api/search?q=folio%20-zzqx",
        "/api/search?q=folio%20-zzqx&limit=7&page=50",
        "/api/search?q=folio%20-zzqx&limit=100&page=25",
        "/api/search?q=rust%20folio%20-zzqx&limit=50&page=3",
        "/api/search?q=centum%20OR%20cache&limit=20&page=9",
        "/api/search?q=ru*%20-zzqx&limit=20&page=2",
        "/api/search?q=centum",
    ];
    let mut answers = Vec::new();
    for parts in [1, 3] {
        let data_dir = config.data_dir.clone();
        let app = TestApp::with(|c| {
            c.data_dir = data_dir;
            c.database.search_parallelism = parts;
        })
        .await;
        let mut bodies = Vec::new();
        for q in queries {
            let (status, body) = app.get_as(q, None).await;
            assert_eq!(status, Status::Ok, "{q}: {body}");
            // One read; or, in parts, one to plan, one per part, and the page
            // in up to as many reads (none of fewer than four hits).
            let split = parts > 1 && body["pagination"]["total"].as_u64().unwrap() >= 2_000;
            let hits = body["results"].as_array().unwrap().len();
            let expected = if split {
                let parts = u64::from(parts);
                1 + parts + parts.min((hits as u64).div_ceil(4))
            } else {
                1
            };
            // Background work (the webhook dispatcher, the event pump) reads
            // too and can only add: the fewest reads over a few tries is the
            // search's own.
            let mut reads = u64::MAX;
            for _ in 0..20 {
                let before = app.ctx().db.reads();
                let (again, answer) = app.get_as(q, None).await;
                assert_eq!((again, &answer), (Status::Ok, &body), "{q}");
                reads = reads.min(app.ctx().db.reads() - before);
                if reads <= expected {
                    break;
                }
            }
            assert_eq!(reads, expected, "{q} in {parts} parts");
            bodies.push(body);
        }
        assert!(bodies[0]["pagination"]["total"].as_u64().unwrap() == 2_500);
        assert_eq!(bodies[2]["results"].as_array().unwrap().len(), 100);
        answers.push(bodies);
    }
    assert_eq!(answers[0], answers[1]);
}

/// The document frequencies a search ranks with are cached, and forgotten
/// on every change to posts: after a write, ranks equal a fresh server's.
#[rocket::async_test]
async fn ranks_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let q = "/api/search?q=rust%20lifetimes";
    let after_write = {
        let app = TestApp::with(|c| c.data_dir = data_dir.clone()).await;
        let t = app.user_token("sam").await;
        for content in ["rust and lifetimes", "rust again", "more rust"] {
            app.post_as(
                &t,
                json!({"title": "Notes", "content": content, "published": true}),
            )
            .await;
        }
        let (status, before) = app.get_as(q, None).await;
        assert_eq!(status, Status::Ok, "{before}");
        app.post_as(
            &t,
            json!({"title": "Other", "content": "lifetimes only", "published": true}),
        )
        .await;
        let (status, after) = app.get_as(q, None).await;
        assert_eq!(status, Status::Ok, "{after}");
        assert_ne!(before["results"][0]["rank"], after["results"][0]["rank"]);
        after
    };
    let fresh = TestApp::with(|c| c.data_dir = data_dir.clone()).await;
    let (status, body) = fresh.get_as(q, None).await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["results"], after_write["results"]);
}
