#include "rules/resolver.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace vigil::rules {

Error MakeNodeError(const Locator& locate,
                    std::uint32_t source,
                    std::uint32_t offset,
                    std::string_view message) {
  Location loc = locate(source, offset);
  std::string text = loc.where.empty() ? std::string(message)
                                       : fmt::format("{}: {}", loc.where, message);
  return MakeError(ErrorCode::kConfig, std::move(text), std::move(loc.pos));
}

namespace {

class Resolver {
 public:
  Resolver(const NameScope& scope,
           const Locator& locate,
           std::vector<Error>& errors,
           const ResolveLimits& limits)
      : scope_(scope), locate_(locate), errors_(errors), limits_(limits) {}

  AstPtr Run(const AstNode& root, bool& complete) {
    AstPtr out = Resolve(root, 0);
    complete = !failed_;
    if (over_budget_) return nullptr;  // a partial tree this big is not worth checking further
    return out;
  }

 private:
  void Report(const AstNode& at, std::string_view message) {
    failed_ = true;
    errors_.push_back(MakeNodeError(locate_, at.source, at.offset, message));
  }

  bool Budget(const AstNode& at, int depth) {
    if (over_budget_) return false;
    if (++nodes_ > limits_.max_nodes) {
      over_budget_ = true;
      Report(at, fmt::format("the condition expands to more than {} nodes (macros that use other "
                             "macros several times grow quickly)",
                             limits_.max_nodes));
      return false;
    }
    if (depth > limits_.max_depth) {
      over_budget_ = true;
      Report(at, fmt::format("the condition nests more than {} levels deep once macros are "
                             "expanded",
                             limits_.max_depth));
      return false;
    }
    return true;
  }

  static void AddOperand(AstNode& parent, AstPtr child) {
    if (child->kind == parent.kind) {
      for (auto& grandchild : child->children) parent.children.push_back(std::move(grandchild));
      return;
    }
    parent.children.push_back(std::move(child));
  }

  AstPtr Resolve(const AstNode& node, int depth) {
    if (!Budget(node, depth)) return nullptr;
    switch (node.kind) {
      case AstNode::Kind::kAnd:
      case AstNode::Kind::kOr:
      case AstNode::Kind::kNot: {
        auto out = std::make_unique<AstNode>();
        out->kind = node.kind;
        out->source = node.source;
        out->offset = node.offset;
        for (const auto& child : node.children) {
          AstPtr resolved = Resolve(*child, depth + 1);
          if (!resolved) continue;  // keep going to report every problem
          if (node.kind == AstNode::Kind::kNot) {
            out->children.push_back(std::move(resolved));
          } else {
            AddOperand(*out, std::move(resolved));
          }
        }
        if (over_budget_ || out->children.empty()) return nullptr;
        if (node.kind == AstNode::Kind::kNot && out->children[0]->kind == AstNode::Kind::kNot) {
          return std::move(out->children[0]->children[0]);  // not not x == x
        }
        if (node.kind != AstNode::Kind::kNot && out->children.size() == 1) {
          return std::move(out->children[0]);  // what is left of a partly failed and/or
        }
        return out;
      }
      case AstNode::Kind::kCheck:
        return ResolveCheck(node);
      case AstNode::Kind::kMacroRef:
        return ResolveMacro(node, depth);
    }
    return nullptr;
  }

  AstPtr ResolveCheck(const AstNode& node) {
    AstPtr out = CloneAst(node);
    if (!IsListOp(node.op)) return out;
    std::vector<AstValue> values;
    values.reserve(node.values.size());
    for (const AstValue& v : node.values) {
      const std::vector<std::string>* items = v.quoted ? nullptr : scope_.FindList(v.text);
      if (!items) {
        values.push_back(v);
        continue;
      }
      nodes_ += items->size() / 8;  // big lists count against the budget too
      for (const std::string& item : *items) values.push_back(AstValue{item, v.offset, true});
    }
    out->values = std::move(values);
    out->bare_list_ref = false;
    return out;
  }

  AstPtr ResolveMacro(const AstNode& node, int depth) {
    const MacroEntry* macro = scope_.FindMacro(node.name);
    if (!macro) {
      if (scope_.FindList(node.name)) {
        Report(node, fmt::format("'{}' is a list, not a macro: a list can only follow in, "
                                 "intersects or pmatch, as in 'ka.user.name in ({})'",
                                 node.name, node.name));
      } else {
        Report(node, fmt::format("undefined macro '{}'", node.name));
      }
      return nullptr;
    }
    if (!macro->enabled) {
      Report(node, fmt::format("macro '{}' is disabled", node.name));
      return nullptr;
    }
    if (macro->broken || !macro->condition) {
      failed_ = true;  // its own errors are already reported
      return nullptr;
    }
    if (std::find(stack_.begin(), stack_.end(), macro->name) != stack_.end()) {
      std::string chain;
      bool in_cycle = false;
      for (const std::string& name : stack_) {
        if (name == macro->name) in_cycle = true;
        if (in_cycle) chain += name + " -> ";
      }
      chain += macro->name;
      Report(node, fmt::format("macro '{}' refers to itself ({})", macro->name, chain));
      return nullptr;
    }
    stack_.push_back(macro->name);
    AstPtr out = Resolve(*macro->condition, depth + 1);
    stack_.pop_back();
    return out;
  }

  const NameScope& scope_;
  const Locator& locate_;
  std::vector<Error>& errors_;
  const ResolveLimits& limits_;
  std::vector<std::string> stack_;
  std::size_t nodes_ = 0;
  bool failed_ = false;
  bool over_budget_ = false;
};

}  // namespace

AstPtr ResolveCondition(const AstNode& root,
                        const NameScope& scope,
                        const Locator& locate,
                        std::vector<Error>& errors,
                        bool& complete,
                        const ResolveLimits& limits) {
  Resolver resolver(scope, locate, errors, limits);
  return resolver.Run(root, complete);
}

}  // namespace vigil::rules
