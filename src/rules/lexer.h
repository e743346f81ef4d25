// The lexer of Falco conditions. Falco's filter language is lexed by context (the same characters
// are a bare value after `=`, a JSON pointer inside `jevt.value[...]`, or an error elsewhere), so
// this is a cursor with one Try* method per token kind that the parser (rules/parser.h) calls when
// that kind may appear. A Try* method either consumes the token and returns it, or consumes nothing.
//
// Token shapes (as in libsinsp's filter parser, see the grammar in rules/parser.h):
//   blank       [ \t\n\r\f\v\b]+
//   identifier  [A-Za-z][A-Za-z0-9_]*
//   field name  identifier ('.' identifier)+
//   field arg   quoted string, or [^][\"' \t\n\r\f\v\b]+
//   bare word   [^()\"',= \t\n\r\f\v\b]+
//   quoted      "..." or '...' with escapes \b \f \n \r \t \\ \/ and \" (in "...") or \' (in '...')
//   keyword     and | or | not | an operator word, followed by a character that cannot continue
//               an identifier
#ifndef VIGIL_RULES_LEXER_H_
#define VIGIL_RULES_LEXER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rules/ast.h"

namespace vigil::rules {

// True for the characters Falco skips between tokens.
bool IsBlank(char c);
// True when `text` is non-empty and lexes as a single bare word.
bool IsBareWord(std::string_view text);
// True when `text` is a valid macro name (an identifier).
bool IsIdentifier(std::string_view text);

// 1-based line and column of byte `offset` in `text` (a column counts bytes).
struct LineColumn {
  int line = 1;
  int column = 1;
};
LineColumn LineColumnAt(std::string_view text, std::uint32_t offset);

class Lexer {
 public:
  // `text` must outlive the lexer.
  explicit Lexer(std::string_view text) : text_(text) {}

  std::uint32_t offset() const { return static_cast<std::uint32_t>(pos_); }
  bool AtEnd() const { return pos_ >= text_.size(); }
  std::string_view text() const { return text_; }

  // Skips blanks; returns true if there were any.
  bool SkipBlanks();
  // Consumes `c` if it is next.
  bool TryChar(char c);
  // Consumes the keyword `word` if it is next and not followed by an identifier character.
  bool TryKeyword(std::string_view word);
  // True if the keyword is next (consumes nothing).
  bool PeekKeyword(std::string_view word) const;

  std::optional<std::string_view> TryIdentifier();
  std::optional<std::string_view> TryFieldName();
  // The text between '[' and ']' when it is not quoted.
  std::optional<std::string_view> TryFieldArgBare();
  std::optional<std::string_view> TryBareWord();
  // Consumes a comparison operator, symbolic ("<=", "=", "!=") or a word ("contains", "in").
  std::optional<CmpOp> TryOperator();

  // Quoted strings: returns nullopt when the next character is not a quote. On a malformed string
  // returns an empty optional with `error` set and the cursor left at the opening quote; `error`
  // is cleared otherwise. `error_offset` is where the problem is.
  std::optional<std::string> TryQuoted(std::string* error, std::uint32_t* error_offset);

  // A short description of what comes next, for error messages: "end of condition" or the next
  // token-ish run of characters in quotes ("')'", "'foo'").
  std::string DescribeNext() const;

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_LEXER_H_
