//! GraphiQL is served from the binary: no CDN, and a strict CSP.

use rocket::http::{Method, Status};

use crate::support::TestApp;

#[rocket::async_test]
async fn graphiql_comes_from_the_binary_under_a_strict_csp() {
    let app = TestApp::with(|c| c.graphql.playground = true).await;
    let res = app
        .req(Method::Get, "/graphql")
        .send()
        .await
        .expect(Status::Ok);
    let csp = res.must_header("Content-Security-Policy").to_string();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    let page = res.text;
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
        let res = app.req(Method::Get, path).send().await.expect(Status::Ok);
        let ty = res.content_type.unwrap();
        assert!(ty.is_javascript() || ty.is_css(), "{path}: {ty}");
    }
    app.req(Method::Get, "/graphql/assets/LICENSE.graphiql")
        .send()
        .await
        .expect(Status::Ok);

    let off = TestApp::new().await;
    off.req(Method::Get, "/graphql/assets/graphiql.min.js")
        .send()
        .await
        .expect(Status::NotFound);
}
