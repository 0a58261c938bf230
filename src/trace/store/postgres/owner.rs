//! Which resolver holds a session open, across processes and hosts.
//!
//! Each opened store picks a random owner key and, on its writer's
//! connection, holds the session-level advisory lock of that key for as
//! long as it runs (taking it again after reconnecting). The sessions it
//! begins or resumes carry the key in `sessions.owner`. An owner is alive
//! while its lock is held: PostgreSQL releases the lock when the owner's
//! connection ends, so when its process stops, however it stops (a
//! killed process's socket closes at once; a vanished host is noticed by
//! TCP keepalive, set short on that connection).
//!
//! Resuming claims the session with one statement that takes it only when
//! its owner's lock is free; commits write a session's head only while
//! the session is still this store's (`postgres/writer.rs`), so a
//! resolver that lost its connection while another took its session
//! cannot fork the chain.

use crate::trace::store::durable::backend::Claim;
use postgres::Client;
use rand::rngs::SmallRng;
use rand::RngExt;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// This store's owner key: random, positive, 63 bits, so two resolvers
/// (now or ever, as keys stay in old rows) practically never share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerKey(pub i64);

impl OwnerKey {
    pub fn random() -> OwnerKey {
        OwnerKey(rand::make_rng::<SmallRng>().random_range(1..i64::MAX))
    }
}

/// Holds `owner`'s lock on `client` until the connection ends, with TCP
/// keepalive tuned so the server notices a vanished host within a minute
/// (ignored over a Unix socket).
pub fn hold(client: &mut Client, owner: OwnerKey) -> Result<(), postgres::Error> {
    client.batch_execute(
        "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10;
         SET tcp_keepalives_count = 3",
    )?;
    client.execute("SELECT pg_advisory_lock($1)", &[&owner.0])?;
    Ok(())
}

/// Takes the open session `id` for `owner` when no running resolver holds
/// it: it has no owner, is `owner`'s already, or its owner's lock is free.
/// The `CASE` keeps the lock probe to that one row, and the probe's lock
/// ends with the statement. A concurrent claim waits for the row and then
/// sees the winner, whose lock is held.
const CLAIM: &str = "
UPDATE sessions SET owner = $2
WHERE session_id = $1 AND ended_at IS NULL
  AND CASE WHEN owner IS NULL OR owner = $2 THEN true
           ELSE pg_try_advisory_xact_lock(owner) END";

/// How long a claim waits for a holder's lock to be freed. A resolver
/// that has just stopped (or been killed) releases its lock a moment after
/// its process ends, once the server has ended its session: a resume right
/// after a restart should not fail for that.
const PATIENCE: Duration = Duration::from_millis(250);
const PROBE_INTERVAL: Duration = Duration::from_millis(25);

/// Claims session `id` for `owner` ([`CLAIM`]), waiting up to
/// [`PATIENCE`] for its holder to go. A session that is unknown or has
/// ended is left alone and reported as `Claimed`: resuming says what it is.
pub fn claim(client: &mut Client, id: Uuid, owner: OwnerKey) -> Result<Claim, postgres::Error> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if client.execute(CLAIM, &[&id, &owner.0])? == 1 {
            return Ok(Claim::Claimed);
        }
        let open = client.query_opt(
            "SELECT 1 FROM sessions WHERE session_id = $1 AND ended_at IS NULL",
            &[&id],
        )?;
        if open.is_none() {
            return Ok(Claim::Claimed);
        }
        if Instant::now() >= deadline {
            return Ok(Claim::HeldElsewhere);
        }
        std::thread::sleep(PROBE_INTERVAL);
    }
}
