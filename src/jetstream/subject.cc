#include "jetstream/subject.h"

namespace vigil::jetstream {
namespace {

bool Plain(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ClusterToken(std::string_view cluster) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(cluster.size());
  for (char c : cluster) {
    if (Plain(c)) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    }
  }
  return out;
}

std::optional<std::string> ClusterFromToken(std::string_view token) {
  if (token.empty()) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (Plain(c)) {
      out.push_back(c);
      continue;
    }
    if (c != '%' || i + 2 >= token.size()) return std::nullopt;
    const int hi = HexDigit(token[i + 1]);
    const int lo = HexDigit(token[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (Plain(decoded)) return std::nullopt;  // ClusterToken never escapes these
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

std::string SubjectFor(std::string_view prefix, std::string_view cluster) {
  std::string s(prefix);
  s.push_back('.');
  s += ClusterToken(cluster);
  return s;
}

std::optional<std::string> ClusterOfSubject(std::string_view prefix, std::string_view subject) {
  if (subject.size() <= prefix.size() + 1 || subject.substr(0, prefix.size()) != prefix ||
      subject[prefix.size()] != '.') {
    return std::nullopt;
  }
  return ClusterFromToken(subject.substr(prefix.size() + 1));
}

std::string ConsumerNameFor(std::string_view cluster) {
  std::string name = "vigil-" + ClusterToken(cluster);
  for (char& c : name) {
    if (c == '%') c = '=';
  }
  return name;
}

bool IsValidSubjectPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 128) return false;
  bool token_empty = true;
  for (char c : prefix) {
    if (c == '.') {
      if (token_empty) return false;
      token_empty = true;
    } else if (Plain(c)) {
      token_empty = false;
    } else {
      return false;
    }
  }
  return !token_empty;
}

bool IsValidStreamName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!Plain(c)) return false;
  }
  return true;
}

}  // namespace vigil::jetstream
