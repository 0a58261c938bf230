// quickstart.cpp — quickstart.c in C++17, with the wrapper in include/cra.hpp.
//
// Usage: quickstart_cpp [ATLAS.json [REQUEST-TEMPLATE.json]]
//
// The wrapper owns every handle and buffer (RAII) and turns every failed
// call into a cra::Error exception carrying the status, so the happy path
// reads straight through and nothing leaks when a call fails.
#include "cra.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef CRA_EXAMPLES_DATA_DIR
#define CRA_EXAMPLES_DATA_DIR "examples/data"
#endif

namespace {

std::string read_file(const std::string &path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error("cannot open " + path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// The current UTC time in RFC 3339, with microseconds.
std::string rfc3339_now()
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto micros = duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
    std::tm utc{};
    gmtime_r(&seconds, &utc); // POSIX: thread-safe, unlike std::gmtime
    char text[40];
    const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>(micros));
    return text;
}

// Replaces every {{NAME}} of the request template (see examples/data/request.json).
// Values go in verbatim: they must be valid inside a JSON string already.
std::string fill_template(std::string text, const std::vector<std::pair<std::string, std::string>> &values)
{
    for (const auto &[name, value] : values) {
        const std::string placeholder = "{{" + name + "}}";
        for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size()))
            text.replace(at, placeholder.size(), value);
    }
    return text;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 3) {
        std::cerr << "usage: " << argv[0] << " [ATLAS.json [REQUEST-TEMPLATE.json]]\n";
        return 2;
    }
    const std::string atlas_path = argc > 1 ? argv[1] : CRA_EXAMPLES_DATA_DIR "/billing.atlas.json";
    const std::string request_path = argc > 2 ? argv[2] : CRA_EXAMPLES_DATA_DIR "/request.json";

    try {
        std::cout << "libcra " << cra::version() << " (C ABI " << cra::abi_version() << ")\n";

        cra::Resolver resolver; // immediate mode, the defaults of cra::Config
        resolver.load_atlas_file(atlas_path);

        const std::string agent_id = "agent-7";
        const std::string session = resolver.begin_session(agent_id, "Settle a billing dispute");
        std::cout << "session " << session << " begun for " << agent_id << "\n";

        const std::string request = fill_template(read_file(request_path), {
                                                                                {"AGENT_ID", agent_id},
                                                                                {"SESSION_ID", session},
                                                                                {"REQUEST_ID", "req-1"},
                                                                                {"TIMESTAMP", rfc3339_now()},
                                                                            });
        const cra::Buffer resolution = resolver.resolve(request);
        std::cout << "\nresolution:\n" << resolution.view() << "\n\n";

        const cra::Buffer trace = resolver.trace(session, std::chrono::seconds(5));
        const cra::VerifyReport in_resolver = resolver.verify_chain(session);
        const cra::VerifyReport exported = cra::verify_jsonl(trace.view());
        std::cout << "trace: " << trace.size() << " bytes, " << in_resolver.events << " events, head "
                  << in_resolver.head_hash << "\n";
        if (!in_resolver.valid() || !exported.valid()) {
            std::cerr << "the trace does not verify: " << cra::name(exported.failure) << " at event "
                      << exported.first_bad_index << "\n";
            return 1;
        }
        std::cout << "both verifications agree: the chain is valid\n";

        resolver.end_session(session, "dispute settled");
        std::cout << "session ended\n";
        return 0;
    } catch (const cra::Error &e) {
        // e.what() starts with the status name; e.status() is the code.
        std::cerr << "libcra: " << e.what() << " (status " << e.status() << ")\n";
    } catch (const std::exception &e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return 1;
}
