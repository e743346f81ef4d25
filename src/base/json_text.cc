#include "base/json_text.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

namespace vigil {
namespace {

// What each byte becomes inside a JSON string: 0 for itself, else the escape's second character
// ('u' for \u00xx).
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> e{};
  for (int c = 0; c < 0x20; ++c) e[static_cast<std::size_t>(c)] = 'u';
  e['\b'] = 'b';
  e['\f'] = 'f';
  e['\n'] = 'n';
  e['\r'] = 'r';
  e['\t'] = 't';
  e['"'] = '"';
  e['\\'] = '\\';
  return e;
}();

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
    return;
  }
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char e = kEscape[static_cast<unsigned char>(text[i])];
    if (e == 0) continue;
    out.append(text, run, i - run);
    run = i + 1;
    out += '\\';
    out += e;
    if (e == 'u') {
      constexpr char kHex[] = "0123456789abcdef";
      const auto c = static_cast<unsigned char>(text[i]);
      out += "00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out.append(text, run, std::string_view::npos);
  out += '"';
}

void AppendJsonInt(std::string& out, std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void AppendJsonUint(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void AppendJsonDouble(std::string& out, double value) {
  // Rare in audit events; nlohmann's own formatting keeps the two writers identical.
  out += nlohmann::json(value).dump();
}

}  // namespace vigil
