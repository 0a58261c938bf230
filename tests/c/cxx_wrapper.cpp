// cxx_wrapper.cpp — cra.h and cra.hpp compile as strict C++17 (-Wall
// -Wextra -Werror -pedantic), and the wrapper's promises hold: failures
// throw cra::Error with the status, a broken chain is a result, handles and
// buffers are owned and movable.
#include "abi_layout.h"
#include "cra.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

static_assert(!std::is_copy_constructible_v<cra::Resolver>, "a resolver has one owner");
static_assert(std::is_nothrow_move_constructible_v<cra::Resolver>, "resolvers move");
static_assert(!std::is_copy_constructible_v<cra::Buffer>, "a buffer has one owner");
static_assert(std::is_nothrow_move_constructible_v<cra::Buffer>, "buffers move");
static_assert(std::is_base_of_v<std::runtime_error, cra::Error>, "cra::Error is a runtime_error");
static_assert(!std::is_convertible_v<cra::TraceMode, std::uint32_t>, "modes are enum classes");
static_assert(!std::is_convertible_v<cra::ChainFailure, std::uint32_t>, "failures are enum classes");
static_assert(static_cast<std::uint32_t>(cra::ChainFailure::hash_mismatch) == CRA_CHAIN_HASH_MISMATCH,
              "failures keep the C values");

namespace {

int failures = 0;

void expect(bool condition, const char *what, int line)
{
    if (!condition) {
        std::fprintf(stderr, "cxx_wrapper.cpp:%d: expected %s\n", line, what);
        failures++;
    }
}
#define EXPECT(condition) expect((condition), #condition, __LINE__)

// Runs body and returns the status of the cra::Error it throws (CRA_OK if none).
template <typename Body> cra_status status_thrown_by(Body body)
{
    try {
        body();
    } catch (const cra::Error &e) {
        // what() is "<status name>: <the library's message>"; an empty
        // message would mean the error object was lost on the way.
        const std::string prefix = std::string(cra_status_name(e.status())) + ": ";
        const std::string_view what = e.what();
        if (what.rfind(prefix, 0) != 0 || what.size() == prefix.size())
            return -1;
        return e.status();
    }
    return CRA_OK;
}

} // namespace

