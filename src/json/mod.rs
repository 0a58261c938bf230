//! JSON as TRACE needs it, below every other layer: the canonical form
//! event hashes cover, a check of whether text already is in that form,
//! and the byte scans that string handling shares.

pub mod canonical;
pub mod canonical_check;
pub mod python_float;
pub mod string_end;
pub mod well_formed;

#[cfg(test)]
mod tests;

pub use canonical::{canonical_json, write_json_string};
pub use canonical_check::is_canonical;
