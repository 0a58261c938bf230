//! Store URLs: which store a resolver opens.
//!
//! - `memory:` (or an empty URL): events stay in memory (the default);
//! - `sqlite:PATH[?sync=normal|full][&max_waiting_mb=N]`: a single SQLite
//!   file, created when missing;
//! - `postgres://…`, `postgresql://…`: a PostgreSQL database (not built in
//!   yet: refused with `Io`).
//!
//! Unknown schemes and parameters are refused, so a typo never silently
//! falls back to another store.

use crate::error::{truncated, Error, ErrorKind, Result};
use std::path::PathBuf;

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

/// A parsed store URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUrl {
    Memory,
    Sqlite(SqliteUrl),
}

impl StoreUrl {
    /// Parses `url`. Errors: `InvalidArgument` naming what is wrong (an
    /// unknown scheme or parameter, an empty path, a bad value); `Io` for
    /// a PostgreSQL URL, which this build cannot open.
    pub fn parse(url: &str) -> Result<StoreUrl> {
        if url.is_empty() || url == "memory:" {
            return Ok(StoreUrl::Memory);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return parse_sqlite(rest).map(StoreUrl::Sqlite);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(Error::new(
                ErrorKind::Io,
                "PostgreSQL stores are not supported by this build of libcra; use sqlite:PATH",
            ));
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
    let mut seen = Vec::new();
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        if seen.contains(&name) {
            return Err(invalid(format!(
                "store URL parameter '{}' is given twice",
                truncated(name)
            )));
        }
        seen.push(name);
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
        assert_eq!(StoreUrl::parse("").unwrap(), StoreUrl::Memory);
        assert_eq!(StoreUrl::parse("memory:").unwrap(), StoreUrl::Memory);
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
            ("postgres://u@h/db", ErrorKind::Io, "PostgreSQL"),
        ] {
            let err = StoreUrl::parse(url).unwrap_err();
            assert_eq!(err.kind(), kind, "{url}");
            assert!(err.message().contains(names), "{url}: {err}");
        }
    }
}
