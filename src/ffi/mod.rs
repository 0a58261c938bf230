//! The C ABI, version 1 (`include/cra.h`, generated from this module by cbindgen).
//!
//! This layer only translates: it checks every pointer, length and UTF-8
//! text before any work, calls the safe core, converts results into status
//! codes, output parameters and `cra_error` objects, and catches panics so
//! none crosses into the host. It holds no logic of its own.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(clippy::missing_safety_doc)] // each function's safety rules are in its doc comment

mod args;
mod boundary;
mod buf;
mod config;
mod enforcement;
mod error;
mod gate;
mod handle;
mod request_text;
mod resolver;
mod session_options;
mod status;
mod store;
mod trace;
mod version;

pub use buf::*;
pub use config::*;
pub use enforcement::*;
pub use error::*;
pub use handle::*;
pub use request_text::*;
pub use resolver::*;
pub use session_options::*;
pub use status::*;
pub use store::*;
pub use trace::*;
pub use version::*;

#[cfg(test)]
mod tests;
