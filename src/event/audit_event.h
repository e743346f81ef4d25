// AuditEvent: a zero-copy, read-only view of one audit.k8s.io Event (v1 or v1beta1) held in a
// simdjson DOM document.
//
// Lifetime: every view returned (elements, string_views) points into the simdjson document that
// holds the event. It stays valid until the parser that produced that document parses again or is
// destroyed. Copying an AuditEvent copies the view, not the data.
// Thread-safety: read-only; safe to share between threads while the document lives.
#ifndef VIGIL_EVENT_AUDIT_EVENT_H_
#define VIGIL_EVENT_AUDIT_EVENT_H_

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "base/time.h"

namespace vigil::event {

// The request stage an event was logged at (k8s-audit-format.md).
enum class Stage : std::uint8_t {
  kUnknown = 0,  // absent or not one of the four below
  kRequestReceived,
  kResponseStarted,
  kResponseComplete,
  kPanic,
};

Stage ParseStage(std::string_view name);
std::string_view StageName(Stage stage);

// Top-level members of an Event that vigil reads often; resolved once when the view is built so
// field access does not rescan the object.
enum class Member : std::uint8_t {
  kKind,
  kApiVersion,
  kLevel,
  kAuditId,
  kStage,
  kRequestUri,
  kVerb,
  kUser,
  kImpersonatedUser,
  kSourceIps,
  kUserAgent,
  kObjectRef,
  kResponseStatus,
  kRequestObject,
  kResponseObject,
  kRequestReceivedTimestamp,
  kStageTimestamp,
  kAnnotations,
  kTimestamp,  // v1beta1
  kMetadata,   // v1beta1: metadata.creationTimestamp
  kCount,
};

class AuditEvent {
 public:
  // Builds the view over `root`. Fails (kParse, with a reason a person can act on) when `root` is
  // not an object, or lacks a string `auditID` or `stage`: without them an event cannot be
  // identified or deduplicated.
  static Result<AuditEvent> FromElement(simdjson::dom::element root);

  simdjson::dom::element root() const { return root_; }

  // The member if present (any JSON type, including null).
  std::optional<simdjson::dom::element> Get(Member m) const {
    if (!(present_ & (1u << static_cast<unsigned>(m)))) return std::nullopt;
    return members_[static_cast<size_t>(m)];
  }
  bool Has(Member m) const { return present_ & (1u << static_cast<unsigned>(m)); }

  // The member's string value, or "" when absent or not a string.
  std::string_view GetString(Member m) const;

  std::string_view audit_id() const { return audit_id_; }
  Stage stage() const { return stage_; }
  std::string_view stage_name() const { return stage_name_; }
  std::string_view verb() const { return verb_; }
  std::string_view request_uri() const { return GetString(Member::kRequestUri); }
  std::string_view user_agent() const { return GetString(Member::kUserAgent); }
  std::string_view user_name() const;

  // objectRef.<key> as a string ("" when absent).
  std::string_view ObjectRef(std::string_view key) const;
  std::string_view resource() const { return resource_; }
  std::string_view subresource() const { return subresource_; }
  std::string_view ns() const { return ObjectRef("namespace"); }
  std::string_view name() const { return ObjectRef("name"); }

  // responseStatus.code, or -1 when absent.
  int response_code() const;

  // annotations[key] as a string ("" when absent).
  std::string_view Annotation(std::string_view key) const;

  // The event's time in ns since the epoch: stageTimestamp, else the v1beta1 `timestamp`, else
  // requestReceivedTimestamp, else metadata.creationTimestamp; 0 when none parses. Parsed once, on
  // first use (the engine, the dedup window and jevt.rawtime all ask).
  UnixNanos time() const {
    if (!time_parsed_) {
      time_ = ParseTime();
      time_parsed_ = true;
    }
    return time_;
  }

  // RFC 6901 lookup from the root ("/objectRef/name"); nullopt when the path does not exist.
  // The empty pointer is the root.
  std::optional<simdjson::dom::element> AtPointer(std::string_view pointer) const;

 private:
  AuditEvent() = default;
  UnixNanos ParseTime() const;

  simdjson::dom::element root_;
  std::array<simdjson::dom::element, static_cast<size_t>(Member::kCount)> members_{};
  std::uint32_t present_ = 0;
  std::string_view audit_id_;
  std::string_view stage_name_;
  std::string_view verb_;
  std::string_view resource_;
  std::string_view subresource_;
  Stage stage_ = Stage::kUnknown;
  // A cache, not state: time() is logically const.
  mutable UnixNanos time_ = 0;
  mutable bool time_parsed_ = false;
};

// Member of an object by key, or nullopt. Linear in the object's size (simdjson DOM objects are
// not indexed), which is fine for the small objects of an audit event.
std::optional<simdjson::dom::element> FindKey(simdjson::dom::element object, std::string_view key);

// The string value of `element`, or "" if it is not a string.
std::string_view AsString(simdjson::dom::element element);

}  // namespace vigil::event

#endif  // VIGIL_EVENT_AUDIT_EVENT_H_
