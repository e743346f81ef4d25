#include "rules/parser.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "rules/lexer.h"

namespace vigil::rules {

namespace {

// Recursive-descent parser over the grammar in parser.h. Failures are recorded once (the first
// one wins) and make every parse function return null, so the call chain unwinds without
// exceptions.
class ConditionParser {
 public:
  ConditionParser(std::string_view text, std::uint32_t source) : lex_(text), source_(source) {}

  AstPtr ParseAll() {
    lex_.SkipBlanks();
    if (lex_.AtEnd()) {
      Fail(lex_.offset(), "condition is empty");
      return nullptr;
    }
    AstPtr root = ParseOr();
    if (!root) return nullptr;
    lex_.SkipBlanks();
    if (!lex_.AtEnd()) {
      Fail(lex_.offset(),
           fmt::format("expected 'and', 'or' or the end of the condition but found {}",
                       lex_.DescribeNext()));
      return nullptr;
    }
    return root;
  }

  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }
  std::uint32_t error_offset() const { return error_offset_; }

 private:
  class DepthGuard {
   public:
    explicit DepthGuard(ConditionParser& p) : p_(p) { ++p_.depth_; }
    ~DepthGuard() { --p_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    ConditionParser& p_;
  };

  void Fail(std::uint32_t offset, std::string message) {
    if (failed_) return;
    failed_ = true;
    error_offset_ = offset;
    message_ = std::move(message);
  }

  AstPtr NewNode(AstNode::Kind kind, std::uint32_t offset) {
    auto node = std::make_unique<AstNode>();
    node->kind = kind;
    node->source = source_;
    node->offset = offset;
    return node;
  }

  // Joins operands of the same kind into one n-ary node: `a and b and c` is one kAnd with three
  // children, and so is `a and (b and c)` (which evaluates identically).
  static void AddOperand(AstNode& parent, AstPtr child) {
    if (child->kind == parent.kind) {
      for (auto& grandchild : child->children) parent.children.push_back(std::move(grandchild));
      return;
    }
    parent.children.push_back(std::move(child));
  }

  AstPtr ParseBinary(AstNode::Kind kind, std::string_view keyword) {
    DepthGuard guard(*this);
    if (depth_ > kMaxConditionDepth) {
      Fail(lex_.offset(),
           fmt::format("condition is nested more than {} levels deep", kMaxConditionDepth));
      return nullptr;
    }
    lex_.SkipBlanks();
    const std::uint32_t start = lex_.offset();
    AstPtr first = kind == AstNode::Kind::kOr ? ParseBinary(AstNode::Kind::kAnd, "and")
                                               : ParseNot();
    if (!first) return nullptr;
    lex_.SkipBlanks();
    if (!lex_.PeekKeyword(keyword)) return first;
    AstPtr node = NewNode(kind, start);
    AddOperand(*node, std::move(first));
    while (lex_.TryKeyword(keyword)) {
      lex_.SkipBlanks();
      if (lex_.AtEnd()) {
        Fail(lex_.offset(), fmt::format("expected a condition after '{}' but found end of condition",
                                        keyword));
        return nullptr;
      }
      AstPtr next = kind == AstNode::Kind::kOr ? ParseBinary(AstNode::Kind::kAnd, "and")
                                                : ParseNot();
      if (!next) return nullptr;
      AddOperand(*node, std::move(next));
      lex_.SkipBlanks();
    }
    return node;
  }

  AstPtr ParseOr() { return ParseBinary(AstNode::Kind::kOr, "or"); }

  AstPtr ParseNot() {
    DepthGuard guard(*this);
    if (depth_ > kMaxConditionDepth) {
      Fail(lex_.offset(),
           fmt::format("condition is nested more than {} levels deep", kMaxConditionDepth));
      return nullptr;
    }
    lex_.SkipBlanks();
    const std::uint32_t start = lex_.offset();
    if (lex_.TryKeyword("not")) {
      lex_.SkipBlanks();
      if (lex_.AtEnd()) {
        Fail(lex_.offset(), "expected a condition after 'not' but found end of condition");
        return nullptr;
      }
      AstPtr operand = ParseNot();
      if (!operand) return nullptr;
      // `not not x` is x.
      if (operand->kind == AstNode::Kind::kNot) return std::move(operand->children[0]);
      AstPtr node = NewNode(AstNode::Kind::kNot, start);
      node->children.push_back(std::move(operand));
      return node;
    }
    return ParsePrimary();
  }

