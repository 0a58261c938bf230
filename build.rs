//! Gives the shared library its SONAME, so hosts link against `libcra.so.1`
//! (the ABI version) and never against a build path.

fn main() {
    let abi_version = 1;
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcra.so.{abi_version}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
