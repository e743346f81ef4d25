// The field language of conditions and outputs: Falco k8saudit's `ka.*` fields and the json
// plugin's `jevt.*` fields, evaluated over an AuditEvent. See docs/rule-language.md for the list.
//
// A Field is a resolved reference such as `ka.req.pod.containers.image` or
// `jevt.value[/requestObject/spec/tls]` or `ka.uri.param[command]`. Fields are created once when
// rules are compiled and are immutable afterwards; Extract() is const and thread-safe.
#ifndef VIGIL_RULES_FIELD_H_
#define VIGIL_RULES_FIELD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "event/audit_event.h"

namespace vigil::rules {

// Memory for values that do not exist verbatim in the event (numbers rendered as text, joined
// command lines, image repositories with the tag cut off are views, but "true" for a boolean is
// rendered here). Reset() between events keeps the capacity, so steady state does not allocate.
// Views returned by Store() stay valid until Reset().
class Scratch {
 public:
  Scratch();
  std::string_view Store(std::string_view text);
  void Reset();

 private:
  static constexpr size_t kChunkSize = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::vector<std::unique_ptr<char[]>> large_;  // values bigger than a chunk; freed on Reset
  size_t chunk_index_ = 0;
  size_t used_ = 0;
};

// The values of one field for one event: Falco fields are strings or lists of strings. Views point
// into the event's document or into the Scratch; valid until the next event.
class FieldValues {
 public:
  void clear() { values_.clear(); }
  void push_back(std::string_view v) { values_.push_back(v); }
  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  std::string_view operator[](size_t i) const { return values_[i]; }
  auto begin() const { return values_.begin(); }
  auto end() const { return values_.end(); }

 private:
  std::vector<std::string_view> values_;
};

// One sourceIPs entry that is on a threat-intel list.
struct ThreatMatch {
  std::string_view list;  // the list's name as given on the command line ("tor" for Tor exits)
  std::string_view ip;    // the sourceIPs entry as written in the event
  bool verified = false;  // true for the last sourceIPs entry, the one the API server saw itself
  // The label of the matched entry (a CSV list's second column; of the most specific entry when
  // several of the list contain the address); "" when it has none.
  std::string_view label{};
};

// Facts about an event that come from outside it, computed by the detection engine once per event
// before any rule runs, and read by the `vigil.*` fields. Views are valid for that event only.
struct EventContext {
  std::string_view cluster;
  // The caller's address: the last sourceIPs entry that is not a trusted proxy ("" if none).
  std::string_view caller_ip;
  std::span<const ThreatMatch> threat_matches;
  // The caller's country (ISO code), AS number (decimal) and AS organisation from the GeoIP
  // databases; "" when there is no database or it has no record.
  std::string_view geo_country;
  std::string_view geo_asn;
  std::string_view geo_as_org;
};

// How a field takes an argument in brackets: `ka.uri.param[command]`, `jevt.value[/a/b]`,
// `ka.req.pod.containers.image[0]`.
enum class FieldArg : std::uint8_t {
  kNone,          // no argument allowed
  kIndex,         // optional numeric index into a list field; with it the field is a scalar
  kKeyRequired,   // a key is required (ka.uri.param[k], ka.req.volume.hostpath[path])
  kPointer,       // an RFC 6901 JSON pointer is required (jevt.value[/...])
};

struct FieldInfo {
  std::string_view name;
  std::string_view description;
  FieldArg arg = FieldArg::kNone;
  bool is_list = false;      // yields any number of values (before an index is applied)
  bool deprecated = false;   // kept for compatibility with older Falco rule files
};

class Field {
 public:
  virtual ~Field() = default;

  // Appends this field's values for `ev` to `out` (the caller clears `out` first). Returns false
  // when the field is not available for this event: Falco prints `<NA>` for it and `exists` is
  // false. A list field that is present but empty returns true with no values. `ctx` may be null
  // (then the `vigil.*` fields that need it are not available).
  virtual bool Extract(const event::AuditEvent& ev,
                       const EventContext* ctx,
                       Scratch& scratch,
                       FieldValues& out) const = 0;

  const FieldInfo& info() const { return *info_; }
  // The bracket argument as written ("" when none).
  const std::string& arg() const { return arg_; }
  // Canonical text, e.g. "ka.uri.param[command]"; equal fields have equal text.
  std::string ToString() const;
  // True when the field yields at most one value (a scalar field, or a list field with an index).
  bool is_scalar() const { return scalar_; }

 protected:
  Field(const FieldInfo* info, std::string arg, bool scalar)
      : info_(info), arg_(std::move(arg)), scalar_(scalar) {}

 private:
  const FieldInfo* info_;
  std::string arg_;
  bool scalar_;
};

// Resolves a field name and optional bracket argument. Errors (kConfig) name the problem: an
// unknown field (with the closest known name when there is one), a missing or unexpected
// argument, a malformed JSON pointer or index.
Result<std::unique_ptr<Field>> ResolveField(std::string_view name,
                                            std::optional<std::string_view> arg);

// Every field vigil knows, in documentation order.
std::span<const FieldInfo> AllFields();

}  // namespace vigil::rules

#endif  // VIGIL_RULES_FIELD_H_
