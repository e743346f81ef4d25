#include "rules/rule.h"

#include <algorithm>
#include <array>
#include <utility>

namespace vigil::rules {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

constexpr std::array<std::pair<std::string_view, Priority>, 9> kPriorities = {{
    {"EMERGENCY", Priority::kEmergency},
    {"ALERT", Priority::kAlert},
    {"CRITICAL", Priority::kCritical},
    {"ERROR", Priority::kError},
    {"WARNING", Priority::kWarning},
    {"NOTICE", Priority::kNotice},
    {"INFORMATIONAL", Priority::kInformational},
    {"INFO", Priority::kInformational},
    {"DEBUG", Priority::kDebug},
}};

constexpr std::array<std::string_view, 5> kSeverities = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH",
                                                         "CRITICAL"};

}  // namespace

std::string_view PriorityName(Priority p) {
  switch (p) {
    case Priority::kEmergency: return "Emergency";
    case Priority::kAlert: return "Alert";
    case Priority::kCritical: return "Critical";
    case Priority::kError: return "Error";
    case Priority::kWarning: return "Warning";
    case Priority::kNotice: return "Notice";
    case Priority::kInformational: return "Informational";
    case Priority::kDebug: return "Debug";
  }
  return "Unknown";
}

std::optional<Priority> ParsePriority(std::string_view text) {
  for (const auto& [name, p] : kPriorities) {
    if (EqualsIgnoreCase(text, name)) return p;
  }
  return std::nullopt;
}

std::string_view SeverityForPriority(Priority p) {
  switch (p) {
    case Priority::kEmergency:
    case Priority::kAlert:
    case Priority::kCritical: return "CRITICAL";
    case Priority::kError: return "HIGH";
    case Priority::kWarning: return "MEDIUM";
    case Priority::kNotice: return "LOW";
    case Priority::kInformational:
    case Priority::kDebug: return "INFORMATIONAL";
  }
  return "INFORMATIONAL";
}

std::optional<std::string_view> CanonicalSeverity(std::string_view label) {
  for (std::string_view s : kSeverities) {
    if (EqualsIgnoreCase(label, s)) return s;
  }
  return std::nullopt;
}

const Rule* RuleSet::FindRule(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &rules_[it->second];
}

std::size_t RuleSet::enabled_count() const {
  return static_cast<std::size_t>(
      std::count_if(rules_.begin(), rules_.end(), [](const Rule& r) { return r.enabled; }));
}

}  // namespace vigil::rules
