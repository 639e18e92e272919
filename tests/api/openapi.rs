//! The OpenAPI document parses and lists every mounted `/api` route.

use std::collections::BTreeSet;

use rocket::http::Status;

use crate::support::{json_of, TestApp};

/// `/api/posts/<id>` and `/api/posts/{key}` both become `/api/posts/{}`.
fn normalise(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if (seg.starts_with('<') && seg.ends_with('>'))
                || (seg.starts_with('{') && seg.ends_with('}'))
            {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[rocket::async_test]
async fn openapi_lists_every_api_route() {
    let app = TestApp::new().await;
    let (status, doc) = json_of(app.get("/api/openapi.json").await).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["securitySchemes"]["apiKey"].is_object());
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), normalise(path)));
        }
    }
    let mounted: BTreeSet<(String, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|r| r.uri.path().starts_with("/api"))
        .map(|r| (r.method.as_str().to_string(), normalise(r.uri.path())))
        .collect();
    let missing: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        stale.is_empty(),
        "documented routes that are not mounted: {stale:?}"
    );
    // Every $ref resolves.
    let text = doc.to_string();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(
            doc["components"]["schemas"][&name].is_object(),
            "dangling $ref {name}"
        );
    }
}
