// The dashboard's static files: an in-memory, pre-compressed file server.
//
// A single-page app is a handful of files fetched on every first visit, so
// each file is read once, hashed for an ETag and gzip-compressed once (level
// 9, only when that makes it smaller), then served from memory: a request
// costs a stat and a map lookup, never a disk read or a compression. A file changed on
// disk (a new `make web` under a running server) is picked up by comparing
// its modification time and size on each request.
//
// Paths: "/" is index.html; a path with no file behind it falls back to
// index.html (the app routes on the client); anything trying to climb out of
// the root ("..", NUL, backslash) is 404. Hashed files under /assets/ are
// cached by browsers for a year; everything else is revalidated (ETag, 304).
//
// Thread-safety: Serve() may be called from any number of threads.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "http/http.h"

namespace burnrate::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}

  // Answers a GET/HEAD for req.path: 200 with the file (gzip when the
  // client accepts it), 304 when If-None-Match matches, 404 with a JSON
  // error when there is no dashboard at the root.
  Response Serve(const Request& req);

 private:
  struct File {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    std::string body;
    std::string gzip;  // empty when compression would not help
    std::string etag;
    std::string content_type;
  };
  std::shared_ptr<const File> Load(const std::string& rel);

  std::filesystem::path root_;
  std::mutex mu_;  // guards cache_
  std::unordered_map<std::string, std::shared_ptr<const File>> cache_;
};

// "text/html; charset=utf-8" for "x.html", and so on; octet-stream if unknown.
std::string ContentTypeFor(std::string_view path);

}  // namespace burnrate::http
