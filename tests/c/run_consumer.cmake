# Installs this build into a fresh prefix (`cmake --install --prefix`), then
# configures, builds, installs and runs tests/c/consumer against it: once
# through find_package(cra), once through pkg-config. Checks the installed
# layout and that the installed programs carry no build path.
#
#   cmake -DBUILD_DIR=<this build> -DCONSUMER_DIR=<tests/c/consumer> -DWORK_DIR=<scratch>
#         -DLIBDIR=<CMAKE_INSTALL_LIBDIR> -DVERSION=<x.y.z> -DSONAME=<libcra.so.N>
#         -DGENERATOR=<generator> -P run_consumer.cmake

set(prefix "${WORK_DIR}/prefix")
set(libdir "${prefix}/${LIBDIR}")
file(REMOVE_RECURSE "${WORK_DIR}") # every run starts from nothing

function(run)
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

# Only the staged prefix is visible to find_package and pkg-config, and no
# LD_LIBRARY_PATH can stand in for a missing RPATH.
set(isolated "${CMAKE_COMMAND}" -E env --unset=LD_LIBRARY_PATH --unset=CMAKE_PREFIX_PATH
  --unset=PKG_CONFIG_PATH "PKG_CONFIG_LIBDIR=${libdir}/pkgconfig")

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")

# The layout users rely on.
foreach(file
    "${libdir}/libcra.so.${VERSION}" "${libdir}/${SONAME}" "${libdir}/libcra.so"
    "${prefix}/include/cra.h" "${prefix}/include/cra.hpp"
    "${libdir}/cmake/cra/craConfig.cmake" "${libdir}/cmake/cra/craConfigVersion.cmake"
    "${libdir}/pkgconfig/cra.pc")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
file(READ_SYMLINK "${libdir}/${SONAME}" target)
file(READ_SYMLINK "${libdir}/libcra.so" dev_target)
if(NOT target STREQUAL "libcra.so.${VERSION}" OR NOT dev_target STREQUAL "${SONAME}")
  message(FATAL_ERROR "expected ${SONAME} -> libcra.so.${VERSION} and libcra.so -> ${SONAME}")
endif()

run(${isolated} "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_INSTALL_PREFIX=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run(${isolated} "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run(${isolated} "${CMAKE_COMMAND}" --install "${WORK_DIR}/build")

find_program(READELF readelf REQUIRED)
foreach(program consumer_cmake consumer_pkgconfig consumer_cxx)
  run(${isolated} "${prefix}/bin/${program}")
  execute_process(COMMAND "${READELF}" -d "${prefix}/bin/${program}" OUTPUT_VARIABLE dynamic
    COMMAND_ERROR_IS_FATAL ANY)
  if(dynamic MATCHES "${BUILD_DIR}|${WORK_DIR}")
    message(FATAL_ERROR "${program} carries a build path:\n${dynamic}")
  endif()
endforeach()
message(STATUS "find_package(cra) and pkg-config consumers built and ran from ${prefix}")
