// The field table, ResolveField and AllFields.
#include "rules/fields/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "rules/field.h"
#include "rules/fields/field_docs.h"

namespace vigil::rules {
namespace fields {
namespace {

struct Registry {
  RegistryBuilder builder;
  std::unordered_map<std::string_view, size_t> by_name;
};

const Registry& GetRegistry() {
  // Built once, on first use; immutable afterwards, so concurrent readers are safe.
  static const Registry* const registry = [] {
    auto* r = new Registry();
    AddKaFields(r->builder);
    AddPodFields(r->builder);
    AddWorkloadFields(r->builder);
    AddJevtFields(r->builder);
    AddVigilFields(r->builder);
    const auto& infos = r->builder.infos();
    for (size_t i = 0; i < infos.size(); ++i) r->by_name.emplace(infos[i].name, i);
    return r;
  }();
  return *registry;
}

// A Field backed by a FieldSpec row of the table.
class TableField final : public Field {
 public:
  TableField(const FieldInfo* info, const FieldSpec* spec, std::string arg, bool scalar,
             int index)
      : Field(info, std::move(arg), scalar), spec_(spec) {
    parsed_.index = index;
    // The key views the base's copy of the argument, which lives as long as this Field.
    if (info->arg == FieldArg::kKeyRequired || info->arg == FieldArg::kPointer) {
      parsed_.key = this->arg();
    }
    if (info->arg == FieldArg::kPointer) {
      tokens_ = SplitPointer(parsed_.key);
      parsed_.tokens = tokens_;
      if (!tokens_.empty()) parsed_.root = TopLevelMember(tokens_[0]);
    }
  }

  bool Extract(const event::AuditEvent& ev,
               const EventContext* ctx,
               Scratch& scratch,
               FieldValues& out) const override {
    Call call{ev, ctx, scratch, out, parsed_};
    return spec_->fn(*spec_, call);
  }

 private:
  static std::vector<std::string> SplitPointer(std::string_view pointer) {
    std::vector<std::string> tokens;
    // pointer starts with '/' (NormalizePointer); each '/' starts a token.
    for (size_t pos = 0; pos < pointer.size(); ) {
      size_t next = pointer.find('/', pos + 1);
      std::string_view raw = pointer.substr(pos + 1, next == std::string_view::npos
                                                         ? std::string_view::npos
                                                         : next - pos - 1);
      std::string token;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '~' && i + 1 < raw.size()) {
          token.push_back(raw[i + 1] == '1' ? '/' : '~');
          ++i;
        } else {
          token.push_back(raw[i]);
        }
      }
      tokens.push_back(std::move(token));
      if (next == std::string_view::npos) break;
      pos = next;
    }
    return tokens;
  }

  static event::Member TopLevelMember(std::string_view key) {
    using event::Member;
    static constexpr std::pair<std::string_view, Member> kMembers[] = {
        {"kind", Member::kKind},
        {"apiVersion", Member::kApiVersion},
        {"level", Member::kLevel},
        {"auditID", Member::kAuditId},
        {"stage", Member::kStage},
        {"requestURI", Member::kRequestUri},
        {"verb", Member::kVerb},
        {"user", Member::kUser},
        {"impersonatedUser", Member::kImpersonatedUser},
        {"sourceIPs", Member::kSourceIps},
        {"userAgent", Member::kUserAgent},
        {"objectRef", Member::kObjectRef},
        {"responseStatus", Member::kResponseStatus},
        {"requestObject", Member::kRequestObject},
        {"responseObject", Member::kResponseObject},
        {"requestReceivedTimestamp", Member::kRequestReceivedTimestamp},
        {"stageTimestamp", Member::kStageTimestamp},
        {"annotations", Member::kAnnotations},
        {"timestamp", Member::kTimestamp},
        {"metadata", Member::kMetadata},
    };
    for (const auto& [name, member] : kMembers) {
      if (name == key) return member;
    }
    return Member::kCount;
  }

  const FieldSpec* spec_;
  std::vector<std::string> tokens_;
  ParsedArg parsed_;
};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The known name closest to `name`, if it is close enough to be a plausible typo.
std::string_view ClosestName(std::string_view name) {
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (const FieldInfo& info : GetRegistry().builder.infos()) {
    size_t d = EditDistance(name, info.name);
    if (d < best_distance) {
      best_distance = d;
      best = info.name;
    }
  }
  size_t limit = std::max<size_t>(3, name.size() / 4);
  return best_distance <= limit ? best : std::string_view();
}

Error ConfigError(std::string message) { return MakeError(ErrorCode::kConfig, std::move(message)); }

// Checks an RFC 6901 pointer and returns it with a leading '/'. The json plugin accepts a pointer
// without the leading slash ("stage" for "/stage"), so vigil does too.
Result<std::string> NormalizePointer(std::string_view field, std::string_view pointer) {
  if (pointer.empty()) {
    return ConfigError(fmt::format(
        "field '{}' needs a JSON pointer in brackets, e.g. {}[/objectRef/name]", field, field));
  }
  std::string out;
  if (pointer[0] != '/') out.push_back('/');
  out.append(pointer);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '~') continue;
    if (i + 1 >= out.size() || (out[i + 1] != '0' && out[i + 1] != '1')) {
      return ConfigError(fmt::format(
          "malformed JSON pointer '{}' in {}[...]: '~' must be followed by 0 or 1 "
          "(write ~1 for '/' and ~0 for '~', RFC 6901)",
          pointer, field));
    }
  }
  return out;
}

}  // namespace

