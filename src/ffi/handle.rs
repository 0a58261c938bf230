//! The opaque resolver handle every call but the free functions takes.

use crate::resolver::Resolver;

/// A resolver: loaded atlases, sessions and their traces. Opaque.
///
/// Every function taking a `cra_resolver *` is thread-safe and may run
/// concurrently with any other, except `cra_resolver_free`, which must be
/// the last call on the handle.
pub struct cra_resolver {
    pub(crate) inner: Resolver,
}
