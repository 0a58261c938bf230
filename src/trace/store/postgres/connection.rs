//! Connections to the server, and what their errors say.
//!
//! The writer and the readers each keep one connection and make a new one
//! when it breaks (the server restarted, the network dropped it, an
//! administrator ended it); the writer's retries and the next read then go
//! on over the new one.

use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};

/// A new connection. Errors: why the server could not be reached or
/// refused it (never the password: the client's messages do not repeat it).
pub fn connect(config: &Config) -> Result<Client, String> {
    config
        .connect(NoTls)
        .map_err(|err| format!("cannot connect: {}", describe(&err)))
}

/// The error as one line: the server's own message for an SQL error
/// (`ERROR: relation "x" does not exist`), else what failed and why
/// (`error connecting to server: Connection refused (os error 111)`).
pub fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        let mut text = format!("{}: {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            text.push_str(" (");
            text.push_str(detail);
            text.push(')');
        }
        return text;
    }
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

/// Whether `client` should be dropped after `err`: the connection is gone
/// or the server is ending it. An SQL error on a sound connection keeps it.
pub fn is_broken(client: &Client, err: &postgres::Error) -> bool {
    if client.is_closed() {
        return true;
    }
    match err.code() {
        // Connection exceptions (class 08) and the server shutting the
        // session down (57P01..57P03: admin shutdown, crash shutdown,
        // cannot connect now).
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(code)
        }
        // Not an SQL error: I/O, a closed connection, a protocol error.
        None => true,
    }
}