void RegistryBuilder::Add(const FieldInfo& info, const FieldSpec& spec) {
  infos_.push_back(info);
  specs_.push_back(spec);
}

std::string_view RegistryBuilder::Intern(std::string text) {
  storage_.push_back(std::move(text));
  return storage_.back();
}

FieldSpec PathSpec(ExtractFn fn, event::Member root, std::initializer_list<std::string_view> keys) {
  FieldSpec spec;
  spec.fn = fn;
  spec.root = root;
  for (std::string_view k : keys) spec.path[spec.path_len++] = k;
  return spec;
}

std::string FieldTableMarkdown() {
  std::string out = "| field | type | argument | description |\n|---|---|---|---|\n";
  for (const FieldInfo& info : AllFields()) {
    std::string_view arg;
    switch (info.arg) {
      case FieldArg::kNone: arg = ""; break;
      case FieldArg::kIndex: arg = "optional index `[0]`"; break;
      case FieldArg::kKeyRequired: arg = "required key `[k]`"; break;
      case FieldArg::kPointer: arg = "required JSON pointer `[/a/b]`"; break;
    }
    fmt::format_to(std::back_inserter(out), "| `{}` | {} | {} | {}{} |\n", info.name,
                   info.is_list ? "list" : "string", arg,
                   info.deprecated ? "Deprecated. " : "", info.description);
  }
  return out;
}

}  // namespace fields

std::string Field::ToString() const {
  if (arg_.empty()) return std::string(info_->name);
  return fmt::format("{}[{}]", info_->name, arg_);
}

Result<std::unique_ptr<Field>> ResolveField(std::string_view name,
                                            std::optional<std::string_view> arg) {
  using fields::ConfigError;
  const auto& registry = fields::GetRegistry();
  auto it = registry.by_name.find(name);
  if (it == registry.by_name.end()) {
    std::string_view close = fields::ClosestName(name);
    if (!close.empty()) {
      return ConfigError(fmt::format("unknown field '{}'; did you mean '{}'?", name, close));
    }
    return ConfigError(fmt::format(
        "unknown field '{}'; fields start with ka., jevt., json. or vigil. "
        "(see docs/rule-language.md)",
        name));
  }
  const FieldInfo* info = &registry.builder.infos()[it->second];
  const fields::FieldSpec* spec = &registry.builder.specs()[it->second];

  switch (info->arg) {
    case FieldArg::kNone:
      if (arg) {
        return ConfigError(
            fmt::format("field '{}' takes no argument, but got '{}[{}]'", name, name, *arg));
      }
      return std::unique_ptr<Field>(new fields::TableField(info, spec, "", !info->is_list, -1));
    case FieldArg::kIndex: {
      if (!arg) {
        return std::unique_ptr<Field>(new fields::TableField(info, spec, "", !info->is_list, -1));
      }
      std::string_view a = *arg;
      bool digits = !a.empty() && a.size() <= 9 &&
                    std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        return ConfigError(fmt::format(
            "field '{}' takes an optional numeric index such as {}[0], but got '[{}]'", name,
            name, a));
      }
      int index = 0;
      for (char c : a) index = index * 10 + (c - '0');
      bool scalar = !info->is_list || spec->index_is_scalar;
      return std::unique_ptr<Field>(
          new fields::TableField(info, spec, std::to_string(index), scalar, index));
    }
    case FieldArg::kKeyRequired:
      if (!arg || arg->empty()) {
        return ConfigError(
            fmt::format("field '{}' needs a key in brackets, e.g. {}[name]", name, name));
      }
      return std::unique_ptr<Field>(
          new fields::TableField(info, spec, std::string(*arg), !info->is_list, -1));
    case FieldArg::kPointer: {
      VIGIL_TRY(std::string pointer, fields::NormalizePointer(name, arg.value_or("")));
      return std::unique_ptr<Field>(
          new fields::TableField(info, spec, std::move(pointer), !info->is_list, -1));
    }
  }
  return MakeError(ErrorCode::kInternal, "unhandled FieldArg");
}

std::span<const FieldInfo> AllFields() { return fields::GetRegistry().builder.infos(); }

}  // namespace vigil::rules
