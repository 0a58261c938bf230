//! Policies: action patterns, the evaluation order of CARP.md, and the
//! rate-limit and budget counters that policies consult.

pub mod evaluate;
pub mod kind;
pub mod pattern;
pub mod risk;
pub mod usage;
