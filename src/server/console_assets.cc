// Serves the embedded console (console_assets.h): `/` and `/ui/...`, with the security headers
// and ETag revalidation.
#include "server/console_assets.h"

#include <algorithm>
#include <string>

#include "server/http_context.h"

namespace vigil::server {

const ConsoleAsset* FindConsoleAsset(std::string_view path) {
  auto assets = EmbeddedConsoleAssets();
  auto it = std::find_if(assets.begin(), assets.end(),
                         [&](const ConsoleAsset& a) { return a.path == path; });
  return it == assets.end() ? nullptr : &*it;
}

namespace {

void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("Content-Security-Policy", std::string(kConsoleCsp));
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

// True when the request's If-None-Match lists `etag` (or is "*").
bool Matches(const httplib::Request& req, std::string_view etag) {
  const std::string inm = req.get_header_value("If-None-Match");
  if (inm.empty()) return false;
  if (inm == "*") return true;
  std::string_view rest = inm;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view one = rest.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one.starts_with("W/")) one.remove_prefix(2);
    if (one == etag) return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

void Serve(const ConsoleAsset* asset, const httplib::Request& req, httplib::Response& res) {
  SetSecurityHeaders(res);
  if (asset == nullptr) {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  res.set_header("ETag", std::string(asset->etag));
  // Revalidate every time: a new vigil build must never run with yesterday's scripts.
  res.set_header("Cache-Control", "no-cache");
  if (Matches(req, asset->etag)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(asset->body.data(), asset->body.size(), std::string(asset->content_type));
}

}  // namespace

void RegisterConsoleAssets(httplib::Server& http) {
  auto index = [](const httplib::Request& req, httplib::Response& res) {
    Serve(FindConsoleAsset("index.html"), req, res);
  };
  http.Get("/", index);
  http.Get("/index.html", index);
  http.Get(R"(/ui/([A-Za-z0-9_./-]{1,200}))",
           [](const httplib::Request& req, httplib::Response& res) {
             const std::string path = req.matches[1].str();
             // No way out of web/: only the embedded names exist, but refuse dot segments outright.
             const bool dotted = path.find("..") != std::string::npos || path.starts_with("/");
             Serve(dotted ? nullptr : FindConsoleAsset(path), req, res);
           });
}

}  // namespace vigil::server