  AstPtr ParsePrimary() {
    lex_.SkipBlanks();
    const std::uint32_t start = lex_.offset();
    if (lex_.TryChar('(')) {
      AstPtr inner = ParseOr();
      if (!inner) return nullptr;
      lex_.SkipBlanks();
      if (!lex_.TryChar(')')) {
        const LineColumn open = LineColumnAt(lex_.text(), start);
        Fail(lex_.offset(),
             fmt::format("expected ')' to close the '(' at {}:{} but found {}", open.line,
                         open.column, lex_.DescribeNext()));
        return nullptr;
      }
      return inner;
    }
    if (auto field = lex_.TryFieldName()) return ParseCheck(*field, start);
    if (auto id = lex_.TryIdentifier()) {
      if (*id == "and" || *id == "or") {
        Fail(start, fmt::format("expected a field, a macro name, 'not' or '(' but found '{}'", *id));
        return nullptr;
      }
      // A name followed by an operator was meant as a field (or is a list used the wrong way).
      Lexer peek = lex_;
      peek.SkipBlanks();
      const std::uint32_t op_at = peek.offset();
      if (auto op = peek.TryOperator()) {
        Fail(start, fmt::format("'{}' is not a field: field names contain a dot, such as "
                                "ka.user.name (found '{}' followed by '{}' at column {})",
                                *id, *id, CmpOpName(*op), LineColumnAt(lex_.text(), op_at).column));
        return nullptr;
      }
      AstPtr node = NewNode(AstNode::Kind::kMacroRef, start);
      node->name = std::string(*id);
      return node;
    }
    Fail(start, fmt::format("expected a field, a macro name, 'not' or '(' but found {}",
                            lex_.DescribeNext()));
    return nullptr;
  }

  AstPtr ParseCheck(std::string_view field, std::uint32_t start) {
    AstPtr node = NewNode(AstNode::Kind::kCheck, start);
    node->field = std::string(field);
    if (lex_.TryChar('[')) {
      const std::uint32_t arg_start = lex_.offset();
      std::string error;
      std::uint32_t error_at = 0;
      if (auto quoted = lex_.TryQuoted(&error, &error_at)) {
        node->arg = std::move(*quoted);
      } else if (!error.empty()) {
        Fail(error_at, error);
        return nullptr;
      } else if (auto bare = lex_.TryFieldArgBare()) {
        node->arg = std::string(*bare);
      } else {
        Fail(arg_start, fmt::format("expected an argument after '[' in field '{}' but found {}",
                                    field, lex_.DescribeNext()));
        return nullptr;
      }
      if (!lex_.TryChar(']')) {
        Fail(lex_.offset(), fmt::format("expected ']' after the argument of field '{}' but found {}",
                                        field, lex_.DescribeNext()));
        return nullptr;
      }
    }
    lex_.SkipBlanks();
    node->op_offset = lex_.offset();
    auto op = lex_.TryOperator();
    if (!op) {
      Fail(lex_.offset(),
           fmt::format("expected an operator after field '{}' (=, !=, <, <=, >, >=, contains, "
                       "icontains, bcontains, startswith, bstartswith, endswith, glob, iglob, in, "
                       "intersects, pmatch or exists) but found {}",
                       FieldRefToString(*node), lex_.DescribeNext()));
      return nullptr;
    }
    node->op = *op;
    if (*op == CmpOp::kExists) return node;
    lex_.SkipBlanks();
    if (IsListOp(*op)) {
      if (!ParseListValue(*node)) return nullptr;
      return node;
    }
    auto value = ParseValue();
    if (!value) {
      if (!failed_) {
        Fail(lex_.offset(), fmt::format("expected a value after '{}' but found {}", CmpOpName(*op),
                                        lex_.DescribeNext()));
      }
      return nullptr;
    }
    node->values.push_back(std::move(*value));
    return node;
  }

