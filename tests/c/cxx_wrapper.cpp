// cxx_wrapper.cpp — cra.h and cra.hpp compile as strict C++17 (-Wall
// -Wextra -Werror -pedantic), and the wrapper's promises hold: failures
// throw cra::Error with the status, a broken chain is a result, handles and
// buffers are owned and movable. Action checks: a denial is a CheckResult,
// approvals and reports throw their statuses, and the result reader decodes
// escapes and refuses what it cannot read. Durable stores: a SQLite file in a new
// temporary folder (mkdtemp), written, reopened, resumed, checked against
// its heads, and removed at the end.
#include "abi_layout.h"
#include "cra.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
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
static_assert(static_cast<std::uint32_t>(cra::ChainFailure::hash_mismatch) == CRA_CHAIN_HASH_MISMATCH &&
                  static_cast<std::uint32_t>(cra::ChainFailure::truncated) == CRA_CHAIN_TRUNCATED &&
                  static_cast<std::uint32_t>(cra::ChainFailure::head_mismatch) == CRA_CHAIN_HEAD_MISMATCH,
              "failures keep the C values");
static_assert(std::is_same_v<decltype(cra::Resolver::open(cra::Config(), "memory:")), cra::Resolver>,
              "open() is a factory returning a Resolver");
static_assert(std::is_aggregate_v<cra::Head>, "a head kept elsewhere reads back as cra::Head{events, hash}");

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

