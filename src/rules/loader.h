// RuleLoader reads Falco rule files (YAML) and builds a RuleSet (rules/rule.h).
//
// Items, as in Falco (falco userspace/engine/rule_loader_reader.cpp and _collector.cpp):
//   - required_engine_version: N          accepted and ignored
//   - required_plugin_versions: [...]     accepted and ignored (vigil has the k8saudit and json
//                                         fields built in)
//   - list: NAME, items: [...]            items naming an earlier list are replaced by its items
//   - macro: NAME, condition: TEXT
//   - rule: NAME, condition, output, desc, priority, [source, enabled, tags, exceptions,
//           warn_evttypes, skip-if-unknown-filter, capture*], plus vigil's keys finding_type,
//           severity, mitre, dedup_by, remediation, once_per_request
//
// Redefining a list, macro or rule replaces it in place (it keeps its original position);
// `append: true` adds list items, or joins condition text with a blank (macro, rule), or adds
// exceptions (rule); `override: {key: append|replace}` does the same per key (rules: append for
// condition, output, desc, tags, exceptions, mitre, dedup_by; replace for those and priority,
// enabled, warn_evttypes, skip-if-unknown-filter and vigil's keys). An item with only `rule` and
// `enabled` switches an earlier rule on or off. Rules whose `source` is not k8s_audit are read
// (so later items may refer to them) and then skipped. Exceptions become `and not (...)` clauses:
// a single `fields` name with `comps` in (default), intersects or pmatch and a list of values; or
// a list of fields with one comparison each (default `=`) and a list of value tuples.
//
// Lists and macros are global: a condition may use a list or macro defined later in any file (the
// rules are compiled in Finish()). Unlike Falco, a macro may also refer to a macro defined after
// it; cycles are errors.
//
// Every problem is collected, each with file:line:column (of the YAML node, or inside a condition
// or output at the offending token), and Finish() reports them all:
//   rules.yaml:12:3: rule 'Foo': unknown key 'conditon' (did you mean 'condition'?)
//   rules.yaml:14:31: rule 'Foo': undefined macro 'kevtt'
//   rules.yaml:20:22: macro 'kcreate': unknown field 'ka.verbb'; did you mean 'ka.verb'?
//
// The YAML is read with libyaml into rules/yaml_tree.h's tree, which resolves scalars as yaml-cpp
// (Falco's parser) does; a syntax error is "file:line:column: invalid YAML: <libyaml's text>".
//
// Not thread-safe; use one loader per load.
#ifndef VIGIL_RULES_LOADER_H_
#define VIGIL_RULES_LOADER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "rules/resolver.h"
#include "rules/rule.h"

namespace vigil::rules {

struct LoaderOptions {
  // The source of a rule without a `source` key. Falco's default is "syscall"; vigil reads rule
  // files meant for Kubernetes audit events, so a rule without `source` is a k8s_audit rule. Set
  // "syscall" to skip such rules as Falco would.
  std::string default_source = "k8s_audit";
  ResolveLimits limits;
  // Stop recording errors after this many (the count is still reported).
  std::size_t max_errors = 500;
};

class RuleLoader {
 public:
  explicit RuleLoader(LoaderOptions options = {});
  ~RuleLoader();
  RuleLoader(const RuleLoader&) = delete;
  RuleLoader& operator=(const RuleLoader&) = delete;

  // Reads `path` and collects its items. Returns the first error found in this file (kIo when it
  // cannot be read, kConfig otherwise); every error is also kept for Finish().
  Status AddFile(const std::string& path);
  // Same for rules given as text; `name` stands for the file name in positions.
  Status AddText(const std::string& name, std::string text);
  // Adds every *.yaml and *.yml file directly in `dir`, in name order. kIo if `dir` cannot be
  // listed.
  Status AddDirectory(const std::string& dir);

  // Compiles what was collected. With any error (from Add* or from compiling), returns a kConfig
  // Error whose message is "N error(s) in rule files:" followed by one line per error; errors()
  // holds them individually. The loader is spent afterwards.
  Result<RuleSet> Finish();

  // Every error so far; after Finish() sorted by file (in the order added), line and column.
  const std::vector<Error>& errors() const;
  // Non-fatal notes so far ("file:line:col: text").
  const std::vector<std::string>& warnings() const;

 private:
  struct State;        // what was collected (loader.cc)
  class Compilation;   // turns it into a RuleSet (loader.cc)
  std::unique_ptr<State> state_;
};

// Convenience: loads the files (each may be a directory) in order and finishes.
Result<RuleSet> LoadRuleFiles(const std::vector<std::string>& paths, LoaderOptions options = {});

}  // namespace vigil::rules

#endif  // VIGIL_RULES_LOADER_H_
