# The C ABI benchmark host (examples/bench.c), as the target cra_bench.
# Included by the top-level CMakeLists.txt after cra::cra is defined
# (`include(cmake/bench.cmake)`). Run the program from the repository root
# (it reads bench/data/), or use scripts/bench.sh, which also runs the Rust
# benchmarks and writes bench/results.{json,md}.
find_package(Threads REQUIRED)
add_executable(cra_bench ${PROJECT_SOURCE_DIR}/examples/bench.c)
if(COMMAND cra_host)
  cra_host(cra_bench) # the repository's strict flags; links cra::cra
else()
  target_link_libraries(cra_bench PRIVATE cra::cra)
endif()
target_link_libraries(cra_bench PRIVATE Threads::Threads)