int main()
{
    cra::Resolver resolver;
    EXPECT(resolver.get() != nullptr);
    EXPECT(cra::abi_version() == CRA_ABI_VERSION);
    EXPECT(!cra::version().empty());

    // Failures throw with their status.
    EXPECT(status_thrown_by([&] { resolver.load_atlas("{"); }) == CRA_ERR_INVALID_JSON);
    EXPECT(status_thrown_by([&] { resolver.load_atlas_file("/nonexistent/atlas.json"); }) == CRA_ERR_IO);
    EXPECT(status_thrown_by([&] { resolver.unload_atlas("com.example.none"); }) == CRA_ERR_NOT_FOUND);
    EXPECT(status_thrown_by([&] { resolver.resolve(""); }) == CRA_ERR_INVALID_JSON);
    EXPECT(status_thrown_by([&] { resolver.end_session("not-a-session", "x"); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { cra::Resolver bad([] {
               cra_config config = cra::default_config();
               config.ttl_seconds = 0;
               return config;
           }()); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { cra::Resolver bad(cra::Config().ttl(std::chrono::hours(24 * 365))); }) ==
           CRA_ERR_INVALID_ARGUMENT);

    // Typed settings land in the C fields; the defaults are cra_config_init's.
    const cra::Config config = cra::Config()
                                   .trace_mode(cra::TraceMode::deferred)
                                   .backpressure(cra::Backpressure::block)
                                   .block_timeout(std::chrono::milliseconds(-1))
                                   .shutdown_timeout(std::chrono::seconds(2));
    EXPECT(config.c_config().trace_mode == CRA_TRACE_DEFERRED && config.trace_mode() == cra::TraceMode::deferred);
    EXPECT(config.c_config().backpressure == CRA_BACKPRESSURE_BLOCK);
    EXPECT(config.c_config().block_timeout_ms == 0 && config.c_config().shutdown_timeout_ms == 2000);
    EXPECT(config.c_config().buffer_capacity == cra::default_config().buffer_capacity);
    cra::Resolver deferred(config);
    const std::string deferred_session = deferred.begin_session("agent-8", "deferred");
    deferred.await_trace_ready(deferred_session, std::chrono::seconds(5));
    EXPECT(deferred.stats().queue_capacity == cra::default_config().buffer_capacity);

    // Versions: the loaded library is the one the header describes.
    EXPECT(cra::version_number() == CRA_VERSION_NUMBER);
    EXPECT(cra::name(cra::ChainFailure::broken) == "CRA_CHAIN_BROKEN");
    EXPECT(cra::name(static_cast<cra::ChainFailure>(99)) == "CRA_CHAIN_UNKNOWN");

    // A NUL inside a view would silently cut the C text: refused instead.
    using namespace std::string_view_literals;
    EXPECT(status_thrown_by([&] { resolver.begin_session("agent\0evil"sv, "goal"); }) == CRA_ERR_INVALID_ARGUMENT);

    // The happy path, and owned buffers that move.
    const std::string session = resolver.begin_session("agent-7", "check the wrapper");
    EXPECT(session.size() == CRA_ID_BUF_LEN - 1);
    EXPECT(resolver.is_trace_ready(session));
    resolver.await_trace_ready(session, std::chrono::milliseconds(0));
    resolver.flush_traces(std::chrono::milliseconds(-5)); // negative: 0, checks once
    cra::Buffer trace = resolver.trace(session, std::chrono::seconds(1));
    EXPECT(!trace.empty() && trace.view().back() == '\n');
    cra::Buffer moved = std::move(trace);
    EXPECT(trace.empty() && trace.view().empty() && *trace.c_str() == '\0'); // NOLINT: moved-from is empty
    EXPECT(moved.view().find("\"session.started\"") != std::string_view::npos);
    EXPECT(resolver.partial_trace(session).view() == moved.view());

    // A broken chain is a result, not an exception; reading and verifying
    // need only a const resolver.
    const cra::Resolver &reader = resolver;
    const cra::VerifyReport in_resolver = reader.verify_chain(session);
    EXPECT(in_resolver.valid() && in_resolver.events == 1 && in_resolver.head_hash.size() == 64);
    EXPECT(cra::verify_jsonl(moved.view()).valid());
    EXPECT(cra::verify_jsonl(moved.view()).head_hash == in_resolver.head_hash);
    std::string tampered = moved.str();
    tampered.replace(tampered.find("check the wrapper"), 5, "CHECK");
    const cra::VerifyReport report = cra::verify_jsonl(tampered);
    EXPECT(report.failure == cra::ChainFailure::hash_mismatch && report.first_bad_index == 0);
    EXPECT(!report.valid() && report.head_hash.empty());
    EXPECT(status_thrown_by([] { cra::verify_jsonl("\xff"); }) == CRA_ERR_INVALID_ARGUMENT);

    const cra_stats stats = resolver.stats();
    EXPECT(stats.sessions_active == 1 && stats.events_emitted == stats.events_processed);
    resolver.end_session(session, "done");
    EXPECT(status_thrown_by([&] { resolver.end_session(session, "again"); }) == CRA_ERR_SESSION_ENDED);

    // A moved-from resolver holds nothing: calls throw, they do not crash.
    cra::Resolver owner = std::move(resolver);
    EXPECT(resolver.get() == nullptr && owner.get() != nullptr); // NOLINT: moved-from on purpose
    EXPECT(status_thrown_by([&] { resolver.stats(); }) == CRA_ERR_INVALID_ARGUMENT);

    if (failures != 0)
        return 1;
    std::printf("cra.h and cra.hpp: C++17, wrapper checks passed\n");
    return 0;
}