// A resolver on a SQLite file: written, freed, reopened with its sessions.
void durable_store()
{
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    char folder_template[] = "/tmp/cra-cxx-wrapper-XXXXXX";
    const char *folder = mkdtemp(folder_template);
    EXPECT(folder != nullptr);
    if (folder == nullptr)
        return;
    const std::string path = std::string(folder) + "/trace.db";
    const std::string url = "sqlite:" + path;

    // Bad URLs are refused before anything is created.
    EXPECT(status_thrown_by([] { cra::Resolver::open(cra::Config(), "sqlite:"); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([] { cra::Resolver::open(cra::Config(), "mysql://db/trace"); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config(), url + "?sync=sometimes"); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config(), url + "?colour=red"); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    using namespace std::string_view_literals;
    EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config(), "sqlite:/tmp/a\0b.db"sv); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([] { cra::Resolver::open(cra::Config(), "postgres://localhost/trace"); }) == CRA_ERR_IO);
    EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config(), "sqlite:" + std::string(folder) + "/no/such/dir.db"); }) ==
           CRA_ERR_IO);
    EXPECT(!std::filesystem::exists(path));
    // A setting out of range is refused by open() as by the constructor.
    EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config().ttl(seconds(0)), url); }) ==
           CRA_ERR_INVALID_ARGUMENT);

    std::string ended, open_session;
    cra::Head ended_head, open_head;
    {
        cra::Resolver store =
            cra::Resolver::open(cra::Config().trace_mode(cra::TraceMode::deferred), url + "?sync=full");
        EXPECT(std::filesystem::exists(path));
        // One resolver per file.
        EXPECT(status_thrown_by([&] { cra::Resolver::open(cra::Config(), url); }) == CRA_ERR_IO);

        ended = store.begin_session("agent-durable", "written to a file");
        open_session = store.begin_session("agent-durable", "left open");
        store.end_session(ended, "done");
        store.await_durable(ended, seconds(10));
        store.await_all_durable(seconds(10));
        EXPECT(status_thrown_by([&] { store.await_durable("01900000-0000-7000-8000-000000000000", milliseconds(0)); }) ==
               CRA_ERR_NOT_FOUND);
        EXPECT(status_thrown_by([&] { store.await_durable("nope", milliseconds(0)); }) == CRA_ERR_INVALID_ARGUMENT);

        const cra_store_stats stats = store.store_stats();
        EXPECT(stats.events_durable == 3 && stats.events_waiting == 0 && stats.commits >= 1);
        EXPECT(stats.write_errors == 0);

        // The ended session left memory but is still read, verified and headed.
        ended_head = store.session_head(ended);
        EXPECT(ended_head.events == 2 && ended_head.hash.size() == 64);
        EXPECT(ended_head.hash.find_first_not_of("0123456789abcdef") == std::string::npos);
        const cra::VerifyReport chain = store.verify_chain(ended);
        EXPECT(chain.valid() && chain.events == 2 && chain.head_hash == ended_head.hash);
        open_head = store.session_head(open_session);
        EXPECT(open_head.events == 1);

        // Held against its head, the trace is valid; a head further on
        // means events were cut off, another hash means another chain.
        const cra::Buffer trace = store.trace(ended, seconds(5));
        const cra::VerifyReport held = cra::verify_jsonl_head(trace.view(), ended_head);
        EXPECT(held.valid() && held.events == 2 && held.head_hash == ended_head.hash);
        const cra::VerifyReport cut = cra::verify_jsonl_head(trace.view(), cra::Head{3, ended_head.hash});
        EXPECT(cut.failure == cra::ChainFailure::truncated && cut.first_bad_index == 2 && !cut.valid());
        std::string other_hash = ended_head.hash;
        other_hash[10] = other_hash[10] == 'a' ? 'b' : 'a';
        const cra::VerifyReport other = cra::verify_jsonl_head(trace.view(), cra::Head{2, other_hash});
        EXPECT(other.failure == cra::ChainFailure::head_mismatch && other.first_bad_index == 1);
        EXPECT(cra::verify_jsonl_head(trace.view(), cra::Head{1, open_head.hash}).failure ==
               cra::ChainFailure::head_mismatch);
        // An earlier head of the same chain: it grew since, which is valid.
        const std::string first_hash =
            std::string(trace.view().substr(trace.view().find("\"event_hash\":\"") + 14, 64));
        EXPECT(cra::verify_jsonl_head(trace.view(), cra::Head{1, first_hash}).valid());
        EXPECT(cra::name(cra::ChainFailure::truncated) == "CRA_CHAIN_TRUNCATED");
        EXPECT(cra::name(cra::ChainFailure::head_mismatch) == "CRA_CHAIN_HEAD_MISMATCH");

        // A malformed head throws: wrong length (caught by the wrapper),
        // upper case and not hex (caught by the library).
        EXPECT(status_thrown_by([&] { cra::verify_jsonl_head(trace.view(), cra::Head{2, ended_head.hash + "0"}); }) ==
               CRA_ERR_INVALID_ARGUMENT);
        EXPECT(status_thrown_by([&] { cra::verify_jsonl_head(trace.view(), cra::Head{2, ""}); }) ==
               CRA_ERR_INVALID_ARGUMENT);
        std::string upper = ended_head.hash;
        for (char &c : upper)
            c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
        if (upper != ended_head.hash) // 64 hex digits without one letter are unlikely, not impossible
            EXPECT(status_thrown_by([&] { cra::verify_jsonl_head(trace.view(), cra::Head{2, upper}); }) ==
                   CRA_ERR_INVALID_ARGUMENT);
        EXPECT(status_thrown_by([&] { cra::verify_jsonl_head(trace.view(), cra::Head{2, std::string(64, 'g')}); }) ==
               CRA_ERR_INVALID_ARGUMENT);

        // Resuming needs a session this resolver does not hold open.
        EXPECT(status_thrown_by([&] { store.resume(open_session, "again"); }) == CRA_ERR_CONFLICT);
        EXPECT(status_thrown_by([&] { store.resume(ended, "again"); }) == CRA_ERR_SESSION_ENDED);
        EXPECT(status_thrown_by([&] { store.resume("01900000-0000-7000-8000-000000000000", "x"); }) ==
               CRA_ERR_NOT_FOUND);
        EXPECT(status_thrown_by([&] { store.resume(open_session, "bad\0reason"sv); }) == CRA_ERR_INVALID_ARGUMENT);
    } // freed: what the store holds is committed, the file is released

    {
        cra::Resolver reopened = cra::Resolver::open(cra::Config(), url);
        const cra::Head head = reopened.session_head(ended);
        EXPECT(head.events == ended_head.events && head.hash == ended_head.hash);
        EXPECT(reopened.verify_chain(ended).valid());
        EXPECT(cra::verify_jsonl_head(reopened.trace(ended, seconds(5)).view(), ended_head).valid());
        EXPECT(reopened.session_head(open_session).hash == open_head.hash);

        reopened.resume(open_session, "process restarted");
        const cra::Head resumed = reopened.session_head(open_session);
        EXPECT(resumed.events == open_head.events + 1);
        const cra::Buffer resumed_trace = reopened.trace(open_session, seconds(5));
        EXPECT(resumed_trace.view().find("\"session.resumed\"") != std::string_view::npos);
        EXPECT(cra::verify_jsonl_head(resumed_trace.view(), open_head).valid()); // grew from the old head
        reopened.end_session(open_session, "done after restart");
        reopened.await_durable(open_session, seconds(10));
        EXPECT(reopened.store_stats().events_waiting == 0 && reopened.store_stats().events_durable == 2);
    }

    // With the memory store there is nothing to resume; heads and counters work.
    cra::Resolver memory = cra::Resolver::open(cra::Config(), "memory:");
    EXPECT(status_thrown_by([&] { memory.resume(ended, "x"); }) == CRA_ERR_NOT_FOUND);
    const std::string in_memory = memory.begin_session("agent-memory", "kept in memory");
    memory.await_durable(in_memory, milliseconds(0));
    memory.await_all_durable(milliseconds(0));
    EXPECT(memory.session_head(in_memory).events == 1);
    EXPECT(memory.store_stats().events_durable == 1 && memory.store_stats().sessions_in_memory == 1);

    // A moved-from resolver holds nothing: the new calls throw too.
    cra::Resolver owner = std::move(memory);
    EXPECT(status_thrown_by([&] { memory.store_stats(); }) == CRA_ERR_INVALID_ARGUMENT); // NOLINT: moved-from
    EXPECT(status_thrown_by([&] { memory.session_head(in_memory); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { memory.await_all_durable(milliseconds(0)); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(owner.session_head(in_memory).events == 1);

    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
}

// Action checks, approvals and reports (CARP.md "Checking an action before
// running it") on a small atlas: a refund with a schema and an approval, an
// export limited to one call per minute.
const char OPS_ATLAS[] = R"({"atlas_version":"1.0","atlas_id":"com.example.ops","version":"1.0.0","name":"Ops",
 "description":"d","actions":[
  {"action_id":"billing.refund","name":"Refund","description":"d","parameters_schema":{"type":"object",
   "required":["amount_cents"],"properties":{"amount_cents":{"type":"integer","minimum":1}},"additionalProperties":false}},
  {"action_id":"report.export","name":"Export","description":"d"}],
 "policies":[
  {"policy_id":"refund-approval","type":"require_approval","actions":["billing.refund"]},
  {"policy_id":"export-rate","type":"rate_limit","actions":["report.export"],"parameters":{"max_calls":1,"window_seconds":60}},
  {"policy_id":"allow-all","type":"allow","actions":["*"]}]})";

std::string now_rfc3339()
{
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

struct Requests {
    std::string session;
    int next = 0;

    std::string head(const char *operation)
    {
        return std::string(R"({"carp_version":"1.0","operation":")") + operation + R"(","request_id":"req-)" +
               std::to_string(++next) + R"(","timestamp":")" + now_rfc3339() +
               R"(","requester":{"agent_id":"agent-7","session_id":")" + session + R"("})";
    }
    std::string resolve() { return head("resolve") + R"(,"task":{"goal":"ops","risk_tier":"low"}})"; }
    std::string check(const std::string &resolution_id, const char *action, const char *parameters)
    {
        return head("check_action") + R"(,"resolution_id":")" + resolution_id + R"(","action_id":")" + action +
               R"(","parameters":)" + parameters + "}";
    }
    std::string report(const std::string &execution_id, const char *outcome)
    {
        return head("report_action") + R"(,"execution_id":")" + execution_id + R"(",)" + outcome + "}";
    }
};

