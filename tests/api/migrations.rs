//! The migration runner on real database files.

use folio::db::migrate::{self, Migration, MigrationError};
use folio::db::{open_connection, Db, DbOptions};
use folio::Config;

fn opts() -> DbOptions {
    DbOptions::from_config(&Config::default(), folio::app::STORAGE_HOOKS)
}

fn mig(version: u32, name: &str, sql: &str) -> Migration {
    Migration {
        version,
        name: name.into(),
        sql: sql.into(),
    }
}

#[test]
fn fresh_database_gets_every_embedded_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let db = Db::open(&path, opts()).expect("opens");
    let known = migrate::embedded().unwrap();
    let count: i64 = db
        .read_blocking(|c| -> folio::ApiResult<_> {
            Ok(c.sqlite_conn()
                .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
                .map_err(folio::db::StoreError::from)?)
        })
        .unwrap();
    assert_eq!(usize::try_from(count).unwrap(), known.len());
    // The tables the contract needs exist, with the FTS index.
    for table in ["users", "posts", "posts_fts"] {
        let n: i64 = db
            .read_blocking(move |c| -> folio::ApiResult<_> {
                Ok(c.sqlite_conn()
                    .query_row(
                        "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                        [table],
                        |r| r.get(0),
                    )
                    .map_err(folio::db::StoreError::from)?)
            })
            .unwrap();
        assert_eq!(n, 1, "{table}");
    }
    let checksum: String = db
        .read_blocking(|c| -> folio::ApiResult<_> {
            Ok(c.sqlite_conn()
                .query_row(
                    "SELECT checksum FROM schema_migrations WHERE version = 1",
                    [],
                    |r| r.get(0),
                )
                .map_err(folio::db::StoreError::from)?)
        })
        .unwrap();
    assert_eq!(checksum, known[0].checksum());
    db.close();
}

#[test]
fn second_run_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let known = vec![
        mig(1, "a", "CREATE TABLE a (x);"),
        mig(2, "b", "CREATE TABLE b (y);"),
    ];
    let mut conn = open_connection(&path, &opts()).unwrap();
    assert_eq!(migrate::run(&mut conn, &known).unwrap().len(), 2);
    assert!(migrate::run(&mut conn, &known).unwrap().is_empty());
    let status = migrate::status(&conn, &known).unwrap();
    assert!(status.iter().all(|s| s.applied_at.is_some()));
}

#[test]
fn new_migrations_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let mut conn = open_connection(&path, &opts()).unwrap();
    migrate::run(&mut conn, &[mig(1, "a", "CREATE TABLE a (x);")]).unwrap();
    let more = vec![
        mig(1, "a", "CREATE TABLE a (x);"),
        mig(2, "b", "INSERT INTO a VALUES (1);"),
    ];
    let applied = migrate::run(&mut conn, &more).unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].version, 2);
}

#[test]
fn tampered_checksum_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let mut conn = open_connection(&path, &opts()).unwrap();
    migrate::run(&mut conn, &[mig(1, "create_a", "CREATE TABLE a (x);")]).unwrap();
    let changed = mig(1, "create_a", "CREATE TABLE a (x, y);");
    let err = migrate::run(&mut conn, std::slice::from_ref(&changed)).unwrap_err();
    let MigrationError::Tampered {
        file,
        applied,
        embedded,
    } = &err
    else {
        panic!("not refused as tampered: {err}");
    };
    assert_eq!(file, "0001_create_a.sql");
    assert_eq!(
        applied,
        &mig(1, "create_a", "CREATE TABLE a (x);").checksum()
    );
    assert_eq!(embedded, &changed.checksum());
    assert_ne!(applied, embedded);
    // Opening the database for the server refuses it the same way.
    drop(conn);
    let err = match Db::open_with(&path, opts(), vec![changed]) {
        Ok(_) => panic!("a tampered database opened"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.starts_with("migration 0001_create_a.sql was changed after it was applied"),
        "{err}"
    );
}

#[test]
fn unknown_newer_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let mut conn = open_connection(&path, &opts()).unwrap();
    let newer = vec![
        mig(1, "a", "CREATE TABLE a (x);"),
        mig(2, "future", "CREATE TABLE f (x);"),
    ];
    migrate::run(&mut conn, &newer).unwrap();
    let err = migrate::run(&mut conn, &newer[..1]).unwrap_err();
    assert!(matches!(err, MigrationError::Unknown { version: 2, .. }));
    assert!(err.to_string().contains("0002_future"), "{err}");
}

#[test]
fn failing_migration_rolls_back_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.db");
    let mut conn = open_connection(&path, &opts()).unwrap();
    let list = vec![
        mig(1, "ok", "CREATE TABLE a (x);"),
        mig(2, "broken", "CREATE TABLE b (y); SELEC nonsense;"),
    ];
    let err = migrate::run(&mut conn, &list).unwrap_err();
    assert!(err.to_string().contains("0002_broken.sql"), "{err}");
    let b: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(b, 0, "the failed migration's changes were rolled back");
    let status = migrate::status(&conn, &list).unwrap();
    assert!(status[0].applied_at.is_some() && status[1].applied_at.is_none());
}
