//! Store URLs: which store a resolver opens.
//!
//! - `memory:` (or an empty URL): events stay in memory (the default);
//! - `sqlite:PATH[?sync=normal|full][&max_waiting_mb=N]`: a single SQLite
//!   file, created when missing;
//! - `postgres://…`, `postgresql://…`: a PostgreSQL database, in libpq's
//!   URI form (`postgres://user:password@host:port/dbname?params`); libcra
//!   takes `max_waiting_mb` out and hands every other parameter to the
//!   client, which refuses those it does not know. This build has no TLS:
//!   `sslmode=require`, `verify-ca` and `verify-full` are refused with `Io`.
//!
//! Unknown schemes and parameters are refused, so a typo never silently
//! falls back to another store.

use crate::error::{truncated, Error, ErrorKind, Result};
use std::path::PathBuf;
use std::time::Duration;

/// How hard a commit presses its data to the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// SQLite's `synchronous=NORMAL` in WAL mode: a commit survives the
    /// process crashing; the last commits may be lost if the machine loses
    /// power (the file stays consistent).
    Normal,
    /// `synchronous=FULL`: every commit is fsynced and survives power loss.
    Full,
}

/// The default bound on event text waiting for the store, in MiB.
pub const DEFAULT_MAX_WAITING_MB: usize = 64;

/// A `sqlite:` URL's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteUrl {
    pub path: PathBuf,
    pub sync: SyncMode,
    /// Bytes of event text that may wait for the store before new
    /// operations are refused with `Backpressure`.
    pub max_waiting_bytes: usize,
}

/// A `postgres://` URL's settings.
#[derive(Clone, Debug)]
pub struct PostgresUrl {
    /// Where and how to connect (its `Debug` hides the password).
    pub config: postgres::Config,
    /// As for [`SqliteUrl::max_waiting_bytes`].
    pub max_waiting_bytes: usize,
    /// The URL without its password and parameters, for messages and the
    /// store's name: `postgres://user@host:port/dbname`.
    pub display: String,
}

/// A parsed store URL. Its `Debug` never shows a password.
#[derive(Clone, Debug)]
pub enum StoreUrl {
    Memory,
    Sqlite(SqliteUrl),
    /// Boxed: the client's settings are large, and URLs are parsed once.
    Postgres(Box<PostgresUrl>),
}

impl StoreUrl {
    /// Parses `url`. Errors: `InvalidArgument` naming what is wrong (an
    /// unknown scheme or parameter, an empty path, a bad value); `Io` for
    /// a PostgreSQL URL that asks for TLS, which this build cannot do.
    pub fn parse(url: &str) -> Result<StoreUrl> {
        if url.is_empty() || url == "memory:" {
            return Ok(StoreUrl::Memory);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return parse_sqlite(rest).map(StoreUrl::Sqlite);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return parse_postgres(url).map(|url| StoreUrl::Postgres(Box::new(url)));
        }
        Err(invalid(format!(
            "store URL '{}' has an unknown scheme: use memory:, sqlite:PATH or postgres://…",
            truncated(url)
        )))
    }
}

fn parse_sqlite(rest: &str) -> Result<SqliteUrl> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err(invalid(
            "store URL 'sqlite:' needs a file path, as in sqlite:/var/lib/app/trace.db",
        ));
    }
    let mut url = SqliteUrl {
        path: PathBuf::from(path),
        sync: SyncMode::Normal,
        max_waiting_bytes: DEFAULT_MAX_WAITING_MB << 20,
    };
    for (name, value) in parameters(query)? {
        match name {
            "sync" => url.sync = sync_mode(value)?,
            "max_waiting_mb" => url.max_waiting_bytes = waiting_mb(value)? << 20,
            _ => {
                return Err(invalid(format!(
                    "store URL parameter '{}' is unknown: sqlite: takes sync and max_waiting_mb",
                    truncated(name)
                )))
            }
        }
    }
    Ok(url)
}

