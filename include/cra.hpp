/*
 * cra.hpp — a small header-only C++17 wrapper over the libcra C ABI (cra.h).
 *
 * It adds nothing to the library; it makes the C ABI's rules automatic:
 *
 *  - Ownership is RAII. cra::Resolver owns a cra_resolver (freed by its
 *    destructor, which drains a deferred buffer and commits what a durable
 *    store still holds), cra::Buffer owns a cra_buf. Both are move-only; a
 *    moved-from object holds nothing.
 *
 *  - Stores. The constructor keeps events in memory; the static factory
 *    cra::Resolver::open(config, "sqlite:/var/lib/app/trace.db") writes
 *    them to a durable store (cra_resolver_open). A factory, not a second
 *    constructor, because Resolver(config, "...") would not say what the
 *    text is, and "open" says that an existing file is read back.
 *    await_durable() / await_all_durable() wait for the commit, resume()
 *    continues a session left open by an earlier process, session_head()
 *    and cra::verify_jsonl_head() detect a trace whose end was cut off.
 *
 *  - Inputs are std::string_view. JSON inputs are passed as pointer and
 *    length, without a copy. Text parameters (ids, goals, paths) need a
 *    NUL, so they are copied into a std::string first; a view holding a
 *    NUL byte is refused with CRA_ERR_INVALID_ARGUMENT, since C would
 *    silently cut the text there.
 *
 *  - Errors are exceptions. Every call that does not return CRA_OK throws
 *    cra::Error, a std::runtime_error whose what() is
 *    "CRA_ERR_INVALID_REQUEST: /task/goal: must not be empty" and whose
 *    status() is the cra_status, so code can branch on it:
 *
 *        try { resolver.resolve(request); }
 *        catch (const cra::Error &e) {
 *            if (e.status() == CRA_ERR_BACKPRESSURE) retry_later();
 *            else throw;
 *        }
 *
 *    Why exceptions: the C ABI already reports failure through one status
 *    and one owned error object per call; turning that into an exception
 *    means no call can be left unchecked and no cra_error can leak. The
 *    one exception is verification: a broken chain is a result, not a
 *    failure of the call, so verify_chain(), verify_jsonl() and
 *    verify_jsonl_head() return a cra::VerifyReport (check report.valid())
 *    and throw only when the call itself fails (unknown session, bad
 *    UTF-8, a malformed head, ...).
 *
 *  - Modes and failures are enum classes (cra::TraceMode,
 *    cra::Backpressure, cra::ChainFailure); settings are a cra::Config
 *    whose setters take std::chrono durations, and a session's are a
 *    cra::SessionOptions (its own trace mode, cra_session_begin_with).
 *    Calls that change nothing (waits, reading and verifying traces,
 *    counters) are const.
 *
 *  - Action checks. check_action() returns a cra::CheckResult: approved
 *    and the result's members as std::string (a JSON null is ""), plus
 *    the result JSON itself. A denial is a result (approved is false), not
 *    an exception. The wrapper reads the result with a small parser for
 *    its known flat shape (no JSON library needed); a result it cannot
 *    read throws CRA_ERR_INTERNAL with the text, so a host never runs an
 *    action on a result it did not understand.
 *
 *  - Thread safety is the C ABI's: one Resolver may be used from many
 *    threads at once; its destructor must run last.
 *
 * Requires C++17. Compiles cleanly with -Wall -Wextra -Werror -pedantic.
 */
#ifndef CRA_HPP
#define CRA_HPP

#include "cra.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace cra {

/* A failed libcra call: status() is its CRA_ERR_* code, what() its
 * status name and the library's message. */
class Error : public std::runtime_error {
public:
    Error(cra_status status, const std::string &message)
        : std::runtime_error(std::string(cra_status_name(status)) + ": " + message), status_(status)
    {
    }

    cra_status status() const noexcept { return status_; }

private:
    cra_status status_;
};

