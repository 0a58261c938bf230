# cra_host(<target>): the one place that says how a host program of this
# repository (an example or a test) is compiled and linked.
#
#  - C11 and C++17 without compiler extensions, so the code is portable;
#  - warnings are errors: the examples are meant to be copied, so they must
#    build cleanly under strict flags;
#  - CRA_SANITIZE adds ASan+UBSan to the host (the Rust library stays as it
#    is), with every UBSan finding fatal so a test cannot pass over one.

set(CRA_WARNING_FLAGS -Wall -Wextra -Werror -pedantic)
set(CRA_SANITIZE_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)

function(cra_host target)
  set_target_properties(${target} PROPERTIES
    C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF
    CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE ${CRA_WARNING_FLAGS})
  target_link_libraries(${target} PRIVATE cra::cra)
  if(CRA_SANITIZE)
    target_compile_options(${target} PRIVATE ${CRA_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${CRA_SANITIZE_FLAGS})
  endif()
endfunction()