/// The `name=value` pairs of a URL's query, in order. Errors:
/// `InvalidArgument` when a name is given twice (which one would win is
/// not obvious to whoever reads the URL).
fn parameters(query: &str) -> Result<Vec<(&str, &str)>> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        if pairs.iter().any(|&(seen, _)| seen == name) {
            return Err(invalid(format!(
                "store URL parameter '{}' is given twice",
                truncated(name)
            )));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// How long connecting to PostgreSQL may take when the URL does not say
/// (`connect_timeout`): a server that cannot be reached must not hold the
/// store's writer, and so shutdown, for minutes of TCP retries.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long sent data may stay unacknowledged before the connection counts
/// as broken when the URL does not say (`tcp_user_timeout`), for the same
/// reason.
const DEFAULT_TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// Parses a `postgres://` or `postgresql://` URL: libcra's own parameter
/// comes out, the rest goes to the client's parser.
fn parse_postgres(url: &str) -> Result<PostgresUrl> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut max_waiting_bytes = DEFAULT_MAX_WAITING_MB << 20;
    let mut passed = Vec::new();
    for (name, value) in parameters(query)? {
        match name {
            "max_waiting_mb" => max_waiting_bytes = waiting_mb(value)? << 20,
            "sslmode" => passed.push(format!("sslmode={}", ssl_mode(value)?)),
            _ => passed.push(format!("{name}={value}")),
        }
    }
    let connection = match passed.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", passed.join("&")),
    };
    let mut config: postgres::Config = connection.parse().map_err(|err: postgres::Error| {
        // The cause names the option or the part of the URL; it never
        // repeats a value, so never the password.
        let cause = std::error::Error::source(&err).map_or(err.to_string(), |c| c.to_string());
        invalid(format!(
            "PostgreSQL store URL: {}; postgres:// takes max_waiting_mb and libpq's \
             connection parameters (sslmode, connect_timeout, application_name, options, …)",
            truncated(&cause)
        ))
    })?;
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        return Err(invalid(
            "PostgreSQL store URL names no server: postgres://user@host:5432/dbname, \
             or ?host=/run/postgresql for a Unix socket",
        ));
    }
    if config.get_application_name().is_none() {
        config.application_name("libcra");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(DEFAULT_TCP_USER_TIMEOUT);
    }
    Ok(PostgresUrl {
        display: display(&config),
        config,
        max_waiting_bytes,
    })
}

/// The `sslmode` to hand on. Every mode that may connect without TLS
/// does so; the ones that demand TLS are refused with `Io`, as a store
/// that cannot be opened.
fn ssl_mode(value: &str) -> Result<&'static str> {
    match value {
        "disable" => Ok("disable"),
        // `allow` tries without TLS first, `prefer` falls back to it: with
        // no TLS in this build both connect without it.
        "allow" | "prefer" => Ok("prefer"),
        "require" | "verify-ca" | "verify-full" => Err(Error::new(
            ErrorKind::Io,
            format!(
                "sslmode={value}: TLS is not supported by this build of libcra; \
                 use sslmode=disable or prefer"
            ),
        )),
        _ => Err(invalid(format!(
            "store URL parameter sslmode='{}' must be disable, allow, prefer, require, \
             verify-ca or verify-full",
            truncated(value)
        ))),
    }
}

/// `postgres://user@host:port,host:port/dbname` (`?host=DIR` for Unix
/// sockets): what the URL names, without the password or parameters.
fn display(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let ports = config.get_ports();
    let port = |n: usize| ports.get(n).or(ports.first()).copied().unwrap_or(5432);
    let mut servers = Vec::new();
    let mut sockets = Vec::new();
    for (n, host) in config.get_hosts().iter().enumerate() {
        match host {
            Host::Tcp(name) if name.contains(':') => servers.push(format!("[{name}]:{}", port(n))),
            Host::Tcp(name) => servers.push(format!("{name}:{}", port(n))),
            #[cfg(unix)]
            Host::Unix(path) => sockets.push(path.display().to_string()),
        }
    }
    let user = config
        .get_user()
        .map(|user| format!("{user}@"))
        .unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or_default();
    let mut text = format!("postgres://{user}{}/{dbname}", servers.join(","));
    if !sockets.is_empty() {
        text.push_str("?host=");
        text.push_str(&sockets.join(","));
    }
    text
}

fn sync_mode(value: &str) -> Result<SyncMode> {
    match value {
        "normal" => Ok(SyncMode::Normal),
        "full" => Ok(SyncMode::Full),
        _ => Err(invalid(format!(
            "store URL parameter sync='{}' must be normal or full",
            truncated(value)
        ))),
    }
}

/// The most a host may let wait for the store.
const MAX_WAITING_MB: usize = 1 << 16;

