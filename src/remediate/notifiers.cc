#include "remediate/notifiers.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <ctime>

namespace vigil::remediate {
namespace {

using json = nlohmann::json;

std::string Hex(const unsigned char* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

std::string NewDeliveryId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // RAND_bytes does not fail on Linux with a seeded pool; the time keeps ids distinct anyway.
    const auto now = std::chrono::system_clock::now().time_since_epoch().count();
    return fmt::format("t{:x}", now);
  }
  return Hex(bytes, sizeof bytes);
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Slack answers errors with a short code in plain text ("invalid_payload", "no_service", …).
Error SlackFailure(const HttpClient& http, const HttpResponse& r) {
  std::string code = r.body.substr(0, 100);
  for (char& c : code) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return MakeError(ErrorCode::kIo, fmt::format("slack {}: HTTP {}: {}", http.Describe("POST", ""),
                                               r.status, code.empty() ? "(no body)" : code));
}

}  // namespace

std::string SignatureHeaderValue(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return "sha256=" + Hex(mac, len);
}

bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header) {
  const std::string want = SignatureHeaderValue(secret, body);
  return header.size() == want.size() &&
         CRYPTO_memcmp(header.data(), want.data(), want.size()) == 0;
}

std::string SlackEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Result<std::unique_ptr<WebhookNotifier>> WebhookNotifier::Create(WebhookOptions options) {
  if (options.secret.empty()) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("webhook '{}': a signing secret is required", options.name));
  }
  auto http = HttpClient::Create(std::move(options.http));
  if (!http) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("webhook '{}': {}", options.name, http.error().message));
  }
  return std::unique_ptr<WebhookNotifier>(
      new WebhookNotifier(std::move(options.name), std::move(options.secret), std::move(*http)));
}

std::string WebhookNotifier::Body(const Notification& note, std::string_view delivery,
                                  std::string_view sent_at) {
  json body = {{"event", note.event},
               {"finding_id", note.finding_id},
               {"title", note.title},
               {"text", note.text},
               {"payload", note.payload.is_null() ? json::object() : note.payload},
               {"delivery", delivery},
               {"sent_at", sent_at}};
  // Invalid UTF-8 in audit-derived text is replaced rather than failing the notification.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status WebhookNotifier::Notify(const Notification& note) {
  const std::string delivery = NewDeliveryId();
  HttpRequest req;
  req.method = "POST";
  req.body = Body(note, delivery, NowRfc3339());
  req.content_type = "application/json";
  req.headers = {{"X-Vigil-Signature-256", SignatureHeaderValue(secret_, req.body)},
                 {"X-Vigil-Event", note.event},
                 {"X-Vigil-Delivery", delivery},
                 {"User-Agent", "vigil-remediate"}};
  req.idempotent = true;  // receivers drop a delivery id they have seen
  VIGIL_TRY(HttpResponse r, http_->Send(req));
  if (!r.ok()) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("webhook '{}' {}: HTTP {}", name_, http_->Describe("POST", ""),
                                 r.status));
  }
  return Ok();
}

Result<std::unique_ptr<SlackNotifier>> SlackNotifier::Create(SlackOptions options) {
  options.http.path_is_secret = true;
  auto http = HttpClient::Create(std::move(options.http));
  if (!http) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("slack '{}': {}", options.name, http.error().message));
  }
  return std::unique_ptr<SlackNotifier>(new SlackNotifier(std::move(options.name), std::move(*http)));
}

json SlackNotifier::Message(const Notification& note) {
  auto clip = [](std::string s, size_t n) {
    if (s.size() > n) {
      s.resize(n - 3);
      // Do not cut a UTF-8 sequence in half.
      while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
      if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
      s += "...";
    }
    return s;
  };
  const std::string title = clip(note.title.empty() ? note.event : note.title, 150);
  const std::string text = SlackEscape(clip(note.text, 2900));
  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"}, {"text", title}, {"emoji", false}}}});
  if (!text.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}});
  }
  json context = {{"type", "mrkdwn"},
                  {"text", SlackEscape(fmt::format("{} · finding {}", note.event, note.finding_id))}};
  blocks.push_back({{"type", "context"}, {"elements", json::array({context})}});
  return {{"text", SlackEscape(title) + (text.empty() ? "" : ": " + text)},
          {"blocks", blocks},
          {"unfurl_links", false},
          {"unfurl_media", false}};
}

Status SlackNotifier::Notify(const Notification& note) {
  HttpRequest req;
  req.method = "POST";
  req.body = Message(note).dump(-1, ' ', false, json::error_handler_t::replace);
  req.content_type = "application/json";
  VIGIL_TRY(HttpResponse r, http_->Send(req));
  if (!r.ok()) return SlackFailure(*http_, r);
  return Ok();
}

}  // namespace vigil::remediate
