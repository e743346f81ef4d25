#include "rules/ast.h"

#include "rules/lexer.h"

namespace vigil::rules {

std::string_view CmpOpName(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "=";
    case CmpOp::kNe: return "!=";
    case CmpOp::kLt: return "<";
    case CmpOp::kLe: return "<=";
    case CmpOp::kGt: return ">";
    case CmpOp::kGe: return ">=";
    case CmpOp::kContains: return "contains";
    case CmpOp::kIContains: return "icontains";
    case CmpOp::kBContains: return "bcontains";
    case CmpOp::kStartsWith: return "startswith";
    case CmpOp::kBStartsWith: return "bstartswith";
    case CmpOp::kEndsWith: return "endswith";
    case CmpOp::kGlob: return "glob";
    case CmpOp::kIGlob: return "iglob";
    case CmpOp::kIn: return "in";
    case CmpOp::kIntersects: return "intersects";
    case CmpOp::kPMatch: return "pmatch";
    case CmpOp::kExists: return "exists";
  }
  return "?";
}

bool IsListOp(CmpOp op) {
  return op == CmpOp::kIn || op == CmpOp::kIntersects || op == CmpOp::kPMatch;
}

AstPtr CloneAst(const AstNode& node) {
  auto copy = std::make_unique<AstNode>();
  copy->kind = node.kind;
  copy->source = node.source;
  copy->offset = node.offset;
  copy->children.reserve(node.children.size());
  for (const auto& child : node.children) copy->children.push_back(CloneAst(*child));
  copy->field = node.field;
  copy->arg = node.arg;
  copy->op = node.op;
  copy->op_offset = node.op_offset;
  copy->values = node.values;
  copy->bare_list_ref = node.bare_list_ref;
  copy->name = node.name;
  return copy;
}

namespace {

std::string ForceQuote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string QuoteValue(std::string_view value) {
  if (IsBareWord(value)) return std::string(value);
  return ForceQuote(value);
}

std::string FieldRefToString(const AstNode& check) {
  std::string out = check.field;
  if (check.arg) {
    const bool bare = !check.arg->empty() &&
                      check.arg->find_first_of("[]\"' \t\n\r\f\v\b") == std::string::npos;
    out += '[';
    out += bare ? *check.arg : ForceQuote(*check.arg);
    out += ']';
  }
  return out;
}

namespace {

void Append(const AstNode& node, std::string& out, bool nested) {
  switch (node.kind) {
    case AstNode::Kind::kAnd:
    case AstNode::Kind::kOr: {
      const char* joiner = node.kind == AstNode::Kind::kAnd ? " and " : " or ";
      if (nested) out += '(';
      for (size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) out += joiner;
        Append(*node.children[i], out, true);
      }
      if (nested) out += ')';
      return;
    }
    case AstNode::Kind::kNot:
      out += "not ";
      if (!node.children.empty()) Append(*node.children[0], out, true);
      return;
    case AstNode::Kind::kMacroRef:
      out += node.name;
      return;
    case AstNode::Kind::kCheck:
      out += FieldRefToString(node);
      out += ' ';
      out += CmpOpName(node.op);
      if (node.op == CmpOp::kExists) return;
      out += ' ';
      if (IsListOp(node.op)) {
        if (node.bare_list_ref && node.values.size() == 1) {
          out += node.values[0].text;
          return;
        }
        out += '(';
        for (size_t i = 0; i < node.values.size(); ++i) {
          if (i > 0) out += ", ";
          out += QuoteValue(node.values[i].text);
        }
        out += ')';
        return;
      }
      if (!node.values.empty()) out += QuoteValue(node.values[0].text);
      return;
  }
}

}  // namespace

std::string AstToString(const AstNode& node) {
  std::string out;
  Append(node, out, false);
  return out;
}

}  // namespace vigil::rules