namespace detail {

struct ErrorFree {
    void operator()(cra_error *e) const noexcept { cra_error_free(e); }
};
using OwnedError = std::unique_ptr<cra_error, ErrorFree>;

/* Runs `c_call(cra_error **err)` (a lambda calling one C function) and
 * throws when it does not return CRA_OK, or `tolerated` (a status that
 * is a result, not a failure). The error object is freed in every case.
 *
 * Why a lambda: in `check(cra_f(..., &err), err)` the two arguments are
 * unsequenced, so `err` may be read before cra_f has set it. Here the
 * call returns before err is read. */
template <typename CCall> void call(CCall &&c_call, cra_status tolerated = CRA_OK)
{
    cra_error *raw = nullptr;
    const cra_status status = c_call(&raw);
    const OwnedError err(raw);
    if (status != CRA_OK && status != tolerated)
        throw Error(status, cra_error_message(err.get()));
}

/* A NUL-terminated copy of a text parameter. */
inline std::string c_text(std::string_view text, const char *name)
{
    if (text.find('\0') != std::string_view::npos)
        throw Error(CRA_ERR_INVALID_ARGUMENT, std::string(name) + " contains a NUL byte");
    return std::string(text);
}

/* A count as the C ABI's uint32_t (negative: 0; huge: the maximum, which
 * a setting's range check then refuses). */
template <typename Count> std::uint32_t saturate(Count count) noexcept
{
    constexpr auto most = std::numeric_limits<std::uint32_t>::max();
    if (count <= 0)
        return 0;
    if (count >= static_cast<Count>(most))
        return most;
    return static_cast<std::uint32_t>(count);
}

/* A timeout as the C ABI's uint32_t milliseconds (negative: 0; huge: the maximum). */
inline std::uint32_t millis(std::chrono::milliseconds timeout) noexcept
{
    return saturate(timeout.count());
}

} // namespace detail

/* A text owned by the library (a cra_buf): the resolution JSON, a trace. */
class Buffer {
public:
    Buffer() noexcept = default;
    ~Buffer() { cra_buf_free(&buf_); }
    Buffer(Buffer &&other) noexcept : buf_(std::exchange(other.buf_, cra_buf{nullptr, 0})) {}
    Buffer &operator=(Buffer &&other) noexcept
    {
        if (this != &other) {
            cra_buf_free(&buf_);
            buf_ = std::exchange(other.buf_, cra_buf{nullptr, 0});
        }
        return *this;
    }
    Buffer(const Buffer &) = delete;
    Buffer &operator=(const Buffer &) = delete;

    /* Valid while this Buffer lives. */
    std::string_view view() const noexcept
    {
        return buf_.data ? std::string_view(buf_.data, buf_.len) : std::string_view();
    }
    std::string str() const { return std::string(view()); }
    const char *c_str() const noexcept { return buf_.data ? buf_.data : ""; }
    std::size_t size() const noexcept { return buf_.len; }
    bool empty() const noexcept { return buf_.len == 0; }

    /* For calling the C ABI directly: frees the current text and returns
     * the cra_buf for an output parameter. */
    cra_buf *reset() noexcept
    {
        cra_buf_free(&buf_);
        return &buf_;
    }

private:
    cra_buf buf_{nullptr, 0};
};

/* Where a resolver, or one session, hashes and chains events
 * (cra_config.trace_mode, cra_session_options.trace_mode). */
enum class TraceMode : std::uint32_t {
    immediate = CRA_TRACE_IMMEDIATE, /* on the calling thread, before the call returns */
    deferred = CRA_TRACE_DEFERRED,   /* on a background processor, after sync points */
    /* SessionOptions only: the resolver's mode. A Config with it is
     * refused by the Resolver constructor (CRA_ERR_INVALID_ARGUMENT). */
    resolver_default = CRA_TRACE_RESOLVER_DEFAULT,
};

/* What a deferred resolver does when its buffer is full (cra_config.backpressure). */
enum class Backpressure : std::uint32_t {
    error = CRA_BACKPRESSURE_ERROR, /* refuse at once with CRA_ERR_BACKPRESSURE */
    block = CRA_BACKPRESSURE_BLOCK, /* wait up to the block timeout, then refuse */
};

