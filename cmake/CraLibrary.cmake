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
# never swaps the library under a running test.

find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin" REQUIRED)

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
