# The shared library exports exactly the functions its headers declare (all
# named cra_*, nothing of Rust's leaks), its SONAME is the ABI's, and a host
# linked against it needs it by that SONAME, never by a build path.
#
#   cmake -DLIBRARY=<libcra.so.x.y.z> "-DHEADERS=<cra.h>;<cra_testing.h>" -DSONAME=libcra.so.1
#         -DHOST=<program> -P check_library.cmake

find_program(NM nm REQUIRED)
find_program(READELF readelf REQUIRED)

function(run out)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE text COMMAND_ERROR_IS_FATAL ANY)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Exported symbols: `nm -D --defined-only` prints "<address> T <name>".
run(nm_output "${NM}" -D --defined-only "${LIBRARY}")
string(REGEX MATCHALL "[^\n]+" nm_lines "${nm_output}")
set(exported "")
foreach(line IN LISTS nm_lines)
  string(REGEX REPLACE "^.* " "" name "${line}")
  if(NOT name MATCHES "^cra_")
    message(SEND_ERROR "exported symbol '${name}' is not cra_*")
  endif()
  list(APPEND exported "${name}")
endforeach()

# Declared functions: the headers' declarations start in column 0.
set(declared "")
foreach(header IN LISTS HEADERS)
  file(STRINGS "${header}" declarations REGEX "^[a-z].*[ *]cra_[a-z0-9_]+\\(")
  foreach(line IN LISTS declarations)
    string(REGEX MATCH "cra_[a-z0-9_]+\\(" name "${line}")
    string(REPLACE "(" "" name "${name}")
    list(APPEND declared "${name}")
  endforeach()
endforeach()

list(SORT exported)
list(SORT declared)
if(NOT exported STREQUAL declared)
  message(SEND_ERROR "exports differ from the headers\n  exported: ${exported}\n  declared: ${declared}")
endif()
list(LENGTH exported count)

run(library_dynamic "${READELF}" -d "${LIBRARY}")
if(NOT library_dynamic MATCHES "Library soname: \\[${SONAME}\\]")
  message(SEND_ERROR "SONAME of ${LIBRARY} is not ${SONAME}:\n${library_dynamic}")
endif()

run(host_dynamic "${READELF}" -d "${HOST}")
if(NOT host_dynamic MATCHES "NEEDED\\)[^\n]*\\[${SONAME}\\]")
  message(SEND_ERROR "${HOST} does not need ${SONAME}:\n${host_dynamic}")
endif()
if(host_dynamic MATCHES "NEEDED\\)[^\n]*\\[[^]\n]*/")
  message(SEND_ERROR "${HOST} needs a library by path:\n${host_dynamic}")
endif()

message(STATUS "${count} exported functions, all cra_* and all declared in the headers; SONAME ${SONAME}")
