#include "event/redact.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/json_text.h"

namespace vigil::event {
namespace {

constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
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
// The longest of those words: IsCredentialKey keeps no more of a key.
constexpr size_t kLongestWord = [] {
  size_t longest = 0;
  for (auto w : kExactKeys) longest = std::max(longest, w.size());
  for (auto w : kSuffixes) longest = std::max(longest, w.size());
  return longest;
}();
// The shortest of them, and the letters they end in: most keys are ruled out by their length or
// their last letter before the comparisons.
constexpr size_t kShortestWord = [] {
  size_t shortest = SIZE_MAX;
  for (auto w : kExactKeys) shortest = std::min(shortest, w.size());
  for (auto w : kSuffixes) shortest = std::min(shortest, w.size());
  return shortest;
}();
constexpr std::array<bool, 256> kLastLetters = [] {
  std::array<bool, 256> last{};
  for (auto w : kExactKeys) last[static_cast<unsigned char>(w.back())] = true;
  for (auto w : kSuffixes) last[static_cast<unsigned char>(w.back())] = true;
  return last;
}();

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

}  // namespace

bool IsCredentialKey(std::string_view key) {
  // The key normalised (without '-', '_' and '.', ASCII letters lower-cased) is compared whole
  // with the exact words and by its end with the suffixes: only its length and its last
  // kLongestWord characters matter, kept here from the end without building the whole of it.
  if (key.size() < kShortestWord) return false;
  size_t end = key.size();  // past the last character that normalisation keeps
  while (end > 0 && (key[end - 1] == '-' || key[end - 1] == '_' || key[end - 1] == '.')) --end;
  if (end == 0) return false;
  if (!kLastLetters[static_cast<unsigned char>(AsciiLower(key[end - 1]))]) return false;
  char tail[kLongestWord];
  size_t length = 0;  // of the whole normalised key
  for (size_t i = end; i-- > 0;) {
    const char c = key[i];
    if (c == '-' || c == '_' || c == '.') continue;
    if (length < kLongestWord) tail[kLongestWord - 1 - length] = AsciiLower(c);
    ++length;
  }
  const size_t kept = std::min(length, kLongestWord);
  const std::string_view k(tail + (kLongestWord - kept), kept);
  for (auto exact : kExactKeys) {
    if (length == exact.size() && k == exact) return true;
  }
  for (auto suffix : kSuffixes) {
    if (length > suffix.size() && k.ends_with(suffix)) return true;
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

namespace {

// One member of an object being written, with its place among the object's members.
struct ObjectMember {
  std::string_view key;
  simdjson::dom::element value;
  std::uint32_t index;
};

// Writes an event's redacted evidence straight from its simdjson DOM, as compact JSON text that is
// byte for byte what the earlier implementation printed (it built a nlohmann::json tree and
// dump()ed it, and stored text must not change): object keys in byte order, a key that occurs twice
// keeping its last value, invalid UTF-8 replaced by U+FFFD.
class EvidenceWriter {
 public:
  // Whose members the object being written is, for the TokenRequest patch: the event root, its
  // `responseObject`, or that object's `status` (whose `token` is replaced whatever its type).
  enum class Patch : std::uint8_t { kNone, kRoot, kResponseObject, kStatus };

  // Where a body member's value was written at the root, for the size cap.
  struct Span {
    size_t begin = 0;
    size_t end = 0;
    bool present = false;
  };

  EvidenceWriter(const AuditEvent& ev, std::string& out, std::vector<ObjectMember>& members)
      : out_(out), members_(members) {
    const std::string_view resource = ev.resource();
    secret_object_ = resource == "secrets";
    token_subresource_ = resource == "serviceaccounts" && ev.subresource() == "token";
  }

  void WriteRoot(simdjson::dom::element root) {
    if (root.type() == simdjson::dom::element_type::OBJECT) {
      WriteObject(root.get_object().value_unsafe(), 0,
                  token_subresource_ ? Patch::kRoot : Patch::kNone, true);
    } else {
      Write(root, 0);
    }
  }

  const Span& request_object() const { return request_object_; }
  const Span& response_object() const { return response_object_; }

 private:
  void Write(simdjson::dom::element e, int depth) {
    if (depth > 200) {
      AppendJsonString(out_, "[omitted: nested too deeply]");
      return;
    }
    switch (e.type()) {
      case simdjson::dom::element_type::OBJECT:
        WriteObject(e.get_object().value_unsafe(), depth, Patch::kNone, false);
        return;
      case simdjson::dom::element_type::ARRAY: {
        out_ += '[';
        bool first = true;
        const simdjson::dom::array items = e.get_array().value_unsafe();
        for (simdjson::dom::element child : items) {
          if (!first) out_ += ',';
          first = false;
          Write(child, depth + 1);
        }
        out_ += ']';
        return;
      }
      case simdjson::dom::element_type::STRING:
        WriteText(e.get_string().value_unsafe());
        return;
      case simdjson::dom::element_type::INT64:
        AppendJsonInt(out_, e.get_int64().value_unsafe());
        return;
      case simdjson::dom::element_type::UINT64:
        AppendJsonUint(out_, e.get_uint64().value_unsafe());
        return;
      case simdjson::dom::element_type::DOUBLE:
        AppendJsonDouble(out_, e.get_double().value_unsafe());
        return;
      case simdjson::dom::element_type::BOOL:
        out_ += e.get_bool().value_unsafe() ? "true" : "false";
        return;
      case simdjson::dom::element_type::NULL_VALUE:
        break;
    }
    out_ += "null";
  }

  void WriteText(std::string_view text) {
    if (!MayHoldCredential(text)) {
      AppendJsonString(out_, text);
    } else {
      AppendJsonString(out_, ReplaceAll(text));
    }
  }

  // The object's members go on the shared `members_` stack (above those of the objects being
  // written around it), are sorted by key there and popped when done: no allocation per object
  // once the stack has grown.
  void WriteObject(simdjson::dom::object obj, int depth, Patch patch, bool root) {
    const size_t base = members_.size();
    std::uint32_t index = 0;
    bool sorted = true;  // strictly increasing keys: nothing to sort, no duplicates
    for (auto field : obj) {
      if (sorted && members_.size() > base && !(members_.back().key < field.key)) sorted = false;
      members_.push_back(ObjectMember{field.key, field.value, index++});
    }
    if (!sorted) {
      std::sort(members_.begin() + static_cast<std::ptrdiff_t>(base), members_.end(),
                [](const ObjectMember& a, const ObjectMember& b) {
                  return a.key != b.key ? a.key < b.key : a.index < b.index;
                });
    }
    out_ += '{';
    bool first = true;
    for (size_t i = base; i < members_.size(); ++i) {
      // Of a key's occurrences, the last one (sorted last) stands.
      if (i + 1 < members_.size() && members_[i + 1].key == members_[i].key) continue;
      const ObjectMember m = members_[i];  // a copy: writing the value may grow the stack
      if (!first) out_ += ',';
      first = false;
      AppendJsonString(out_, m.key);
      out_ += ':';
      const size_t value_begin = out_.size();
      if (Redacts(m, patch)) {
        AppendJsonString(out_, kRedacted);
      } else {
        Patch child_patch = Patch::kNone;
        if (patch == Patch::kRoot && m.key == "responseObject")
          child_patch = Patch::kResponseObject;
        if (patch == Patch::kResponseObject && m.key == "status") child_patch = Patch::kStatus;
        if (child_patch != Patch::kNone && depth + 1 <= 200 &&
            m.value.type() == simdjson::dom::element_type::OBJECT) {
          WriteObject(m.value.get_object().value_unsafe(), depth + 1, child_patch, false);
        } else {
          Write(m.value, depth + 1);
        }
      }
      if (root) {
        Span* span = m.key == "requestObject"    ? &request_object_
                     : m.key == "responseObject" ? &response_object_
                                                 : nullptr;
        if (span != nullptr) *span = Span{value_begin, out_.size(), true};
      }
    }
    out_ += '}';
    members_.resize(base);
  }

  bool Redacts(const ObjectMember& m, Patch patch) const {
    // Any member whose key names a credential, when its value is a string. (This covers ConfigMap
    // `data` entries with credential keys too, which the rules name separately.)
    if (m.value.type() == simdjson::dom::element_type::STRING && IsCredentialKey(m.key)) {
      return true;
    }
    // Secret bodies: data/stringData at the object root or in items[] entries.
    if (secret_object_ && (m.key == "data" || m.key == "stringData" ||
                           m.key == "kubectl.kubernetes.io/last-applied-configuration")) {
      return true;
    }
    // TokenRequest responses: responseObject.status.token, whatever its type.
    return patch == Patch::kStatus && m.key == "token";
  }

  std::string& out_;
  std::vector<ObjectMember>& members_;
  bool secret_object_ = false;
  bool token_subresource_ = false;
  Span request_object_;
  Span response_object_;
};

}  // namespace

std::string RedactedJson(const AuditEvent& ev) {
  // Reused by every call on this thread: the text is written once here and copied out at its
  // exact size.
  thread_local std::string buffer;
  thread_local std::vector<ObjectMember> members;
  buffer.clear();
  members.clear();
  EvidenceWriter writer(ev, buffer, members);
  writer.WriteRoot(ev.root());
  std::string out;
  if (buffer.size() <= kMaxEvidenceBytes) {
    out.assign(buffer);
  } else {
    // Each body becomes a note of its own size; then, if that is still too large, a small object
    // names the event (its keys in byte order, as a nlohmann object printed them).
    size_t pos = 0;
    for (const EvidenceWriter::Span* span : {&writer.request_object(), &writer.response_object()}) {
      if (!span->present) continue;
      out.append(buffer, pos, span->begin - pos);
      AppendJsonString(out, "[omitted: " + std::to_string(span->end - span->begin) + " bytes]");
      pos = span->end;
    }
    out.append(buffer, pos, std::string::npos);
    if (out.size() > kMaxEvidenceBytes) {
      const size_t size = out.size();
      out.clear();
      out += "{\"auditID\":";
      AppendJsonString(out, ev.audit_id());
      out += ",\"note\":";
      AppendJsonString(out, "[omitted: event of " + std::to_string(size) + " bytes]");
      out += ",\"stage\":";
      AppendJsonString(out, ev.stage_name());
      out += ",\"verb\":";
      AppendJsonString(out, ev.verb());
      out += '}';
    }
  }
  // One huge event should not pin its size in every thread for good.
  if (buffer.capacity() > (std::size_t{4} << 20)) std::string().swap(buffer);
  return out;
}

}  // namespace vigil::event
