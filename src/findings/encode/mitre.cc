#include "findings/encode/mitre.h"

#include <cctype>
#include <string>

namespace vigil::findings {
namespace {

constexpr TacticInfo kTactics[] = {
    {"Reconnaissance", "TA0043"},  {"Resource Development", "TA0042"},
    {"Initial Access", "TA0001"},  {"Execution", "TA0002"},
    {"Persistence", "TA0003"},     {"Privilege Escalation", "TA0004"},
    {"Defense Evasion", "TA0005"}, {"Credential Access", "TA0006"},
    {"Discovery", "TA0007"},       {"Lateral Movement", "TA0008"},
    {"Collection", "TA0009"},      {"Command and Control", "TA0011"},
    {"Exfiltration", "TA0010"},    {"Impact", "TA0040"},
};

std::string Squash(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

}  // namespace

const TacticInfo* LookupTactic(std::string_view text) {
  const std::string key = Squash(text);
  if (key.empty()) return nullptr;
  for (const TacticInfo& t : kTactics) {
    if (Squash(t.name) == key || Squash(t.uid) == key) return &t;
  }
  return nullptr;
}

}  // namespace vigil::findings
