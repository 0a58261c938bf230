//! The tests' PostgreSQL server: finding it (`CRA_TEST_POSTGRES_URL`,
//! which `scripts/postgres.sh`'s `pg_start` sets) or saying that a test was
//! skipped, `psql` on it, and a schema or a database of a test's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The URL of the tests' PostgreSQL server (a superuser's), when
/// `CRA_TEST_POSTGRES_URL` is set.
pub fn postgres_url() -> Option<String> {
    std::env::var("CRA_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The server `test` runs against, or `None` after saying that `test` was
/// skipped (see [`skip`]).
pub fn postgres_server(test: &str) -> Option<String> {
    let server = postgres_url();
    if server.is_none() {
        skip(test, "CRA_TEST_POSTGRES_URL is not set");
    }
    server
}

/// Says that `test` was skipped, and why; fails it instead when
/// `CRA_REQUIRE_POSTGRES=1`, so a run that must test PostgreSQL never
/// passes by skipping it.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var("CRA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "{test}: {why}, and CRA_REQUIRE_POSTGRES=1 (source scripts/postgres.sh; pg_start)"
    );
    println!("{test}: skipped, {why} (source scripts/postgres.sh; pg_start)");
}

/// Runs `statements` on `server`, one after the other, on a connection of
/// their own (so `CREATE DATABASE` is not in a transaction).
fn admin(server: &str, statements: &[&str]) -> Result<(), postgres::Error> {
    let mut client = postgres::Client::connect(server, postgres::NoTls)?;
    for statement in statements {
        client.batch_execute(statement)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// psql

/// `psql` of the server's version when `CRA_TEST_PG_BIN` names its folder,
/// else the one on the `PATH`.
pub fn psql_program() -> PathBuf {
    match std::env::var_os("CRA_TEST_PG_BIN") {
        Some(bin) if Path::new(&bin).join("psql").is_file() => Path::new(&bin).join("psql"),
        _ => PathBuf::from("psql"),
    }
}

/// What `psql "$URL" -XAtc "$SQL"` prints (README.md queries a store so):
/// the rows, unaligned.
pub fn psql(url: &str, sql: &str) -> String {
    run_psql(Command::new(psql_program()).args([url, "-XAtc", sql]))
}

/// What the psql script `file` prints on `url`: the rows, unaligned, and
/// what it `\echo`es; it stops at its first error.
pub fn psql_file(url: &str, file: &Path) -> String {
    run_psql(
        Command::new(psql_program())
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-f",
            ])
            .arg(file),
    )
}

fn run_psql(command: &mut Command) -> String {
    let output = command.output().expect("psql runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("psql prints UTF-8")
}

// ---------------------------------------------------------------------------
// A schema or a database of a test's own

/// A schema of its own on the tests' PostgreSQL server, so tests running
/// at once never share tables; dropped (with everything in it) when
/// dropped. Stores reach it through their URL's `search_path`.
pub struct PgSchema {
    server: String,
    pub name: String,
}

impl PgSchema {
    pub fn new(server: &str) -> PgSchema {
        static SCHEMAS: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "cra_test_{}_{}",
            std::process::id(),
            SCHEMAS.fetch_add(1, Ordering::SeqCst)
        );
        admin(
            server,
            &[&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            )],
        )
        .unwrap();
        PgSchema {
            server: server.to_owned(),
            name,
        }
    }

    /// The store URL of this schema, with `extra` parameters
    /// (`name=value&…`, or empty).
    pub fn url_with(&self, extra: &str) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        let mut url = format!(
            "{}{separator}options=-c%20search_path%3D{}",
            self.server, self.name
        );
        if !extra.is_empty() {
            url.push('&');
            url.push_str(extra);
        }
        url
    }

    pub fn url(&self) -> String {
        self.url_with("")
    }

    /// A connection of the test's own, with this schema first on its path.
    pub fn client(&self) -> postgres::Client {
        let mut client = postgres::Client::connect(&self.server, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("SET search_path = {}", self.name))
            .unwrap();
        client
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = admin(
            &self.server,
            &[&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name)],
        );
    }
}

/// A new, empty database of one test's own on the tests' server,
/// `cra_test_{test}_{pid}`, for tests that need a whole one (say, for many
/// processes); dropped, with the sessions still on it, when dropped.
pub struct PgDatabase {
    server: String,
    pub name: String,
}

impl PgDatabase {
    pub fn new(server: &str, test: &str) -> PgDatabase {
        let database = PgDatabase {
            server: server.to_owned(),
            name: format!("cra_test_{test}_{}", std::process::id()),
        };
        admin(
            server,
            &[
                &database.drop_statement(),
                &format!("CREATE DATABASE {}", database.name),
            ],
        )
        .unwrap();
        database
    }

    pub fn url(&self) -> String {
        database_url(&self.server, &self.name)
    }

    fn drop_statement(&self) -> String {
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = admin(&self.server, &[&self.drop_statement()]);
    }
}

/// The URL of database `name` on the server of `url`.
pub fn database_url(url: &str, name: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let authority = base.find("://").expect("a URL") + 3;
    let host_end = base[authority..]
        .find('/')
        .map_or(base.len(), |at| authority + at);
    format!("{}/{name}{query}", &base[..host_end])
}
