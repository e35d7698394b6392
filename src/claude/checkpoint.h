// The agent's durable record of how far each transcript file was shipped:
// (path, inode, byte offset of the next unshipped line, its line number).
//
// Saved only after the server acknowledged everything before the offsets, by
// writing a temporary file, fsync, rename over the old one and fsync of the
// directory, so a crash at any moment leaves either the old or the new
// checkpoint, never a torn one. Text format, one file per line:
//   burnrate-claude-checkpoint 1
//   <inode> <offset> <next_line> <path>
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace burnrate::claude {

struct FilePosition {
  uint64_t inode = 0;
  uint64_t offset = 0;
  uint32_t next_line = 1;
};

class Checkpoint {
 public:
  explicit Checkpoint(std::string path) : path_(std::move(path)) {}

  // A missing file is an empty checkpoint; a corrupt one is an error naming
  // the file and line.
  Status Load();
  Status Save() const;
  // Parses checkpoint text (what Load reads); errors name path():line.
  Status Parse(std::string_view text);

  std::map<std::string, FilePosition>& files() { return files_; }
  const std::map<std::string, FilePosition>& files() const { return files_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, FilePosition> files_;
};

}  // namespace burnrate::claude
