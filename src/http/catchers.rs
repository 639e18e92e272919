//! JSON catchers for every status Rocket itself can produce, and `405`.
//!
//! Rocket 0.5 never answers `405`: a path served only under other methods is
//! a `404`. The `404` catcher therefore looks for routes whose path template
//! matches under another method and answers `405` with `Allow` instead.

use rocket::http::{Method, Status};
use rocket::{catch, catchers, Catcher, Request};

use super::error::take_stashed;
use crate::error::ApiError;

#[catch(default)]
fn default_catcher(status: Status, req: &Request<'_>) -> ApiError {
    if let Some(err) = take_stashed(req) {
        return err;
    }
    if status == Status::NotFound {
        let allow = allowed_methods(req);
        if !allow.is_empty() {
            return ApiError::MethodNotAllowed { allow };
        }
    }
    super::error::from_status(status)
}

pub fn all() -> Vec<Catcher> {
    catchers![default_catcher]
}

/// Does a route path template such as `/api/posts/<id>` match `path`?
pub fn template_matches(template: &str, path: &str) -> bool {
    let mut want = template
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty());
    let mut have = path.trim_matches('/').split('/').filter(|s| !s.is_empty());
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), _) if w.starts_with('<') && w.ends_with("..>") => return true,
            (Some(w), Some(_)) if w.starts_with('<') && w.ends_with('>') => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

/// The methods under which some route serves the request's path.
fn allowed_methods(req: &Request<'_>) -> Vec<String> {
    let path = req.uri().path().as_str();
    let mut methods: Vec<Method> = req
        .rocket()
        .routes()
        .filter(|r| {
            r.method != req.method()
                && r.method != Method::Options
                && template_matches(r.uri.path(), path)
        })
        .map(|r| r.method)
        .collect();
    if methods.contains(&Method::Get) && !methods.contains(&Method::Head) {
        methods.push(Method::Head);
    }
    if methods.is_empty() {
        return Vec::new();
    }
    methods.sort_by_key(|m| m.as_str());
    methods.dedup();
    methods
        .into_iter()
        .map(|m| m.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates() {
        assert!(template_matches("/api/posts/<id>", "/api/posts/abc"));
        assert!(!template_matches("/api/posts/<id>", "/api/posts"));
        assert!(!template_matches("/api/posts/<id>", "/api/posts/a/b"));
        assert!(template_matches("/admin/<path..>", "/admin/x/y"));
        assert!(template_matches("/admin/<path..>", "/admin"));
        assert!(template_matches("/health", "/health/"));
        assert!(!template_matches("/health", "/ready"));
    }
}
