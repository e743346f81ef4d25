#include "rules/compiler.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <charconv>
#include <utility>

namespace vigil::rules {

namespace {

// Equality with a first-byte test before memcmp: most comparisons that fail differ in length or
// in their first byte, and a libc call costs more than the test.
inline bool Equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || (a[0] == b[0] && a == b));
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::optional<std::string> DecodeHex(std::string_view hex) {
  // Falco writes byte strings as plain hex digits; tolerate blanks between bytes.
  std::string out;
  int nibble = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\t') continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (nibble < 0) {
      nibble = v;
    } else {
      out += static_cast<char>((nibble << 4) | v);
      nibble = -1;
    }
  }
  if (nibble >= 0 || out.empty()) return std::nullopt;
  return out;
}

CompiledCheck::PathPattern SplitPath(std::string_view path) {
  CompiledCheck::PathPattern p;
  size_t pos = 0;
  while (pos < path.size()) {
    while (pos < path.size() && path[pos] == '/') ++pos;
    if (pos >= path.size()) break;
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string component(path.substr(pos, end - pos));
    p.is_glob.push_back(component.find_first_of("*?[") != std::string::npos);
    p.components.push_back(std::move(component));
    pos = end;
  }
  return p;
}

bool GlobMatch(const std::string& pattern, std::string_view value, int flags, EvalContext& ctx) {
  std::string& buffer = ctx.scratch_text();
  buffer.assign(value.data(), value.size());
  return fnmatch(pattern.c_str(), buffer.c_str(), flags) == 0;
}

bool PathMatches(const CompiledCheck::PathPattern& p, std::string_view path, EvalContext& ctx) {
  size_t pos = 0;
  for (size_t k = 0; k < p.components.size(); ++k) {
    while (pos < path.size() && path[pos] == '/') ++pos;
    if (pos >= path.size()) return false;  // the path is shorter than the pattern
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(pos, end - pos);
    if (p.is_glob[k]) {
      if (!GlobMatch(p.components[k], component, 0, ctx)) return false;
    } else if (component != p.components[k]) {
      return false;
    }
    pos = end;
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view lowered_needle) {
  if (lowered_needle.empty()) return true;
  if (haystack.size() < lowered_needle.size()) return false;
  const size_t last = haystack.size() - lowered_needle.size();
  for (size_t i = 0; i <= last; ++i) {
    size_t k = 0;
    while (k < lowered_needle.size() && LowerAscii(haystack[i + k]) == lowered_needle[k]) ++k;
    if (k == lowered_needle.size()) return true;
  }
  return false;
}

int CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  const double x = a.is_int ? static_cast<double>(a.i) : a.d;
  const double y = b.is_int ? static_cast<double>(b.i) : b.d;
  return x < y ? -1 : (x > y ? 1 : 0);
}

int CompareOrdered(std::string_view lhs, const CompiledCheck& check) {
  if (check.number) {
    if (auto n = ParseNumber(lhs)) return CompareNumbers(*n, *check.number);
  }
  const int c = lhs.compare(check.values[0]);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool InSet(const CompiledCheck& check, std::string_view v) {
  if (check.values.size() <= CompiledCheck::kLinearSetMax) {
    for (const std::string& item : check.values) {
      if (Equal(item, v)) return true;
    }
    return false;
  }
  return check.set.find(v) != check.set.end();
}

}  // namespace

std::optional<Number> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string_view body = text;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return std::nullopt;
  Number n;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    std::uint64_t u = 0;
    auto [ptr, ec] = std::from_chars(body.data() + 2, body.data() + body.size(), u, 16);
    if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
    if (u > static_cast<std::uint64_t>(INT64_MAX)) {
      n.is_int = false;
      n.d = negative ? -static_cast<double>(u) : static_cast<double>(u);
      return n;
    }
    n.i = negative ? -static_cast<std::int64_t>(u) : static_cast<std::int64_t>(u);
    return n;
  }
  for (char c : body) {
    const bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
                    c == '-';
    if (!ok) return std::nullopt;
  }
  if (body[0] < '0' || body[0] > '9') {
    if (body[0] != '.' || body.size() < 2) return std::nullopt;
  }
  std::int64_t i = 0;
  {
    auto [ptr, ec] = std::from_chars(text.data() + (text[0] == '+' ? 1 : 0),
                                     text.data() + text.size(), i);
    if (ec == std::errc() && ptr == text.data() + text.size()) {
      n.i = i;
      return n;
    }
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
  if (ec != std::errc() || ptr != body.data() + body.size()) return std::nullopt;
  n.is_int = false;
  n.d = negative ? -d : d;
  return n;
}

