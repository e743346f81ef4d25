// The Notifiers (interfaces.h) for people and machines:
//
// WebhookNotifier POSTs the Notification as JSON to a URL, signed like GitHub's webhooks:
//   X-Vigil-Signature-256: sha256=<lower-case hex HMAC-SHA256 of the raw body, keyed by the secret>
//   X-Vigil-Event: <event>            X-Vigil-Delivery: <id, the same on every retry>
// Body: {"event", "finding_id", "title", "text", "payload", "delivery", "sent_at"}. A receiver
// recomputes the HMAC over the bytes it received and compares in constant time
// (docs/remediation-integrations.md shows how); it drops a delivery id it has already seen, since
// a retried POST may arrive twice.
//
// SlackNotifier POSTs to a Slack incoming webhook: `text` (the fallback) and `blocks` (a header,
// the paragraph, a context line). Audit-derived text is escaped as Slack asks (&, <, > become
// &amp; &lt; &gt;) so an attacker-controlled field (a user name, a resource name) cannot become a
// mention (<!channel>, <@U…>) or a disguised link; link unfurling is off. The webhook URL is a
// secret, so errors name only its host.
//
// Both retry 5xx, 429 (Retry-After) and timeouts through HttpClient and return kIo afterwards.
// Thread-safety: as HttpClient.
#ifndef VIGIL_REMEDIATE_NOTIFIERS_H_
#define VIGIL_REMEDIATE_NOTIFIERS_H_

#include <functional>
#include <memory>
#include <string>

#include "remediate/http_client.h"
#include "remediate/interfaces.h"

namespace vigil::remediate {

// "sha256=" + hex(HMAC-SHA256(secret, body)).
std::string SignatureHeaderValue(std::string_view secret, std::string_view body);
// Constant-time check of a received X-Vigil-Signature-256 value; what a receiver does.
bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header);

// Slack's escaping for text it parses: & → &amp;, < → &lt;, > → &gt;.
std::string SlackEscape(std::string_view text);

struct WebhookOptions {
  std::string name = "webhook";
  HttpClientOptions http;  // base_url = the full URL to POST to
  std::string secret;      // the HMAC key; required
};

class WebhookNotifier final : public Notifier {
 public:
  static Result<std::unique_ptr<WebhookNotifier>> Create(WebhookOptions options);
  const std::string& name() const override { return name_; }
  Status Notify(const Notification& note) override;

  // The exact bytes Notify sends for `note` with this delivery id and time (tests, docs).
  static std::string Body(const Notification& note, std::string_view delivery,
                          std::string_view sent_at);

 private:
  WebhookNotifier(std::string name, std::string secret, std::unique_ptr<HttpClient> http)
      : name_(std::move(name)), secret_(std::move(secret)), http_(std::move(http)) {}
  std::string name_;
  std::string secret_;
  std::unique_ptr<HttpClient> http_;
};

struct SlackOptions {
  std::string name = "slack";
  HttpClientOptions http;  // base_url = the incoming webhook URL (path_is_secret is forced on)
};

class SlackNotifier final : public Notifier {
 public:
  static Result<std::unique_ptr<SlackNotifier>> Create(SlackOptions options);
  const std::string& name() const override { return name_; }
  Status Notify(const Notification& note) override;

  // The Slack message for `note`.
  static nlohmann::json Message(const Notification& note);

 private:
  SlackNotifier(std::string name, std::unique_ptr<HttpClient> http)
      : name_(std::move(name)), http_(std::move(http)) {}
  std::string name_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_NOTIFIERS_H_
