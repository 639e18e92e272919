//! Configuration layering: defaults < file < environment; unknown keys refused.
//!
//! Its own test binary: `figment::Jail` sets process environment variables
//! and changes the working directory while a test runs, which would leak into
//! the servers other tests start in the same process (a half-set
//! `FOLIO_ADMIN_*` makes start-up refuse).
#![allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error.

use figment::Jail;
use folio::config::{Config, Source, Synchronous};

#[test]
fn repo_config_toml_equals_defaults() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"))
        .expect("config.toml in the repo");
    let parsed = Config::from_toml_str(&text).expect("repo config.toml parses");
    assert_eq!(parsed, Config::default());
    // Every option of the defaults appears in the file (commented or not).
    let defaults = toml::to_string(&Config::default()).unwrap();
    for line in defaults.lines().filter(|l| l.contains(" = ")) {
        let key = line.split(" = ").next().unwrap();
        assert!(
            text.contains(&format!("{key} = ")),
            "config.toml lacks `{key}`"
        );
    }
}

#[test]
fn defaults_without_file_or_env() {
    Jail::expect_with(|_jail| {
        let c = Config::load(&Source::Default).expect("defaults load");
        assert_eq!(c, Config::default());
        assert_eq!(c.server.port, 8000);
        assert_eq!(c.server.address, "127.0.0.1");
        assert_eq!(
            c.database_path(),
            std::path::PathBuf::from("./data/folio.db")
        );
        Ok(())
    });
}

#[test]
fn file_then_env_layering() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "config.toml",
            "data_dir = \"/srv/folio\"\n[server]\nport = 7000\nbody_limit = 2048\n[database]\nsynchronous = \"normal\"\n",
        )?;
        let c = Config::load(&Source::Default).expect("file loads");
        assert_eq!(c.server.port, 7000);
        assert_eq!(c.server.body_limit, 2048);
        assert_eq!(c.database.synchronous, Synchronous::Normal);
        assert_eq!(
            c.database_path(),
            std::path::PathBuf::from("/srv/folio/folio.db")
        );

        jail.set_env("FOLIO_SERVER__PORT", "9000");
        jail.set_env("FOLIO_DATA_DIR", "/var/lib/folio");
        // Bootstrap variables and FOLIO_CONFIG are not configuration keys.
        jail.set_env("FOLIO_ADMIN_EMAIL", "root@example.com");
        let c = Config::load(&Source::Default).expect("env loads");
        assert_eq!(c.server.port, 9000, "env beats file");
        assert_eq!(c.server.body_limit, 2048, "file beats default");
        assert_eq!(c.data_dir, std::path::PathBuf::from("/var/lib/folio"));
        Ok(())
    });
}

#[test]
fn explicit_file_must_exist() {
    Jail::expect_with(|jail| {
        jail.create_file("other.toml", "[server]\nport = 7100\n")?;
        let c = Config::load(&Source::File("other.toml".into())).expect("explicit file");
        assert_eq!(c.server.port, 7100);
        let err = Config::load(&Source::File("missing.toml".into())).unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
        Ok(())
    });
}

#[test]
fn unknown_key_in_file_is_refused_with_its_name_and_source() {
    Jail::expect_with(|jail| {
        jail.create_file("config.toml", "[server]\nprot = 9000\n")?;
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("server.prot"), "{err}");
        assert!(err.contains("config.toml"), "{err}");
        Ok(())
    });
}

#[test]
fn unknown_key_in_env_is_refused_with_its_name() {
    Jail::expect_with(|jail| {
        jail.set_env("FOLIO_SERVER__PROT", "9000");
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("server.prot"), "{err}");
        assert!(err.contains("FOLIO_"), "{err}");
        Ok(())
    });
}

#[test]
fn orchestrator_variables_are_ignored_and_named() {
    Jail::expect_with(|jail| {
        // What Kubernetes injects for a Service named `folio`, and Docker links.
        jail.set_env("FOLIO_SERVICE_HOST", "10.0.0.7");
        jail.set_env("FOLIO_SERVICE_PORT", "8000");
        jail.set_env("FOLIO_PORT", "tcp://10.0.0.7:8000");
        jail.set_env("FOLIO_PORT_8000_TCP_ADDR", "10.0.0.7");
        jail.set_env("FOLIO_SERVER__PORT", "9000");
        jail.set_env("FOLIO_DATA_DIR", "/srv/folio");
        jail.set_env("FOLIO_ADMIN_EMAIL", "a@example.com");
        let config =
            Config::load(&Source::Default).expect("foreign variables must not stop startup");
        assert_eq!(config.server.port, 9000);
        assert_eq!(config.data_dir, std::path::PathBuf::from("/srv/folio"));
        let ignored = folio::config::ignored_env();
        for name in [
            "FOLIO_PORT",
            "FOLIO_PORT_8000_TCP_ADDR",
            "FOLIO_SERVICE_HOST",
            "FOLIO_SERVICE_PORT",
        ] {
            assert!(
                ignored.iter().any(|n| n == name),
                "{name} not in {ignored:?}"
            );
        }
        assert!(!ignored
            .iter()
            .any(|n| n == "FOLIO_SERVER__PORT" || n == "FOLIO_ADMIN_EMAIL"));
        Ok(())
    });
}

#[test]
fn bad_values_are_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("FOLIO_SERVER__PORT", "eighty");
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("server.port"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("FOLIO_DATABASE__SYNCHRONOUS", "sometimes");
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("database.synchronous"), "{err}");
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("FOLIO_DATABASE__MMAP_MIB", "4096");
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("database.mmap_mib"), "{err}");
        jail.set_env("FOLIO_DATABASE__MMAP_MIB", "2047");
        let config = Config::load(&Source::Default).map_err(|e| e.to_string())?;
        assert_eq!(config.database.mmap_mib, 2047);
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.set_env("FOLIO_LOG__LEVEL", "[[[");
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("log.level"), "{err}");
        Ok(())
    });
}

#[test]
fn trusted_proxies_are_parsed_at_load() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "config.toml",
            "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\n",
        )?;
        let c = Config::load(&Source::Default).map_err(|e| e.to_string())?;
        let [net, one] = c.server.trusted_proxies.as_slice() else {
            panic!("{:?}", c.server.trusted_proxies);
        };
        assert!(net.contains("10.9.8.7".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        assert!(c.to_masked_toml().contains("\"10.0.0.0/8\""));
        Ok(())
    });
    Jail::expect_with(|jail| {
        jail.create_file(
            "config.toml",
            "[server]\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.0/40\"]\n",
        )?;
        let err = Config::load(&Source::Default).unwrap_err().to_string();
        assert!(err.contains("server.trusted_proxies"), "{err}");
        assert!(
            err.contains("`10.0.0.0/40` is not an IP address or CIDR"),
            "{err}"
        );
        Ok(())
    });
}
