// Redaction: the copy of an audit event that vigil stores, prints or sends (finding evidence,
// rendered outputs, tickets) never carries secrets (DESIGN.md "Non-negotiables"). Detection runs
// on the original event; everything that leaves vigil derives from the redacted copy.
//
// What is replaced by "[REDACTED]" (docs/finding-format.md lists it for users):
//  - Secret objects (objectRef.resource == "secrets"): `data` and `stringData` of the request and
//    response bodies, of every `items[]` entry of a list, and the
//    `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats the data;
//  - TokenRequest responses (`serviceaccounts/token`): `status.token`; TokenReview bodies:
//    `spec.token`;
//  - any object member whose key names a credential (authorization, token, password, secret,
//    apiKey, privateKey, clientSecret, …; case and `-`/`_` ignored) when its value is a string;
//  - inside every string: bearer/basic credentials after "Bearer "/"Basic ", JSON Web Tokens, PEM
//    private-key blocks, and `key = value` / `key: value` pairs whose key names a credential
//    (e.g. `aws_secret_access_key = ...` in a ConfigMap);
//  - ConfigMap `data` values whose key names a credential.
// Bodies of events larger than kMaxEvidenceBytes after redaction are replaced by a note giving
// their size, so one huge event cannot bloat the store.
#ifndef VIGIL_EVENT_REDACT_H_
#define VIGIL_EVENT_REDACT_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "event/audit_event.h"

namespace vigil::event {

inline constexpr std::string_view kRedacted = "[REDACTED]";
inline constexpr size_t kMaxEvidenceBytes = 256 * 1024;

// The event as compact JSON, redacted as described above.
std::string RedactedJson(const AuditEvent& ev);

// Redacts credential patterns inside one free-text string (used for rendered outputs and for any
// text derived from an event). Returns the input unchanged when nothing matched.
std::string RedactText(std::string_view text);

// Appends RedactText(text) to `out`, reusing out's storage.
void AppendRedactedText(std::string_view text, std::string& out);

// Remembers recent RedactText() answers (a few, by hash of the text): for a caller that redacts
// the same few texts again and again (the user agents of repeated matches). Not thread-safe.
class RedactMemo {
 public:
  // RedactText(text); the reference is valid until the next call.
  const std::string& Redact(std::string_view text);

 private:
  struct Answer {
    bool valid = false;
    std::string input;
    std::string output;
  };
  std::array<Answer, 8> answers_;
};

// True when `key` names a credential (see above).
bool IsCredentialKey(std::string_view key);

}  // namespace vigil::event

#endif  // VIGIL_EVENT_REDACT_H_
