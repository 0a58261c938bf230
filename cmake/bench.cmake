# The C ABI benchmark host (examples/bench.c). Included by the top-level
# CMakeLists.txt, which defines the cra::cra target and finds Threads.
# Run it from the repository root (it reads bench/data/), or through
# scripts/bench.sh, which also runs the Rust benchmarks and writes
# bench/results.{json,md}.
add_executable(cra_bench examples/bench.c)
target_link_libraries(cra_bench PRIVATE cra::cra Threads::Threads)