  // A quoted string or a bare word; nullopt (with failed_ set only for a malformed string) if
  // neither is next.
  std::optional<AstValue> ParseValue() {
    AstValue value;
    value.offset = lex_.offset();
    std::string error;
    std::uint32_t error_at = 0;
    if (auto quoted = lex_.TryQuoted(&error, &error_at)) {
      value.text = std::move(*quoted);
      value.quoted = true;
      return value;
    }
    if (!error.empty()) {
      Fail(error_at, error);
      return std::nullopt;
    }
    if (auto bare = lex_.TryBareWord()) {
      value.text = std::string(*bare);
      return value;
    }
    return std::nullopt;
  }

  bool ParseListValue(AstNode& node) {
    const std::string_view op = CmpOpName(node.op);
    if (!lex_.TryChar('(')) {
      const std::uint32_t at = lex_.offset();
      if (auto id = lex_.TryBareWord()) {
        node.bare_list_ref = true;
        node.values.push_back(AstValue{std::string(*id), at, false});
        return true;
      }
      Fail(at, fmt::format("expected '(' or a list name after '{}' but found {}", op,
                           lex_.DescribeNext()));
      return false;
    }
    lex_.SkipBlanks();
    if (lex_.TryChar(')')) return true;
    while (true) {
      lex_.SkipBlanks();
      auto value = ParseValue();
      if (!value) {
        if (!failed_) {
          Fail(lex_.offset(), fmt::format("expected a value in the list after '{}' but found {}",
                                          op, lex_.DescribeNext()));
        }
        return false;
      }
      node.values.push_back(std::move(*value));
      lex_.SkipBlanks();
      if (lex_.TryChar(')')) return true;
      if (!lex_.TryChar(',')) {
        Fail(lex_.offset(), fmt::format("expected ',' or ')' in the list after '{}' but found {}",
                                        op, lex_.DescribeNext()));
        return false;
      }
    }
  }

  Lexer lex_;
  std::uint32_t source_;
  int depth_ = 0;
  bool failed_ = false;
  std::string message_;
  std::uint32_t error_offset_ = 0;
};

}  // namespace

Result<AstPtr> ParseCondition(std::string_view text,
                              std::uint32_t source,
                              std::uint32_t* error_offset) {
  ConditionParser parser(text, source);
  AstPtr root = parser.ParseAll();
  if (root) return root;
  const LineColumn lc = LineColumnAt(text, parser.error_offset());
  if (error_offset) *error_offset = parser.error_offset();
  return MakeError(ErrorCode::kConfig, parser.message(), SourcePos{"", lc.line, lc.column});
}

Result<FieldRef> ParseFieldRef(std::string_view text) {
  Lexer lex(text);
  lex.SkipBlanks();
  FieldRef ref;
  auto name = lex.TryFieldName();
  if (!name) {
    const LineColumn lc = LineColumnAt(text, lex.offset());
    return MakeError(ErrorCode::kConfig,
                     fmt::format("expected a field name such as 'ka.user.name' but found {}",
                                 lex.DescribeNext()),
                     SourcePos{"", lc.line, lc.column});
  }
  ref.name = std::string(*name);
  if (lex.TryChar('[')) {
    std::string error;
    std::uint32_t error_at = 0;
    if (auto quoted = lex.TryQuoted(&error, &error_at)) {
      ref.arg = std::move(*quoted);
    } else if (auto bare = error.empty() ? lex.TryFieldArgBare() : std::nullopt) {
      ref.arg = std::string(*bare);
    }
    if (!ref.arg || !lex.TryChar(']')) {
      const std::uint32_t at = error.empty() ? lex.offset() : error_at;
      const LineColumn lc = LineColumnAt(text, at);
      return MakeError(ErrorCode::kConfig,
                       error.empty() ? fmt::format("malformed argument of field '{}'", ref.name)
                                     : error,
                       SourcePos{"", lc.line, lc.column});
    }
  }
  lex.SkipBlanks();
  if (!lex.AtEnd()) {
    const LineColumn lc = LineColumnAt(text, lex.offset());
    return MakeError(ErrorCode::kConfig,
                     fmt::format("unexpected {} after field '{}'", lex.DescribeNext(), ref.name),
                     SourcePos{"", lc.line, lc.column});
  }
  return ref;
}

}  // namespace vigil::rules
