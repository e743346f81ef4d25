#include "event/redact.h"

#include <re2/re2.h>

#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "base/hash.h"

namespace vigil::event {
namespace {

using nlohmann::json;

std::string NormalizeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '-' || c == '_' || c == '.') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Credential words: a normalised key equal to one of these, or ending in one of the suffixes,
// names a credential. Names such as "secretName" or "tokenExpirationSeconds" do not match.
constexpr std::string_view kExactKeys[] = {
    "authorization", "proxyauthorization", "token",        "accesstoken", "refreshtoken",
    "idtoken",       "bearertoken",        "password",     "passwd",      "passphrase",
    "secret",        "clientsecret",       "apikey",       "secretkey",   "secretaccesskey",
    "privatekey",    "credentials",        "credential",   "sessiontoken", "xapikey",
    "cookie",        "setcookie",
};
constexpr std::string_view kSuffixes[] = {"password", "passwd", "secret", "token", "apikey",
                                          "privatekey", "secretkey", "secretaccesskey"};

const RE2& InlinePatterns() {
  // Alternatives, each capturing the part to keep in group 1 and the credential in group 2.
  static const RE2 re(
      R"((?i)((?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{8,}))"
      R"(|()(eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*))"
      R"(|()(-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----))"
      R"(|((?:[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)[A-Za-z0-9_.-]*)\s*[:=]\s*"?)([^\s",;&]+))");
  return re;
}

std::string ReplaceAll(std::string_view text) {
  const RE2& re = InlinePatterns();
  const int groups = re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> m(static_cast<size_t>(groups) + 1);
  std::string out;
  size_t pos = 0;
  re2::StringPiece input(text.data(), text.size());
  while (pos <= text.size() &&
         re.Match(input, pos, text.size(), RE2::UNANCHORED, m.data(), groups + 1)) {
    // Find the alternative that matched: the first non-null (keep, secret) pair.
    size_t keep_end = 0, secret_begin = 0, secret_end = 0;
    bool found = false;
    for (int g = 1; g + 1 <= groups; g += 2) {
      if (m[static_cast<size_t>(g + 1)].data() != nullptr) {
        const auto& keep = m[static_cast<size_t>(g)];
        const auto& secret = m[static_cast<size_t>(g + 1)];
        keep_end = keep.data() ? static_cast<size_t>(keep.data() - text.data()) + keep.size()
                               : static_cast<size_t>(secret.data() - text.data());
        secret_begin = static_cast<size_t>(secret.data() - text.data());
        secret_end = secret_begin + secret.size();
        found = true;
        break;
      }
    }
    size_t match_begin = static_cast<size_t>(m[0].data() - text.data());
    size_t match_end = match_begin + m[0].size();
    if (!found || match_end == match_begin) {
      if (match_end >= text.size()) break;
      out.append(text.substr(pos, match_end + 1 - pos));
      pos = match_end + 1;
      continue;
    }
    out.append(text.substr(pos, keep_end - pos));
    out.append(text.substr(keep_end, secret_begin - keep_end));
    out.append(kRedacted);
    pos = secret_end;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

struct Context {
  bool secret_object = false;   // the event is about Secrets
  bool token_subresource = false;
  bool token_review = false;
  bool config_map = false;
};

json Convert(simdjson::dom::element e, const Context& ctx, int depth, std::string_view path);

json ConvertObject(simdjson::dom::object obj, const Context& ctx, int depth,
                   std::string_view path) {
  json out = json::object();
  for (auto field : obj) {
    std::string key(field.key);
    std::string child_path = std::string(path) + "/" + key;
    bool redact = false;
    if (field.value.is_string() && IsCredentialKey(key)) redact = true;
    // Secret bodies: data/stringData at the object root or in items[] entries.
    if (ctx.secret_object && (key == "data" || key == "stringData")) redact = true;
    if (ctx.secret_object && key == "kubectl.kubernetes.io/last-applied-configuration") {
      redact = true;
    }
    if (ctx.config_map && path.ends_with("/data") && field.value.is_string() &&
        IsCredentialKey(key)) {
      redact = true;
    }
    if (redact) {
      out[key] = std::string(kRedacted);
    } else {
      out[key] = Convert(field.value, ctx, depth + 1, child_path);
    }
  }
  return out;
}

json Convert(simdjson::dom::element e, const Context& ctx, int depth, std::string_view path) {
  if (depth > 200) return std::string("[omitted: nested too deeply]");
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      return ConvertObject(obj, ctx, depth, path);
    }
    case simdjson::dom::element_type::ARRAY: {
      json arr = json::array();
      simdjson::dom::array items = e.get_array().value_unsafe();
      for (auto child : items) {
        arr.push_back(Convert(child, ctx, depth + 1, path));
      }
      return arr;
    }
    case simdjson::dom::element_type::STRING:
      return RedactText(e.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64:
      return e.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return e.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return e.get_double().value_unsafe();
    case simdjson::dom::element_type::BOOL:
      return e.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

bool IsCredentialKey(std::string_view key) {
  std::string k = NormalizeKey(key);
  for (auto exact : kExactKeys) {
    if (k == exact) return true;
  }
  for (auto suffix : kSuffixes) {
    if (k.size() > suffix.size() && k.ends_with(suffix)) return true;
  }
  return false;
}

namespace {

// Whether `text` contains one of the words every credential pattern needs (case-insensitive):
// bearer, basic, eyj (a JWT), -----begin (PEM), pass, secret, token, key, credential. Most text
// (names, paths, verbs, addresses, user agents) has none and skips the regular expression. One
// pass: only positions whose character can start a word are compared.
constexpr std::string_view kNeedles[] = {"bearer", "basic",  "eyj",   "-----begin", "pass",
                                          "secret", "token", "key", "credential"};

// For each byte: the needles (bit i: kNeedles[i]) that start with it, in either case.
constexpr std::array<std::uint16_t, 256> kNeedleStarts = [] {
  std::array<std::uint16_t, 256> starts{};
  for (size_t i = 0; i < std::size(kNeedles); ++i) {
    const char c = kNeedles[i][0];
    starts[static_cast<unsigned char>(c)] |= static_cast<std::uint16_t>(1u << i);
    if (c >= 'a' && c <= 'z') {
      starts[static_cast<unsigned char>(c - 'a' + 'A')] |= static_cast<std::uint16_t>(1u << i);
    }
  }
  return starts;
}();

bool MayHoldCredential(std::string_view text) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; };
  for (size_t i = 0; i < text.size(); ++i) {
    std::uint16_t candidates = kNeedleStarts[static_cast<unsigned char>(text[i])];
    while (candidates != 0) {
      const std::string_view needle = kNeedles[std::countr_zero(candidates)];
      candidates &= static_cast<std::uint16_t>(candidates - 1);
      if (text.size() - i < needle.size()) continue;
      size_t j = 1;
      while (j < needle.size() && lower(text[i + j]) == needle[j]) ++j;
      if (j == needle.size()) return true;
    }
  }
  return false;
}

}  // namespace

std::string RedactText(std::string_view text) {
  if (!MayHoldCredential(text)) return std::string(text);
  return ReplaceAll(text);
}

void AppendRedactedText(std::string_view text, std::string& out) {
  if (!MayHoldCredential(text)) {
    out.append(text);
  } else {
    out.append(ReplaceAll(text));
  }
}

const std::string& RedactMemo::Redact(std::string_view text) {
  Answer& a = answers_[FastHash64(text) % answers_.size()];
  if (!a.valid || text != a.input) {
    a.input.assign(text);
    a.output.clear();
    AppendRedactedText(text, a.output);
    a.valid = true;
  }
  return a.output;
}

std::string RedactedJson(const AuditEvent& ev) {
  Context ctx;
  std::string_view resource = ev.resource();
  ctx.secret_object = resource == "secrets";
  ctx.token_subresource = resource == "serviceaccounts" && ev.subresource() == "token";
  ctx.token_review = resource == "tokenreviews";
  ctx.config_map = resource == "configmaps";
  json doc = Convert(ev.root(), ctx, 0, "");
  if (ctx.token_subresource && doc.contains("responseObject")) {
    auto& resp = doc["responseObject"];
    if (resp.is_object() && resp.contains("status") && resp["status"].is_object() &&
        resp["status"].contains("token")) {
      resp["status"]["token"] = std::string(kRedacted);
    }
  }
  std::string out = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > kMaxEvidenceBytes) {
    for (const char* body : {"requestObject", "responseObject"}) {
      if (doc.contains(body)) {
        size_t size = doc[body].dump(-1, ' ', false, json::error_handler_t::replace).size();
        doc[body] = "[omitted: " + std::to_string(size) + " bytes]";
      }
    }
    out = doc.dump(-1, ' ', false, json::error_handler_t::replace);
    if (out.size() > kMaxEvidenceBytes) {
      json small = json::object();
      small["auditID"] = std::string(ev.audit_id());
      small["stage"] = std::string(ev.stage_name());
      small["verb"] = std::string(ev.verb());
      small["note"] = "[omitted: event of " + std::to_string(out.size()) + " bytes]";
      out = small.dump();
    }
  }
  return out;
}

}  // namespace vigil::event