/* Why a chain failed to verify (cra_verify_report.failure). */
enum class ChainFailure : std::uint32_t {
    valid = CRA_CHAIN_VALID,
    malformed = CRA_CHAIN_MALFORMED,
    sequence_gap = CRA_CHAIN_SEQUENCE_GAP,
    broken = CRA_CHAIN_BROKEN,
    hash_mismatch = CRA_CHAIN_HASH_MISMATCH,
    session_mismatch = CRA_CHAIN_SESSION_MISMATCH,
    truncated = CRA_CHAIN_TRUNCATED,         /* fewer events than the head counts */
    head_mismatch = CRA_CHAIN_HEAD_MISMATCH, /* the head's event has another hash */
};

/* "CRA_CHAIN_HASH_MISMATCH"; a static string. */
inline std::string_view name(ChainFailure failure) noexcept
{
    return cra_chain_failure_name(static_cast<std::uint32_t>(failure));
}

/* The outcome of verify_chain(), verify_jsonl() or verify_jsonl_head(). */
struct VerifyReport {
    std::uint64_t events = 0;          /* events checked */
    std::uint64_t pending = 0;         /* emitted but not yet processed (deferred mode) */
    std::int64_t first_bad_index = -1; /* 0-based; -1 when valid */
    ChainFailure failure = ChainFailure::valid;
    std::string head_hash; /* event_hash of the last valid event, "" if none */

    VerifyReport() = default;
    explicit VerifyReport(const cra_verify_report &c)
        : events(c.events), pending(c.pending), first_bad_index(c.first_bad_index),
          failure(static_cast<ChainFailure>(c.failure)), head_hash(c.head_hash)
    {
    }

    bool valid() const noexcept { return failure == ChainFailure::valid; }
};

/* A session's head (cra_head): how many events its chain has and the last
 * one's event_hash (64 lowercase hex digits; 64 zeros for none). Keep it
 * apart from the trace: verify_jsonl_head() then detects a trace whose end
 * was cut off, which the chain alone cannot show. An aggregate, so a head
 * kept elsewhere reads back as cra::Head{events, hash}. */
struct Head {
    std::uint64_t events = 0;
    std::string hash;
};

namespace detail {

inline Head head_of(const cra_head &c) { return Head{c.events, c.head_hash}; }

/* A Head as the C struct. A hash of another length cannot be passed on
 * unchanged (a longer one would be cut to its first 64 digits and could
 * pass), so it is refused here, as the library refuses a malformed one. */
inline cra_head c_head(const Head &head)
{
    cra_head c{};
    c.events = head.events;
    if (head.hash.size() != sizeof c.head_hash - 1)
        throw Error(CRA_ERR_INVALID_ARGUMENT, "head hash must be 64 lowercase hex digits, got " +
                                                  std::to_string(head.hash.size()) + " characters");
    head.hash.copy(c.head_hash, sizeof c.head_hash - 1);
    return c;
}

} // namespace detail

/* The answer of Resolver::check_action() (cra_check_action's result JSON,
 * CARP.md "Check result"). approved is true only for "decision":
 * "approved", which always comes with an execution_id for
 * report_action(). Members that are null in the JSON (execution_id of a
 * denial, reason and policy_id of an approval) are "". json is the result
 * as libcra wrote it, for logging or for members this struct lacks. */
struct CheckResult {
    std::string request_id;
    std::string action_id;
    std::string execution_id;
    std::string reason;
    std::string policy_id;
    std::string parameters_hash;
    bool approved = false;
    std::string json;
};

namespace detail {

/* Reads a check result: one JSON object whose members are strings or
 * null (other members, of any type, are skipped, so a later libcra may add
 * some). Throws CRA_ERR_INTERNAL, quoting the text, for anything else:
 * a result the host cannot read must never let an action run. */
class CheckResultReader {
public:
    explicit CheckResultReader(std::string_view text) : text_(text) {}