bool ApplyCheck(const CompiledCheck& check, const FieldValues* values, EvalContext& ctx) {
  if (values == nullptr) return false;
  if (check.op == CmpOp::kExists) return true;
  if (check.list_field) {
    if (check.op == CmpOp::kIn) {
      for (std::string_view v : *values) {
        if (!InSet(check, v)) return false;
      }
      return true;
    }
    if (check.op == CmpOp::kIntersects) {
      for (std::string_view v : *values) {
        if (InSet(check, v)) return true;
      }
    }
    return false;
  }
  if (values->empty()) return false;
  const std::string_view v = (*values)[0];
  switch (check.op) {
    case CmpOp::kEq: return Equal(v, check.values[0]);
    case CmpOp::kNe: return !Equal(v, check.values[0]);
    case CmpOp::kLt: return CompareOrdered(v, check) < 0;
    case CmpOp::kLe: return CompareOrdered(v, check) <= 0;
    case CmpOp::kGt: return CompareOrdered(v, check) > 0;
    case CmpOp::kGe: return CompareOrdered(v, check) >= 0;
    case CmpOp::kContains: return v.find(check.values[0]) != std::string_view::npos;
    case CmpOp::kIContains: return ContainsIgnoreCase(v, check.bytes[0]);
    case CmpOp::kBContains: return v.find(check.bytes[0]) != std::string_view::npos;
    case CmpOp::kStartsWith: return v.starts_with(check.values[0]);
    case CmpOp::kBStartsWith: return v.starts_with(check.bytes[0]);
    case CmpOp::kEndsWith: return v.ends_with(check.values[0]);
    case CmpOp::kGlob: return GlobMatch(check.values[0], v, 0, ctx);
    case CmpOp::kIGlob: return GlobMatch(check.values[0], v, FNM_CASEFOLD, ctx);
    case CmpOp::kIn:
    case CmpOp::kIntersects: return InSet(check, v);
    case CmpOp::kPMatch:
      for (const auto& pattern : check.paths) {
        if (PathMatches(pattern, v, ctx)) return true;
      }
      return false;
    case CmpOp::kExists: return true;
  }
  return false;
}

