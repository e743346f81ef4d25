// Internal to vigil_rules_fields: how the field table is put together. Each field is a FieldSpec
// (its FieldInfo plus an extract function and the parameters that function reads); the *_fields.cc
// files each register one family of fields with a RegistryBuilder. rules/field.h is the public
// surface; nothing outside src/rules/fields/ includes this header.
#ifndef VIGIL_RULES_FIELDS_REGISTRY_H_
#define VIGIL_RULES_FIELDS_REGISTRY_H_

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/audit_event.h"
#include "rules/field.h"

namespace vigil::rules::fields {

// The bracket argument after ResolveField has checked it.
struct ParsedArg {
  int index = -1;        // FieldArg::kIndex: the index, or -1 when none was given
  std::string_view key;  // kKeyRequired: the key; kPointer: the normalized pointer ("/a/b")
  // kPointer: the reference tokens, unescaped (~1 → '/', ~0 → '~'), split once at resolve time;
  // and the top-level member the first token names (kCount when AuditEvent does not index it).
  std::span<const std::string> tokens;
  event::Member root = event::Member::kCount;
};

// One extraction: the event, its context, where values go.
struct Call {
  const event::AuditEvent& ev;
  const EventContext* ctx;
  Scratch& scratch;
  FieldValues& out;
  const ParsedArg& arg;
};

struct FieldSpec;

// Appends the field's values to call.out; false when the field is not available (Field::Extract).
using ExtractFn = bool (*)(const FieldSpec& spec, const Call& call);

// How one field is extracted. `fn` interprets the remaining members; most fields share a handful
// of functions and differ only in these parameters.
struct FieldSpec {
  ExtractFn fn = nullptr;
  // For fields read from a fixed path: the top-level member and up to four keys below it.
  event::Member root = event::Member::kCount;
  std::array<std::string_view, 4> path{};
  std::uint8_t path_len = 0;
  // Small enum values for grouped extractors (container list, attribute, spec location...).
  std::uint8_t p1 = 0;
  std::uint8_t p2 = 0;
  std::uint8_t p3 = 0;
  // With an index argument, does the field yield at most one value? (Not for fields where the
  // index picks a container or a role rule whose attribute is itself a list.)
  bool index_is_scalar = true;
};

// Collects fields in documentation order. Names and descriptions built at run time (the
// container-attribute families) are interned so the FieldInfo views stay valid.
class RegistryBuilder {
 public:
  void Add(const FieldInfo& info, const FieldSpec& spec);
  std::string_view Intern(std::string text);

  const std::vector<FieldInfo>& infos() const { return infos_; }
  const std::vector<FieldSpec>& specs() const { return specs_; }

 private:
  std::vector<FieldInfo> infos_;
  std::vector<FieldSpec> specs_;
  std::deque<std::string> storage_;
};

// The families, in the order they appear in the documentation.
void AddKaFields(RegistryBuilder& b);        // ka_fields.cc: request, user, target, RBAC, service
void AddPodFields(RegistryBuilder& b);       // pod_fields.cc: ka.req.pod.*, ka.req.container.*
void AddWorkloadFields(RegistryBuilder& b);  // pod_fields.cc: ka.req.workload.*
void AddJevtFields(RegistryBuilder& b);      // jevt_fields.cc: jevt.*, json.*
void AddVigilFields(RegistryBuilder& b);     // vigil_fields.cc: vigil.*

// Helpers for a FieldSpec read from a fixed path.
FieldSpec PathSpec(ExtractFn fn, event::Member root, std::initializer_list<std::string_view> keys);

// Extract functions shared between families (ka_fields.cc), both following the plugin's
// extractFromKeys: not available when the path is missing.
// The value at spec.root/spec.path, rendered.
bool ExtractPathScalar(const FieldSpec& spec, const Call& call);
// The elements of the array at spec.root/spec.path, rendered; not available when the value is
// not an array, or when an index is given and out of range.
bool ExtractPathList(const FieldSpec& spec, const Call& call);

}  // namespace vigil::rules::fields

#endif  // VIGIL_RULES_FIELDS_REGISTRY_H_
