// Test helper shared by the event, field and rule-language tests: one audit event parsed from
// JSON text, owning the parser (and so the document) its AuditEvent view points into.
#ifndef VIGIL_TESTS_EVENT_PARSED_EVENT_H_
#define VIGIL_TESTS_EVENT_PARSED_EVENT_H_

#include <simdjson.h>

#include <optional>
#include <string>

#include "event/audit_event.h"

namespace vigil::event::testing {

class ParsedEvent {
 public:
  explicit ParsedEvent(std::string json) : json_(std::move(json)) {
    auto doc = parser_.parse(json_);
    if (doc.error()) {
      error_ = simdjson::error_message(doc.error());
      return;
    }
    auto ev = AuditEvent::FromElement(doc.value_unsafe());
    if (!ev) {
      error_ = ev.error().message;
      return;
    }
    event_.emplace(*ev);
  }
  // The view points into this object's parser: copying would leave it pointing at the original.
  ParsedEvent(const ParsedEvent&) = delete;
  ParsedEvent& operator=(const ParsedEvent&) = delete;

  bool ok() const { return event_.has_value(); }
  const std::string& error() const { return error_; }
  const AuditEvent& event() const { return *event_; }

 private:
  std::string json_;
  simdjson::dom::parser parser_;
  std::optional<AuditEvent> event_;
  std::string error_;
};

}  // namespace vigil::event::testing

#endif  // VIGIL_TESTS_EVENT_PARSED_EVENT_H_