    CheckResult read()
    {
        CheckResult result;
        result.json = std::string(text_);
        std::string decision;
        bool have_decision = false;
        expect('{');
        if (!take('}')) {
            do {
                const std::string key = string_value();
                expect(':');
                std::string *into = member(result, key, decision);
                if (into == nullptr) {
                    skip_value();
                    continue;
                }
                if (key == "decision")
                    have_decision = true;
                if (literal("null"))
                    into->clear();
                else
                    *into = string_value();
            } while (take(','));
            expect('}');
        }
        space();
        if (pos_ != text_.size())
            fail("text after the object");
        if (!have_decision || (decision != "approved" && decision != "denied"))
            fail("no decision \"approved\" or \"denied\"");
        result.approved = decision == "approved";
        if (result.approved && result.execution_id.empty())
            fail("an approval without an execution_id");
        return result;
    }

private:
    static std::string *member(CheckResult &r, const std::string &key, std::string &decision)
    {
        if (key == "decision")
            return &decision;
        if (key == "request_id")
            return &r.request_id;
        if (key == "action_id")
            return &r.action_id;
        if (key == "execution_id")
            return &r.execution_id;
        if (key == "reason")
            return &r.reason;
        if (key == "policy_id")
            return &r.policy_id;
        if (key == "parameters_hash")
            return &r.parameters_hash;
        return nullptr;
    }

    [[noreturn]] void fail(const char *what) const
    {
        throw Error(CRA_ERR_INTERNAL, std::string("unreadable check result (") + what + " at byte " +
                                          std::to_string(pos_) + "): " + std::string(text_));
    }

    void space()
    {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            pos_++;
    }
    bool take(char c)
    {
        space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            pos_++;
            return true;
        }
        return false;
    }
    void expect(char c)
    {
        if (!take(c)) {
            const char what[] = {'\'', c, '\'', '\0'};
            fail(what);
        }
    }
    bool literal(std::string_view word)
    {
        space();
        if (text_.substr(pos_, word.size()) != word)
            return false;
        pos_ += word.size();
        return true;
    }

    unsigned hex4()
    {
        if (text_.size() - pos_ < 4)
            fail("a short \\u escape");
        unsigned value = 0;
        for (int i = 0; i < 4; i++) {
            const char c = text_[pos_++];
            value <<= 4;
            if (c >= '0' && c <= '9')
                value |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                value |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                value |= static_cast<unsigned>(c - 'A' + 10);
            else
                fail("a bad \\u escape");
        }
        return value;
    }

    static void append_utf8(std::string &out, unsigned cp)
    {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    /* A JSON string, unescaped (UTF-8 kept as is). */
    std::string string_value()
    {
        expect('"');
        std::string out;
        for (;;) {
            if (pos_ >= text_.size())
                fail("an unterminated string");
            const char c = text_[pos_++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20)
                fail("a control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size())
                fail("an unterminated escape");
            switch (text_[pos_++]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = hex4();
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (text_.substr(pos_, 2) != "\\u")
                        fail("a lone surrogate");
                    pos_ += 2;
                    const unsigned low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF)
                        fail("a lone surrogate");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail("a lone surrogate");
                }
                append_utf8(out, cp);
                break;
            }
            default: fail("an unknown escape");
            }
        }
    }

    /* Any JSON value, not kept: strings are read as strings (so brackets
     * inside them do not count), everything else up to the member's end. */
    void skip_value()
    {
        int depth = 0;
        space();
        const std::size_t start = pos_;
        for (;;) {
            if (pos_ >= text_.size())
                fail("an unterminated value");
            const char c = text_[pos_];
            if (c == '"') {
                string_value();
            } else if (c == '{' || c == '[') {
                if (++depth > 64)
                    fail("nesting deeper than 64");
                pos_++;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    if (pos_ == start)
                        fail("a missing value");
                    return; /* the enclosing object's end */
                }
                depth--;
                pos_++;
            } else if (c == ',' && depth == 0) {
                if (pos_ == start)
                    fail("a missing value");
                return;
            } else {
                pos_++;
            }
            if (depth == 0) {
                space();
                if (pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == '}'))
                    return;
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

inline CheckResult read_check_result(std::string_view json) { return CheckResultReader(json).read(); }

} // namespace detail

/* The settings of a resolver: a cra_config with its defaults already set
 * (cra_config_init), changed through typed setters that chain:
 *
 *     cra::Resolver resolver(cra::Config().trace_mode(cra::TraceMode::deferred)
 *                                         .buffer_capacity(1 << 16));
 *
 * Values out of range are refused by the Resolver constructor
 * (CRA_ERR_INVALID_ARGUMENT), as by cra_resolver_new. */