// The text of member `name` ("resolution_id", "approval_id") of a resolution.
std::string member_of(std::string_view json, const std::string &name)
{
    const std::string key = "\"" + name + "\":\"";
    const std::size_t at = json.find(key);
    if (at == std::string_view::npos)
        return "";
    const std::size_t start = at + key.size();
    return std::string(json.substr(start, json.find('"', start) - start));
}

void action_checks()
{
    using namespace std::string_view_literals;
    cra::Resolver resolver;
    resolver.load_atlas(OPS_ATLAS);
    Requests req{resolver.begin_session("agent-7", "ops")};
    const cra::Buffer resolution = resolver.resolve(req.resolve());
    const std::string resolution_id = member_of(resolution.view(), "resolution_id");
    const std::string approval_id = member_of(resolution.view(), "approval_id");
    EXPECT(resolution_id.size() == 36 && approval_id.size() == 36);

    // Denials are results: the schema first, then the approval.
    const cra::CheckResult schema = resolver.check_action(req.check(resolution_id, "billing.refund", R"({"amount_cents":0})"));
    EXPECT(!schema.approved && schema.execution_id.empty() && schema.policy_id.empty());
    EXPECT(schema.reason.rfind("Parameters do not match the schema: /amount_cents", 0) == 0);
    EXPECT(schema.request_id == "req-2" && schema.action_id == "billing.refund");
    EXPECT(schema.parameters_hash.size() == 64 && schema.json.find("\"denied\"") != std::string::npos);
    const cra::CheckResult waiting = resolver.check_action(req.check(resolution_id, "billing.refund", R"({"amount_cents":5})"));
    EXPECT(!waiting.approved && waiting.reason == "Approval required" && waiting.policy_id == "refund-approval");
    EXPECT(waiting.parameters_hash != schema.parameters_hash);

    // Approvals: bad arguments, an unknown approval, then granted once.
    EXPECT(status_thrown_by([&] { resolver.answer_approval(req.session, "not-an-id", true, "lead"); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { resolver.answer_approval(req.session, approval_id, true, ""); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { resolver.answer_approval(req.session, approval_id, true, "le\0ad"sv); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] { resolver.answer_approval(req.session, approval_id, true, "lead", "x\0y"sv); }) ==
           CRA_ERR_INVALID_ARGUMENT);
    EXPECT(status_thrown_by([&] {
               resolver.answer_approval(req.session, "01900000-0000-7000-8000-000000000000", true, "lead");
           }) == CRA_ERR_NOT_FOUND);
    EXPECT(status_thrown_by([&] {
               resolver.answer_approval("01900000-0000-7000-8000-000000000000", approval_id, true, "lead");
           }) == CRA_ERR_NOT_FOUND);
    resolver.answer_approval(req.session, approval_id, true, "billing-lead", "charged twice"sv);
    EXPECT(status_thrown_by([&] { resolver.answer_approval(req.session, approval_id, false, "lead"); }) ==
           CRA_ERR_CONFLICT);

    const cra::CheckResult refund = resolver.check_action(req.check(resolution_id, "billing.refund", R"({"amount_cents":5})"));
    EXPECT(refund.approved && refund.execution_id.size() == 36 && refund.reason.empty() && refund.policy_id.empty());
    EXPECT(refund.parameters_hash == waiting.parameters_hash);

    // Reports: a failure needs its error; each execution is reported once.
    EXPECT(status_thrown_by([&] { resolver.report_action(req.report(refund.execution_id, R"("status":"failed","duration_ms":1)")); }) ==
           CRA_ERR_INVALID_REQUEST);
    EXPECT(status_thrown_by([&] {
               resolver.report_action(req.report("01900000-0000-7000-8000-000000000000", R"("status":"executed","duration_ms":1)"));
           }) == CRA_ERR_NOT_FOUND);
    resolver.report_action(req.report(refund.execution_id, R"("status":"executed","duration_ms":7,"result":{"ok":true})"));
    EXPECT(status_thrown_by([&] { resolver.report_action(req.report(refund.execution_id, R"("status":"executed","duration_ms":7)")); }) ==
           CRA_ERR_CONFLICT);

    // The rate limit: one approved export, the next denied.
    const cra::CheckResult first = resolver.check_action(req.check(resolution_id, "report.export", "{}"));
    const cra::CheckResult second = resolver.check_action(req.check(resolution_id, "report.export", "{}"));
    EXPECT(first.approved && !second.approved && second.reason == "Rate limit exceeded" && second.policy_id == "export-rate");
    resolver.report_action(req.report(first.execution_id,
                                      R"("status":"failed","duration_ms":3,"error_code":"timeout","error_message":"slow")"));

    // Requests that are not checks throw and record nothing.
    const std::uint64_t events = resolver.session_head(req.session).events;
    EXPECT(status_thrown_by([&] { resolver.check_action("{"); }) == CRA_ERR_INVALID_JSON);
    EXPECT(status_thrown_by([&] { resolver.check_action("{}"); }) == CRA_ERR_INVALID_REQUEST);
    EXPECT(status_thrown_by([&] { resolver.check_action(req.check(resolution_id, "report.export", "[]")); }) ==
           CRA_ERR_INVALID_REQUEST);
    EXPECT(status_thrown_by([&] { resolver.report_action("nope"); }) == CRA_ERR_INVALID_JSON);
    Requests stranger{"01900000-0000-7000-8000-000000000000"};
    EXPECT(status_thrown_by([&] { resolver.check_action(stranger.check(resolution_id, "report.export", "{}")); }) ==
           CRA_ERR_NOT_FOUND);
    EXPECT(resolver.session_head(req.session).events == events);

    // Rejected: the refund is denied for good.
    Requests other{resolver.begin_session("agent-7", "ops again")};
    const cra::Buffer other_resolution = resolver.resolve(other.resolve());
    const std::string other_id = member_of(other_resolution.view(), "resolution_id");
    resolver.answer_approval(other.session, member_of(other_resolution.view(), "approval_id"), false, "billing-lead");
    const cra::CheckResult rejected = resolver.check_action(other.check(other_id, "billing.refund", R"({"amount_cents":5})"));
    EXPECT(!rejected.approved && rejected.reason == "Approval rejected");

    resolver.end_session(req.session, "done");
    EXPECT(status_thrown_by([&] { resolver.check_action(req.check(resolution_id, "report.export", "{}")); }) ==
           CRA_ERR_SESSION_ENDED);
    const cra::Buffer trace = resolver.trace(req.session, std::chrono::seconds(5));
    EXPECT(cra::verify_jsonl(trace.view()).valid());
    EXPECT(trace.view().find("\"approval.granted\"") != std::string_view::npos &&
           trace.view().find("\"action.failed\"") != std::string_view::npos);
}

// The result reader: escapes decoded, unknown members skipped in any order,
// anything it cannot read refused with CRA_ERR_INTERNAL.
void check_result_reader()
{
    const cra::CheckResult denied = cra::detail::read_check_result(
        R"( { "future": {"a": [1, "]}", {"b": null}]}, "decision" : "denied", "reason": "a \"b\" \\ \/ \u00e9 \ud83d\ude00\n",
             "policy_id": "p", "execution_id": null, "n": -1.5e3, "t": true, "action_id": "x", "request_id": "r",
             "parameters_hash": "h", "carp_version": "1.0" } )");
    EXPECT(!denied.approved && denied.reason == "a \"b\" \\ / \xc3\xa9 \xf0\x9f\x98\x80\n");
    EXPECT(denied.policy_id == "p" && denied.execution_id.empty() && denied.action_id == "x");
    EXPECT(denied.request_id == "r" && denied.parameters_hash == "h");
    const cra::CheckResult approved =
        cra::detail::read_check_result(R"({"decision":"approved","execution_id":"e","reason":null})");
    EXPECT(approved.approved && approved.execution_id == "e" && approved.reason.empty());

    const char *const unreadable[] = {
        "",
        "[]",
        "{}",                                                  // no decision
        R"({"decision":null})",
        R"({"decision":"maybe"})",
        R"({"decision":"approved"})",                          // approved without an execution id
        R"({"decision":"approved","execution_id":null})",
        R"({"decision":"denied"} x)",
        R"({"decision":"denied",})",
        R"({"decision":"denied","reason":})",
        R"({"decision":"denied","reason":7})",                 // a known member that is not a string
        R"({"decision":"denied","reason":"\ud83d"})",          // a lone surrogate
        R"({"decision":"denied","reason":"\q"})",
        R"({"decision":"denied","reason":"open)",
        R"({"decision":"denied","x":[[[)",
    };
    for (const char *text : unreadable)
        EXPECT(status_thrown_by([&] { cra::detail::read_check_result(text); }) == CRA_ERR_INTERNAL);
}

