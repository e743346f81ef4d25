// A read-only YAML document tree for the rule loader, built from libyaml's event API.
//
// The loader used yaml-cpp 0.7, whose scanner was the largest part of `vigil scan`'s startup and
// which looped forever on some malformed input; libyaml parses the same text an order of
// magnitude faster and always ends. This tree keeps what the loader read through YAML::Node and
// resolves scalars as yaml-cpp 0.7 did, so rule files written against Falco (which uses
// yaml-cpp) read the same:
//   - a plain, untagged scalar that is empty, "~", "null", "Null" or "NULL" is Null, and so is an
//     empty value (`key:`); a quoted or tagged scalar is always a Scalar. Tags are otherwise
//     ignored.
//   - an alias is the anchored node itself (its mark is the anchor's); an alias to an unknown
//     anchor, or to a node still being read (a cycle), is a parse error.
//   - a mark's pos, line and column are 0-based and count bytes, lines ending at '\n' (as
//     YAML::Mark did). pos is the byte offset in the text given to Parse; column does not count a
//     UTF-8 byte order mark on the first line. An empty value's mark is where the next token
//     starts, as yaml-cpp placed it. For UTF-16 input (libyaml detects it by its byte order mark),
//     line and column count characters and pos is -1.
//   - map entries keep document order and duplicate keys; operator[] finds the first.
//   - a line holding only tabs and blanks, or those before a comment, is an empty or comment line,
//     as the YAML spec and yaml-cpp have it (libyaml alone refuses it).
//
// All nodes live in one Tree (flat vectors; a scalar's text is its only allocation, and only
// when too long for the string's inline buffer); a Node is a handle that is valid while its Tree
// lives and is not moved.
#ifndef VIGIL_RULES_YAML_TREE_H_
#define VIGIL_RULES_YAML_TREE_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::rules::yaml {

// A position in the text; -1 everywhere means "no position" (an undefined node).
struct Mark {
  int pos = -1;
  int line = -1;
  int column = -1;
};

class Tree;
struct IteratorValue;

class Node {
 public:
  enum class Kind : std::uint8_t { kUndefined, kNull, kScalar, kSequence, kMap };
  class iterator;

  // An undefined node (what operator[] gives for a missing key).
  Node() = default;

  Kind kind() const;
  bool IsDefined() const { return kind() != Kind::kUndefined; }
  bool IsNull() const { return kind() == Kind::kNull; }
  bool IsScalar() const { return kind() == Kind::kScalar; }
  bool IsSequence() const { return kind() == Kind::kSequence; }
  bool IsMap() const { return kind() == Kind::kMap; }
  // The text of a Scalar; empty for any other kind. Lives as long as the Tree.
  const std::string& Scalar() const;
  // True for a plain (unquoted, not block) Scalar.
  bool IsPlain() const;
  // Entries of a Sequence, pairs of a Map; 0 for any other kind.
  std::size_t size() const;
  // The value of the first entry of a Map whose key is the Scalar `key`; an undefined node when
  // there is none or this is not a Map.
  Node operator[](std::string_view key) const;
  // Where the node starts (at its anchor or tag when it has one); no position when undefined.
  yaml::Mark Mark() const;

  // Range-for over a Sequence gives its nodes; over a Map, its pairs (.first, .second); over
  // anything else, nothing.
  iterator begin() const;
  iterator end() const;

 private:
  friend class Tree;
  Node(const Tree* tree, std::uint32_t index) : tree_(tree), index_(index) {}

  const Tree* tree_ = nullptr;
  std::uint32_t index_ = 0;
};

// What an iterator gives: for a Sequence the entry itself (first and second undefined), for a Map
// the pair (the Node part undefined), so that both `for (const Node& n : seq)` and
// `it->first` / `it->second` read as they did with yaml-cpp.
struct IteratorValue : Node {
  Node first;
  Node second;
};

class Node::iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = IteratorValue;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = IteratorValue;

  iterator() = default;
  IteratorValue operator*() const;
  // `it->first`: a proxy holding the value.
  struct Arrow {
    IteratorValue value;
    const IteratorValue* operator->() const { return &value; }
  };
  Arrow operator->() const { return Arrow{**this}; }
  iterator& operator++() {
    at_ += map_ ? 2 : 1;
    return *this;
  }
  iterator operator++(int) {
    iterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const iterator& other) const { return at_ == other.at_; }

 private:
  friend class Node;
  iterator(const Tree* tree, const std::uint32_t* at, bool map) : tree_(tree), at_(at), map_(map) {}

  const Tree* tree_ = nullptr;
  const std::uint32_t* at_ = nullptr;
  bool map_ = false;
};

// yaml-cpp 0.7's convert<bool>: a Scalar (quoted or not) spelled y, yes, true, on, n, no, false
// or off, in lower case, UPPER case or with a Capital first letter. nullopt otherwise.
std::optional<bool> DecodeBool(const Node& node);

class Tree {
 public:
  // Parses every document of `text`. A syntax error (or an unknown alias) is a kConfig Error
  // whose message is libyaml's description (with the construct it was in, when that started
  // elsewhere) and whose position is `name`:line:column, 1-based.
  static Result<Tree> Parse(std::string_view text, const std::string& name);

  Tree() = default;
  Tree(Tree&&) noexcept = default;
  Tree& operator=(Tree&&) noexcept = default;
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // The root of each document, in order (none for an empty stream). Valid while this Tree lives
  // at this address.
  std::vector<Node> documents() const;

 private:
  friend class Node;
  friend class Node::iterator;
  friend class TreeBuilder;

  struct NodeData {
    Node::Kind kind = Node::Kind::kNull;
    bool plain = false;
    Mark mark;
    // Scalar: index in scalars_. Sequence, Map: first index in children_ (a Map's children are
    // key, value, key, value...).
    std::uint32_t first = 0;
    std::uint32_t count = 0;  // entries of a Sequence, pairs of a Map
  };

  std::vector<NodeData> nodes_;
  std::vector<std::uint32_t> children_;
  std::vector<std::string> scalars_;
  std::vector<std::uint32_t> documents_;
};

}  // namespace vigil::rules::yaml

#endif  // VIGIL_RULES_YAML_TREE_H_
