# Builds libcra with cargo and exposes it as the imported target cra::cra.
#
# Cargo decides what to rebuild, so its target runs on every build (a no-op
# when nothing changed). The result is copied into <build>/lib under its
# release file name, next to the two names it is used by:
#
#   libcra.so.<version>                 the file
#   libcra.so.<abi>  -> libcra.so.<version>   the SONAME: what hosts load at run time
#   libcra.so        -> libcra.so.<abi>       what the linker finds with -lcra
#
# The copy is only replaced when cargo produced a different library, so the
# hosts relink only when it changed, and a `cargo build` running elsewhere
# never swaps the library under a running test. Cargo's release profile
# leaves no debug info in it (Cargo.toml), so what installs is small.
#
# With CRA_BUILD_STATIC, the same crate is also built as libcra.a (debug
# info stripped) and exposed as cra::cra_static, which links the system
# libraries Rust's standard library needs (CRA_STATIC_SYSTEM_LIBS).

find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin" REQUIRED)

# The system libraries a Rust static library needs, as rustc reports them
# for an empty crate (libcra's own dependencies add none): a list such as
# "gcc_s;util;rt;pthread;m;dl;c" in <out>.
function(cra_static_system_libs out)
  set(probe_dir "${PROJECT_BINARY_DIR}/static-libs-probe")
  file(MAKE_DIRECTORY "${probe_dir}")
  file(WRITE "${probe_dir}/probe.rs" "")
  execute_process(
    COMMAND "${RUSTC_EXECUTABLE}" --crate-type staticlib --crate-name probe --print native-static-libs
            -o "${probe_dir}/libprobe.a" "${probe_dir}/probe.rs"
    ERROR_VARIABLE notes RESULT_VARIABLE failed)
  if(failed OR NOT notes MATCHES "native-static-libs: ([^\n]*)")
    message(FATAL_ERROR "rustc did not report the native libraries of a static library:\n${notes}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  list(TRANSFORM flags REPLACE "^-l" "")
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

set(CRA_CARGO_TARGET_DIR "${PROJECT_SOURCE_DIR}/target" CACHE PATH
    "Cargo's target directory for the Rust library")

set(CRA_SONAME "libcra.so.${CRA_ABI_VERSION}")
set(CRA_LIBRARY_NAME "libcra.so.${PROJECT_VERSION}")
set(CRA_LIBRARY_DIR "${PROJECT_BINARY_DIR}/lib")
set(CRA_LIBRARY_FILE "${CRA_LIBRARY_DIR}/${CRA_LIBRARY_NAME}")
set(_cargo_output "${CRA_CARGO_TARGET_DIR}/release/libcra.so")

add_custom_target(cra_cargo_build ALL
  COMMAND "${CARGO_EXECUTABLE}" build --release --locked --target-dir "${CRA_CARGO_TARGET_DIR}"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${CRA_LIBRARY_DIR}"
  COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${_cargo_output}" "${CRA_LIBRARY_FILE}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "${CRA_LIBRARY_NAME}" "${CRA_LIBRARY_DIR}/${CRA_SONAME}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "${CRA_SONAME}" "${CRA_LIBRARY_DIR}/libcra.so"
  BYPRODUCTS "${CRA_LIBRARY_FILE}" "${CRA_LIBRARY_DIR}/${CRA_SONAME}" "${CRA_LIBRARY_DIR}/libcra.so"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
  COMMENT "cargo build --release --locked (libcra)"
  USES_TERMINAL)

# Linking the file by its full path records its SONAME (libcra.so.1) as the
# hosts' DT_NEEDED entry, never a build path; CMake gives the in-tree hosts
# an RPATH to <build>/lib.
add_library(cra::cra SHARED IMPORTED GLOBAL)
set_target_properties(cra::cra PROPERTIES
  IMPORTED_LOCATION "${CRA_LIBRARY_FILE}"
  IMPORTED_SONAME "${CRA_SONAME}"
  INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/include")
add_dependencies(cra::cra cra_cargo_build)

if(CRA_BUILD_STATIC)
  find_program(RUSTC_EXECUTABLE rustc HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin" REQUIRED)
  cra_static_system_libs(CRA_STATIC_SYSTEM_LIBS)
  set(CRA_STATIC_LIBRARY_FILE "${CRA_LIBRARY_DIR}/libcra.a")
  add_custom_target(cra_cargo_build_static ALL
    COMMAND "${CARGO_EXECUTABLE}" rustc --release --locked --lib --crate-type staticlib
            --target-dir "${CRA_CARGO_TARGET_DIR}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${CRA_LIBRARY_DIR}"
    COMMAND "${CMAKE_STRIP}" --strip-debug -o "${CRA_STATIC_LIBRARY_FILE}"
            "${CRA_CARGO_TARGET_DIR}/release/libcra.a"
    BYPRODUCTS "${CRA_STATIC_LIBRARY_FILE}"
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    COMMENT "cargo rustc --crate-type staticlib (libcra.a)"
    USES_TERMINAL)
  # One cargo at a time: both write the same target directory.
  add_dependencies(cra_cargo_build_static cra_cargo_build)
  add_library(cra::cra_static STATIC IMPORTED GLOBAL)
  set_target_properties(cra::cra_static PROPERTIES
    IMPORTED_LOCATION "${CRA_STATIC_LIBRARY_FILE}"
    INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/include"
    INTERFACE_LINK_LIBRARIES "${CRA_STATIC_SYSTEM_LIBS}")
  add_dependencies(cra::cra_static cra_cargo_build_static)
endif()
