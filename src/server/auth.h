// Bearer tokens for the webhook and the API, read from files (never from the command line).
//
// API token file, one token per line:      TOKEN ROLE [NAME]     ROLE is `read` or `admin`
// Webhook token file, one token per line:  TOKEN [CLUSTER]       CLUSTER names the caller's cluster
// Blank lines and lines starting with '#' are ignored. Tokens are kept only as SHA-256 digests and
// compared in constant time; no error message or log line ever contains one.
//
// Thread-safety: immutable after loading; share freely.
#ifndef VIGIL_SERVER_AUTH_H_
#define VIGIL_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::server {

enum class Role { kRead, kAdmin };

struct TokenEntry {
  std::array<std::uint8_t, 32> digest{};
  Role role = Role::kRead;
  std::string name;  // API: who (the actor of workflow changes); webhook: the cluster, may be empty
};

class TokenSet {
 public:
  // Errors: kIo when the file cannot be read; kConfig naming the line (never its token) when a
  // line is malformed or the file holds no token.
  static Result<TokenSet> LoadApiTokens(const std::string& path);
  static Result<TokenSet> LoadWebhookTokens(const std::string& path);
  // The same from text already read (for tests and the fuzz target).
  static Result<TokenSet> ParseApiTokens(std::string_view text, std::string_view source);
  static Result<TokenSet> ParseWebhookTokens(std::string_view text, std::string_view source);

  // The entry whose token is `presented`, or nullptr. Every entry is compared (constant time).
  const TokenEntry* Find(std::string_view presented) const;
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

 private:
  std::vector<TokenEntry> entries_;
};

// The token of an "Authorization: Bearer TOKEN" header value; nullopt for anything else.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// True for a cluster name vigil accepts from a caller: 1-63 of [A-Za-z0-9._-].
bool IsValidClusterName(std::string_view name);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_AUTH_H_
