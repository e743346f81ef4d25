#include "rules/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <span>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "rules/analysis.h"
#include "rules/compiler.h"
#include "rules/lexer.h"
#include "rules/parser.h"
#include "rules/yaml_tree.h"

namespace vigil::rules {

namespace {

constexpr std::string_view kK8sAuditSource = "k8s_audit";

// ---------------------------------------------------------------------------------------------
// Small helpers

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && IsBlank(s[b])) ++b;
  while (e > b && IsBlank(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggestion(std::string_view word, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_d = 3;
  for (std::string_view k : known) {
    const std::size_t d = EditDistance(word, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  if (best.empty()) return "";
  return fmt::format(" (did you mean '{}'?)", best);
}

// Falco's list-name shape (RGX_BARESTR) and macro-name shape (RGX_IDENTIFIER).
bool IsValidListName(std::string_view name) { return IsBareWord(name); }

// List items written with quotes inside the YAML string ('"foo bar"') are unquoted, as Falco's
// text substitution ends up doing.
std::string UnquoteItem(const std::string& item) {
  if (item.size() >= 2 && (item[0] == '"' || item[0] == '\'') && item.back() == item[0]) {
    Lexer lex(item);
    std::string error;
    std::uint32_t at = 0;
    if (auto q = lex.TryQuoted(&error, &at); q && lex.AtEnd()) return *q;
  }
  return item;
}

std::optional<CmpOp> ParseOperatorName(std::string_view text) {
  Lexer lex(text);
  lex.SkipBlanks();
  auto op = lex.TryOperator();
  lex.SkipBlanks();
  if (!op || !lex.AtEnd()) return std::nullopt;
  return op;
}

// ---------------------------------------------------------------------------------------------
// Source files and positions

struct SourceFile {
  std::string name;
  std::string text;
  std::vector<std::size_t> line_starts;
};

// A piece of condition text read from one YAML scalar.
struct Fragment {
  std::string text;
  std::uint32_t file = 0;
  yaml::Mark mark;
};

// A condition text the locator can map: one or more fragments joined with blanks, or (for
// synthesized exception clauses) a fixed position.
struct ConditionSource {
  std::string where;
  struct Span {
    std::uint32_t start = 0;
    std::uint32_t length = 0;
    const Fragment* fragment = nullptr;
  };
  std::vector<Span> spans;
  std::optional<SourcePos> fixed;
};

// ---------------------------------------------------------------------------------------------
// What was collected

struct ListInfo {
  std::string name;
  std::vector<std::string> items;
  SourcePos pos;
  std::uint32_t index = 0;
  std::uint32_t visibility = 0;
};

struct MacroInfo {
  std::string name;
  std::vector<Fragment> condition;
  bool enabled = true;
  SourcePos pos;
  std::uint32_t index = 0;
};

// One entry of an exception's `values`.
struct ExceptionValue {
  bool is_list = false;
  std::string item;                  // scalar
  std::vector<ExceptionValue> items;  // sequence
};

struct ExceptionInfo {
  std::string name;
  bool has_fields = false;
  bool fields_is_list = false;
  std::vector<std::string> fields;
  bool has_comps = false;
  bool comps_is_list = false;
  std::vector<std::string> comps;
  bool has_values = false;
  std::vector<ExceptionValue> values;
  SourcePos pos;
};

struct RuleInfo {
  std::string name;
  std::string source;
  std::vector<Fragment> condition;
  std::string output;
  std::string desc;
  std::optional<Priority> priority;
  std::vector<std::string> tags;
  bool enabled = true;
  bool skip_if_unknown_filter = false;
  std::vector<ExceptionInfo> exceptions;
  std::string finding_type;
  std::optional<std::string> severity;
  std::vector<MitreTechnique> mitre;
  std::vector<std::string> dedup_by;
  SourcePos dedup_pos;
  std::optional<Remediation> remediation;
  std::optional<bool> once_per_request;
  SourcePos pos;
  SourcePos output_pos;
  Fragment output_fragment;
  std::uint32_t index = 0;
};

template <typename T>
class Ordered {
 public:
  T* Find(std::string_view name) {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  const T* Find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &items_[it->second];
  }
  T& Add(T item) {
    index_.emplace(item.name, items_.size());
    items_.push_back(std::move(item));
    return items_.back();
  }
  std::vector<T>& items() { return items_; }
  const std::vector<T>& items() const { return items_; }

 private:
  std::vector<T> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Keys each item kind accepts.
constexpr std::string_view kListKeys[] = {"list", "items", "append",
                                                               "override"};
constexpr std::string_view kMacroKeys[] = {"macro", "condition", "append",
                                                                "override", "enabled"};
constexpr std::string_view kRuleKeys[] = {
    "rule",          "condition",        "output",         "desc",
    "priority",      "tags",             "enabled",        "source",
    "exceptions",    "append",           "override",       "warn_evttypes",
    "skip-if-unknown-filter",            "capture",        "capture_duration",
    "capture_events", "capture_filesize", "finding_type",  "severity",
    "mitre",         "dedup_by",         "remediation",    "once_per_request"};
constexpr std::string_view kRuleAppendable[] = {
    "condition", "output", "desc", "tags", "exceptions", "mitre", "dedup_by"};
constexpr std::string_view kRuleReplaceable[] = {
    "condition",        "output",       "desc",         "priority",
    "tags",             "exceptions",   "enabled",      "warn_evttypes",
    "skip-if-unknown-filter",           "capture",      "capture_duration",
    "capture_events",   "capture_filesize", "finding_type", "severity",
    "mitre",            "dedup_by",     "remediation",  "once_per_request"};
constexpr std::string_view kExceptionKeys[] = {"name", "fields", "comps",
                                                                    "values"};

constexpr std::string_view kMitreKeys[] = {"tactic", "technique_id", "technique"};
constexpr std::string_view kRemediationKeys[] = {"text", "url"};
constexpr std::string_view kItemsKey[] = {"items"};
constexpr std::string_view kConditionKey[] = {"condition"};

using KeySet = std::span<const std::string_view>;

bool Contains(KeySet set, std::string_view key) {
  return std::find(set.begin(), set.end(), key) != set.end();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Loader state

struct RuleLoader::State {
  LoaderOptions options;
  std::vector<std::unique_ptr<SourceFile>> files;
  Ordered<ListInfo> lists;
  Ordered<MacroInfo> macros;
  Ordered<RuleInfo> rules;
  std::uint32_t counter = 0;  // Falco's m_cur_index
  std::vector<Error> errors;
  std::set<std::pair<std::string, std::string>> seen_errors;
  std::size_t dropped_errors = 0;
  std::vector<std::string> warnings;
  bool finished = false;

  // While reading one file.
  std::uint32_t file = 0;
  std::optional<Error> first_error_in_file;

  // ---- positions

  const SourceFile& File(std::uint32_t f) const { return *files[f]; }

  SourcePos PosAtByte(std::uint32_t f, std::size_t byte) const {
    const SourceFile& sf = File(f);
    auto it = std::upper_bound(sf.line_starts.begin(), sf.line_starts.end(), byte);
    const std::size_t line = static_cast<std::size_t>(it - sf.line_starts.begin());
    const std::size_t start = line > 0 ? sf.line_starts[line - 1] : 0;
    return SourcePos{sf.name, static_cast<int>(line), static_cast<int>(byte - start + 1)};
  }

  SourcePos PosOf(std::uint32_t f, const yaml::Mark& mark) const {
    if (mark.line < 0) return SourcePos{File(f).name, 0, 0};
    return SourcePos{File(f).name, mark.line + 1, mark.column + 1};
  }
  SourcePos PosOf(const yaml::Node& node) const { return PosOf(file, node.Mark()); }

  // The file position of byte `offset` of a scalar's value, found by walking the raw YAML text
  // from the node's start alongside the value: runs of blanks match runs of blanks (line folding,
  // indentation of block scalars), escapes take their raw length. Falls back to the node's start
  // when the two cannot be aligned.
  SourcePos MapScalarOffset(const Fragment& frag, std::size_t offset) const {
    const SourceFile& sf = File(frag.file);
    const SourcePos fallback = PosOf(frag.file, frag.mark);
    if (frag.mark.pos < 0 || static_cast<std::size_t>(frag.mark.pos) >= sf.text.size()) {
      return fallback;
    }
    const std::string& raw = sf.text;
    const std::string& value = frag.text;
    std::size_t j = static_cast<std::size_t>(frag.mark.pos);
    const char first = raw[j];
    if (first == '|' || first == '>') {
      while (j < raw.size() && raw[j] != '\n') ++j;
    } else if (first == '"' || first == '\'') {
      ++j;
    }
    const bool double_quoted = first == '"';
    const bool single_quoted = first == '\'';
    std::size_t i = 0;
    offset = std::min(offset, value.size());
    while (i < offset) {
      if (IsBlank(value[i])) {
        while (i < offset && IsBlank(value[i])) ++i;
        while (j < raw.size() && IsBlank(raw[j])) ++j;
        continue;
      }
      if (j >= raw.size()) return fallback;
      if (raw[j] == value[i] && !(double_quoted && raw[j] == '\\')) {
        ++i;
        ++j;
        continue;
      }
      if (double_quoted && raw[j] == '\\' && j + 1 < raw.size()) {
        j += 2;
        ++i;
        continue;
      }
      if (single_quoted && raw[j] == '\'' && j + 1 < raw.size() && raw[j + 1] == '\'') {
        j += 2;
        ++i;
        continue;
      }
      if (IsBlank(raw[j])) {
        ++j;
        continue;
      }
      return fallback;
    }
    if (offset < value.size() && !IsBlank(value[offset])) {
      while (j < raw.size() && IsBlank(raw[j])) ++j;
    }
    return PosAtByte(frag.file, j);
  }

  // ---- errors

  void AddError(Error e) {
    auto key = std::make_pair(e.pos.ToString(), e.message);
    if (!seen_errors.insert(key).second) return;
    if (!first_error_in_file) first_error_in_file = e;
    if (errors.size() >= options.max_errors) {
      ++dropped_errors;
      return;
    }
    errors.push_back(std::move(e));
  }
  void AddError(SourcePos pos, std::string message, ErrorCode code = ErrorCode::kConfig) {
    AddError(MakeError(code, std::move(message), std::move(pos)));
  }
  void Warn(const SourcePos& pos, std::string_view message) {
    warnings.push_back(pos.known() ? fmt::format("{}: {}", pos.ToString(), message)
                                   : std::string(message));
  }

  // ---- YAML value decoding (never throws; reports and returns nullopt on a bad value)

  std::optional<std::string> Scalar(const yaml::Node& node,
                                    std::string_view where,
                                    std::string_view key,
                                    bool allow_empty = false) {
    if (!node.IsScalar()) {
      AddError(PosOf(node), fmt::format("{}: '{}' must be a string", where, key));
      return std::nullopt;
    }
    if (!allow_empty && node.Scalar().empty()) {
      AddError(PosOf(node), fmt::format("{}: '{}' must not be empty", where, key));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> Bool(const yaml::Node& node, std::string_view where, std::string_view key) {
    const std::optional<bool> b = yaml::DecodeBool(node);
    if (!b) AddError(PosOf(node), fmt::format("{}: '{}' must be true or false", where, key));
    return b;
  }

  // An exception's `fields` or `comps`: one name, or a list of names. Sets `is_list` for a list.
  // Reports `what_expected` ("a field name or a list of field names") on anything else.
  bool NameOrList(const yaml::Node& node,
                  std::string_view where,
                  std::string_view key,
                  std::string_view what_expected,
                  std::vector<std::string>& out,
                  bool& is_list) {
    if (node.IsScalar() && !node.Scalar().empty()) {
      out.push_back(node.Scalar());
      return true;
    }
    if (node.IsSequence()) {
      is_list = true;
      auto list = StringList(node, where, key);
      if (!list) return false;
      out = std::move(*list);
      return true;
    }
    AddError(PosOf(node), fmt::format("{}: '{}' must be {}", where, key, what_expected));
    return false;
  }

  std::optional<std::vector<std::string>> StringList(const yaml::Node& node,
                                                     std::string_view where,
                                                     std::string_view key) {
    if (node.IsNull()) return std::vector<std::string>{};
    if (!node.IsSequence()) {
      AddError(PosOf(node), fmt::format("{}: '{}' must be a list", where, key));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const yaml::Node& v : node) {
      if (!v.IsScalar()) {
        AddError(PosOf(v), fmt::format("{}: every entry of '{}' must be a string", where, key));
        ok = false;
        continue;
      }
      out.push_back(v.Scalar());
    }
    if (!ok) return std::nullopt;
    return out;
  }

  Fragment MakeFragment(const yaml::Node& node, std::string text) const {
    Fragment f;
    f.text = std::move(text);
    f.file = file;
    f.mark = node.Mark();
    return f;
  }

  // Checks the keys of `item` against `allowed`; reports each unknown one.
  bool CheckKeys(const yaml::Node& item,
                 KeySet allowed,
                 std::string_view where) {
    bool ok = true;
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (!it->first.IsScalar()) {
        AddError(PosOf(it->first), fmt::format("{}: keys must be strings", where));
        ok = false;
        continue;
      }
      const std::string key = it->first.Scalar();
      if (Contains(allowed, key)) continue;
      AddError(PosOf(it->first),
               fmt::format("{}: unknown key '{}'{}", where, key, Suggestion(key, allowed)));
      ok = false;
    }
    return ok;
  }

  // Decodes `override:`; returns false on error.
  bool Overrides(const yaml::Node& item,
                 std::string_view where,
                 KeySet appendable,
                 KeySet replaceable,
                 std::set<std::string>& append,
                 std::set<std::string>& replace) {
    const yaml::Node node = item["override"];
    if (!node.IsDefined()) return true;
    if (!node.IsMap() || node.size() == 0) {
      AddError(PosOf(node), fmt::format("{}: 'override' must map keys to append or replace",
                                        where));
      return false;
    }
    bool ok = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar() || !it->second.IsScalar()) {
        AddError(PosOf(it->first),
                 fmt::format("{}: 'override' must map keys to append or replace", where));
        ok = false;
        continue;
      }
      const std::string key = it->first.Scalar();
      const std::string operation = it->second.Scalar();
      const bool can_append = Contains(appendable, key);
      const bool can_replace = Contains(replaceable, key);
      if (operation == "append") {
        if (!can_append) {
          AddError(PosOf(it->first),
                   fmt::format("{}: key '{}' cannot be appended to{}", where, key,
                               can_replace ? ", use 'replace' instead" : ""));
          ok = false;
          continue;
        }
        append.insert(key);
      } else if (operation == "replace") {
        if (!can_replace) {
          AddError(PosOf(it->first), fmt::format("{}: key '{}' cannot be replaced", where, key));
          ok = false;
          continue;
        }
        replace.insert(key);
      } else {
        AddError(PosOf(it->second),
                 fmt::format("{}: invalid override operation '{}' for key '{}': use append or "
                             "replace",
                             where, operation, key));
        ok = false;
      }
    }
    return ok;
  }

  // ---- exceptions

  bool ReadExceptionEntry(const yaml::Node& node,
                          ExceptionValue& out,
                          std::string_view where,
                          int depth) {
    if (node.IsScalar()) {
      out.is_list = false;
      out.item = node.Scalar();
      return true;
    }
    if (node.IsSequence() && depth < 2) {
      out.is_list = true;
      bool ok = true;
      for (const yaml::Node& v : node) {
        ExceptionValue child;
        ok = ReadExceptionEntry(v, child, where, depth + 1) && ok;
        out.items.push_back(std::move(child));
      }
      return ok;
    }
    AddError(PosOf(node), fmt::format("{}: exception values must be strings or lists of strings",
                                      where));
    return false;
  }

  std::optional<std::vector<ExceptionInfo>> ReadExceptions(const yaml::Node& item,
                                                           std::string_view rule_where,
                                                           bool appending) {
    const yaml::Node node = item["exceptions"];
    std::vector<ExceptionInfo> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) {
      AddError(PosOf(node), fmt::format("{}: 'exceptions' must be a list", rule_where));
      return std::nullopt;
    }
    bool ok = true;
    for (const yaml::Node& ex : node) {
      if (!ex.IsMap()) {
        AddError(PosOf(ex), fmt::format("{}: each exception must be a mapping with 'name', "
                                        "'fields', 'comps' and 'values'",
                                        rule_where));
        ok = false;
        continue;
      }
      ExceptionInfo info;
      info.pos = PosOf(ex);
      const yaml::Node name = ex["name"];
      if (!name.IsDefined()) {
        AddError(PosOf(ex), fmt::format("{}: exception without 'name'", rule_where));
        ok = false;
        continue;
      }
      auto n = Scalar(name, rule_where, "name");
      if (!n) {
        ok = false;
        continue;
      }
      info.name = *n;
      const std::string where = fmt::format("{}: exception '{}'", rule_where, info.name);
      for (const ExceptionInfo& other : out) {
        if (other.name == info.name) {
          AddError(info.pos, fmt::format("{}: exception names must be unique within a rule",
                                         where));
          ok = false;
        }
      }
      ok = CheckKeys(ex, kExceptionKeys, where) && ok;
      if (const yaml::Node fields = ex["fields"]; fields.IsDefined()) {
        info.has_fields = true;
        ok = NameOrList(fields, where, "fields", "a field name or a list of field names",
                        info.fields, info.fields_is_list) && ok;
      } else if (!appending) {
        AddError(info.pos, fmt::format("{}: exception must have 'fields'", where));
        ok = false;
      }
      if (const yaml::Node comps = ex["comps"]; comps.IsDefined()) {
        info.has_comps = true;
        ok = NameOrList(comps, where, "comps", "an operator or a list of operators", info.comps,
                        info.comps_is_list) && ok;
      }
      if (const yaml::Node values = ex["values"]; values.IsDefined() && !values.IsNull()) {
        info.has_values = true;
        if (!values.IsSequence()) {
          AddError(PosOf(values), fmt::format("{}: 'values' must be a list", where));
          ok = false;
        } else {
          for (const yaml::Node& v : values) {
            ExceptionValue value;
            ok = ReadExceptionEntry(v, value, where, 0) && ok;
            info.values.push_back(std::move(value));
          }
        }
      }
      out.push_back(std::move(info));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Falco's validate_exception_info: default comps, equal lengths, valid operators.
  bool ValidateException(ExceptionInfo& ex, std::string_view rule_where) {
    const std::string where = fmt::format("{}: exception '{}'", rule_where, ex.name);
    if (ex.fields_is_list) {
      if (!ex.has_comps) {
        ex.comps.assign(ex.fields.size(), "=");
        ex.comps_is_list = true;
        ex.has_comps = true;
      }
      if (!ex.comps_is_list || ex.comps.size() != ex.fields.size()) {
        AddError(ex.pos, fmt::format("{}: 'fields' and 'comps' must be lists of equal length",
                                     where));
        return false;
      }
      for (const std::string& c : ex.comps) {
        auto op = ParseOperatorName(c);
        if (!op || *op == CmpOp::kExists) {
          AddError(ex.pos, fmt::format("{}: '{}' is not a comparison operator", where, c));
          return false;
        }
      }
      return true;
    }
    if (!ex.has_comps) {
      ex.comps = {"in"};
      ex.has_comps = true;
    }
    if (ex.comps_is_list) {
      AddError(ex.pos, fmt::format("{}: 'fields' and 'comps' must both be lists or both be single "
                                   "values",
                                   where));
      return false;
    }
    auto op = ParseOperatorName(ex.comps[0]);
    if (!op || !IsListOp(*op)) {
      AddError(ex.pos, fmt::format("{}: with a single field, 'comps' must be one of in, pmatch, "
                                   "intersects",
                                   where));
      return false;
    }
    return true;
  }

  // ---- vigil keys

  void ReadVigilKeys(const yaml::Node& item,
                     RuleInfo& rule,
                     std::string_view where,
                     const std::set<std::string>* only,
                     bool appending) {
    auto wanted = [&](std::string_view key) {
      return item[std::string(key)].IsDefined() && (only == nullptr || only->count(std::string(key)));
    };
    if (wanted("finding_type")) {
      if (auto v = Scalar(item["finding_type"], where, "finding_type")) rule.finding_type = *v;
    }
    if (wanted("severity")) {
      if (auto v = Scalar(item["severity"], where, "severity")) {
        if (auto canonical = CanonicalSeverity(*v)) {
          rule.severity = std::string(*canonical);
        } else {
          AddError(PosOf(item["severity"]),
                   fmt::format("{}: severity '{}' is not one of INFORMATIONAL, LOW, MEDIUM, HIGH, "
                               "CRITICAL",
                               where, *v));
        }
      }
    }
    if (wanted("once_per_request")) {
      if (auto v = Bool(item["once_per_request"], where, "once_per_request")) {
        rule.once_per_request = *v;
      }
    }
    if (wanted("mitre")) {
      const yaml::Node node = item["mitre"];
      std::vector<MitreTechnique> list;
      bool ok = true;
      if (!node.IsSequence()) {
        AddError(PosOf(node), fmt::format("{}: 'mitre' must be a list of {{tactic, technique_id, "
                                          "technique}} mappings",
                                          where));
        ok = false;
      } else {
        for (const yaml::Node& m : node) {
          if (!m.IsMap()) {
            AddError(PosOf(m), fmt::format("{}: each 'mitre' entry must be a mapping with tactic, "
                                           "technique_id and technique",
                                           where));
            ok = false;
            continue;
          }
          const std::string mwhere = fmt::format("{}: mitre entry", where);
          ok = CheckKeys(m, kMitreKeys, mwhere) && ok;
          MitreTechnique t;
          if (m["tactic"].IsDefined()) {
            if (auto v = Scalar(m["tactic"], mwhere, "tactic")) t.tactic = *v;
          }
          if (m["technique_id"].IsDefined()) {
            if (auto v = Scalar(m["technique_id"], mwhere, "technique_id")) t.technique_id = *v;
          }
          if (m["technique"].IsDefined()) {
            if (auto v = Scalar(m["technique"], mwhere, "technique")) t.technique = *v;
          }
          if (t.tactic.empty() && t.technique_id.empty()) {
            AddError(PosOf(m), fmt::format("{}: needs at least 'tactic' or 'technique_id'",
                                           mwhere));
            ok = false;
          }
          list.push_back(std::move(t));
        }
      }
      if (ok) {
        if (!appending) rule.mitre.clear();
        rule.mitre.insert(rule.mitre.end(), list.begin(), list.end());
      }
    }
    if (wanted("dedup_by")) {
      if (auto list = StringList(item["dedup_by"], where, "dedup_by")) {
        if (!appending) rule.dedup_by.clear();
        rule.dedup_by.insert(rule.dedup_by.end(), list->begin(), list->end());
        rule.dedup_pos = PosOf(item["dedup_by"]);
      }
    }
    if (wanted("remediation")) {
      const yaml::Node node = item["remediation"];
      if (!node.IsMap()) {
        AddError(PosOf(node), fmt::format("{}: 'remediation' must be a mapping with 'text' and "
                                          "'url'",
                                          where));
      } else {
        const std::string rwhere = fmt::format("{}: remediation", where);
        CheckKeys(node, kRemediationKeys, rwhere);
        Remediation r;
        if (node["text"].IsDefined()) {
          if (auto v = Scalar(node["text"], rwhere, "text")) r.text = *v;
        }
        if (node["url"].IsDefined()) {
          if (auto v = Scalar(node["url"], rwhere, "url")) r.url = *v;
        }
        rule.remediation = std::move(r);
      }
    }
  }

  // ---- items

  void ReadItem(const yaml::Node& item) {
    if (!item.IsMap()) {
      AddError(PosOf(item), "each item must be a mapping with one of the keys rule, macro, list, "
                            "required_engine_version, required_plugin_versions");
      return;
    }
    if (item["required_engine_version"].IsDefined()) {
      const yaml::Node v = item["required_engine_version"];
      if (!v.IsScalar()) {
        AddError(PosOf(v), "'required_engine_version' must be a version number");
      }
      return;
    }
    if (item["required_plugin_versions"].IsDefined()) {
      const yaml::Node v = item["required_plugin_versions"];
      if (!v.IsSequence()) {
        AddError(PosOf(v), "'required_plugin_versions' must be a list of {name, version}");
      }
      return;
    }
    if (item["list"].IsDefined()) return ReadList(item);
    if (item["macro"].IsDefined()) return ReadMacro(item);
    if (item["rule"].IsDefined()) return ReadRule(item);
    std::string first_key;
    if (item.size() > 0 && item.begin()->first.IsScalar()) first_key = item.begin()->first.Scalar();
    AddError(PosOf(item),
             fmt::format("unknown item{}: expected one of the keys rule, macro, list, "
                         "required_engine_version, required_plugin_versions",
                         first_key.empty() ? "" : fmt::format(" '{}'", first_key)));
  }

  void ReadList(const yaml::Node& item) {
    auto name = Scalar(item["list"], "list", "list");
    if (!name) return;
    const std::string where = fmt::format("list '{}'", *name);
    const SourcePos pos = PosOf(item);
    // An unknown key is reported but does not stop the item: its other problems are reported too.
    CheckKeys(item, kListKeys, where);
    bool ok = true;
    if (!IsValidListName(*name)) {
      AddError(pos, fmt::format("{}: a list name cannot contain blanks, quotes, parentheses, ',' "
                                "or '='",
                                where));
      ok = false;
    }
    const yaml::Node items_node = item["items"];
    std::optional<std::vector<std::string>> items;
    if (!items_node.IsDefined()) {
      AddError(pos, fmt::format("{}: missing 'items'", where));
      ok = false;
    } else {
      items = StringList(items_node, where, "items");
      if (!items) ok = false;
    }
    bool append = false;
    if (item["append"].IsDefined()) {
      auto a = Bool(item["append"], where, "append");
      if (!a) ok = false;
      else append = *a;
    }
    std::set<std::string> o_append;
    std::set<std::string> o_replace;
    if (!Overrides(item, where, kItemsKey, kItemsKey, o_append, o_replace)) ok = false;
    if (append && (!o_append.empty() || !o_replace.empty())) {
      AddError(pos, fmt::format("{}: 'append' and 'override' cannot be used together", where));
      ok = false;
    }
    if (!ok) return;
    if (append) Warn(pos, fmt::format("{}: 'append' is deprecated, use 'override: {{items: "
                                      "append}}'",
                                      where));
    append = append || o_append.count("items") > 0;
    const std::uint32_t id = counter++;
    if (append) {
      ListInfo* prev = lists.Find(*name);
      if (!prev) {
        AddError(pos, fmt::format("{}: cannot append to a list that was not defined before",
                                  where));
        return;
      }
      prev->items.insert(prev->items.end(), items->begin(), items->end());
      prev->visibility = id;
      return;
    }
    if (ListInfo* prev = lists.Find(*name)) {
      prev->items = std::move(*items);
      prev->pos = pos;
      prev->visibility = id;
      return;
    }
    ListInfo info;
    info.name = *name;
    info.items = std::move(*items);
    info.pos = pos;
    info.index = id;
    info.visibility = id;
    lists.Add(std::move(info));
  }

  void ReadMacro(const yaml::Node& item) {
    auto name = Scalar(item["macro"], "macro", "macro");
    if (!name) return;
    const std::string where = fmt::format("macro '{}'", *name);
    const SourcePos pos = PosOf(item);
    CheckKeys(item, kMacroKeys, where);  // reported; the rest is still checked
    bool ok = true;
    if (!IsIdentifier(*name)) {
      AddError(pos, fmt::format("{}: a macro name must be a letter followed by letters, digits or "
                                "'_'",
                                where));
      ok = false;
    }
    const yaml::Node cond = item["condition"];
    std::optional<std::string> text;
    if (!cond.IsDefined()) {
      AddError(pos, fmt::format("{}: missing 'condition'", where));
      ok = false;
    } else {
      text = Scalar(cond, where, "condition");
      if (!text) ok = false;
    }
    bool append = false;
    if (item["append"].IsDefined()) {
      auto a = Bool(item["append"], where, "append");
      if (!a) ok = false;
      else append = *a;
    }
    std::optional<bool> enabled;
    if (item["enabled"].IsDefined()) {
      enabled = Bool(item["enabled"], where, "enabled");
      if (!enabled) ok = false;
    }
    std::set<std::string> o_append;
    std::set<std::string> o_replace;
    if (!Overrides(item, where, kConditionKey, kConditionKey, o_append, o_replace)) ok = false;
    if (append && (!o_append.empty() || !o_replace.empty())) {
      AddError(pos, fmt::format("{}: 'append' and 'override' cannot be used together", where));
      ok = false;
    }
    if (!ok) return;
    if (append) Warn(pos, fmt::format("{}: 'append' is deprecated, use 'override: {{condition: "
                                      "append}}'",
                                      where));
    append = append || o_append.count("condition") > 0;
    counter++;
    Fragment frag = MakeFragment(cond, *text);
    if (append) {
      MacroInfo* prev = macros.Find(*name);
      if (!prev) {
        AddError(pos, fmt::format("{}: cannot append to a macro that was not defined before",
                                  where));
        return;
      }
      prev->condition.push_back(std::move(frag));
      if (enabled) prev->enabled = *enabled;
      return;
    }
    if (MacroInfo* prev = macros.Find(*name)) {
      prev->condition.clear();
      prev->condition.push_back(std::move(frag));
      prev->pos = pos;
      prev->enabled = enabled.value_or(true);
      return;
    }
    MacroInfo info;
    info.name = *name;
    info.condition.push_back(std::move(frag));
    info.enabled = enabled.value_or(true);
    info.pos = pos;
    info.index = counter;
    macros.Add(std::move(info));
  }

  // Applies condition/output/desc/tags/exceptions/... from `item` to `rule`, for the keys in
  // `keys` (all present keys when null). `appending` joins text and extends lists.
  bool ApplyRuleKeys(const yaml::Node& item,
                     RuleInfo& rule,
                     const std::string& where,
                     const std::set<std::string>* keys,
                     bool appending) {
    auto wanted = [&](const char* key) {
      return item[key].IsDefined() && (keys == nullptr || keys->count(key) > 0);
    };
    bool ok = true;
    if (wanted("condition")) {
      if (auto v = Scalar(item["condition"], where, "condition")) {
        if (!appending) rule.condition.clear();
        rule.condition.push_back(MakeFragment(item["condition"], *v));
      } else {
        ok = false;
      }
    }
    if (wanted("output")) {
      if (auto v = Scalar(item["output"], where, "output")) {
        rule.output = appending ? rule.output + " " + *v : *v;
        rule.output_pos = PosOf(item["output"]);
        rule.output_fragment = MakeFragment(item["output"], *v);
        if (appending) rule.output_fragment.mark = yaml::Mark{};
      } else {
        ok = false;
      }
    }
    if (wanted("desc")) {
      if (auto v = Scalar(item["desc"], where, "desc")) {
        rule.desc = appending ? rule.desc + " " + *v : *v;
      } else {
        ok = false;
      }
    }
    if (wanted("priority")) {
      if (auto v = Scalar(item["priority"], where, "priority")) {
        if (auto p = ParsePriority(Trim(*v))) {
          rule.priority = *p;
        } else {
          AddError(PosOf(item["priority"]),
                   fmt::format("{}: invalid priority '{}': use EMERGENCY, ALERT, CRITICAL, ERROR, "
                               "WARNING, NOTICE, INFORMATIONAL (or INFO) or DEBUG",
                               where, *v));
          ok = false;
        }
      } else {
        ok = false;
      }
    }
    if (wanted("tags")) {
      if (auto list = StringList(item["tags"], where, "tags")) {
        if (!appending) rule.tags.clear();
        for (std::string& t : *list) {
          if (std::find(rule.tags.begin(), rule.tags.end(), t) == rule.tags.end()) {
            rule.tags.push_back(std::move(t));
          }
        }
      } else {
        ok = false;
      }
    }
    if (wanted("enabled")) {
      if (auto v = Bool(item["enabled"], where, "enabled")) rule.enabled = *v;
      else ok = false;
    }
    if (wanted("skip-if-unknown-filter")) {
      if (auto v = Bool(item["skip-if-unknown-filter"], where, "skip-if-unknown-filter")) {
        rule.skip_if_unknown_filter = *v;
      } else {
        ok = false;
      }
    }
    for (const char* key : {"warn_evttypes", "capture"}) {
      if (wanted(key) && !Bool(item[key], where, key)) ok = false;
    }
    if (wanted("exceptions")) {
      auto exs = ReadExceptions(item, where, appending);
      if (!exs) {
        ok = false;
      } else if (!appending) {
        for (ExceptionInfo& ex : *exs) {
          if (!ValidateException(ex, where)) ok = false;
        }
        rule.exceptions = std::move(*exs);
      } else {
        for (ExceptionInfo& ex : *exs) {
          auto prev = std::find_if(rule.exceptions.begin(), rule.exceptions.end(),
                                   [&](const ExceptionInfo& e) { return e.name == ex.name; });
          if (prev == rule.exceptions.end()) {
            if (!ex.has_fields || !ex.has_values) {
              AddError(ex.pos, fmt::format("{}: new exception '{}' needs 'fields' and 'values'",
                                           where, ex.name));
              ok = false;
              continue;
            }
            if (!ValidateException(ex, where)) {
              ok = false;
              continue;
            }
            rule.exceptions.push_back(std::move(ex));
          } else {
            if (ex.has_fields || ex.has_comps) {
              AddError(ex.pos, fmt::format("{}: exception '{}' exists; only 'values' can be "
                                           "appended to it",
                                           where, ex.name));
              ok = false;
              continue;
            }
            prev->values.insert(prev->values.end(), ex.values.begin(), ex.values.end());
          }
        }
      }
    }
    ReadVigilKeys(item, rule, where, keys, appending);
    return ok;
  }

  void ReadRule(const yaml::Node& item) {
    auto name = Scalar(item["rule"], "rule", "rule");
    if (!name) return;
    const std::string where = fmt::format("rule '{}'", *name);
    const SourcePos pos = PosOf(item);
    CheckKeys(item, kRuleKeys, where);  // reported; the rest is still checked
    bool ok = true;
    bool append = false;
    if (item["append"].IsDefined()) {
      auto a = Bool(item["append"], where, "append");
      if (!a) ok = false;
      else append = *a;
    }
    std::set<std::string> o_append;
    std::set<std::string> o_replace;
    if (!Overrides(item, where, kRuleAppendable, kRuleReplaceable, o_append, o_replace)) ok = false;
    const bool has_overrides = !o_append.empty() || !o_replace.empty();
    if (append && has_overrides) {
      AddError(pos, fmt::format("{}: 'append' and 'override' cannot be used together", where));
      ok = false;
    }
    if (!ok) return;
    const std::uint32_t id = counter++;
    RuleInfo* prev = rules.Find(*name);

    if (has_overrides) {
      // Every overridden key must be present, and every present overridable key overridden.
      for (const auto* set : {&o_append, &o_replace}) {
        for (const std::string& key : *set) {
          if (!item[key].IsDefined()) {
            AddError(pos, fmt::format("{}: an override for '{}' was given but '{}' is not set",
                                      where, key, key));
            ok = false;
          }
        }
      }
      for (auto it = item.begin(); it != item.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key == "rule" || key == "override" || key == "append" || key == "source") continue;
        if (!o_append.count(key) && !o_replace.count(key)) {
          AddError(PosOf(it->first),
                   fmt::format("{}: key '{}' has no entry under 'override' (add '{}: append' or "
                               "'{}: replace')",
                               where, key, key, key));
          ok = false;
        }
      }
      if (!prev) {
        AddError(pos, fmt::format("{}: cannot override a rule that was not defined before",
                                  where));
        return;
      }
      if (!ok) return;
      if (!o_append.empty()) ApplyRuleKeys(item, *prev, where, &o_append, true);
      if (!o_replace.empty()) ApplyRuleKeys(item, *prev, where, &o_replace, false);
      return;
    }

    if (append) {
      Warn(pos, fmt::format("{}: 'append' is deprecated, use 'override'", where));
      if (!prev) {
        AddError(pos, fmt::format("{}: cannot append to a rule that was not defined before",
                                  where));
        return;
      }
      for (auto it = item.begin(); it != item.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key == "rule" || key == "append" || key == "condition" || key == "exceptions" ||
            key == "source") {
          continue;
        }
        AddError(PosOf(it->first),
                 fmt::format("{}: with 'append: true' only 'condition' and 'exceptions' can be "
                             "added; use 'override' to change '{}'",
                             where, key));
        ok = false;
      }
      if (!ok) return;
      std::set<std::string> keys = {"condition", "exceptions"};
      ApplyRuleKeys(item, *prev, where, &keys, true);
      return;
    }

    const bool definition = item["condition"].IsDefined() || item["output"].IsDefined() ||
                            item["desc"].IsDefined() || item["priority"].IsDefined();
    if (!definition) {
      // Only `enabled`: switch an earlier rule on or off.
      if (!item["enabled"].IsDefined()) {
        AddError(pos, fmt::format("{}: a rule needs 'condition', 'output', 'desc' and 'priority' "
                                  "(or only 'enabled' to switch an earlier rule on or off)",
                                  where));
        return;
      }
      for (auto it = item.begin(); it != item.end(); ++it) {
        const std::string key = it->first.Scalar();
        if (key == "rule" || key == "enabled" || key == "source") continue;
        AddError(PosOf(it->first),
                 fmt::format("{}: '{}' cannot be set without 'condition'; use 'override' to "
                             "change an existing rule",
                             where, key));
        ok = false;
      }
      auto enabled = Bool(item["enabled"], where, "enabled");
      if (!enabled || !ok) return;
      if (!prev) {
        AddError(pos, fmt::format("{}: 'enabled' given but no rule by that name was defined "
                                  "before",
                                  where));
        return;
      }
      prev->enabled = *enabled;
      return;
    }

    RuleInfo info;
    info.name = *name;
    info.pos = pos;
    for (const char* key : {"condition", "output", "desc"}) {
      if (!item[key].IsDefined()) {
        AddError(pos, fmt::format("{}: missing '{}'", where, key));
        ok = false;
      }
    }
    if (!item["priority"].IsDefined() && !item["severity"].IsDefined()) {
      AddError(pos, fmt::format("{}: missing 'priority'", where));
      ok = false;
    }
    info.source = options.default_source;
    if (item["source"].IsDefined()) {
      if (auto s = Scalar(item["source"], where, "source")) info.source = *s;
      else ok = false;
    }
    ok = ApplyRuleKeys(item, info, where, nullptr, false) && ok;
    if (!ok) return;
    info.output = Trim(info.output);
    if (!info.priority) {
      // Only `severity` was given: pick the Falco priority that maps back to it.
      const std::string& sev = *info.severity;
      info.priority = sev == "CRITICAL" ? Priority::kCritical
                      : sev == "HIGH"   ? Priority::kError
                      : sev == "MEDIUM" ? Priority::kWarning
                      : sev == "LOW"    ? Priority::kNotice
                                        : Priority::kInformational;
    }
    if (prev) {
      if (prev->source != info.source) {
        AddError(pos, fmt::format("{}: redefined with source '{}' but was defined with source "
                                  "'{}'",
                                  where, info.source, prev->source));
        return;
      }
      info.index = prev->index;
      info.pos = prev->pos;
      *prev = std::move(info);
      return;
    }
    info.index = id;
    rules.Add(std::move(info));
  }

  // ---- reading a document

  void ReadText(std::uint32_t file_index) {
    file = file_index;
    first_error_in_file.reset();
    const SourceFile& sf = File(file_index);
    auto tree = yaml::Tree::Parse(sf.text, sf.name);
    if (!tree) {
      AddError(tree.error().pos, fmt::format("invalid YAML: {}", tree.error().message));
      return;
    }
    for (const yaml::Node& doc : tree->documents()) {
      if (!doc.IsDefined() || doc.IsNull()) continue;
      if (!doc.IsSequence()) {
        AddError(PosOf(doc), "a rules file must be a list of items (- rule: ..., - macro: ..., "
                             "- list: ...)");
        continue;
      }
      for (const yaml::Node& item : doc) {
        if (item.IsNull()) continue;
        ReadItem(item);
      }
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Compilation (Finish)

namespace {

// Lists expanded and macros parsed, as the resolver sees them.
class LoadedScope : public NameScope {
 public:
  const MacroEntry* FindMacro(std::string_view name) const override {
    auto it = macros.find(std::string(name));
    return it == macros.end() ? nullptr : &it->second;
  }
  const std::vector<std::string>* FindList(std::string_view name) const override {
    auto it = lists.find(std::string(name));
    return it == lists.end() ? nullptr : &it->second;
  }

  std::unordered_map<std::string, MacroEntry> macros;
  std::unordered_map<std::string, std::vector<std::string>> lists;
};

void CollectMacroRefs(const AstNode& node, std::vector<const AstNode*>& out) {
  if (node.kind == AstNode::Kind::kMacroRef) {
    out.push_back(&node);
    return;
  }
  for (const auto& child : node.children) CollectMacroRefs(*child, out);
}

}  // namespace

class RuleLoader::Compilation {
 public:
  explicit Compilation(RuleLoader::State& s) : s_(s) {
    sources_.emplace_back();  // source 0: unknown
    locate_ = [this](std::uint32_t source, std::uint32_t offset) { return Locate(source, offset); };
  }

  RuleSet Run() {
    RuleSet set;
    ExpandLists(set);
    ParseMacros(set);
    CheckMacros();
    CompileRules(set);
    set.warnings_ = s_.warnings;
    return set;
  }

 private:
  Location Locate(std::uint32_t source, std::uint32_t offset) const {
    if (source == 0 || source >= sources_.size()) return Location{};
    const ConditionSource& cs = sources_[source];
    if (cs.fixed) return Location{*cs.fixed, cs.where};
    for (const ConditionSource::Span& span : cs.spans) {
      if (offset <= span.start + span.length) {
        const std::uint32_t within = offset >= span.start ? offset - span.start : 0;
        if (span.fragment->mark.line < 0) {
          return Location{SourcePos{s_.File(span.fragment->file).name, 0, 0}, cs.where};
        }
        return Location{s_.MapScalarOffset(*span.fragment, within), cs.where};
      }
    }
    if (!cs.spans.empty()) {
      const Fragment& f = *cs.spans.back().fragment;
      return Location{s_.PosOf(f.file, f.mark), cs.where};
    }
    return Location{SourcePos{}, cs.where};
  }

  // Registers a text made of `fragments` joined by blanks; returns its source number and the text.
  std::uint32_t AddSource(std::string where,
                          const std::vector<Fragment>& fragments,
                          std::string& joined) {
    ConditionSource cs;
    cs.where = std::move(where);
    joined.clear();
    for (const Fragment& f : fragments) {
      if (!joined.empty()) joined += ' ';
      ConditionSource::Span span;
      span.start = static_cast<std::uint32_t>(joined.size());
      span.length = static_cast<std::uint32_t>(f.text.size());
      span.fragment = &f;
      cs.spans.push_back(span);
      joined += f.text;
    }
    sources_.push_back(std::move(cs));
    return static_cast<std::uint32_t>(sources_.size() - 1);
  }

  std::uint32_t AddFixedSource(std::string where, SourcePos pos) {
    ConditionSource cs;
    cs.where = std::move(where);
    cs.fixed = std::move(pos);
    sources_.push_back(std::move(cs));
    return static_cast<std::uint32_t>(sources_.size() - 1);
  }

  // --- lists

  const std::vector<std::string>& Expand(const ListInfo& list) {
    if (auto it = scope_.lists.find(list.name); it != scope_.lists.end()) return it->second;
    std::vector<std::string> items;
    expanding_.insert(list.name);
    const std::size_t cap = s_.options.limits.max_list_items;
    for (const std::string& item : list.items) {
      const ListInfo* ref = s_.lists.Find(item);
      // As in Falco, an item names a list only if that list was defined before this list's last
      // definition or append.
      if (ref && ref != &list && ref->index < list.visibility && !expanding_.count(ref->name)) {
        const std::vector<std::string>& sub = Expand(*ref);
        if (items.size() + sub.size() > cap) {
          items.clear();
          s_.AddError(list.pos, fmt::format("list '{}': expands to more than {} items", list.name,
                                            cap));
          break;
        }
        items.insert(items.end(), sub.begin(), sub.end());
      } else {
        items.push_back(UnquoteItem(item));
      }
    }
    expanding_.erase(list.name);
    return scope_.lists.emplace(list.name, std::move(items)).first->second;
  }

  void ExpandLists(RuleSet& set) {
    for (const ListInfo& list : s_.lists.items()) {
      const std::vector<std::string>& items = Expand(list);
      set.lists_.push_back(ListDef{list.name, items, list.pos});
    }
  }

  // --- macros

  void ParseMacros(RuleSet& set) {
    for (const MacroInfo& m : s_.macros.items()) {
      std::string text;
      const std::uint32_t src = AddSource(fmt::format("macro '{}'", m.name), m.condition, text);
      MacroEntry entry;
      entry.name = m.name;
      entry.enabled = m.enabled;
      std::uint32_t at = 0;
      auto ast = ParseCondition(text, src, &at);
      if (ast) {
        macro_asts_.push_back(std::move(*ast));
        entry.condition = macro_asts_.back().get();
      } else {
        s_.AddError(MakeNodeError(locate_, src, at, ast.error().message));
        entry.broken = true;
      }
      scope_.macros.emplace(m.name, entry);
      set.macros_.push_back(MacroDef{m.name, text, m.enabled, m.pos});
    }
  }

  // Reports undefined, disabled and circular references inside macros once, and marks every macro
  // that has (or depends on one that has) a problem as broken, so rules using it fail quietly.
  void CheckMacros() {
    std::unordered_map<std::string, std::vector<const AstNode*>> refs;
    for (auto& [name, entry] : scope_.macros) {
      if (!entry.condition) continue;
      std::vector<const AstNode*> r;
      CollectMacroRefs(*entry.condition, r);
      refs.emplace(name, std::move(r));
    }
    // Direct problems.
    for (auto& [name, list] : refs) {
      for (const AstNode* ref : list) {
        const MacroEntry* target = scope_.FindMacro(ref->name);
        std::string problem;
        if (!target) {
          problem = scope_.FindList(ref->name)
                        ? fmt::format("'{}' is a list, not a macro: a list can only follow in, "
                                      "intersects or pmatch, as in 'ka.user.name in ({})'",
                                      ref->name, ref->name)
                        : fmt::format("undefined macro '{}'", ref->name);
        } else if (!target->enabled) {
          problem = fmt::format("macro '{}' is disabled", ref->name);
        }
        if (!problem.empty()) {
          s_.AddError(MakeNodeError(locate_, ref->source, ref->offset, problem));
          scope_.macros[name].broken = true;
        }
      }
    }
    // Cycles: depth-first search, iterative to stay safe on long chains.
    enum class Mark : std::uint8_t { kNew, kActive, kDone };
    std::unordered_map<std::string, Mark> marks;
    for (auto& [start, unused] : refs) {
      (void)unused;
      if (marks[start] != Mark::kNew) continue;
      struct Frame {
        std::string name;
        std::size_t next = 0;
      };
      std::vector<Frame> stack;
      stack.push_back(Frame{start, 0});
      marks[start] = Mark::kActive;
      while (!stack.empty()) {
        Frame& top = stack.back();
        const auto& list = refs[top.name];
        if (top.next >= list.size()) {
          marks[top.name] = Mark::kDone;
          stack.pop_back();
          continue;
        }
        const AstNode* ref = list[top.next++];
        if (!refs.count(ref->name)) continue;
        Mark& m = marks[ref->name];
        if (m == Mark::kActive) {
          std::string chain;
          bool in_cycle = false;
          for (const Frame& f : stack) {
            if (f.name == ref->name) in_cycle = true;
            if (in_cycle) {
              chain += f.name + " -> ";
              scope_.macros[f.name].broken = true;
            }
          }
          chain += ref->name;
          s_.AddError(MakeNodeError(locate_, ref->source, ref->offset,
                                    fmt::format("macro '{}' refers to itself ({})", ref->name,
                                                chain)));
          continue;
        }
        if (m == Mark::kNew) {
          m = Mark::kActive;
          stack.push_back(Frame{ref->name, 0});
        }
      }
    }
    // Propagate brokenness to users (fixed point; the graph is small).
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto& [name, list] : refs) {
        MacroEntry& entry = scope_.macros[name];
        if (entry.broken) continue;
        for (const AstNode* ref : list) {
          const MacroEntry* target = scope_.FindMacro(ref->name);
          if (target && target->broken) {
            entry.broken = true;
            changed = true;
            break;
          }
        }
      }
    }
  }

  // --- exceptions

  static AstPtr NewNode(AstNode::Kind kind, std::uint32_t source) {
    auto n = std::make_unique<AstNode>();
    n->kind = kind;
    n->source = source;
    return n;
  }

  // One `field op value(s)` check of an exception. Returns null (with an error) if the field
  // reference is malformed or a list is given to a scalar operator.
  AstPtr ExceptionCheck(const std::string& field_text,
                        const std::string& comp,
                        const ExceptionValue& value,
                        std::uint32_t src) {
    auto ref = ParseFieldRef(field_text);
    if (!ref) {
      s_.AddError(MakeNodeError(locate_, src, 0,
                                fmt::format("field '{}': {}", field_text, ref.error().message)));
      return nullptr;
    }
    const CmpOp op = *ParseOperatorName(comp);  // validated when read
    AstPtr check = NewNode(AstNode::Kind::kCheck, src);
    check->field = ref->name;
    check->arg = ref->arg;
    check->op = op;
    if (value.is_list) {
      if (!IsListOp(op)) {
        s_.AddError(MakeNodeError(locate_, src, 0,
                                  fmt::format("value for field '{}' is a list, which needs in, "
                                              "intersects or pmatch, not '{}'",
                                              field_text, comp)));
        return nullptr;
      }
      for (const ExceptionValue& item : value.items) {
        if (item.is_list) {
          s_.AddError(MakeNodeError(locate_, src, 0,
                                    fmt::format("value for field '{}' nests lists too deeply",
                                                field_text)));
          return nullptr;
        }
        check->values.push_back(AstValue{UnquoteItem(item.item), 0, HasBlank(item.item)});
      }
    } else {
      // With a list operator a single value may name a list, as in Falco ("(value)").
      check->values.push_back(AstValue{UnquoteItem(value.item), 0,
                                       !IsListOp(op) || HasBlank(value.item)});
    }
    return check;
  }

  static bool HasBlank(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return IsBlank(c); });
  }

  // The clause an exception excludes (without the `not`), or null when it has no values or is
  // malformed (then an error was reported and `ok` is cleared).
  AstPtr ExceptionClause(const ExceptionInfo& ex, const std::string& rule_where, bool& all_ok) {
    bool ok = true;
    AstPtr clause = ExceptionClauseImpl(ex, rule_where, ok);
    if (!ok) all_ok = false;
    return clause;
  }

  AstPtr ExceptionClauseImpl(const ExceptionInfo& ex, const std::string& rule_where, bool& ok) {
    const std::string where = fmt::format("{}: exception '{}'", rule_where, ex.name);
    const std::uint32_t src = AddFixedSource(where, ex.pos);
    if (ex.values.empty()) return nullptr;
    if (!ex.fields_is_list) {
      ExceptionValue all;
      all.is_list = true;
      for (const ExceptionValue& v : ex.values) {
        if (v.is_list) {
          s_.AddError(MakeNodeError(locate_, src, 0,
                                    "with a single field, 'values' must be a list of strings"));
          ok = false;
          return nullptr;
        }
        all.items.push_back(v);
      }
      AstPtr check = ExceptionCheck(ex.fields[0], ex.comps[0], all, src);
      if (!check) ok = false;
      return check;
    }
    AstPtr any = NewNode(AstNode::Kind::kOr, src);
    std::size_t index = 0;
    for (const ExceptionValue& tuple : ex.values) {
      ++index;
      if (!tuple.is_list || tuple.items.size() != ex.fields.size()) {
        s_.AddError(MakeNodeError(
            locate_, src, 0,
            fmt::format("value #{} must be a list of {} item(s), one per field", index,
                        ex.fields.size())));
        ok = false;
        continue;
      }
      AstPtr all = NewNode(AstNode::Kind::kAnd, src);
      for (std::size_t k = 0; k < ex.fields.size(); ++k) {
        AstPtr check = ExceptionCheck(ex.fields[k], ex.comps[k], tuple.items[k], src);
        if (!check) {
          ok = false;
          continue;
        }
        all->children.push_back(std::move(check));
      }
      if (all->children.size() == 1) {
        any->children.push_back(std::move(all->children[0]));
      } else if (!all->children.empty()) {
        any->children.push_back(std::move(all));
      }
    }
    if (!ok || any->children.empty()) return nullptr;
    if (any->children.size() == 1) return std::move(any->children[0]);
    return any;
  }

  // --- rules

  bool HasUnknownField(const AstNode& node) const {
    if (node.kind == AstNode::Kind::kCheck) {
      std::optional<std::string_view> arg;
      if (node.arg) arg = *node.arg;
      return !ResolveField(node.field, arg).has_value();
    }
    for (const auto& child : node.children) {
      if (HasUnknownField(*child)) return true;
    }
    return false;
  }

  void CompileRules(RuleSet& set) {
    std::vector<std::pair<const RuleInfo*, Rule>> compiled;
    for (const RuleInfo& info : s_.rules.items()) {
      if (info.source != kK8sAuditSource) {
        ++set.skipped_other_source_;
        continue;
      }
      if (auto rule = CompileRule(info, set)) compiled.emplace_back(&info, std::move(*rule));
    }
    const IndexSlots slots = FindIndexSlots(set.fields_);
    for (auto& [info, rule] : compiled) {
      (void)info;
      rule.constraints = ComputeConstraints(rule.compiled, slots);
      set.by_name_.emplace(rule.name, set.rules_.size());
      set.rules_.push_back(std::move(rule));
    }
  }

  std::optional<Rule> CompileRule(const RuleInfo& info, RuleSet& set) {
    const std::string where = fmt::format("rule '{}'", info.name);
    std::string text;
    const std::uint32_t src = AddSource(where, info.condition, text);
    std::uint32_t at = 0;
    auto parsed = ParseCondition(text, src, &at);
    if (!parsed) {
      s_.AddError(MakeNodeError(locate_, src, at, parsed.error().message));
      return std::nullopt;
    }
    AstPtr root = std::move(*parsed);
    bool ok = true;
    if (!info.exceptions.empty()) {
      AstPtr all = NewNode(AstNode::Kind::kAnd, src);
      all->children.push_back(std::move(root));
      for (const ExceptionInfo& ex : info.exceptions) {
        AstPtr clause = ExceptionClause(ex, where, ok);
        if (!clause) continue;
        AstPtr negated = NewNode(AstNode::Kind::kNot, clause->source);
        negated->children.push_back(std::move(clause));
        all->children.push_back(std::move(negated));
      }
      root = all->children.size() == 1 ? std::move(all->children[0]) : std::move(all);
    }
    std::vector<Error> errors;
    bool complete = false;
    AstPtr resolved =
        ResolveCondition(*root, scope_, locate_, errors, complete, s_.options.limits);
    for (Error& e : errors) s_.AddError(std::move(e));
    if (!resolved) return std::nullopt;
    if (!complete) ok = false;
    if (info.skip_if_unknown_filter && HasUnknownField(*resolved)) {
      ++set.skipped_unknown_filter_;
      s_.Warn(info.pos, fmt::format("{}: skipped: it uses a field vigil does not know and sets "
                                    "'skip-if-unknown-filter'",
                                    where));
      return std::nullopt;
    }
    errors.clear();
    auto compiled = CompileCondition(*resolved, set.fields_, locate_, errors);
    for (Error& e : errors) s_.AddError(std::move(e));

    Rule rule;
    rule.name = info.name;
    rule.desc = info.desc;
    rule.condition = text;
    rule.output = info.output;
    rule.priority = info.priority.value_or(Priority::kWarning);
    rule.tags = info.tags;
    rule.enabled = info.enabled;
    rule.source = info.source;
    rule.pos = info.pos;
    for (const ExceptionInfo& ex : info.exceptions) rule.exception_names.push_back(ex.name);
    rule.finding_type = info.finding_type;
    rule.severity_explicit = info.severity.has_value();
    rule.severity = info.severity ? *info.severity : std::string(SeverityForPriority(rule.priority));
    rule.mitre = info.mitre;
    rule.remediation = info.remediation;
    rule.once_per_request = info.once_per_request.value_or(!info.finding_type.empty());

    for (const std::string& d : info.dedup_by) {
      auto ref = ParseFieldRef(d);
      if (!ref) {
        s_.AddError(info.dedup_pos, fmt::format("{}: dedup_by '{}': {}", where, d,
                                                ref.error().message));
        ok = false;
        continue;
      }
      std::optional<std::string_view> arg;
      if (ref->arg) arg = *ref->arg;
      auto slot = set.fields_.Intern(ref->name, arg);
      if (!slot) {
        s_.AddError(info.dedup_pos, fmt::format("{}: dedup_by: {}", where, slot.error().message));
        ok = false;
        continue;
      }
      rule.dedup_by.push_back(set.fields_.name(*slot));
      rule.dedup_slots.push_back(*slot);
    }

    std::uint32_t out_at = 0;
    auto output = OutputFormat::Compile(info.output, set.fields_, &out_at);
    if (!output) {
      // The output was trimmed; find the offset in the raw value.
      const std::string& raw = info.output_fragment.text;
      const std::size_t lead = raw.find(info.output.empty() ? std::string_view(" ")
                                                            : std::string_view(info.output));
      const std::uint32_t osrc = info.output_fragment.mark.line >= 0
                                     ? AddSourceFor(where + ": output", info.output_fragment)
                                     : AddFixedSource(where + ": output", info.output_pos);
      s_.AddError(MakeNodeError(
          locate_, osrc,
          out_at + static_cast<std::uint32_t>(lead == std::string::npos ? 0 : lead),
          output.error().message));
      ok = false;
    } else {
      rule.output_format = std::move(*output);
    }
    if (!compiled || !ok) return std::nullopt;
    rule.compiled = std::move(*compiled);
    return rule;
  }

  std::uint32_t AddSourceFor(std::string where, const Fragment& fragment) {
    owned_fragments_.push_back(std::make_unique<Fragment>(fragment));
    ConditionSource cs;
    cs.where = std::move(where);
    ConditionSource::Span span;
    span.start = 0;
    span.length = static_cast<std::uint32_t>(fragment.text.size());
    span.fragment = owned_fragments_.back().get();
    cs.spans.push_back(span);
    sources_.push_back(std::move(cs));
    return static_cast<std::uint32_t>(sources_.size() - 1);
  }

  RuleLoader::State& s_;
  Locator locate_;
  std::vector<ConditionSource> sources_;
  std::vector<std::unique_ptr<Fragment>> owned_fragments_;
  LoadedScope scope_;
  std::vector<AstPtr> macro_asts_;
  std::unordered_set<std::string> expanding_;
};

// ---------------------------------------------------------------------------------------------
// RuleLoader

RuleLoader::RuleLoader(LoaderOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}

RuleLoader::~RuleLoader() = default;

const std::vector<Error>& RuleLoader::errors() const { return state_->errors; }
const std::vector<std::string>& RuleLoader::warnings() const { return state_->warnings; }

Status RuleLoader::AddText(const std::string& name, std::string text) {
  auto file = std::make_unique<SourceFile>();
  file->name = name;
  file->text = std::move(text);
  for (std::size_t i = 0; i < file->text.size(); ++i) {
    if (file->text[i] == '\n') file->line_starts.push_back(i + 1);
  }
  file->line_starts.insert(file->line_starts.begin(), 0);
  state_->files.push_back(std::move(file));
  state_->ReadText(static_cast<std::uint32_t>(state_->files.size() - 1));
  if (state_->first_error_in_file) return *state_->first_error_in_file;
  return Ok();
}

Status RuleLoader::AddFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Error e = MakeError(ErrorCode::kIo, fmt::format("cannot read rules file '{}'", path),
                        SourcePos{path, 0, 0});
    state_->AddError(e);
    return e;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    Error e = MakeError(ErrorCode::kIo, fmt::format("error reading rules file '{}'", path),
                        SourcePos{path, 0, 0});
    state_->AddError(e);
    return e;
  }
  return AddText(path, buffer.str());
}

Status RuleLoader::AddDirectory(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    const auto ext = p.extension().string();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(ec)) files.push_back(p);
  }
  if (ec) {
    Error e = MakeError(ErrorCode::kIo,
                        fmt::format("cannot list rules directory '{}': {}", dir, ec.message()),
                        SourcePos{dir, 0, 0});
    state_->AddError(e);
    return e;
  }
  std::sort(files.begin(), files.end());
  Status first = Ok();
  for (const auto& f : files) {
    Status s = AddFile(f.string());
    if (!s && first) first = s;
  }
  return first;
}

