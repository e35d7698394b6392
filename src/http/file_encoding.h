// How a dashboard file is prepared for serving: its content type, its ETag
// and its gzip form. Shared by the server (files from `--web-dir`) and the
// build (tools/embed_files.cc does the same once, at build time, for the
// files compiled into the binary), so both serve a file the same way.
//
// Depends on zlib and xxHash only (the build tool compiles this file on its
// own). Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace burnrate::http {

// "text/html; charset=utf-8" for "x.html", and so on; octet-stream if unknown.
std::string ContentTypeFor(std::string_view path);

// A strong ETag for these bytes: "\"<16 hex digits of XXH3-64>\"".
std::string EtagFor(std::string_view body);

// The gzip form of `body` (level 9, no timestamp: the same bytes give the
// same output) when its content type is text-like, it is over 256 bytes and
// compression makes it smaller; otherwise empty.
std::string GzipIfSmaller(std::string_view content_type, std::string_view body);

}  // namespace burnrate::http
