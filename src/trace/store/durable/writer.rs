//! The store's writer thread: takes whole operations in append order and
//! commits them in large transactions (group commit: whatever queued up
//! during one commit goes into the next). A failed commit is retried with
//! backoff, the same batch again, until it succeeds or shutdown gives up.

use super::backend::StoreWriter;
use super::pending::PendingOperation;
use super::Shared;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most event text one transaction takes.
const MAX_BATCH_BYTES: usize = 8 << 20;
/// The most operations one transaction takes.
const MAX_BATCH_OPERATIONS: usize = 16_384;
/// The first wait after a failed commit; it doubles up to the last.
const FIRST_RETRY: Duration = Duration::from_millis(10);
const LAST_RETRY: Duration = Duration::from_secs(1);

/// Runs until shutdown has asked it to stop and the queue is empty (or
/// shutdown's deadline passed while commits failed).
pub fn run(shared: Arc<Shared>, mut writer: Box<dyn StoreWriter>) {
    let mut batch = Vec::new();
    while take_batch(&shared, &mut batch) {
        if !commit_until_done(&shared, &mut *writer, &batch) {
            break;
        }
        let finished = shared.state.lock().mark_committed(&batch);
        shared.settle(&batch);
        // Evicted before waiters wake: a session a durable wait covered
        // has left memory by the time the wait returns.
        shared.evict(&finished);
        shared.progress.notify_all();
        batch.clear();
    }
    shared.state.lock().stopped = true;
    shared.progress.notify_all();
}

/// Waits for operations and moves the next batch into `batch`. Returns false
/// once the store is stopping and nothing is left to commit.
fn take_batch(shared: &Shared, batch: &mut Vec<Arc<PendingOperation>>) -> bool {
    let mut state = shared.state.lock();
    while state.queue.is_empty() && !state.stopping {
        shared.work.wait(&mut state);
    }
    let mut bytes = 0;
    while let Some(operation) = state.queue.front() {
        if !batch.is_empty()
            && (bytes + operation.events.len() > MAX_BATCH_BYTES
                || batch.len() == MAX_BATCH_OPERATIONS)
        {
            break;
        }
        bytes += operation.events.len();
        batch.extend(state.queue.pop_front());
    }
    !batch.is_empty()
}

/// Commits `batch`, retrying with backoff while it fails. Returns false when
/// shutdown's deadline passed first: the batch was not committed.
fn commit_until_done(
    shared: &Shared,
    writer: &mut dyn StoreWriter,
    batch: &[Arc<PendingOperation>],
) -> bool {
    let mut wait = FIRST_RETRY;
    loop {
        let error = match writer.commit(batch) {
            Ok(()) => return true,
            Err(error) => error,
        };
        let mut state = shared.state.lock();
        state.write_errors += 1;
        state.last_error = Some(error);
        shared.progress.notify_all();
        if shared.past_give_up(&state) {
            return false;
        }
        // Shutdown wakes the wait, so a failing store never holds it longer
        // than its deadline.
        let until = Instant::now() + wait;
        shared.work.wait_until(&mut state, until);
        if shared.past_give_up(&state) {
            return false;
        }
        wait = (wait * 2).min(LAST_RETRY);
    }
}
