# What `cmake --install` puts under the prefix:
#
#   lib/libcra.so.<version>, lib/libcra.so.<abi> -> it, lib/libcra.so -> that
#   include/cra.h, include/cra.hpp
#   lib/cmake/cra/craConfig.cmake, craConfigVersion.cmake  (find_package(cra CONFIG) -> cra::cra)
#   lib/pkgconfig/cra.pc                                   (pkg-config --cflags --libs cra)
#
# Both package files locate the prefix relative to their own folder, so an
# install tree works wherever it is copied (and with `cmake --install
# --prefix`, which chooses the prefix after configuration).

include(CMakePackageConfigHelpers)

set(CRA_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/cra")

install(FILES "${CRA_LIBRARY_FILE}"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# The two names are symlinks in <build>/lib; install(FILES) keeps them symlinks.
install(FILES "${CRA_LIBRARY_DIR}/${CRA_SONAME}" "${CRA_LIBRARY_DIR}/libcra.so"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(FILES include/cra.h include/cra.hpp DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

configure_package_config_file(cmake/craConfig.cmake.in "${PROJECT_BINARY_DIR}/craConfig.cmake"
  INSTALL_DESTINATION "${CRA_CMAKE_INSTALL_DIR}"
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# The ABI is frozen per major version (ABI.md), so any 0.x >= the asked one fits.
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
