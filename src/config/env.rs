//! Which `FOLIO_*` environment variables are configuration. Orchestrators
//! inject variables such as `FOLIO_SERVICE_HOST` or `FOLIO_PORT=tcp://...`
//! for a service named `folio`, so only the documented forms are read.

use super::Config;

/// Variables read elsewhere, never as configuration keys.
const EXEMPT: &[&str] = &["config"];
/// Prefix of the first-admin bootstrap variables (`FOLIO_ADMIN_EMAIL`, ...).
const EXEMPT_PREFIX: &str = "admin_";
/// Top-level keys that may be set directly (`FOLIO_DATA_DIR`).
const TOP_LEVEL: &[&str] = &["data_dir"];

/// What a `FOLIO_*` variable (name without the prefix) is to the loader.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EnvKind {
    /// `FOLIO_<SECTION>__<KEY>` of a known section, or a top-level key.
    Config,
    /// Read by other code (`FOLIO_CONFIG`, `FOLIO_ADMIN_*`).
    Exempt,
    /// Not a documented form: ignored, with a warning.
    Foreign,
}

/// The configuration's section names (`server`, `database`, ...).
fn sections() -> Vec<String> {
    match toml::Table::try_from(Config::default()) {
        Ok(table) => table
            .into_iter()
            .filter(|(_, v)| v.is_table())
            .map(|(k, _)| k)
            .collect(),
        Err(_) => Vec::new(),
    }
}

pub(crate) fn classify(rest: &str, sections: &[String]) -> EnvKind {
    let key = rest.to_ascii_lowercase();
    if EXEMPT.contains(&key.as_str()) || key.starts_with(EXEMPT_PREFIX) {
        return EnvKind::Exempt;
    }
    if TOP_LEVEL.contains(&key.as_str()) {
        return EnvKind::Config;
    }
    match key.split_once("__") {
        Some((section, field)) if !field.is_empty() && sections.iter().any(|s| s == section) => {
            EnvKind::Config
        }
        _ => EnvKind::Foreign,
    }
}

/// A predicate for figment's `Env::filter`: true for configuration variables.
pub(crate) fn filter() -> impl Fn(&str) -> bool + Clone {
    let sections = sections();
    move |rest| classify(rest, &sections) == EnvKind::Config
}

/// The `FOLIO_*` variables of this process that are ignored, for one warning.
pub fn ignored() -> Vec<String> {
    let sections = sections();
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            k.strip_prefix("FOLIO_")
                .is_some_and(|rest| classify(rest, &sections) == EnvKind::Foreign)
        })
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_forms_are_configuration() {
        let s = sections();
        assert!(s.iter().any(|x| x == "server") && s.iter().any(|x| x == "database"));
        assert_eq!(classify("SERVER__PORT", &s), EnvKind::Config);
        assert_eq!(classify("DATABASE__SYNCHRONOUS", &s), EnvKind::Config);
        assert_eq!(
            classify("SERVER__PROT", &s),
            EnvKind::Config,
            "typos in a section still fail"
        );
        assert_eq!(classify("DATA_DIR", &s), EnvKind::Config);
        assert_eq!(classify("CONFIG", &s), EnvKind::Exempt);
        assert_eq!(classify("ADMIN_EMAIL", &s), EnvKind::Exempt);
        for foreign in [
            "SERVICE_HOST",
            "SERVICE_PORT",
            "PORT",
            "PORT_8000_TCP",
            "PORT_8000_TCP_ADDR",
            "PORT_8000_TCP_PROTO",
            "SERVER",
            "SERVER__",
            "NOSUCH__KEY",
            "TEST_POSTGRES_URL",
        ] {
            assert_eq!(classify(foreign, &s), EnvKind::Foreign, "{foreign}");
        }
    }
}
