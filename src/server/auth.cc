#include "server/auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

namespace vigil::server {
namespace {

std::array<std::uint8_t, 32> Digest(std::string_view token) {
  std::array<std::uint8_t, 32> d{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  return d;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Result<std::string> ReadAll(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, fmt::format("cannot read {} '{}'", what, path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename LineFn>
Status ForEachLine(std::string_view text, std::string_view source, LineFn fn) {
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
    ++line_no;
    auto fields = Fields(line);
    if (!fields.empty() && fields[0][0] != '#') {
      VIGIL_TRY_STATUS(fn(fields, SourcePos{std::string(source), line_no, 0}));
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return Ok();
}

}  // namespace

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<TokenSet> TokenSet::ParseApiTokens(std::string_view text, std::string_view source) {
  TokenSet set;
  VIGIL_TRY_STATUS(ForEachLine(text, source, [&](const auto& f, SourcePos pos) -> Status {
    if (f.size() < 2 || f.size() > 3 || (f[1] != "read" && f[1] != "admin")) {
      return MakeError(ErrorCode::kConfig,
                       "expected 'TOKEN ROLE [NAME]' with ROLE read or admin (the token is not "
                       "shown)",
                       pos);
    }
    TokenEntry e;
    e.digest = Digest(f[0]);
    e.role = f[1] == "admin" ? Role::kAdmin : Role::kRead;
    e.name = f.size() == 3 ? std::string(f[2]) : fmt::format("token@{}", pos.line);
    set.entries_.push_back(std::move(e));
    return Ok();
  }));
  if (set.empty()) {
    return MakeError(ErrorCode::kConfig, "the API token file holds no token",
                     SourcePos{std::string(source), 0, 0});
  }
  return set;
}

Result<TokenSet> TokenSet::ParseWebhookTokens(std::string_view text, std::string_view source) {
  TokenSet set;
  VIGIL_TRY_STATUS(ForEachLine(text, source, [&](const auto& f, SourcePos pos) -> Status {
    if (f.size() > 2 || (f.size() == 2 && !IsValidClusterName(f[1]))) {
      return MakeError(ErrorCode::kConfig,
                       "expected 'TOKEN [CLUSTER]', CLUSTER 1-63 of A-Z a-z 0-9 . _ - (the token "
                       "is not shown)",
                       pos);
    }
    TokenEntry e;
    e.digest = Digest(f[0]);
    e.role = Role::kRead;
    if (f.size() == 2) e.name = std::string(f[1]);
    set.entries_.push_back(std::move(e));
    return Ok();
  }));
  if (set.empty()) {
    return MakeError(ErrorCode::kConfig, "the webhook token file holds no token",
                     SourcePos{std::string(source), 0, 0});
  }
  return set;
}

Result<TokenSet> TokenSet::LoadApiTokens(const std::string& path) {
  VIGIL_TRY(std::string text, ReadAll(path, "API token file"));
  return ParseApiTokens(text, path);
}

Result<TokenSet> TokenSet::LoadWebhookTokens(const std::string& path) {
  VIGIL_TRY(std::string text, ReadAll(path, "webhook token file"));
  return ParseWebhookTokens(text, path);
}

const TokenEntry* TokenSet::Find(std::string_view presented) const {
  const auto d = Digest(presented);
  const TokenEntry* found = nullptr;
  for (const auto& e : entries_) {
    if (CRYPTO_memcmp(e.digest.data(), d.data(), d.size()) == 0 && found == nullptr) found = &e;
  }
  return found;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() <= kPrefix.size()) return std::nullopt;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    char a = authorization[i];
    char b = kPrefix[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return std::nullopt;
  }
  std::string_view token = authorization.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\r')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

}  // namespace vigil::server
