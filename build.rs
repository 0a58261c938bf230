//! Gives the shared library its SONAME, so hosts link against `libcra.so.1`
//! (the ABI version) and never against a build path, and puts that name
//! next to cargo's `libcra.so`, so a plain `cargo build` leaves a library
//! that programs linked against it can load.

use std::path::{Path, PathBuf};

const ABI_VERSION: u32 = 1;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcra.so.{ABI_VERSION}");
    if let Some(dir) = output_dir() {
        link_soname(&dir);
    }
}

/// The folder cargo writes `libcra.so` into (`target/<profile>`): OUT_DIR
/// is `<that folder>/build/cra-<hash>/out`. Cargo offers no variable for it.
fn output_dir() -> Option<PathBuf> {
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR")?);
    Some(out_dir.ancestors().nth(3)?.to_path_buf())
}

/// `libcra.so.1 -> libcra.so`, made before the library exists (a symlink
/// may dangle until cargo links it). A failure only costs the convenience,
/// so it is a warning, not a build error.
fn link_soname(dir: &Path) {
    let link = dir.join(format!("libcra.so.{ABI_VERSION}"));
    if std::fs::symlink_metadata(&link).is_ok() {
        return;
    }
    #[cfg(unix)]
    if let Err(error) = std::os::unix::fs::symlink("libcra.so", &link) {
        println!("cargo:warning=cannot create {}: {error}", link.display());
    }
}