class Config {
public:
    Config() noexcept { cra_config_init(&c_); }

    Config &trace_mode(TraceMode mode) noexcept
    {
        c_.trace_mode = static_cast<std::uint32_t>(mode);
        return *this;
    }
    Config &buffer_capacity(std::uint32_t events) noexcept
    {
        c_.buffer_capacity = events;
        return *this;
    }
    Config &backpressure(Backpressure policy) noexcept
    {
        c_.backpressure = static_cast<std::uint32_t>(policy);
        return *this;
    }
    Config &block_timeout(std::chrono::milliseconds timeout) noexcept
    {
        c_.block_timeout_ms = detail::saturate(timeout.count());
        return *this;
    }
    Config &ttl(std::chrono::seconds ttl) noexcept
    {
        c_.ttl_seconds = detail::saturate(ttl.count());
        return *this;
    }
    Config &clock_skew(std::chrono::seconds tolerance) noexcept
    {
        c_.clock_skew_seconds = detail::saturate(tolerance.count());
        return *this;
    }
    Config &shutdown_timeout(std::chrono::milliseconds timeout) noexcept
    {
        c_.shutdown_timeout_ms = detail::saturate(timeout.count());
        return *this;
    }

    TraceMode trace_mode() const noexcept { return static_cast<TraceMode>(c_.trace_mode); }
    Backpressure backpressure() const noexcept { return static_cast<Backpressure>(c_.backpressure); }

    /* The C settings, for fields this class has no setter for. */
    const cra_config &c_config() const noexcept { return c_; }
    cra_config &c_config() noexcept { return c_; }

private:
    cra_config c_{};
};

/* The settings of one session (Resolver::begin_session with options): a
 * cra_session_options with its defaults already set
 * (cra_session_options_init), changed through setters that chain:
 *
 *     cra::Resolver resolver; // immediate
 *     const std::string swarm = resolver.begin_session(
 *         "worker-3", "Reconcile March", cra::SessionOptions().trace_mode(cra::TraceMode::deferred));
 *
 * trace_mode is TraceMode::resolver_default (default: the resolver's
 * Config::trace_mode), TraceMode::immediate or TraceMode::deferred, fixed
 * for the session's life. One resolver serves sessions of both modes at
 * once; the sync points (is_trace_ready, await_trace_ready, flush_traces,
 * trace) work for both, an immediate session being always ready. A value
 * that is not a CRA_TRACE_* (through c_options()) is refused by
 * begin_session (CRA_ERR_INVALID_ARGUMENT). Needs abi_minor() >= 1. */
class SessionOptions {
public:
    SessionOptions() noexcept { cra_session_options_init(&c_); }

    SessionOptions &trace_mode(TraceMode mode) noexcept
    {
        c_.trace_mode = static_cast<std::uint32_t>(mode);
        return *this;
    }

    TraceMode trace_mode() const noexcept { return static_cast<TraceMode>(c_.trace_mode); }

    /* The C settings, for fields this class has no setter for. */
    const cra_session_options &c_options() const noexcept { return c_; }
    cra_session_options &c_options() noexcept { return c_; }

private:
    cra_session_options c_{};
};

/* The defaults as a plain cra_config (cra_config_init). */
inline cra_config default_config() noexcept
{
    return Config().c_config();
}

/* Verifies TRACE/1.0 JSON Lines text; no resolver needed. A broken chain
 * is reported in the result (report.valid() is false), not thrown. */
inline VerifyReport verify_jsonl(std::string_view jsonl)
{
    cra_verify_report report{};
    detail::call([&](cra_error **err) { return cra_verify_jsonl(jsonl.data(), jsonl.size(), &report, err); },
                 CRA_ERR_CHAIN_INVALID); /* the report says where and why */
    return VerifyReport(report);
}

/* Verifies one session's TRACE/1.0 JSON Lines like verify_jsonl(), then
 * holds them against a head kept apart from the text: fewer events than
 * head.events is ChainFailure::truncated, another hash at the head's event
 * is ChainFailure::head_mismatch (more events is valid: the chain grew).
 * Reported in the result, not thrown; a malformed head or events of more
 * than one session throw CRA_ERR_INVALID_ARGUMENT. */
