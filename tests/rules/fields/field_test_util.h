// Helpers for the field tests: parse an event, resolve a field, extract it as strings.
#ifndef VIGIL_TESTS_RULES_FIELDS_FIELD_TEST_UTIL_H_
#define VIGIL_TESTS_RULES_FIELDS_FIELD_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event/audit_event.h"
#include "event/parsed_event.h"
#include "rules/field.h"

namespace vigil::rules::testing {

// What one extraction produced: nullopt when not available, else the values.
using Extracted = std::optional<std::vector<std::string>>;

inline std::vector<std::string> V(std::initializer_list<const char*> values) {
  return std::vector<std::string>(values.begin(), values.end());
}

// One parsed event that owns its document (tests/event/parsed_event.h).
using ParsedEvent = event::testing::ParsedEvent;

// Resolves `name[arg]` (the bracket part optional) and extracts it from `ev`.
inline Extracted Extract(const event::AuditEvent& ev, const std::string& spec,
                         const EventContext* ctx = nullptr) {
  std::string name = spec;
  std::optional<std::string> arg;
  if (size_t open = spec.find('['); open != std::string::npos && spec.back() == ']') {
    name = spec.substr(0, open);
    arg = spec.substr(open + 1, spec.size() - open - 2);
  }
  auto field = ResolveField(name, arg ? std::optional<std::string_view>(*arg) : std::nullopt);
  if (!field) {
    ADD_FAILURE() << "cannot resolve " << spec << ": " << field.error().message;
    return std::nullopt;
  }
  Scratch scratch;
  FieldValues values;
  if (!(*field)->Extract(ev, ctx, scratch, values)) return std::nullopt;
  std::vector<std::string> out;
  for (std::string_view v : values) out.emplace_back(v);
  return out;
}

inline std::string Describe(const Extracted& e) {
  if (!e) return "<NA>";
  std::string s = "(";
  for (size_t i = 0; i < e->size(); ++i) s += (i ? ", \"" : "\"") + (*e)[i] + "\"";
  return s + ")";
}

}  // namespace vigil::rules::testing

#endif  // VIGIL_TESTS_RULES_FIELDS_FIELD_TEST_UTIL_H_
