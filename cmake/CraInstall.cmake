# What `cmake --install` puts under the prefix:
#
#   lib/libcra.so.<version>, lib/libcra.so.<abi> -> it, lib/libcra.so -> that
#   lib/libcra.a                                           (with CRA_BUILD_STATIC)
#   include/cra.h, include/cra.hpp, include/cra_testing.h
#   lib/cmake/cra/craConfig.cmake, craConfigVersion.cmake  (find_package(cra CONFIG) -> cra::cra)
#   lib/pkgconfig/cra.pc                                   (pkg-config --cflags --libs cra)
#
# Both package files locate the prefix relative to their own folder, so an
# install tree works wherever it is copied (and with `cmake --install
# --prefix`, which chooses the prefix after configuration). cra.pc adds an
# rpath to its lib folder, so programs linked with `pkg-config --libs cra`
# load libcra from there without LD_LIBRARY_PATH.
#
# The library installs without debug info (the release profile drops it;
# libcra.a is stripped of it when built), so `cmake --install --strip`
# changes nothing.

include(CMakePackageConfigHelpers)

set(CRA_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/cra")

install(FILES "${CRA_LIBRARY_FILE}"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# The two names are symlinks in <build>/lib; install(FILES) keeps them symlinks.
install(FILES "${CRA_LIBRARY_DIR}/${CRA_SONAME}" "${CRA_LIBRARY_DIR}/libcra.so"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}")
if(CRA_BUILD_STATIC)
  install(FILES "${CRA_STATIC_LIBRARY_FILE}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
install(FILES include/cra.h include/cra.hpp include/cra_testing.h DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# For cra.pc and craConfig.cmake: the system libraries of libcra.a ("" without it).
list(TRANSFORM CRA_STATIC_SYSTEM_LIBS PREPEND "-l" OUTPUT_VARIABLE CRA_PC_STATIC_LIBS)
list(JOIN CRA_PC_STATIC_LIBS " " CRA_PC_STATIC_LIBS)
set(CRA_STATIC_INSTALLED "${CRA_BUILD_STATIC}")

configure_package_config_file(cmake/craConfig.cmake.in "${PROJECT_BINARY_DIR}/craConfig.cmake"
  INSTALL_DESTINATION "${CRA_CMAKE_INSTALL_DIR}"
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# The ABI is frozen per major version (docs/abi.md), so any 1.x >= the asked one fits.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/craConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/craConfig.cmake" "${PROJECT_BINARY_DIR}/craConfigVersion.cmake"
  DESTINATION "${CRA_CMAKE_INSTALL_DIR}")

# pkg-config: the prefix is found from the .pc file's own folder (${pcfiledir}).
file(RELATIVE_PATH CRA_PC_PREFIX_FROM_PCFILEDIR
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" CRA_PC_PREFIX_FROM_PCFILEDIR "${CRA_PC_PREFIX_FROM_PCFILEDIR}")
configure_file(cmake/cra.pc.in "${PROJECT_BINARY_DIR}/cra.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/cra.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