inline VerifyReport verify_jsonl_head(std::string_view jsonl, const Head &expected)
{
    const cra_head c_expected = detail::c_head(expected);
    cra_verify_report report{};
    detail::call(
        [&](cra_error **err) { return cra_verify_jsonl_head(jsonl.data(), jsonl.size(), &c_expected, &report, err); },
        CRA_ERR_CHAIN_INVALID); /* the report says where and why */
    return VerifyReport(report);
}

/* The loaded library's version ("1.0.0"); CRA_VERSION_* give the header's. */
inline std::string_view version() noexcept { return cra_version(); }
inline std::uint32_t version_number() noexcept { return cra_version_number(); }
inline std::uint32_t abi_version() noexcept { return cra_abi_version(); }
/* Which additions to ABI version 1 the loaded library has (1: durable
 * stores, heads, action checks, approvals, outcome reports, per-session
 * trace mode); check abi_minor() >= N before using an addition of minor N. */
inline std::uint32_t abi_minor() noexcept { return cra_abi_minor(); }

/* Loaded atlases, sessions and their traces. Move-only; see cra.h for
 * what each call does and the statuses it throws. */
class Resolver {
public:
    /* Events stay in memory (cra_resolver_new). */
    explicit Resolver(const Config &config = Config()) : Resolver(config.c_config()) {}

    explicit Resolver(const cra_config &config)
    {
        cra_resolver *raw = nullptr;
        detail::call([&](cra_error **err) { return cra_resolver_new(&config, &raw, err); });
        handle_.reset(raw);
    }

    /* Events go to the store store_url names (cra_resolver_open):
     * "memory:", or "sqlite:PATH[?sync=normal|full][&max_waiting_mb=N]",
     * a file created when missing and reopened with every session it holds:
     *
     *     auto resolver = cra::Resolver::open(cra::Config(), "sqlite:/var/lib/app/trace.db");
     *
     * Throws CRA_ERR_INVALID_ARGUMENT (unknown scheme or parameter, bad
     * value, a setting out of range) or CRA_ERR_IO (the file cannot be
     * opened or created, another resolver has it open, it is not a libcra
     * store). */
    static Resolver open(const Config &config, std::string_view store_url)
    {
        return open(config.c_config(), store_url);
    }

    static Resolver open(const cra_config &config, std::string_view store_url)
    {
        const std::string c_url = detail::c_text(store_url, "store_url");
        cra_resolver *raw = nullptr;
        detail::call([&](cra_error **err) { return cra_resolver_open(&config, c_url.c_str(), &raw, err); });
        return Resolver(Adopt{}, raw);
    }

    /* The C handle, for functions this wrapper does not cover. */
    cra_resolver *get() const noexcept { return handle_.get(); }

    void load_atlas(std::string_view json)
    {
        detail::call([&](cra_error **err) { return cra_load_atlas(get(), json.data(), json.size(), err); });
    }

    void load_atlas_file(std::string_view path)
    {
        const std::string c_path = detail::c_text(path, "path");
        detail::call([&](cra_error **err) { return cra_load_atlas_file(get(), c_path.c_str(), err); });
    }

    void unload_atlas(std::string_view atlas_id)
    {
        const std::string c_id = detail::c_text(atlas_id, "atlas_id");
        detail::call([&](cra_error **err) { return cra_unload_atlas(get(), c_id.c_str(), err); });
    }

    /* Returns the new session's id. The session is traced in the
     * resolver's mode. */
    std::string begin_session(std::string_view agent_id, std::string_view goal)
    {
        const std::string c_agent = detail::c_text(agent_id, "agent_id");
        const std::string c_goal = detail::c_text(goal, "goal");
        char id[CRA_ID_BUF_LEN] = "";
        detail::call([&](cra_error **err) { return cra_session_begin(get(), c_agent.c_str(), c_goal.c_str(), id, err); });
        return id;
    }

