// The resolver gives names in a parsed condition their meaning: it replaces each macro reference
// by the macro's (recursively resolved) condition and each list name that follows `in`,
// `intersects` or `pmatch` by the list's items. The result contains only and/or/not and checks,
// ready for the compiler (rules/compiler.h).
//
// Falco substitutes list names into the condition *text* before parsing, wherever the name stands
// between delimiters, which breaks quoting (an item with a quote in it) and would even rewrite a
// value after `=` that happens to be a list name. vigil resolves lists on the tree, only where a
// list can stand: items of `(...)` after a list operator, or the bare name after it. Quoted items
// are never list names.
#ifndef VIGIL_RULES_RESOLVER_H_
#define VIGIL_RULES_RESOLVER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rules/ast.h"

namespace vigil::rules {

// Where a node came from, for error messages: its file position and what it belongs to
// ("rule 'Create Privileged Pod'", "macro 'kevt'").
struct Location {
  SourcePos pos;
  std::string where;
};
// Maps (source number, byte offset in that source's text) to a Location. Provided by whoever
// numbered the sources (the loader); a default-constructed Locator is not allowed.
using Locator = std::function<Location(std::uint32_t source, std::uint32_t offset)>;

// Makes "where: message" an Error at the node's position.
Error MakeNodeError(const Locator& locate,
                    std::uint32_t source,
                    std::uint32_t offset,
                    std::string_view message);

// A macro as the resolver sees it.
struct MacroEntry {
  std::string name;
  const AstNode* condition = nullptr;  // null when the macro's condition failed to parse
  bool enabled = true;
  bool broken = false;  // the macro's own errors were already reported; users fail silently
};

// What names a condition can refer to. Implemented by the loader.
class NameScope {
 public:
  virtual ~NameScope() = default;
  virtual const MacroEntry* FindMacro(std::string_view name) const = 0;
  // The list's items, fully expanded; null when there is no such list.
  virtual const std::vector<std::string>* FindList(std::string_view name) const = 0;
};

// Bounds that keep a hostile or careless rule file from exhausting memory or the stack: macros
// that use each other twice per level grow exponentially.
struct ResolveLimits {
  std::size_t max_nodes = 200000;
  int max_depth = 2000;
  std::size_t max_list_items = 100000;  // per list, after expanding the lists it names
};

// Resolves `root`. Appends one Error per problem to `errors` (each reported at the node that has
// it): undefined macro 'x'; macro 'x' is disabled; macro 'x' refers to itself (x -> y -> x); 'x' is
// a list, not a macro (lists follow in, intersects or pmatch); the condition expands to more than
// N nodes / nests deeper than N levels. A reference to a macro marked `broken` fails without a
// new error.
//
// Returns the resolved tree; `complete` says whether everything resolved. An incomplete tree
// leaves out what failed (so the caller can still look for other problems in the rest, such as
// unknown fields) and must not be evaluated. Null when nothing at all could be resolved.
AstPtr ResolveCondition(const AstNode& root,
                        const NameScope& scope,
                        const Locator& locate,
                        std::vector<Error>& errors,
                        bool& complete,
                        const ResolveLimits& limits = {});

}  // namespace vigil::rules

#endif  // VIGIL_RULES_RESOLVER_H_
