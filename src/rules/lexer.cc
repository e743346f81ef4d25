#include "rules/lexer.h"

#include <array>
#include <utility>

namespace vigil::rules {

namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsIdentChar(char c) { return IsAlpha(c) || (c >= '0' && c <= '9') || c == '_'; }

bool IsBareChar(char c) {
  switch (c) {
    case '(':
    case ')':
    case '"':
    case '\'':
    case ',':
    case '=':
      return false;
    default:
      return !IsBlank(c) && c != '\0';
  }
}

bool IsFieldArgBareChar(char c) {
  switch (c) {
    case '[':
    case ']':
    case '"':
    case '\'':
      return false;
    default:
      return !IsBlank(c) && c != '\0';
  }
}

// Symbolic operators, longest first so "<=" wins over "<".
constexpr std::array<std::pair<std::string_view, CmpOp>, 7> kSymbolOps = {{
    {"<=", CmpOp::kLe},
    {">=", CmpOp::kGe},
    {"==", CmpOp::kEq},
    {"!=", CmpOp::kNe},
    {"<", CmpOp::kLt},
    {">", CmpOp::kGt},
    {"=", CmpOp::kEq},
}};

constexpr std::array<std::pair<std::string_view, CmpOp>, 12> kWordOps = {{
    {"contains", CmpOp::kContains},
    {"icontains", CmpOp::kIContains},
    {"bcontains", CmpOp::kBContains},
    {"startswith", CmpOp::kStartsWith},
    {"bstartswith", CmpOp::kBStartsWith},
    {"endswith", CmpOp::kEndsWith},
    {"glob", CmpOp::kGlob},
    {"iglob", CmpOp::kIGlob},
    {"in", CmpOp::kIn},
    {"intersects", CmpOp::kIntersects},
    {"pmatch", CmpOp::kPMatch},
    {"exists", CmpOp::kExists},
}};

}  // namespace

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\b';
}

bool IsBareWord(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsBareChar(c)) return false;
  }
  return true;
}

bool IsIdentifier(std::string_view text) {
  if (text.empty() || !IsAlpha(text[0])) return false;
  for (char c : text) {
    if (!IsIdentChar(c)) return false;
  }
  return true;
}

LineColumn LineColumnAt(std::string_view text, std::uint32_t offset) {
  LineColumn lc;
  const size_t end = offset < text.size() ? offset : text.size();
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

bool Lexer::SkipBlanks() {
  const size_t start = pos_;
  while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
  return pos_ != start;
}

bool Lexer::TryChar(char c) {
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

bool Lexer::PeekKeyword(std::string_view word) const {
  if (text_.substr(pos_, word.size()) != word) return false;
  const size_t end = pos_ + word.size();
  return end >= text_.size() || !IsIdentChar(text_[end]);
}

bool Lexer::TryKeyword(std::string_view word) {
  if (!PeekKeyword(word)) return false;
  pos_ += word.size();
  return true;
}

std::optional<std::string_view> Lexer::TryIdentifier() {
  if (pos_ >= text_.size() || !IsAlpha(text_[pos_])) return std::nullopt;
  size_t end = pos_;
  while (end < text_.size() && IsIdentChar(text_[end])) ++end;
  std::string_view id = text_.substr(pos_, end - pos_);
  pos_ = end;
  return id;
}

std::optional<std::string_view> Lexer::TryFieldName() {
  size_t end = pos_;
  int segments = 0;
  while (true) {
    if (end >= text_.size() || !IsAlpha(text_[end])) break;
    while (end < text_.size() && IsIdentChar(text_[end])) ++end;
    ++segments;
    // Another segment only if a '.' is followed by a letter.
    if (end + 1 < text_.size() && text_[end] == '.' && IsAlpha(text_[end + 1])) {
      ++end;
      continue;
    }
    break;
  }
  if (segments < 2) return std::nullopt;
  std::string_view name = text_.substr(pos_, end - pos_);
  pos_ = end;
  return name;
}

std::optional<std::string_view> Lexer::TryFieldArgBare() {
  size_t end = pos_;
  while (end < text_.size() && IsFieldArgBareChar(text_[end])) ++end;
  if (end == pos_) return std::nullopt;
  std::string_view arg = text_.substr(pos_, end - pos_);
  pos_ = end;
  return arg;
}

std::optional<std::string_view> Lexer::TryBareWord() {
  size_t end = pos_;
  while (end < text_.size() && IsBareChar(text_[end])) ++end;
  if (end == pos_) return std::nullopt;
  std::string_view word = text_.substr(pos_, end - pos_);
  pos_ = end;
  return word;
}

std::optional<CmpOp> Lexer::TryOperator() {
  for (const auto& [text, op] : kSymbolOps) {
    if (text_.substr(pos_, text.size()) == text) {
      pos_ += text.size();
      return op;
    }
  }
  for (const auto& [text, op] : kWordOps) {
    if (TryKeyword(text)) return op;
  }
  return std::nullopt;
}

std::optional<std::string> Lexer::TryQuoted(std::string* error, std::uint32_t* error_offset) {
  error->clear();
  if (pos_ >= text_.size()) return std::nullopt;
  const char quote = text_[pos_];
  if (quote != '"' && quote != '\'') return std::nullopt;
  std::string out;
  size_t i = pos_ + 1;
  while (i < text_.size()) {
    const char c = text_[i];
    if (c == quote) {
      pos_ = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= text_.size()) break;
    const char e = text_[i + 1];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      // libsinsp turns "\ " into a backslash (and drops the space) to keep old, wrongly escaped
      // rules loading; vigil does the same so such rules match what they match in Falco.
      case ' ':
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case '"':
      case '\'':
        if (e != quote) {
          *error = e == '"' ? "invalid escape \\\" in a '...' string"
                            : "invalid escape \\' in a \"...\" string";
          *error_offset = static_cast<std::uint32_t>(i);
          return std::nullopt;
        }
        out += e;
        break;
      default:
        *error = "unsupported escape sequence \\";
        *error += e;
        *error += " in string";
        *error_offset = static_cast<std::uint32_t>(i);
        return std::nullopt;
    }
    i += 2;
  }
  *error = "unterminated string: missing closing ";
  *error += quote;
  *error_offset = static_cast<std::uint32_t>(pos_);
  return std::nullopt;
}

std::string Lexer::DescribeNext() const {
  if (pos_ >= text_.size()) return "end of condition";
  size_t end = pos_;
  const char first = text_[pos_];
  if (first == '(' || first == ')' || first == ',' || first == '[' || first == ']') {
    end = pos_ + 1;
  } else {
    while (end < text_.size() && end - pos_ < 24 && !IsBlank(text_[end]) && text_[end] != '(' &&
           text_[end] != ')' && text_[end] != ',') {
      ++end;
    }
    if (end == pos_) end = pos_ + 1;
  }
  std::string out = "'";
  out += text_.substr(pos_, end - pos_);
  out += "'";
  return out;
}

}  // namespace vigil::rules