Result<RuleSet> RuleLoader::Finish() {
  State& s = *state_;
  if (s.finished) {
    return MakeError(ErrorCode::kInternal, "RuleLoader::Finish called twice");
  }
  s.finished = true;
  s.file = 0;
  Compilation compilation(s);
  RuleSet set = compilation.Run();
  if (s.errors.empty()) return set;
  // Report in reading order: by file (in the order added), then line and column.
  std::unordered_map<std::string, std::size_t> file_order;
  for (std::size_t i = 0; i < s.files.size(); ++i) file_order.emplace(s.files[i]->name, i);
  auto rank = [&](const Error& e) {
    auto it = file_order.find(e.pos.file);
    return std::make_tuple(it == file_order.end() ? s.files.size() : it->second, e.pos.line,
                           e.pos.column);
  };
  std::stable_sort(s.errors.begin(), s.errors.end(),
                   [&](const Error& a, const Error& b) { return rank(a) < rank(b); });
  const std::size_t total = s.errors.size() + s.dropped_errors;
  std::string message = fmt::format("{} error{} in rule files:", total, total == 1 ? "" : "s");
  for (const Error& e : s.errors) {
    message += "\n  ";
    message += e.ToString();
  }
  if (s.dropped_errors > 0) message += fmt::format("\n  ... and {} more", s.dropped_errors);
  return MakeError(ErrorCode::kConfig, std::move(message));
}

Result<RuleSet> LoadRuleFiles(const std::vector<std::string>& paths, LoaderOptions options) {
  RuleLoader loader(std::move(options));
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      (void)loader.AddDirectory(p);
    } else {
      (void)loader.AddFile(p);
    }
  }
  return loader.Finish();
}

}  // namespace vigil::rules
