//! The shared durable store: a PostgreSQL database (`postgres://…`) that
//! many resolvers, in many processes and on many hosts, write at once.
//!
//! Each resolver's store keeps two connections: its writer thread's, which
//! commits batches of whole operations (`writer.rs`) and holds the
//! resolver's owner lock (`owner.rs`), and one its readers share
//! (`reader.rs`). Opening checks or creates the tables (`schema.rs`).
//! Sessions belong to the resolver that began or resumed them; any
//! resolver may read any session.

mod batch;
mod connection;
mod owner;
mod reader;
mod schema;
mod writer;

use super::durable::DurableStore;
use super::url::PostgresUrl;
use crate::error::{Error, ErrorKind, Result};
use connection::connect;
use owner::OwnerKey;
use reader::PostgresReader;
use writer::{PostgresWriter, WriterConnection};

/// Connects to the database of `url`, creates the tables when it has none
/// (or checks their version), takes this store's owner lock and starts the
/// writer.
///
/// Errors: `Io` naming the database (never its password) and the reason:
/// it cannot be reached or refuses the connection, it holds tables of
/// another schema version or that are not a trace store's.
pub fn open(url: &PostgresUrl) -> Result<DurableStore> {
    let name = format!("trace store {}", url.display);
    let io = |reason: String| Error::new(ErrorKind::Io, format!("{name}: {reason}"));
    let owner = OwnerKey::random();
    let mut client = connect(&url.config).map_err(io)?;
    schema::create_or_check(&mut client).map_err(io)?;
    let writer = WriterConnection::over(client, owner).map_err(io)?;
    let reader_client = connect(&url.config).map_err(io)?;
    let reader = PostgresReader::new(url.config.clone(), owner, reader_client).map_err(io)?;
    DurableStore::start(
        name,
        Box::new(PostgresWriter::new(url.config.clone(), owner, writer)),
        Box::new(reader),
        url.max_waiting_bytes,
    )
}
