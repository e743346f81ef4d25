// The syntax tree of a Falco condition, as the parser (rules/parser.h) produces it: before macros
// are expanded, before list names are resolved and before any field name is checked. Syntax is kept
// apart from meaning on purpose (STYLE.md "rule engine"): the resolver (rules/resolver.h) expands
// macros and lists, and the compiler (rules/compiler.h) turns the result into a predicate tree.
//
// Every node remembers where it came from: `source` says which condition text (the loader numbers
// the condition of each rule, macro and exception), `offset` is the byte offset inside that text.
// Together they let an error found long after parsing ("unknown field") point at a file, line and
// column.
#ifndef VIGIL_RULES_AST_H_
#define VIGIL_RULES_AST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::rules {

// Comparison operators of the Falco filter language.
enum class CmpOp : std::uint8_t {
  kEq,           // = (also written ==)
  kNe,           // !=
  kLt,           // <
  kLe,           // <=
  kGt,           // >
  kGe,           // >=
  kContains,     // substring
  kIContains,    // ASCII case-insensitive substring
  kBContains,    // bytes given in hex ("bcontains 6869" looks for "hi")
  kStartsWith,   // prefix
  kBStartsWith,  // prefix given in hex
  kEndsWith,     // suffix
  kGlob,         // fnmatch(3)-style pattern
  kIGlob,        // case-insensitive glob
  kIn,           // list operator: value (every value, for a list field) is in the set
  kIntersects,   // list operator: some value is in the set
  kPMatch,       // list operator: value is one of the paths or lies below one of them
  kExists,       // unary: the field is available for the event
};

// The operator as written in a condition ("=", "startswith", ...).
std::string_view CmpOpName(CmpOp op);
// True for `in`, `intersects` and `pmatch`, which take a list on their right.
bool IsListOp(CmpOp op);

// A literal on the right of an operator, or one item of a `(a, "b", c)` list.
struct AstValue {
  std::string text;         // unescaped
  std::uint32_t offset = 0; // where the literal starts in the condition text
  bool quoted = false;      // written in quotes: never taken as a list name
};

struct AstNode {
  enum class Kind : std::uint8_t {
    kAnd,       // children: two or more operands
    kOr,        // children: two or more operands
    kNot,       // children: exactly one operand
    kCheck,     // field, op, values
    kMacroRef,  // a bare identifier: a macro name (or a mistake the resolver reports)
  };

  Kind kind = Kind::kCheck;
  std::uint32_t source = 0;  // which condition text this node was parsed from
  std::uint32_t offset = 0;  // byte offset of the node's first character in that text

  std::vector<std::unique_ptr<AstNode>> children;  // kAnd, kOr, kNot

  // kCheck
  std::string field;               // "ka.uri.param"
  std::optional<std::string> arg;  // "command" for ka.uri.param[command]; nullopt without brackets
  CmpOp op = CmpOp::kExists;
  std::uint32_t op_offset = 0;
  // The right-hand side: one value for scalar operators, the items for list operators (after
  // resolution, list names are replaced by their items), none for `exists`.
  std::vector<AstValue> values;
  // True when a list operator was followed by a bare name instead of `(...)`, as in
  // `ka.verb in my_list`; values then holds that one name.
  bool bare_list_ref = false;

  // kMacroRef
  std::string name;
};

using AstPtr = std::unique_ptr<AstNode>;

// A deep copy of `node`.
AstPtr CloneAst(const AstNode& node);

// The condition in Falco syntax, normalised (operators spaced, values quoted only when needed,
// `and`/`or` operands parenthesised when nested). Parsing the result gives the same tree.
std::string AstToString(const AstNode& node);

// The field reference of a check as written: "ka.uri.param[command]".
std::string FieldRefToString(const AstNode& check);

// Renders a value for a condition: bare when it lexes back as the same bare word, otherwise in
// double quotes with `"` and `\` escaped.
std::string QuoteValue(std::string_view value);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_AST_H_
