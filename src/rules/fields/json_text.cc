#include "rules/fields/json_text.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "event/audit_event.h"

namespace vigil::rules::fields {
namespace {

void AppendEscaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending unescaped run
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(u, sizeof(u));
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

template <typename T>
void AppendNumber(T v, std::string& out) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Walks the query-unescaping of `raw` (Go's encodeQueryComponent mode), calling emit(char) for
// each decoded byte. Returns false on a malformed %-escape.
template <typename Emit>
bool Unescape(std::string_view raw, Emit&& emit) {
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '+') {
      if (!emit(' ')) return true;
    } else if (c == '%') {
      if (i + 2 >= raw.size()) return false;
      int hi = HexValue(raw[i + 1]);
      int lo = HexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return false;
      if (!emit(static_cast<char>(hi * 16 + lo))) return true;
      i += 2;
    } else {
      if (!emit(c)) return true;
    }
  }
  return true;
}

// True when `raw`, query-unescaped, is a valid escape sequence equal to `want`.
bool UnescapedEquals(std::string_view raw, std::string_view want) {
  size_t pos = 0;
  bool equal = true;
  bool valid = Unescape(raw, [&](char c) {
    if (pos >= want.size() || want[pos] != c) {
      equal = false;
      return false;  // stop early; validity of the rest does not matter for a non-match
    }
    ++pos;
    return true;
  });
  return valid && equal && pos == want.size();
}

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

char* PutDigits(char* p, std::uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

void SplitTime(UnixNanos t, std::int64_t& days, std::uint64_t& secs_of_day, std::uint64_t& nanos) {
  std::int64_t secs = t / 1'000'000'000;
  std::int64_t ns = t % 1'000'000'000;
  if (ns < 0) {
    ns += 1'000'000'000;
    --secs;
  }
  days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  secs_of_day = static_cast<std::uint64_t>(sod);
  nanos = static_cast<std::uint64_t>(ns);
}

char* PutClock(char* p, std::uint64_t sod, std::uint64_t nanos) {
  p = PutDigits(p, sod / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, sod % 3600 / 60, 2);
  *p++ = ':';
  p = PutDigits(p, sod % 60, 2);
  *p++ = '.';
  return PutDigits(p, nanos, 9);
}

}  // namespace

std::optional<simdjson::dom::array> AsArray(std::optional<element> e) {
  if (!e) return std::nullopt;
  simdjson::dom::array arr;
  if (e->get_array().get(arr) != simdjson::SUCCESS) return std::nullopt;
  return arr;
}

std::string& TextBuffer() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

void AppendJson(element e, std::string& out) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      AppendEscaped(event::AsString(e), out);
      break;
    case simdjson::dom::element_type::INT64:
      AppendNumber(int64_t(e), out);
      break;
    case simdjson::dom::element_type::UINT64:
      AppendNumber(uint64_t(e), out);
      break;
    case simdjson::dom::element_type::DOUBLE:
      AppendNumber(double(e), out);
      break;
    case simdjson::dom::element_type::BOOL:
      out.append(bool(e) ? "true" : "false");
      break;
    case simdjson::dom::element_type::NULL_VALUE:
      out.append("null");
      break;
    case simdjson::dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (element item : simdjson::dom::array(e)) {
        if (!first) out.push_back(',');
        first = false;
        AppendJson(item, out);
      }
      out.push_back(']');
      break;
    }
    case simdjson::dom::element_type::OBJECT: {
      out.push_back('{');
      bool first = true;
      for (auto field : simdjson::dom::object(e)) {
        if (!first) out.push_back(',');
        first = false;
        AppendEscaped(field.key, out);
        out.push_back(':');
        AppendJson(field.value, out);
      }
      out.push_back('}');
      break;
    }
  }
}

std::string_view RenderNonString(element e, Scratch& scratch) {
  switch (e.type()) {
    case simdjson::dom::element_type::STRING:
      return event::AsString(e);
    case simdjson::dom::element_type::BOOL:
      return bool(e) ? std::string_view("true") : std::string_view("false");
    case simdjson::dom::element_type::NULL_VALUE:
      return "null";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: {
      char buf[32];
      std::to_chars_result res;
      if (e.is_int64()) {
        res = std::to_chars(buf, buf + sizeof(buf), int64_t(e));
      } else if (e.is_uint64()) {
        res = std::to_chars(buf, buf + sizeof(buf), uint64_t(e));
      } else {
        res = std::to_chars(buf, buf + sizeof(buf), double(e));
      }
      return scratch.Store(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
    }
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT: {
      std::string& buf = TextBuffer();
      AppendJson(e, buf);
      return scratch.Store(buf);
    }
  }
  return {};
}

std::string_view ImageRepository(std::string_view image) {
  if (size_t at = image.find('@'); at != std::string_view::npos) image = image.substr(0, at);
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    image = image.substr(0, colon);
  }
  return image;
}

std::string_view CleanPath(std::string_view path, Scratch& scratch) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::string& out = TextBuffer();
  if (rooted) out.push_back('/');
  const size_t base = out.size();  // ".." never climbs above this
  size_t i = 0;
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(i, end - i);
    i = end + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      std::string_view built(out.data() + base, out.size() - base);
      bool climbable = !built.empty() && built != ".." && !built.ends_with("/..");
      if (climbable) {
        size_t slash = out.rfind('/');
        out.resize(slash == std::string::npos || slash < base ? base : slash);
      } else if (!rooted) {
        if (out.size() > base) out.push_back('/');
        out.append("..");
      }
      continue;
    }
    if (out.size() > base) out.push_back('/');
    out.append(seg);
  }
  if (out.empty()) out.push_back('.');
  if (out == path) return path;
  return scratch.Store(out);
}

std::optional<std::string_view> QueryParam(std::string_view uri,
                                           std::string_view key,
                                           Scratch& scratch) {
  // url.Parse: the fragment goes first, then the query is what follows the first '?'.
  if (size_t hash = uri.find('#'); hash != std::string_view::npos) uri = uri.substr(0, hash);
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = uri.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!UnescapedEquals(raw_key, key)) continue;
    if (raw_value.find_first_of("%+") == std::string_view::npos) return raw_value;
    std::string& buf = TextBuffer();
    bool valid = Unescape(raw_value, [&](char c) {
      buf.push_back(c);
      return true;
    });
    if (!valid) continue;  // Go drops a pair whose value does not unescape
    return scratch.Store(buf);
  }
  return std::nullopt;
}

std::string_view FormatClock(UnixNanos t, char* buf) {
  std::int64_t days;
  std::uint64_t sod, nanos;
  SplitTime(t, days, sod, nanos);
  char* end = PutClock(buf, sod, nanos);
  return std::string_view(buf, static_cast<size_t>(end - buf));
}

std::string_view FormatIso8601(UnixNanos t, char* buf) {
  std::int64_t days;
  std::uint64_t sod, nanos;
  SplitTime(t, days, sod, nanos);
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char* p = buf;
  p = PutDigits(p, static_cast<std::uint64_t>(y < 0 ? 0 : y), 4);
  *p++ = '-';
  p = PutDigits(p, m, 2);
  *p++ = '-';
  p = PutDigits(p, d, 2);
  *p++ = 'T';
  p = PutClock(p, sod, nanos);
  *p++ = 'Z';
  return std::string_view(buf, static_cast<size_t>(p - buf));
}

}  // namespace vigil::rules::fields