// Per-session trace mode: a deferred session in an immediate resolver, beside
// an immediate one; both verify. A bad mode is refused before anything is recorded.
void per_session_trace_mode()
{
    using std::chrono::seconds;
    static_assert(static_cast<std::uint32_t>(cra::TraceMode::resolver_default) == CRA_TRACE_RESOLVER_DEFAULT,
                  "modes keep the C values");
    EXPECT(cra::abi_minor() >= 1);
    const cra::SessionOptions defaults;
    EXPECT(defaults.trace_mode() == cra::TraceMode::resolver_default &&
           defaults.c_options().struct_size == sizeof(cra_session_options));
    const cra::SessionOptions deferred_options = cra::SessionOptions().trace_mode(cra::TraceMode::deferred);
    EXPECT(deferred_options.c_options().trace_mode == CRA_TRACE_DEFERRED);

    cra::Resolver resolver; // immediate
    EXPECT(resolver.stats().queue_capacity == 0);
    const std::string live = resolver.begin_session("agent-7", "watched live", defaults);
    const std::string swarm = resolver.begin_session("agent-8", "part of a swarm", deferred_options);
    EXPECT(resolver.is_trace_ready(live));
    // The deferred session started the resolver's trace processor and its buffer.
    EXPECT(resolver.stats().queue_capacity == cra::default_config().buffer_capacity);
    resolver.end_session(swarm, "done");
    resolver.await_trace_ready(swarm, seconds(5));
    for (const std::string &session : {live, swarm}) {
        EXPECT(resolver.is_trace_ready(session));
        const cra::Buffer trace = resolver.trace(session, seconds(5));
        const cra::VerifyReport report = cra::verify_jsonl(trace.view());
        EXPECT(report.valid() && report.head_hash == resolver.verify_chain(session).head_hash);
    }
    EXPECT(resolver.verify_chain(swarm).events == 2 && resolver.verify_chain(swarm).pending == 0);

    cra::SessionOptions bad;
    bad.c_options().trace_mode = 7;
    const std::uint64_t sessions = resolver.stats().sessions_active;
    EXPECT(status_thrown_by([&] { resolver.begin_session("agent-9", "bad mode", bad); }) == CRA_ERR_INVALID_ARGUMENT);
    EXPECT(resolver.stats().sessions_active == sessions);
    // resolver_default names no mode of a resolver.
    EXPECT(status_thrown_by([] { cra::Resolver r(cra::Config().trace_mode(cra::TraceMode::resolver_default)); }) ==
           CRA_ERR_INVALID_ARGUMENT);
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

    try {
        action_checks();
        check_result_reader();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cxx_wrapper.cpp: action checks: unexpected exception: %s\n", e.what());
        failures++;
    }

    try {
        per_session_trace_mode();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cxx_wrapper.cpp: per-session trace mode: unexpected exception: %s\n", e.what());
        failures++;
    }

    try {
        durable_store();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cxx_wrapper.cpp: durable store: unexpected exception: %s\n", e.what());
        failures++;
    }

    if (failures != 0)
        return 1;
    std::printf("cra.h and cra.hpp: C++17, wrapper checks passed\n");
    return 0;
}
