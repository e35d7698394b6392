// The dashboard's static files: an in-memory, pre-compressed file server.
//
// Two sources, one behaviour. Normally the files are the ones compiled into
// the binary (EmbeddedDashboard(), from web/dist at build time), so serving
// them never touches the file system. For dashboard development,
// `burnrate serve --web-dir DIR` serves them from disk instead, re-read when
// a file changes (a new `make web` under a running server).
//
// Each file is hashed for an ETag and gzip-compressed once (level 9, only
// when that makes it smaller; http/file_encoding.h), at build time for the
// compiled-in files, then served from memory. "/" is index.html; a
// path with no file behind it falls back to index.html (the app routes on
// the client); a missing hashed asset under /assets/ is a 404. Hashed assets
// are cached by browsers for a year; everything else is revalidated (ETag,
// 304).
//
// Paths: only plain names are served. StaticPath() refuses, with a 404,
// anything that is not "/" followed by '/'-separated names of letters,
// digits and "-_.~@+=," (no name starting with '.', no empty name as in
// "//", no '%' escapes, backslash or NUL). On disk, ResolveBeneath() then
// resolves the name against the canonical root, symlinks included, and
// accepts only a regular file beneath that root.
//
// Thread-safety: Serve() may be called from any number of threads.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/file_encoding.h"
#include "http/http.h"

namespace burnrate::http {

// One file compiled into the binary, prepared at build time
// (tools/embed_files.cc writes the table, with http/file_encoding.h).
struct EmbeddedFile {
  std::string_view path;  // relative to the dashboard root: "index.html", "assets/x.js"
  std::string_view content_type;
  std::string_view bytes;
  std::string_view gzip;  // empty when compression would not help
  std::string_view etag;  // with its quotes
};

// The dashboard as web/dist held it when this binary was built; empty when
// it was built without `make web`. Defined in a generated source file.
std::span<const EmbeddedFile> EmbeddedDashboard();

// The root-relative file name for a request path ("/" is "index.html"), or
// NotFound when the path is not one a dashboard file can have (see above).
// Works on the raw request target: the router never percent-decodes paths.
Result<std::string> StaticPath(std::string_view request_path);

// The canonical path of the regular file `rel` names beneath `canonical_root`
// (which must itself be canonical), following symlinks only as far as they
// stay beneath it. NotFound when nothing is there; InvalidArgument when
// something is but may not be served (an absolute or climbing `rel`, a
// symlink out of the root, a directory, a device).
Result<std::filesystem::path> ResolveBeneath(const std::filesystem::path& canonical_root,
                                             std::string_view rel);

class StaticFiles {
 public:
  // Serves `files` from memory. Without an index.html among them (a build
  // without the web part), "/" is a short page saying how to build it.
  explicit StaticFiles(std::span<const EmbeddedFile> files);
  // Development (`--web-dir`): serves the files beneath `root` on disk.
  explicit StaticFiles(std::filesystem::path root);

  // Answers a GET/HEAD for req.path: 200 with the file (gzip when the
  // client accepts it), 304 when If-None-Match matches, 404 with a JSON
  // error for a refused path, a missing asset, a file that may not be
  // served (from disk: a symlink out, a directory), or no dashboard at the
  // root (from disk).
  Response Serve(const Request& req);

 private:
  struct File {
    std::string body;
    std::string gzip;  // empty when compression would not help
    std::string etag;
    std::string content_type;
    int64_t mtime_ns = 0;  // from disk: to notice a rewritten file
    int64_t size = 0;
  };
  using FilePtr = std::shared_ptr<const File>;
  static std::shared_ptr<File> MakeFile(std::string_view rel, std::string body);
  // nullptr when there is no such file; an error when there is one that
  // may not be served.
  Result<FilePtr> Load(const std::string& rel);
  Result<FilePtr> LoadFromDisk(const std::filesystem::path& canonical_root, const std::string& rel);

  std::filesystem::path root_;  // empty: the embedded files
  std::mutex mu_;               // guards cache_ when serving from disk; embedded, it never changes
  std::unordered_map<std::string, FilePtr> cache_;
};

}  // namespace burnrate::http
