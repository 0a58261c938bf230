// The installed C++ wrapper works in a project of its own.
#include <cra.hpp>

#include <chrono>
#include <iostream>

int main()
{
    try {
        cra::Resolver resolver;
        const std::string session = resolver.begin_session("consumer", "use the installed wrapper");
        const cra::Buffer trace = resolver.trace(session, std::chrono::seconds(1));
        if (cra::verify_jsonl(trace.view()).failure != CRA_CHAIN_VALID)
            return 1;
        std::cout << "consumer_cxx: libcra " << cra::version() << "\n";
        return 0;
    } catch (const cra::Error &e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}
