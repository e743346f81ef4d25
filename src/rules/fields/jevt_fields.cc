// jevt.* (and json.*) fields: Falco's json plugin, which k8s-audit rule files load beside
// k8saudit for jevt.value[/pointer], jevt.rawtime and jevt.obj.
#include <charconv>

#include "rules/fields/json_text.h"
#include "rules/fields/registry.h"

namespace vigil::rules::fields {
namespace {

// jevt.value[/ptr]: a string as itself, anything else as minified JSON; not available when the
// pointer does not resolve. The pointer was checked and given its leading '/' by ResolveField.
// The pointer was split into tokens once, when the field was resolved, and its first token mapped
// to AuditEvent's pre-resolved member where there is one, so `/stage` costs one array read.
// An array is indexed by a token of digits (leading zeros allowed, as the json plugin's fastjson
// does); "-" or anything else does not resolve.
std::optional<element> Resolve(const Call& c) {
  std::span<const std::string> tokens = c.arg.tokens;
  if (tokens.empty()) return c.ev.root();
  std::optional<element> e = c.arg.root != event::Member::kCount
                                 ? c.ev.Get(c.arg.root)
                                 : Child(c.ev.root(), tokens[0]);
  for (size_t i = 1; e && i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (e->is_object()) {
      e = Child(*e, token);
      continue;
    }
    auto arr = AsArray(e);
    if (!arr || token.empty() || token.size() > 9) return std::nullopt;
    size_t index = 0;
    for (char ch : token) {
      if (ch < '0' || ch > '9') return std::nullopt;
      index = index * 10 + static_cast<size_t>(ch - '0');
    }
    if (index >= arr->size()) return std::nullopt;
    auto item = arr->at(index);
    if (item.error()) return std::nullopt;
    e = item.value_unsafe();
  }
  return e;
}

bool ExtractValue(const FieldSpec&, const Call& c) {
  auto value = Resolve(c);
  if (!value) return false;
  c.out.push_back(Render(*value, c.scratch));
  return true;
}

// jevt.obj: the whole event as minified JSON. (The Go json plugin indents it with two spaces and
// Falco's original built-in printed it minified; vigil prints it on one line so it fits a log
// line or a ticket field.)
bool ExtractObject(const FieldSpec&, const Call& c) {
  std::string& buf = TextBuffer();
  AppendJson(c.ev.root(), buf);
  c.out.push_back(c.scratch.Store(buf));
  return true;
}

// jevt.rawtime: always available (Falco's rules use `jevt.rawtime exists` as "always true"), "0"
// when the event carries no parseable timestamp.
bool ExtractRawTime(const FieldSpec&, const Call& c) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), c.ev.time());
  c.out.push_back(c.scratch.Store(std::string_view(buf, static_cast<size_t>(res.ptr - buf))));
  return true;
}

// jevt.time: "HH:MM:SS.nnnnnnnnn" as Falco's json events printed it (sinsp ts_to_string without
// the date), but in UTC rather than the host's local zone so output does not depend on the host.
bool ExtractTime(const FieldSpec&, const Call& c) {
  char buf[40];
  c.out.push_back(c.scratch.Store(FormatClock(c.ev.time(), buf)));
  return true;
}

bool ExtractTimeIso8601(const FieldSpec&, const Call& c) {
  char buf[40];
  c.out.push_back(c.scratch.Store(FormatIso8601(c.ev.time(), buf)));
  return true;
}

FieldSpec Fn(ExtractFn fn) {
  FieldSpec s;
  s.fn = fn;
  return s;
}

}  // namespace

void AddJevtFields(RegistryBuilder& b) {
  constexpr std::string_view kValue =
      "The value at an RFC 6901 JSON pointer into the event: a string as itself, any other value "
      "as minified JSON; not available when the path is missing.";
  b.Add(FieldInfo{"jevt.value", kValue, FieldArg::kPointer, false, false}, Fn(&ExtractValue));
  b.Add(FieldInfo{"jevt.obj", "The whole event as minified JSON text.", FieldArg::kNone, false,
                  false},
        Fn(&ExtractObject));
  b.Add(FieldInfo{"jevt.rawtime",
                  "The event time in nanoseconds since the epoch (stageTimestamp, else the "
                  "legacy timestamp); always available, 0 when the event has none.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractRawTime));
  b.Add(FieldInfo{"jevt.time", "The event time of day as HH:MM:SS.nnnnnnnnn (UTC).",
                  FieldArg::kNone, false, false},
        Fn(&ExtractTime));
  b.Add(FieldInfo{"jevt.time.iso8601",
                  "The event time as YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ (UTC).", FieldArg::kNone,
                  false, false},
        Fn(&ExtractTimeIso8601));
  // The Go json plugin's own names; jevt.* are its aliases kept for older rule files.
  b.Add(FieldInfo{"json.value", "Same as jevt.value.", FieldArg::kPointer, false, false},
        Fn(&ExtractValue));
  b.Add(FieldInfo{"json.obj", "Same as jevt.obj.", FieldArg::kNone, false, false},
        Fn(&ExtractObject));
  b.Add(FieldInfo{"json.rawtime", "Same as jevt.rawtime.", FieldArg::kNone, false, false},
        Fn(&ExtractRawTime));
}

}  // namespace vigil::rules::fields
