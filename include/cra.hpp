/*
 * cra.hpp — a small header-only C++17 wrapper over the libcra C ABI (cra.h).
 *
 * It adds nothing to the library; it makes the C ABI's rules automatic:
 *
 *  - Ownership is RAII. cra::Resolver owns a cra_resolver (freed by its
 *    destructor, which drains a deferred buffer), cra::Buffer owns a
 *    cra_buf. Both are move-only; a moved-from object holds nothing.
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
 *    failure of the call, so verify_chain() and verify_jsonl() return the
 *    report (check report.failure) and throw only when the call itself
 *    fails (unknown session, bad UTF-8, ...).
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

/* A timeout as the C ABI's uint32_t milliseconds (negative: 0; huge: the maximum). */
inline std::uint32_t millis(std::chrono::milliseconds timeout)
{
    constexpr auto most = std::numeric_limits<std::uint32_t>::max();
    if (timeout.count() <= 0)
        return 0;
    if (timeout.count() >= static_cast<std::chrono::milliseconds::rep>(most))
        return most;
    return static_cast<std::uint32_t>(timeout.count());
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

/* The settings of a resolver: cra_config with its defaults already set. */
inline cra_config default_config() noexcept
{
    cra_config config;
    cra_config_init(&config);
    return config;
}

/* Verifies TRACE/1.0 JSON Lines text; no resolver needed. A broken chain
 * is reported in the result (failure != CRA_CHAIN_VALID), not thrown. */
inline cra_verify_report verify_jsonl(std::string_view jsonl)
{
    cra_verify_report report{};
    detail::call([&](cra_error **err) { return cra_verify_jsonl(jsonl.data(), jsonl.size(), &report, err); },
                 CRA_ERR_CHAIN_INVALID); /* the report says where and why */
    return report;
}

inline std::string_view version() noexcept { return cra_version(); }
inline std::uint32_t abi_version() noexcept { return cra_abi_version(); }

/* Loaded atlases, sessions and their traces. Move-only; see cra.h for
 * what each call does and the statuses it throws. */
class Resolver {
public:
    explicit Resolver(const cra_config &config = default_config())
    {
        cra_resolver *raw = nullptr;
        detail::call([&](cra_error **err) { return cra_resolver_new(&config, &raw, err); });
        handle_.reset(raw);
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

    /* Returns the new session's id. */
    std::string begin_session(std::string_view agent_id, std::string_view goal)
    {
        const std::string c_agent = detail::c_text(agent_id, "agent_id");
        const std::string c_goal = detail::c_text(goal, "goal");
        char id[CRA_ID_BUF_LEN] = "";
        detail::call([&](cra_error **err) { return cra_session_begin(get(), c_agent.c_str(), c_goal.c_str(), id, err); });
        return id;
    }

    void end_session(std::string_view session_id, std::string_view reason)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        const std::string c_reason = detail::c_text(reason, "reason");
        detail::call([&](cra_error **err) { return cra_session_end(get(), c_session.c_str(), c_reason.c_str(), err); });
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

    bool is_trace_ready(std::string_view session_id)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        bool ready = false;
        detail::call([&](cra_error **err) { return cra_is_trace_ready(get(), c_session.c_str(), &ready, err); });
        return ready;
    }

    /* Throws CRA_ERR_TIMEOUT when the session's events are not stored in time. */
    void await_trace_ready(std::string_view session_id, std::chrono::milliseconds timeout)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        detail::call([&](cra_error **err) {
            return cra_await_trace_ready(get(), c_session.c_str(), detail::millis(timeout), err);
        });
    }

    void flush_traces(std::chrono::milliseconds timeout)
    {
        detail::call([&](cra_error **err) { return cra_flush_traces(get(), detail::millis(timeout), err); });
    }

    /* The session's whole trace (TRACE/1.0 JSON Lines), waiting up to
     * timeout for it to be stored (CRA_ERR_TIMEOUT otherwise). */
    Buffer trace(std::string_view session_id, std::chrono::milliseconds timeout)
    {
        return get_trace(session_id, CRA_TRACE_WAIT, timeout);
    }

    /* The events stored so far, at once (deferred mode may hold more). */
    Buffer partial_trace(std::string_view session_id)
    {
        return get_trace(session_id, CRA_TRACE_PARTIAL, std::chrono::milliseconds(0));
    }

    /* A broken chain is reported in the result, not thrown. */
    cra_verify_report verify_chain(std::string_view session_id)
    {
        const std::string c_session = detail::c_text(session_id, "session_id");
        cra_verify_report report{};
        detail::call([&](cra_error **err) { return cra_verify_chain(get(), c_session.c_str(), &report, err); },
                     CRA_ERR_CHAIN_INVALID); /* the report says where and why */
        return report;
    }

    cra_stats stats()
    {
        cra_stats stats{};
        detail::call([&](cra_error **err) { return cra_stats_get(get(), &stats, err); });
        return stats;
    }

private:
    struct ResolverFree {
        void operator()(cra_resolver *r) const noexcept { cra_resolver_free(r); }
    };

    Buffer get_trace(std::string_view session_id, std::uint32_t flags, std::chrono::milliseconds timeout)
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
