//! GraphiQL is served from the binary: no CDN, and a strict CSP.

use rocket::http::Status;

use crate::support::TestApp;

#[rocket::async_test]
async fn graphiql_comes_from_the_binary_under_a_strict_csp() {
    let app = TestApp::with(|c| c.graphql.playground = true).await;
    let res = app.get("/graphql").await;
    assert_eq!(res.status(), Status::Ok);
    let csp = res
        .headers()
        .get_one("Content-Security-Policy")
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    let page = res.into_string().await.unwrap();
    assert!(!page.contains("http"), "no absolute URL: {page}");
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "{page}"
    );
    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphql/assets/"))
        .collect();
    assert_eq!(assets.len(), 6, "{assets:?}");
    for path in assets {
        let res = app.get(path).await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        let ty = res.content_type().unwrap();
        assert!(ty.is_javascript() || ty.is_css(), "{path}: {ty}");
    }
    let licence = app.get("/graphql/assets/LICENSE.graphiql").await;
    assert_eq!(licence.status(), Status::Ok);

    let off = TestApp::new().await;
    let res = off.get("/graphql/assets/graphiql.min.js").await;
    assert_eq!(res.status(), Status::NotFound);
}
