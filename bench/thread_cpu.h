// CPU seconds used so far by this process's threads, summed by thread name
// (/proc/self/task/*/stat, fields 14 and 15: utime, stime). The server names
// its threads br-http, br-parse, br-committer, br-applier, br-tick; other
// threads keep the process's name. Shared by burnrate-loadgen and
// apply_bench, which report CPU per event by thread.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace burnrate::bench {

inline std::map<std::string, double> ThreadCpu() {
  std::map<std::string, double> out;
  static const double kTick = double(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));  // from field 3 on
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stod(field);
    out[line.substr(open + 1, close - open - 1)] += ticks / kTick;
  }
  return out;
}

}  // namespace burnrate::bench
