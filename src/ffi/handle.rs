//! The opaque resolver handle every call but the free functions takes, and
//! how a call holds it.

use super::gate::CallGate;
use crate::error::Result;
use crate::resolver::Resolver;
use std::ops::Deref;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A resolver: loaded atlases, sessions and their traces. Opaque.
///
/// Every function taking a `cra_resolver *` is thread-safe and may run
/// concurrently with any other, including `cra_resolver_free`: a call that
/// reaches the resolver once `cra_resolver_free` has begun returns
/// `CRA_ERR_SHUTDOWN`, and `cra_resolver_free` waits for the calls already
/// inside before it frees anything.
pub struct cra_resolver {
    inner: Resolver,
    gate: CallGate,
}

/// A call inside a resolver: the resolver stays allocated until it ends.
pub(crate) struct Entered<'a> {
    handle: &'a cra_resolver,
}

impl cra_resolver {
    pub(crate) fn new(inner: Resolver) -> cra_resolver {
        cra_resolver {
            inner,
            gate: CallGate::new(),
        }
    }

    /// Enters a call. Errors: `Shutdown` when the resolver is being freed
    /// or belongs to the process this one was forked from.
    pub(crate) fn enter(&self) -> Result<Entered<'_>> {
        self.gate.enter()?;
        Ok(Entered { handle: self })
    }

    /// Stops the resolver for `cra_resolver_free`: refuses new calls, stops
    /// its work (waking the calls that wait, draining the deferred buffer)
    /// and waits until the calls inside have left. Returns whether its
    /// memory may be released.
    ///
    /// In a process forked from the one that created it, the resolver's
    /// threads do not exist: nothing is drained or joined, and the memory
    /// is released only if no call was inside at the moment of the fork
    /// (such a call may have left something half-changed). What the
    /// deferred processor thread held stays allocated in any case.
    pub(crate) fn close(&self) -> bool {
        self.gate.close();
        if !self.gate.is_forked_copy() {
            // A panic while stopping must neither unwind into the host nor
            // skip the wait for the calls inside.
            let _ = catch_unwind(AssertUnwindSafe(|| self.inner.shutdown()));
            self.gate.wait_until_empty();
            return true;
        }
        self.gate.calls_inside() == 0 && self.inner.forget_threads()
    }
}

#[cfg(test)]
impl cra_resolver {
    /// The first step of `cra_resolver_free` alone: new calls are refused.
    pub(crate) fn refuse_new_calls(&self) {
        self.gate.close();
    }
}

impl Deref for Entered<'_> {
    type Target = Resolver;

    fn deref(&self) -> &Resolver {
        &self.handle.inner
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.handle.gate.leave();
    }
}
