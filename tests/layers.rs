//! Imports point one way: leaf < values < config < telemetry < storage <
//! cache < domain < transport < app (see docs/architecture.md).
//!
//! Reads every file under `src/` and fails when one names a module of a
//! higher layer. The one cycle allowed is the app state (`ctx`), which the
//! services and transports take.
#![allow(clippy::expect_used)] // A source tree that cannot be read fails the test.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// Imports nothing from the crate.
    Leaf,
    /// Small value types shared by every feature.
    Values,
    Config,
    Telemetry,
    Storage,
    Cache,
    Domain,
    Transport,
    App,
}

/// The layer of a source file, by its path under `src/`, most specific rule
/// first.
fn layer_of(rel: &str) -> Layer {
    const RULES: &[(&str, Layer)] = &[
        ("error.rs", Layer::Leaf),
        ("clock.rs", Layer::Leaf),
        ("net.rs", Layer::Leaf),
        ("ids.rs", Layer::Leaf),
        ("ids.rs", Layer::Leaf),
        ("values/", Layer::Values),
        ("config", Layer::Config),
        ("fdlimit.rs", Layer::Config),
        ("telemetry", Layer::Telemetry),
        ("db/", Layer::Storage),
        ("cache.rs", Layer::Cache),
        ("http/", Layer::Transport),
        ("graphql/", Layer::Transport),
        ("openapi/", Layer::Transport),
        ("metrics", Layer::Transport),
        ("health.rs", Layer::Transport),
        ("admin/ui.rs", Layer::Transport),
        ("auth/guards.rs", Layer::Transport),
        ("events/sse.rs", Layer::Transport),
        ("auth/", Layer::Domain),
        ("users/", Layer::Domain),
        ("posts/", Layer::Domain),
        ("events/", Layer::Domain),
        ("admin/", Layer::Domain),
        ("transfer.rs", Layer::Domain),
    ];
    let file = rel.rsplit('/').next().unwrap_or(rel);
    if file == "rest.rs" {
        return Layer::Transport;
    }
    RULES
        .iter()
        .find(|(prefix, _)| rel.starts_with(prefix))
        .map_or(Layer::App, |(_, layer)| *layer)
}

/// May a file of layer `from` name the module in `target` (a path under
/// `src/`)?
fn allowed(from: Layer, target: &str) -> bool {
    let to = layer_of(target);
    if to <= from {
        return true;
    }
    // The app state and the services and transports that take it.
    target.starts_with("ctx/") && matches!(from, Layer::Domain | Layer::Transport)
}

/// The source with comments and string literals blanked, so that a path in
/// a doc comment or a message is not taken for an import.
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                    }
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal such as '"' must not open a string.
            '\'' if chars.clone().nth(1) == Some('\'') => {
                chars.next();
                chars.next();
                out.push_str("' '");
            }
            '\'' if chars.peek() == Some(&'\\') => {
                chars.next();
                chars.next();
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
                out.push_str("' '");
            }
            other => out.push(other),
        }
    }
    out
}

/// The module path of the file at `rel` (`posts/rest.rs` is `posts::rest`).
fn module_of(rel: &str) -> Vec<String> {
    let trimmed = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every crate path the code names, as absolute segment lists: `crate::a::b`,
/// `super::x` resolved against the file, and the members of
/// `use crate::{a, b::c}`.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let boundary = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        let rest = &code[i..];
        let (base, skip) = if boundary && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if boundary && rest.starts_with("super::") {
            let mut base = module.to_vec();
            let mut skip = 0;
            while code[i + skip..].starts_with("super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            i += 1;
            continue;
        };
        let tail = &code[i + skip..];
        if let Some(group) = tail.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let segs = segments(member.trim());
                if !segs.is_empty() {
                    found.push([base.clone(), segs].concat());
                }
            }
        } else {
            let segs = segments(tail);
            if !segs.is_empty() {
                found.push([base, segs].concat());
            }
        }
        i += skip;
    }
    found
}

/// The leading `a::b::c` identifiers of `text`.
fn segments(text: &str) -> Vec<String> {
    let mut segs = Vec::new();
    let mut rest = text;
    loop {
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segs.push(rest[..len].to_string());
        match rest[len..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    segs
}

/// The source file that defines the longest prefix of `path`, relative to
/// `src/`.
fn file_of(src: &Path, path: &[String]) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let joined = path[..n].join("/");
        for candidate in [format!("{joined}.rs"), format!("{joined}/mod.rs")] {
            if src.join(&candidate).is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every upward import under `src`, as `file: names target (layer)` lines.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let from = layer_of(&rel);
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let code = code_only(&text);
        for named in named_paths(&code, &module_of(&rel)) {
            let Some(target) = file_of(src, &named) else {
                continue;
            };
            if target != rel && !allowed(from, &target) {
                let line = format!(
                    "{rel} ({from:?}) names crate::{} in {target} ({:?})",
                    named.join("::"),
                    layer_of(&target)
                );
                if !found.contains(&line) {
                    found.push(line);
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "{} upward imports:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// Storage itself, and a repo's backend implementations.
fn may_name_rusqlite(rel: &str) -> bool {
    rel.starts_with("db/")
        || rel.ends_with("repo.rs")
        || rel.contains("/repo/")
        || rel.ends_with("/sqlite.rs")
        || rel.contains("/sqlite/")
}

#[test]
fn only_storage_and_repos_name_rusqlite() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut naming = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        if code_only(&text).contains("rusqlite") && !may_name_rusqlite(&rel) {
            naming.push(rel);
        }
    }
    naming.sort();
    assert!(
        naming.is_empty(),
        "rusqlite named outside storage and the repos: {naming:?}"
    );
}

#[test]
fn the_checker_sees_every_spelling_of_an_import() {
    let module = module_of("db/writer/mod.rs");
    let code = code_only(
        "use crate::{error::ApiError, posts::search};\n\
         // crate::http::nothing in a comment\n\
         let s = \"crate::users in a string\";\n\
         crate::auth::check(); super::super::cache::Coherent::new();",
    );
    let named: Vec<String> = named_paths(&code, &module)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        named,
        [
            "error::ApiError",
            "posts::search",
            "auth::check",
            "cache::Coherent::new"
        ]
    );
}

#[test]
fn layers_rank_files_by_path() {
    assert_eq!(layer_of("posts/rest.rs"), Layer::Transport);
    assert_eq!(layer_of("posts/service.rs"), Layer::Domain);
    assert_eq!(layer_of("db/writer/batch.rs"), Layer::Storage);
    assert_eq!(layer_of("config/env.rs"), Layer::Config);
    assert_eq!(layer_of("app.rs"), Layer::App);
    assert!(!allowed(Layer::Storage, "posts/search/rank.rs"));
    assert!(!allowed(Layer::Leaf, "telemetry.rs"));
    assert_eq!(layer_of("auth/guards.rs"), Layer::Transport);
    assert!(allowed(Layer::Domain, "ctx/mod.rs"));
    assert!(!allowed(Layer::Storage, "ctx/mod.rs"));
}