    /* begin_session() with options (cra_session_begin_with), such as a
     * trace mode of the session's own. The library does not keep options.
     * Throws as begin_session(), and CRA_ERR_INVALID_ARGUMENT for a trace
     * mode that is not a CRA_TRACE_*, CRA_ERR_INTERNAL when the first
     * deferred session of an immediate resolver cannot start the trace
     * processor thread. */
    std::string begin_session(std::string_view agent_id, std::string_view goal, const SessionOptions &options)
    {
        const std::string c_agent = detail::c_text(agent_id, "agent_id");
        const std::string c_goal = detail::c_text(goal, "goal");
        char id[CRA_ID_BUF_LEN] = "";
        detail::call([&](cra_error **err) {
            return cra_session_begin_with(get(), c_agent.c_str(), c_goal.c_str(), &options.c_options(), id, err);
        });
        return id;
    }

    void end_session(std::string_view session_id, std::string_view reason)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        const std::string c_reason = detail::c_text(reason, "reason");
        detail::call([&](cra_error **err) { return cra_session_end(get(), c_session.c_str(), c_reason.c_str(), err); });
    }

    /* Continues a session still open when the store's last resolver
     * stopped, recording session.resumed with reason. Throws
     * CRA_ERR_NOT_FOUND (unknown; always with the memory store),
     * CRA_ERR_SESSION_ENDED, CRA_ERR_CONFLICT (already active here) or
     * CRA_ERR_IO (its stored tail does not match its head). */
    void resume(std::string_view session_id, std::string_view reason)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        const std::string c_reason = detail::c_text(reason, "reason");
        detail::call(
            [&](cra_error **err) { return cra_session_resume(get(), c_session.c_str(), c_reason.c_str(), err); });
    }

    /* Returns the resolution JSON for a CARP/1.0 request. */
    Buffer resolve(std::string_view request_json)
    {
        Buffer resolution;
        detail::call([&](cra_error **err) {
            return cra_resolve(get(), request_json.data(), request_json.size(), resolution.reset(), err);
        });
        return resolution;
    }

    /* Asks whether an action may run now (a CARP/1.0 check_action
     * request): the schema, the approval, rate limits and budgets, as
     * cra_check_action. A denial is returned (approved false, with reason
     * and policy_id), not thrown; an approval charges the limits and
     * carries the execution_id for report_action(). Throws what
     * cra_check_action returns (CRA_ERR_INVALID_JSON, _INVALID_REQUEST,
     * _NOT_FOUND for the session, _CONFLICT for a reused request id, ...),
     * and CRA_ERR_INTERNAL for a result it cannot read (see CheckResult). */
    CheckResult check_action(std::string_view check_json)
    {
        Buffer result;
        detail::call([&](cra_error **err) {
            return cra_check_action(get(), check_json.data(), check_json.size(), result.reset(), err);
        });
        return detail::read_check_result(result.view());
    }

    /* Grants or rejects the approval approval_id of a resolution of the
     * session, as approver (not empty), with an optional reason. Throws
     * CRA_ERR_INVALID_ARGUMENT (a malformed id, an empty approver),
     * CRA_ERR_NOT_FOUND (the session, or an approval not of it),
     * CRA_ERR_CONFLICT (answered already, or expired), ... */
    void answer_approval(std::string_view session_id, std::string_view approval_id, bool granted,
                         std::string_view approver, std::optional<std::string_view> reason = {})
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        const std::string c_approval = detail::c_text(approval_id, "approval_id");
        const std::string c_approver = detail::c_text(approver, "approver");
        const std::optional<std::string> c_reason =
            reason ? std::optional<std::string>(detail::c_text(*reason, "reason")) : std::nullopt;
        detail::call([&](cra_error **err) {
            return cra_answer_approval(get(), c_session.c_str(), c_approval.c_str(), granted, c_approver.c_str(),
                                       c_reason ? c_reason->c_str() : nullptr, err);
        });
    }

    /* Reports the outcome of an approved check (a CARP/1.0 report_action
     * request with its execution_id), as cra_report_action. Throws
     * CRA_ERR_NOT_FOUND (no approved check has that execution id),
     * CRA_ERR_CONFLICT (reported already), CRA_ERR_INVALID_REQUEST, ... */
    void report_action(std::string_view report_json)
    {
        detail::call(
            [&](cra_error **err) { return cra_report_action(get(), report_json.data(), report_json.size(), err); });
    }

    bool is_trace_ready(std::string_view session_id) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        bool ready = false;
        detail::call([&](cra_error **err) { return cra_is_trace_ready(get(), c_session.c_str(), &ready, err); });
        return ready;
    }

    /* Throws CRA_ERR_TIMEOUT when the session's events are not stored in time. */
    void await_trace_ready(std::string_view session_id, std::chrono::milliseconds timeout) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        detail::call([&](cra_error **err) {
            return cra_await_trace_ready(get(), c_session.c_str(), detail::millis(timeout), err);
        });
    }

    void flush_traces(std::chrono::milliseconds timeout) const
    {
        detail::call([&](cra_error **err) { return cra_flush_traces(get(), detail::millis(timeout), err); });
    }

    /* Waits until the session's events emitted so far are committed to the
     * store (with the memory store: stored). Throws CRA_ERR_TIMEOUT, or
     * CRA_ERR_IO with the store's error when it was failing meanwhile (the
     * events stay queued and are retried). */
    void await_durable(std::string_view session_id, std::chrono::milliseconds timeout) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        detail::call([&](cra_error **err) {
            return cra_await_trace_durable(get(), c_session.c_str(), detail::millis(timeout), err);
        });
    }

    /* await_durable() for the events of every session emitted so far. */
    void await_all_durable(std::chrono::milliseconds timeout) const
    {
        detail::call(
            [&](cra_error **err) { return cra_await_trace_durable(get(), nullptr, detail::millis(timeout), err); });
    }

    /* The session's whole trace (TRACE/1.0 JSON Lines), waiting up to
     * timeout for it to be stored (CRA_ERR_TIMEOUT otherwise). */
    Buffer trace(std::string_view session_id, std::chrono::milliseconds timeout) const
    {
        return get_trace(session_id, CRA_TRACE_WAIT, timeout);
    }

    /* The events stored so far, at once (deferred mode may hold more). */
    Buffer partial_trace(std::string_view session_id) const
    {
        return get_trace(session_id, CRA_TRACE_PARTIAL, std::chrono::milliseconds(0));
    }

    /* A broken chain is reported in the result, not thrown. */
    VerifyReport verify_chain(std::string_view session_id) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        cra_verify_report report{};
        detail::call([&](cra_error **err) { return cra_verify_chain(get(), c_session.c_str(), &report, err); },
                     CRA_ERR_CHAIN_INVALID); /* the report says where and why */
        return VerifyReport(report);
    }

    /* The session's head: events processed so far and the last one's hash.
     * An ended session read back from a durable store has one too. */
    Head session_head(std::string_view session_id) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        cra_head head{};
        detail::call([&](cra_error **err) { return cra_session_head(get(), c_session.c_str(), &head, err); });
        return detail::head_of(head);
    }

    cra_stats stats() const
    {
        cra_stats stats{};
        detail::call([&](cra_error **err) { return cra_stats_get(get(), &stats, err); });
        return stats;
    }

    /* The store's counters: events committed and waiting, commits, write
     * errors, sessions in memory and evicted, resident bytes. */
    cra_store_stats store_stats() const
    {
        cra_store_stats stats{};
        detail::call([&](cra_error **err) { return cra_store_stats_get(get(), &stats, err); });
        return stats;
    }

private:
    struct ResolverFree {
        void operator()(cra_resolver *r) const noexcept { cra_resolver_free(r); }
    };

    /* Takes ownership of a handle a C call created (open()). */
    struct Adopt {};
    Resolver(Adopt, cra_resolver *raw) noexcept : handle_(raw) {}

    Buffer get_trace(std::string_view session_id, std::uint32_t flags, std::chrono::milliseconds timeout) const
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        Buffer trace;
        detail::call([&](cra_error **err) {
            return cra_get_trace(get(), c_session.c_str(), flags, detail::millis(timeout), trace.reset(), err);
        });
        return trace;
    }

    std::unique_ptr<cra_resolver, ResolverFree> handle_;
};

} // namespace cra

#endif /* CRA_HPP */