fn waiting_mb(value: &str) -> Result<usize> {
    let plain = value.bytes().all(|b| b.is_ascii_digit()) && !value.starts_with('0');
    match value.parse::<usize>() {
        Ok(mb) if plain && (1..=MAX_WAITING_MB).contains(&mb) => Ok(mb),
        _ => Err(invalid(format!(
            "store URL parameter max_waiting_mb='{}' must be a whole number from 1 to {MAX_WAITING_MB}",
            truncated(value)
        ))),
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_sqlite_urls_parse() {
        assert!(matches!(StoreUrl::parse("").unwrap(), StoreUrl::Memory));
        assert!(matches!(
            StoreUrl::parse("memory:").unwrap(),
            StoreUrl::Memory
        ));
        let StoreUrl::Sqlite(url) =
            StoreUrl::parse("sqlite:/tmp/t.db?sync=full&max_waiting_mb=8").unwrap()
        else {
            panic!("not sqlite");
        };
        assert_eq!(url.path, PathBuf::from("/tmp/t.db"));
        assert_eq!(url.sync, SyncMode::Full);
        assert_eq!(url.max_waiting_bytes, 8 << 20);
        let StoreUrl::Sqlite(url) = StoreUrl::parse("sqlite:relative.db").unwrap() else {
            panic!("not sqlite");
        };
        assert_eq!(
            (url.sync, url.max_waiting_bytes),
            (SyncMode::Normal, DEFAULT_MAX_WAITING_MB << 20)
        );
    }

    #[test]
    fn bad_urls_name_what_is_wrong() {
        for (url, kind, names) in [
            ("sqlite:", ErrorKind::InvalidArgument, "file path"),
            (
                "sqlite:t.db?sync=sometimes",
                ErrorKind::InvalidArgument,
                "sometimes",
            ),
            (
                "sqlite:t.db?cache=big",
                ErrorKind::InvalidArgument,
                "'cache'",
            ),
            (
                "sqlite:t.db?max_waiting_mb=0",
                ErrorKind::InvalidArgument,
                "max_waiting_mb",
            ),
            ("mysql://db", ErrorKind::InvalidArgument, "unknown scheme"),
            ("memory", ErrorKind::InvalidArgument, "unknown scheme"),
            (
                "postgres://u@h/db?max_waiting_mb=1&max_waiting_mb=2",
                ErrorKind::InvalidArgument,
                "given twice",
            ),
            (
                "postgres://u@h/db?sslmode=verify-full",
                ErrorKind::Io,
                "sslmode=verify-full: TLS is not supported",
            ),
            (
                "postgresql://u@h/db?sslmode=require",
                ErrorKind::Io,
                "use sslmode=disable or prefer",
            ),
            (
                "postgres://u@h/db?sslmode=maybe",
                ErrorKind::InvalidArgument,
                "sslmode='maybe'",
            ),
            (
                "postgres://u@h/db?fancy=1",
                ErrorKind::InvalidArgument,
                "unknown option `fancy`",
            ),
            (
                "postgres:///db",
                ErrorKind::InvalidArgument,
                "names no server",
            ),
            (
                "postgres://u@h/db?port=x",
                ErrorKind::InvalidArgument,
                "`port`",
            ),
        ] {
            let err = StoreUrl::parse(url).unwrap_err();
            assert_eq!(err.kind(), kind, "{url}");
            assert!(err.message().contains(names), "{url}: {err}");
        }
    }

    fn postgres(url: &str) -> PostgresUrl {
        match StoreUrl::parse(url).unwrap() {
            StoreUrl::Postgres(url) => *url,
            other => panic!("{url} is {other:?}"),
        }
    }

    #[test]
    fn postgres_urls_parse_without_showing_the_password() {
        let url = postgres(
            "postgresql://cra:s3cret@db.example:6432/traces?max_waiting_mb=8\
             &sslmode=prefer&application_name=billing&options=-c%20search_path%3Dcra",
        );
        assert_eq!(url.display, "postgres://cra@db.example:6432/traces");
        assert_eq!(url.max_waiting_bytes, 8 << 20);
        assert_eq!(url.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(url.config.get_application_name(), Some("billing"));
        assert_eq!(url.config.get_options(), Some("-c search_path=cra"));
        assert!(!format!("{url:?}").contains("s3cret"));

        let url = postgres("postgres://[::1],h2:7/db");
        assert_eq!(url.display, "postgres://[::1]:5432,h2:7/db");
        assert_eq!(url.max_waiting_bytes, DEFAULT_MAX_WAITING_MB << 20);
        assert_eq!(url.config.get_application_name(), Some("libcra"));
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&DEFAULT_CONNECT_TIMEOUT)
        );
        let url = postgres("postgres:///db?host=/run/postgresql&sslmode=allow&connect_timeout=3");
        assert_eq!(url.display, "postgres:///db?host=/run/postgresql");
        assert_eq!(
            url.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        for url in ["postgres://u:pw@h/db?fancy=1", "postgres://u:pw@h:x/db"] {
            let err = StoreUrl::parse(url).unwrap_err();
            assert!(!err.message().contains("pw"), "{err}");
        }
    }
}