bool CompiledCondition::EvaluateNode(std::uint32_t index, EvalContext& ctx) const {
  const Node& n = nodes_[index];
  switch (n.kind) {
    case NodeKind::kAnd:
      for (std::uint32_t i = 0; i < n.count; ++i) {
        if (!EvaluateNode(children_[n.first + i], ctx)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (std::uint32_t i = 0; i < n.count; ++i) {
        if (EvaluateNode(children_[n.first + i], ctx)) return true;
      }
      return false;
    case NodeKind::kNot:
      return !EvaluateNode(children_[n.first], ctx);
    case NodeKind::kCheck: {
      const FieldValues* values = ctx.Values(n.slot);
      switch (n.fast) {
        case FastPath::kExists:
          return values != nullptr;
        case FastPath::kEq:
          return values != nullptr && !values->empty() && Equal((*values)[0], Pooled(n.value_first));
        case FastPath::kNe:
          return values != nullptr && !values->empty() &&
                 !Equal((*values)[0], Pooled(n.value_first));
        case FastPath::kStartsWith:
          return values != nullptr && !values->empty() &&
                 (*values)[0].starts_with(Pooled(n.value_first));
        case FastPath::kInSmall: {
          if (values == nullptr || values->empty()) return false;
          const std::string_view v = (*values)[0];
          for (std::uint32_t i = 0; i < n.value_count; ++i) {
            if (Equal(v, Pooled(n.value_first + i))) return true;
          }
          return false;
        }
        case FastPath::kNone:
          break;
      }
      return ApplyCheck(checks_[n.first], values, ctx);
    }
    case NodeKind::kTrue:
      return true;
  }
  return false;
}

class ConditionCompiler {
 public:
  ConditionCompiler(FieldTable& fields, const Locator& locate, std::vector<Error>& errors)
      : fields_(fields), locate_(locate), errors_(errors) {}

  std::optional<CompiledCondition> Run(const AstNode& root) {
    std::optional<std::uint32_t> r = Compile(root);
    if (failed_ || !r) return std::nullopt;
    out_.root_ = *r;
    return std::move(out_);
  }

 private:
  void Report(std::uint32_t source, std::uint32_t offset, std::string_view message) {
    failed_ = true;
    errors_.push_back(MakeNodeError(locate_, source, offset, message));
  }

  std::optional<std::uint32_t> Compile(const AstNode& node) {
    switch (node.kind) {
      case AstNode::Kind::kAnd:
      case AstNode::Kind::kOr:
      case AstNode::Kind::kNot: {
        std::vector<std::uint32_t> kids;
        kids.reserve(node.children.size());
        for (const auto& child : node.children) {
          if (auto k = Compile(*child)) kids.push_back(*k);
        }
        if (failed_) return std::nullopt;
        CompiledCondition::Node n;
        n.kind = node.kind == AstNode::Kind::kAnd   ? CompiledCondition::NodeKind::kAnd
                 : node.kind == AstNode::Kind::kOr  ? CompiledCondition::NodeKind::kOr
                                                     : CompiledCondition::NodeKind::kNot;
        n.first = static_cast<std::uint32_t>(out_.children_.size());
        n.count = static_cast<std::uint32_t>(kids.size());
        out_.children_.insert(out_.children_.end(), kids.begin(), kids.end());
        out_.nodes_.push_back(n);
        return static_cast<std::uint32_t>(out_.nodes_.size() - 1);
      }
      case AstNode::Kind::kMacroRef:
        Report(node.source, node.offset,
               fmt::format("internal error: macro '{}' was not expanded", node.name));
        return std::nullopt;
      case AstNode::Kind::kCheck:
        return CompileCheck(node);
    }
    return std::nullopt;
  }

  std::optional<std::uint32_t> CompileCheck(const AstNode& node) {
    std::optional<std::string_view> arg;
    if (node.arg) arg = *node.arg;
    auto slot = fields_.Intern(node.field, arg);
    if (!slot) {
      Report(node.source, node.offset, slot.error().message);
      return std::nullopt;
    }
    const Field& field = fields_.field(*slot);
    CompiledCheck check;
    check.slot = *slot;
    check.op = node.op;
    check.list_field = !field.is_scalar();
    check.text = AstToString(node);
    check.values.reserve(node.values.size());
    for (const AstValue& v : node.values) check.values.push_back(v.text);

    if (check.list_field && check.op != CmpOp::kIn && check.op != CmpOp::kIntersects &&
        check.op != CmpOp::kExists) {
      std::string hint;
      if (field.info().arg == FieldArg::kIndex) {
        hint = fmt::format(", or pick one element with an index such as '{}[0]'", node.field);
      }
      Report(node.source, node.op_offset,
             fmt::format("operator '{}' cannot be applied to '{}', which is a list of values: use "
                         "'intersects' (some value is in a list) or 'in' (every value is){}",
                         CmpOpName(check.op), field.ToString(), hint));
      return std::nullopt;
    }
    if (check.op != CmpOp::kExists && !IsListOp(check.op) && check.values.size() != 1) {
      Report(node.source, node.op_offset,
             fmt::format("operator '{}' needs exactly one value", CmpOpName(check.op)));
      return std::nullopt;
    }

    switch (check.op) {
      case CmpOp::kIn:
      case CmpOp::kIntersects:
        if (check.values.size() > CompiledCheck::kLinearSetMax) {
          check.set.insert(check.values.begin(), check.values.end());
        }
        break;
      case CmpOp::kPMatch:
        for (const std::string& v : check.values) check.paths.push_back(SplitPath(v));
        break;
      case CmpOp::kIContains: {
        std::string lowered = check.values[0];
        for (char& c : lowered) c = LowerAscii(c);
        check.bytes.push_back(std::move(lowered));
        break;
      }
      case CmpOp::kBContains:
      case CmpOp::kBStartsWith: {
        auto decoded = DecodeHex(check.values[0]);
        if (!decoded) {
          Report(node.source, node.values.empty() ? node.op_offset : node.values[0].offset,
                 fmt::format("'{}' needs hexadecimal bytes such as 'CAFEBABE', not '{}'",
                             CmpOpName(check.op), check.values[0]));
          return std::nullopt;
        }
        check.bytes.push_back(std::move(*decoded));
        break;
      }
      case CmpOp::kLt:
      case CmpOp::kLe:
      case CmpOp::kGt:
      case CmpOp::kGe:
        check.number = ParseNumber(check.values[0]);
        break;
      default:
        break;
    }

    CompiledCondition::Node n;
    n.kind = CompiledCondition::NodeKind::kCheck;
    n.slot = check.slot;
    n.fast = FastPathFor(check);
    if (n.fast != CompiledCondition::FastPath::kNone &&
        n.fast != CompiledCondition::FastPath::kExists) {
      n.value_first = static_cast<std::uint32_t>(out_.pool_spans_.size());
      n.value_count = static_cast<std::uint32_t>(check.values.size());
      for (const std::string& v : check.values) {
        out_.pool_spans_.push_back(CompiledCondition::PoolSpan{
            static_cast<std::uint32_t>(out_.pool_.size()), static_cast<std::uint32_t>(v.size())});
        out_.pool_ += v;
      }
    }
    out_.checks_.push_back(std::move(check));
    n.first = static_cast<std::uint32_t>(out_.checks_.size() - 1);
    out_.nodes_.push_back(n);
    return static_cast<std::uint32_t>(out_.nodes_.size() - 1);
  }

  static CompiledCondition::FastPath FastPathFor(const CompiledCheck& check) {
    using FP = CompiledCondition::FastPath;
    if (check.op == CmpOp::kExists) return FP::kExists;
    if (check.list_field) return FP::kNone;
    switch (check.op) {
      case CmpOp::kEq: return FP::kEq;
      case CmpOp::kNe: return FP::kNe;
      case CmpOp::kStartsWith: return FP::kStartsWith;
      case CmpOp::kIn:
      case CmpOp::kIntersects:
        return check.values.size() <= CompiledCheck::kLinearSetMax ? FP::kInSmall : FP::kNone;
      default: return FP::kNone;
    }
  }

  FieldTable& fields_;
  const Locator& locate_;
  std::vector<Error>& errors_;
  CompiledCondition out_;
  bool failed_ = false;
};

std::optional<CompiledCondition> CompileCondition(const AstNode& resolved,
                                                  FieldTable& fields,
                                                  const Locator& locate,
                                                  std::vector<Error>& errors) {
  ConditionCompiler compiler(fields, locate, errors);
  return compiler.Run(resolved);
}

}  // namespace vigil::rules
