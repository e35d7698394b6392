// The prompt text `burnrate-loadgen --prompts` puts on every event: about
// 330 bytes of instructions, different for every n (a ticket number and a
// verb and object cycle through), with little repetition inside one prompt,
// as typed prompts are. detect_bench and ingest_bench measure the features
// on the same text, so their figures and the loadgen's compare.
#pragma once

#include <cstdint>
#include <string>

namespace burnrate::bench {

inline std::string LoadgenPrompt(int64_t n) {
  static const char* kVerbs[] = {"refactor", "fix", "explain", "add tests for", "speed up", "document"};
  static const char* kThings[] = {"the retry loop in the payment client", "the flaky integration test",
                                  "the SQL query behind the monthly report", "the websocket reconnect logic",
                                  "the feature flag parser", "the image resize worker"};
  return std::string("Please ") + kVerbs[n % 6] + " " + kThings[(n / 6) % 6] + " (ticket " + std::to_string(n) +
         "); keep the public API unchanged, follow the style guide, and explain any behaviour change in the "
         "commit message. Run the unit tests and the linter before you finish, and list what you changed.";
}

}  // namespace burnrate::bench
