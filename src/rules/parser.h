// The parser of Falco conditions: text in, syntax tree (rules/ast.h) out.
//
// Grammar (EBNF; the language of libsinsp's filter parser, which Falco uses, without field
// transformers such as tolower(...) and val(...), which vigil does not support yet):
//
//   Condition   ::= OrExpr END
//   OrExpr      ::= AndExpr ( 'or' AndExpr )*
//   AndExpr     ::= NotExpr ( 'and' NotExpr )*
//   NotExpr     ::= 'not' NotExpr
//                 | Primary
//   Primary     ::= '(' OrExpr ')'
//                 | Field Check
//                 | Identifier                        -- a macro name
//   Check       ::= 'exists'
//                 | CmpOp Value
//                 | ListOp ( '(' [ Value ( ',' Value )* ] ')' | Identifier )
//   CmpOp       ::= '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
//                 | 'contains' | 'icontains' | 'bcontains' | 'startswith' | 'bstartswith'
//                 | 'endswith' | 'glob' | 'iglob'
//   ListOp      ::= 'in' | 'intersects' | 'pmatch'
//   Field       ::= FieldName ( '[' FieldArg ']' )?       -- no blank before '['
//   FieldArg    ::= Quoted | FieldArgBare
//   Value       ::= Quoted | BareWord
//
// Tokens (see rules/lexer.h):
//   Identifier   [A-Za-z][A-Za-z0-9_]*
//   FieldName    Identifier ( '.' Identifier )+
//   FieldArgBare [^][\"' \t\n\r\f\v\b]+
//   BareWord     [^()\"',= \t\n\r\f\v\b]+           -- so `ka.uri=/healthz?` and `in (a, kube-system)`
//   Quoted       "..." | '...' with \b \f \n \r \t \\ \/ \" \' escapes
//
// Keywords (`and`, `or`, `not`, operator words) end where an identifier could not continue, so
// `not(a)`, `a and(b)` and `ka.verb in(create)` parse, and `andrew` is an identifier. Blanks
// between tokens are optional except where two words would merge. A list operator may be followed
// by a bare list name (`ka.verb in my_list`); the resolver expands it.
//
// Differences from libsinsp, all accepting more than it does or rejecting what it silently
// misreads: any value (not only a number) may follow `<`/`<=`/`>`/`>=` (the evaluator compares
// numerically when both sides are numbers); word operators need no trailing blank; a `\\` right
// before the closing quote ends the string correctly (libsinsp reads `"a\\"` as unterminated).
#ifndef VIGIL_RULES_PARSER_H_
#define VIGIL_RULES_PARSER_H_

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "rules/ast.h"

namespace vigil::rules {

// Conditions nested deeper than this are rejected (the parser is recursive descent).
inline constexpr int kMaxConditionDepth = 1000;

// Parses `text`. Every node gets `source` as its source number.
//
// Errors (kConfig) say what was expected and what was found, e.g. "expected a value after '=' but
// found end of condition"; the Error's pos has no file and the line and column *inside `text`*.
// When `error_offset` is not null it receives the byte offset of the error in `text`.
Result<AstPtr> ParseCondition(std::string_view text,
                              std::uint32_t source = 0,
                              std::uint32_t* error_offset = nullptr);

// Parses a field reference on its own ("ka.uri.param[command]", as in `dedup_by` or an
// exception's `fields`) into name and optional argument. Errors as for ParseCondition.
struct FieldRef {
  std::string name;
  std::optional<std::string> arg;
};
Result<FieldRef> ParseFieldRef(std::string_view text);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_PARSER_H_
