// The installed C++ wrapper in a project of its own: resolve one request
// and verify the trace.
//
//   consumer_cxx ATLAS.json
#include <cra.hpp>

#include <chrono>
#include <ctime>
#include <iostream>
#include <string>

namespace {

std::string rfc3339_now()
{
    const std::time_t seconds = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " ATLAS.json\n";
        return 2;
    }
    try {
        cra::Resolver resolver(cra::Config().trace_mode(cra::TraceMode::deferred));
        resolver.load_atlas_file(argv[1]);
        const std::string session = resolver.begin_session("consumer", "Look up a customer");
        const std::string request = R"({"carp_version": "1.0", "request_id": "req-1", "timestamp": ")" +
                                    rfc3339_now() + R"(", "operation": "resolve", "requester": {"agent_id": "consumer", )" +
                                    R"("session_id": ")" + session +
                                    R"("}, "task": {"goal": "Look up a customer", "risk_tier": "low"}})";
        const cra::Buffer resolution = resolver.resolve(request);
        const cra::Buffer trace = resolver.trace(session, std::chrono::seconds(5));
        const cra::VerifyReport report = cra::verify_jsonl(trace.view());
        if (!report.valid()) {
            std::cerr << "consumer_cxx: " << cra::name(report.failure) << " at event " << report.first_bad_index << "\n";
            return 1;
        }
        std::cout << "consumer_cxx: libcra " << cra::version() << " resolved a request; " << report.events
                  << " events verify\n";
        return 0;
    } catch (const cra::Error &e) {
        std::cerr << "consumer_cxx: " << e.what() << "\n";
        return 1;
    }
}
