//! The resolver: sessions, CARP requests and resolutions.
pub struct Resolver;
pub struct SessionId;
pub struct Stats;
