// The browser console's files (web/), embedded into the binary at build time by
// cmake/EmbedAssets.cmake, and how `vigil serve` serves them (docs/console.md).
//
//   GET /            index.html
//   GET /ui/PATH     the file web/PATH (scripts, styles)
//
// Every URL inside the console is relative, so it works unchanged behind a reverse proxy that
// strips a path prefix (https://proxy/vigil/ → http://vigil:8765/). Every answer carries a strict
// Content-Security-Policy (scripts and styles only from the server itself, no inline script, no
// eval, no framing), nosniff and no-referrer, and an ETag; If-None-Match gets 304.
#ifndef VIGIL_SERVER_CONSOLE_ASSETS_H_
#define VIGIL_SERVER_CONSOLE_ASSETS_H_

#include <span>
#include <string_view>

namespace vigil::server {

struct ConsoleAsset {
  std::string_view path;          // relative to web/, e.g. "index.html", "js/app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          // quoted, from the file's SHA-256
  std::string_view body;
};

// Every embedded file, sorted by path (generated).
std::span<const ConsoleAsset> EmbeddedConsoleAssets();

// The embedded file at `path`, or nullptr.
const ConsoleAsset* FindConsoleAsset(std::string_view path);

// The Content-Security-Policy the console is served with.
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

}  // namespace vigil::server

#endif  // VIGIL_SERVER_CONSOLE_ASSETS_H_
