//! Building a resolver: its settings, its clock, and where its trace goes
//! (a store object, or a store URL opened here).

use super::agents::AgentUsage;
use super::session::SessionTable;
use super::Resolver;
use crate::atlas::catalog::Catalog;
use crate::config::Config;
use crate::error::Result;
use crate::time::clock::{Clock, SystemClock};
use crate::trace::recorder::Recorder;
use crate::trace::store::url::StoreUrl;
use crate::trace::store::{postgres, sqlite, DurableStore, MemoryStore, TraceStore};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;

/// Where a [`ResolverBuilder`] puts sealed events.
enum StoreChoice {
    /// A store object of the caller's (the default: a new [`MemoryStore`]).
    Given(Arc<dyn TraceStore>),
    /// A store URL, opened when the resolver is built.
    Url(String),
    /// A durable store already started (tests with a database of their own).
    #[cfg(test)]
    Durable(Arc<DurableStore>),
}

/// Builds a [`Resolver`] with a clock or trace store of the caller's.
pub struct ResolverBuilder {
    config: Config,
    clock: Arc<dyn Clock>,
    store: StoreChoice,
}

impl ResolverBuilder {
    /// The system clock and a new [`MemoryStore`].
    pub(super) fn new(config: Config) -> ResolverBuilder {
        ResolverBuilder {
            config,
            clock: Arc::new(SystemClock),
            store: StoreChoice::Given(Arc::new(MemoryStore::new())),
        }
    }

    /// Reads time from `clock` instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ResolverBuilder {
        self.clock = clock;
        self
    }

    /// Stores sealed events in `store` instead of a private [`MemoryStore`].
    ///
    /// ```
    /// use cra::{Config, MemoryStore, Resolver};
    /// use std::sync::Arc;
    ///
    /// let store = Arc::new(MemoryStore::new());
    /// let resolver = Resolver::builder(Config::default()).store(store.clone()).build()?;
    /// resolver.begin_session("agent-7", "Close the month")?;
    /// assert_eq!(store.total_len(), 1); // session.started
    /// # Ok::<(), cra::Error>(())
    /// ```
    pub fn store(mut self, store: Arc<dyn TraceStore>) -> ResolverBuilder {
        self.store = StoreChoice::Given(store);
        self
    }

    /// Opens the store `url` names when the resolver is built: `memory:`
    /// (the default), `sqlite:PATH` (a durable file, created when missing,
    /// reopened with every session it holds when present) or
    /// `postgres://…` (a database many resolvers share).
    pub fn store_url(mut self, url: &str) -> ResolverBuilder {
        self.store = StoreChoice::Url(url.to_owned());
        self
    }

    /// Commits to `store` (tests: a database that fails on command).
    #[cfg(test)]
    pub(crate) fn durable_store(mut self, store: Arc<DurableStore>) -> ResolverBuilder {
        self.store = StoreChoice::Durable(store);
        self
    }

    /// Errors: `InvalidArgument` naming a setting out of range or what is
    /// wrong with the store URL; `Io` when the store cannot be opened (the
    /// file cannot be created, another resolver has it open, it is not a
    /// trace store or of another schema version).
    pub fn build(self) -> Result<Resolver> {
        self.config.validate()?;
        let sessions = Arc::new(SessionTable::new());
        let durable = |store: Arc<DurableStore>| {
            evict_from(&store, &sessions);
            Recorder::durable(&self.config, store)
        };
        let recorder = match self.store {
            StoreChoice::Given(store) => Recorder::new(&self.config, store)?,
            StoreChoice::Url(url) => match StoreUrl::parse(&url)? {
                StoreUrl::Memory => Recorder::new(&self.config, Arc::new(MemoryStore::new()))?,
                StoreUrl::Sqlite(url) => durable(Arc::new(sqlite::open(&url)?))?,
                StoreUrl::Postgres(url) => durable(Arc::new(postgres::open(&url)?))?,
            },
            #[cfg(test)]
            StoreChoice::Durable(store) => durable(store)?,
        };
        Ok(Resolver {
            recorder,
            config: self.config,
            clock: self.clock,
            catalog: RwLock::new(Arc::new(Catalog::new())),
            catalog_writer: Mutex::new(()),
            sessions,
            agents: AgentUsage::default(),
            resuming: Mutex::new(()),
        })
    }
}

/// Ended sessions whose events `store` has all committed leave `sessions`.
fn evict_from(store: &DurableStore, sessions: &Arc<SessionTable>) {
    let sessions = Arc::downgrade(sessions);
    store.on_eviction(Box::new(move |id| {
        if let Some(sessions) = sessions.upgrade() {
            sessions.evict(id);
        }
    }));
}
