//! Atlases: parsing and validating Atlas/1.0 manifests, and compiling the
//! loaded set into a [`catalog::Catalog`] that a resolve reads without locks.

pub mod catalog;
pub mod manifest;
pub mod schema;
pub mod validate;

pub use manifest::Manifest;
