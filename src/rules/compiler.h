// The compiler turns a resolved condition (rules/resolver.h: no macros, lists expanded) into a
// CompiledCondition: a flat predicate tree over field slots (rules/eval_context.h) whose Evaluate()
// is the hot path of detection.
//
// Operator semantics follow libsinsp (userspace/libsinsp/sinsp_filtercheck.cpp: compare,
// compare_rhs, flt_compare_string; prefix_search.h for pmatch), for Falco's string and
// string-list fields:
//
//   * A field that is not available for the event (extraction says so, Falco prints <NA>) makes
//     every check on it false, `exists` and `!=` included: `ka.target.namespace != kube-system`
//     is false for a cluster-scoped object. Only `not` turns that into true.
//   * `exists` is true when the field is available, even with no values (an empty list).
//   * List fields (FieldInfo::is_list without an index) support only `in` (every value is in the
//     set; vacuously true for an empty list), `intersects` (some value is in the set) and
//     `exists`. Falco throws at evaluation time for any other operator on a list field; vigil
//     rejects it when compiling, with a hint to use `intersects` or an index.
//   * Scalar fields (at most one value; available with no value compares false):
//       =, !=                   exact byte equality
//       contains, startswith, endswith
//       icontains               ASCII case-insensitive substring (strcasestr)
//       glob, iglob             fnmatch(3) without flags ('*' also matches '/'), iglob: FNM_CASEFOLD
//       in, intersects          the value is in the set (hash set for lists longer than 8)
//       pmatch                  the value, as a '/'-separated path, equals one of the paths or lies
//                               under it (components compared whole; a component with * ? [ is a
//                               glob for that component); "/" matches every path
//       <, <=, >, >=            numeric when both sides parse as numbers (decimal, 0x hex, or
//                               floating point), otherwise byte-wise lexicographic. libsinsp
//                               compares strings with strcmp only, so "1000" < "300" there; every
//                               Falco k8s field is a string, which makes that a bug for numbers.
//       bcontains, bstartswith  the right side is hex ("6869" is "hi"); libsinsp rejects these on
//                               strings, vigil compares bytes.
#ifndef VIGIL_RULES_COMPILER_H_
#define VIGIL_RULES_COMPILER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "rules/ast.h"
#include "rules/eval_context.h"
#include "rules/resolver.h"

namespace vigil::rules {

// A number parsed from a condition value or a field value.
struct Number {
  bool is_int = true;
  std::int64_t i = 0;
  double d = 0;
};
// Parses decimal integers, 0x hex integers and decimal floating point, the whole string or nothing.
std::optional<Number> ParseNumber(std::string_view text);

// Transparent hashing so a set of std::string can be probed with a string_view without copying.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// One compiled comparison.
struct CompiledCheck {
  std::uint32_t slot = 0;
  CmpOp op = CmpOp::kExists;
  bool list_field = false;          // the field yields any number of values
  std::string text;                 // normalised source, e.g. `ka.verb in (create, update)`
  std::vector<std::string> values;  // the right-hand side as written (unescaped)

  // Prepared forms of `values`, depending on op.
  StringSet set;                  // in / intersects, when values.size() > kLinearSetMax
  std::vector<std::string> bytes;  // icontains: lowercased; bcontains/bstartswith: decoded hex
  std::optional<Number> number;    // <, <=, >, >=: values[0] as a number when it is one
  struct PathPattern {
    std::vector<std::string> components;
    std::vector<bool> is_glob;
  };
  std::vector<PathPattern> paths;  // pmatch

  static constexpr std::size_t kLinearSetMax = 8;
};

// Applies a check to extracted values (null when the field is not available). Used by Evaluate
// and by Explain; never throws or allocates (glob may grow `ctx.scratch_text()` once).
bool ApplyCheck(const CompiledCheck& check, const FieldValues* values, EvalContext& ctx);

// An immutable predicate tree. Copyable and movable; thread-safe to evaluate concurrently with
// different EvalContexts.
class CompiledCondition {
 public:
  enum class NodeKind : std::uint8_t { kAnd, kOr, kNot, kCheck, kTrue };
  // What a check node needs for the common operators, kept in the node so that evaluating
  // `=`, `!=`, `startswith`, `exists` and short `in` lists touches only the node array, the
  // value pool and the EvalContext; other operators use the full CompiledCheck.
  enum class FastPath : std::uint8_t {
    kNone,        // use ApplyCheck(checks()[first])
    kExists,
    kEq,          // the one value is pool[value_first]
    kNe,
    kStartsWith,
    kInSmall,     // scalar field; values are pool[value_first .. value_first + value_count)
  };
  struct Node {
    NodeKind kind = NodeKind::kTrue;
    FastPath fast = FastPath::kNone;
    std::uint32_t first = 0;  // kAnd/kOr/kNot: index of the first child in children(); kCheck:
                              // index into checks()
    std::uint32_t count = 0;  // kAnd/kOr/kNot: number of children
    std::uint32_t slot = 0;   // kCheck: the field's slot
    std::uint32_t value_first = 0;  // kCheck with a fast path: first span in the pool
    std::uint32_t value_count = 0;
  };

  // True when the event in `ctx` satisfies the condition. Short-circuits left to right, like
  // Falco. No allocation, no exception.
  bool Evaluate(EvalContext& ctx) const { return EvaluateNode(root_, ctx); }

  std::uint32_t root() const { return root_; }
  std::span<const Node> nodes() const { return nodes_; }
  std::span<const std::uint32_t> children() const { return children_; }
  std::span<const CompiledCheck> checks() const { return checks_; }
  // The children of node `n`.
  std::span<const std::uint32_t> ChildrenOf(const Node& n) const {
    return std::span<const std::uint32_t>(children_).subspan(n.first, n.count);
  }

  bool EvaluateNode(std::uint32_t index, EvalContext& ctx) const;

 private:
  friend class ConditionCompiler;

  std::string_view Pooled(std::uint32_t span) const {
    const PoolSpan& p = pool_spans_[span];
    return std::string_view(pool_).substr(p.offset, p.length);
  }

  struct PoolSpan {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> children_;
  std::vector<CompiledCheck> checks_;
  // The fast paths' values, concatenated; offsets stay valid when the condition is moved.
  std::string pool_;
  std::vector<PoolSpan> pool_spans_;
  std::uint32_t root_ = 0;
};

// Compiles a resolved condition, interning its fields in `fields`. On failure returns nullopt and
// appends an Error per problem (each at the offending node, via `locate`): unknown field (with
// ResolveField's suggestion), missing/unexpected field argument, operator not allowed on a list
// field, `bcontains` value that is not hex, a macro reference left unresolved.
std::optional<CompiledCondition> CompileCondition(const AstNode& resolved,
                                                  FieldTable& fields,
                                                  const Locator& locate,
                                                  std::vector<Error>& errors);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_COMPILER_H_
