#include "rules/yaml_tree.h"

#include <fmt/format.h>
#include <yaml.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <unordered_map>
#include <utility>

namespace vigil::rules::yaml {

// ---------------------------------------------------------------------------------------------
// Node

Node::Kind Node::kind() const {
  return tree_ == nullptr ? Kind::kUndefined : tree_->nodes_[index_].kind;
}

const std::string& Node::Scalar() const {
  static const std::string* const kEmpty = new std::string();
  if (!IsScalar()) return *kEmpty;
  return tree_->scalars_[tree_->nodes_[index_].first];
}

bool Node::IsPlain() const { return IsScalar() && tree_->nodes_[index_].plain; }

std::size_t Node::size() const {
  if (!IsSequence() && !IsMap()) return 0;
  return tree_->nodes_[index_].count;
}

Node Node::operator[](std::string_view key) const {
  if (!IsMap()) return Node();
  const Tree::NodeData& map = tree_->nodes_[index_];
  for (std::uint32_t i = 0; i < map.count; ++i) {
    const std::uint32_t k = tree_->children_[map.first + 2 * i];
    const Tree::NodeData& key_data = tree_->nodes_[k];
    if (key_data.kind == Kind::kScalar && tree_->scalars_[key_data.first] == key) {
      return Node(tree_, tree_->children_[map.first + 2 * i + 1]);
    }
  }
  return Node();
}

yaml::Mark Node::Mark() const { return tree_ == nullptr ? yaml::Mark{} : tree_->nodes_[index_].mark; }

Node::iterator Node::begin() const {
  if (!IsSequence() && !IsMap()) return iterator();
  const Tree::NodeData& d = tree_->nodes_[index_];
  return iterator(tree_, tree_->children_.data() + d.first, IsMap());
}

Node::iterator Node::end() const {
  if (!IsSequence() && !IsMap()) return iterator();
  const Tree::NodeData& d = tree_->nodes_[index_];
  const std::uint32_t n = IsMap() ? 2 * d.count : d.count;
  return iterator(tree_, tree_->children_.data() + d.first + n, IsMap());
}

IteratorValue Node::iterator::operator*() const {
  IteratorValue v;
  if (map_) {
    v.first = Node(tree_, at_[0]);
    v.second = Node(tree_, at_[1]);
  } else {
    static_cast<Node&>(v) = Node(tree_, at_[0]);
  }
  return v;
}

namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

// yaml-cpp's IsFlexibleCase: empty, all lower case, or a capital followed by all lower or all
// upper case.
bool IsFlexibleCase(std::string_view s) {
  if (s.empty()) return true;
  if (std::all_of(s.begin(), s.end(), IsLower)) return true;
  const std::string_view rest = s.substr(1);
  return IsUpper(s[0]) && (std::all_of(rest.begin(), rest.end(), IsLower) ||
                           std::all_of(rest.begin(), rest.end(), IsUpper));
}

}  // namespace

std::optional<bool> DecodeBool(const Node& node) {
  if (!node.IsScalar()) return std::nullopt;
  const std::string& s = node.Scalar();
  if (!IsFlexibleCase(s)) return std::nullopt;
  std::string lower(s);
  for (char& c : lower) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  for (std::string_view t : {"y", "yes", "true", "on"}) {
    if (lower == t) return true;
  }
  for (std::string_view f : {"n", "no", "false", "off"}) {
    if (lower == f) return false;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Building

namespace {

int ToInt(std::size_t v) {
  return static_cast<int>(std::min<std::size_t>(v, std::numeric_limits<int>::max()));
}

// Turns libyaml's marks (which count characters from after a byte order mark) into yaml-cpp's
// (which count bytes, lines ending at '\n'). libyaml reports marks nearly in text order, so a
// cursor that walks forward makes the whole conversion one pass over the text.
class Positions {
 public:
  explicit Positions(std::string_view text) : text_(text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") bom_ = 3;
    Reset();
  }

  // The mark of libyaml's character index `index` (UTF-8 input).
  Mark AtChar(std::size_t index) {
    if (index < chars_) Reset();
    while (chars_ < index && byte_ < text_.size()) Step();
    return Current();
  }

  // The mark of byte `offset` of the text (clamped to its end).
  Mark AtByte(std::size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < byte_) Reset();
    while (byte_ < offset) Step();
    return Current();
  }

  // Where yaml-cpp put an empty value that libyaml places at byte `offset`: at the next token,
  // past blanks, line breaks and comments.
  Mark NextToken(std::size_t offset) {
    std::size_t b = std::min(offset, text_.size());
    while (b < text_.size()) {
      const char c = text_[b];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++b;
      } else if (c == '#') {
        while (b < text_.size() && text_[b] != '\n') ++b;
      } else {
        break;
      }
    }
    return AtByte(b);
  }

 private:
  void Reset() {
    chars_ = 0;
    byte_ = bom_;
    line_ = 0;
    line_start_ = bom_;
  }

  // One UTF-8 character forward (a stray continuation byte counts as one).
  void Step() {
    const unsigned char c = static_cast<unsigned char>(text_[byte_]);
    std::size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    if (c == '\n') {
      ++line_;
      line_start_ = byte_ + 1;
    }
    byte_ = std::min(byte_ + len, text_.size());
    ++chars_;
  }

  Mark Current() const {
    return Mark{ToInt(byte_), ToInt(line_), ToInt(byte_ - line_start_)};
  }

  std::string_view text_;
  std::size_t bom_ = 0;
  std::size_t chars_ = 0;
  std::size_t byte_ = 0;
  std::size_t line_ = 0;
  std::size_t line_start_ = 0;
};

bool IsNullString(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Owns a libyaml parser and its current event.
struct Parser {
  Parser() { yaml_parser_initialize(&parser); }
  ~Parser() {
    if (has_event) yaml_event_delete(&event);
    yaml_parser_delete(&parser);
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  bool Next() {
    if (has_event) yaml_event_delete(&event);
    has_event = yaml_parser_parse(&parser, &event) != 0;
    return has_event;
  }

  yaml_parser_t parser{};
  yaml_event_t event{};
  bool has_event = false;
};

}  // namespace

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, const std::string& name)
      : text_(text), name_(name), positions_(text) {}

  Result<Tree> Run() {
    Parser p;
    yaml_parser_set_input_string(&p.parser, reinterpret_cast<const unsigned char*>(text_.data()),
                                 text_.size());
    for (;;) {
      if (!p.Next()) return ParseError(p.parser);
      const yaml_event_t& e = p.event;
      switch (e.type) {
        case YAML_STREAM_START_EVENT:
          utf8_ = e.data.stream_start.encoding == YAML_UTF8_ENCODING;
          break;
        case YAML_STREAM_END_EVENT:
          return std::move(tree_);
        case YAML_DOCUMENT_START_EVENT:
          anchors_.clear();
          break;
        case YAML_DOCUMENT_END_EVENT:
          tree_.documents_.push_back(root_);
          break;
        case YAML_SCALAR_EVENT:
          AddScalar(e);
          break;
        case YAML_SEQUENCE_START_EVENT:
          Open(Node::Kind::kSequence, e.start_mark, e.data.sequence_start.anchor);
          break;
        case YAML_MAPPING_START_EVENT:
          Open(Node::Kind::kMap, e.start_mark, e.data.mapping_start.anchor);
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          Close();
          break;
        case YAML_ALIAS_EVENT: {
          const char* anchor = reinterpret_cast<const char*>(e.data.alias.anchor);
          auto it = anchors_.find(anchor);
          if (it == anchors_.end()) {
            return Fail(MarkOf(e.start_mark),
                        fmt::format("alias '*{}' does not name an anchor before it", anchor));
          }
          Attach(it->second);
          break;
        }
        case YAML_NO_EVENT:
          break;
      }
    }
  }

 private:
  struct OpenCollection {
    std::uint32_t node;
    std::size_t pending_start;
    std::string anchor;
  };

  Mark MarkOf(const yaml_mark_t& m) {
    if (!utf8_) return Mark{-1, ToInt(m.line), ToInt(m.column)};
    return positions_.AtChar(m.index);
  }

  std::uint32_t NewNode(Node::Kind kind, Mark mark) {
    Tree::NodeData d;
    d.kind = kind;
    d.mark = mark;
    tree_.nodes_.push_back(d);
    return static_cast<std::uint32_t>(tree_.nodes_.size() - 1);
  }

  void AddScalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    const std::string_view value(reinterpret_cast<const char*>(s.value), s.length);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    Mark mark;
    if (utf8_ && value.empty() && plain && s.tag == nullptr && s.anchor == nullptr &&
        e.start_mark.index == e.end_mark.index) {
      // An empty value: libyaml puts it where the value was missing, yaml-cpp at the next token.
      mark = positions_.NextToken(positions_.AtChar(e.start_mark.index).pos);
    } else {
      mark = MarkOf(e.start_mark);
    }
    const bool null = plain && s.tag == nullptr && IsNullString(value);
    const std::uint32_t n = NewNode(null ? Node::Kind::kNull : Node::Kind::kScalar, mark);
    if (!null) {
      tree_.nodes_[n].plain = plain;
      tree_.nodes_[n].first = static_cast<std::uint32_t>(tree_.scalars_.size());
      tree_.scalars_.emplace_back(value);
    }
    if (s.anchor != nullptr) anchors_[reinterpret_cast<const char*>(s.anchor)] = n;
    Attach(n);
  }

  void Open(Node::Kind kind, const yaml_mark_t& start, const yaml_char_t* anchor) {
    const std::uint32_t n = NewNode(kind, MarkOf(start));
    open_.push_back(OpenCollection{
        n, pending_.size(), anchor == nullptr ? std::string() : reinterpret_cast<const char*>(anchor)});
  }

  // Children are collected on one stack while their collection is open, then copied to the
  // tree's child list in one piece, so each collection's children are contiguous.
  void Close() {
    if (open_.empty()) return;
    OpenCollection c = std::move(open_.back());
    open_.pop_back();
    Tree::NodeData& d = tree_.nodes_[c.node];
    const std::size_t n = pending_.size() - c.pending_start;
    d.first = static_cast<std::uint32_t>(tree_.children_.size());
    d.count = static_cast<std::uint32_t>(d.kind == Node::Kind::kMap ? n / 2 : n);
    tree_.children_.insert(tree_.children_.end(),
                           pending_.begin() + static_cast<std::ptrdiff_t>(c.pending_start),
                           pending_.end());
    pending_.resize(c.pending_start);
    // Registered only now, so that an alias inside the node itself cannot make a cycle.
    if (!c.anchor.empty()) anchors_[c.anchor] = c.node;
    Attach(c.node);
  }

  void Attach(std::uint32_t n) {
    if (open_.empty()) {
      root_ = n;
    } else {
      pending_.push_back(n);
    }
  }

  Error Fail(Mark mark, std::string message) const {
    return MakeError(ErrorCode::kConfig, std::move(message),
                     SourcePos{name_, mark.line + 1, mark.column + 1});
  }

  Error ParseError(const yaml_parser_t& p) {
    if (p.error == YAML_MEMORY_ERROR) return Fail(Mark{0, 0, 0}, "out of memory");
    const std::string problem = p.problem != nullptr ? p.problem : "unknown error";
    if (p.error == YAML_READER_ERROR) {
      const Mark at = utf8_ || p.encoding == YAML_ANY_ENCODING || p.encoding == YAML_UTF8_ENCODING
                          ? positions_.AtByte(p.problem_offset)
                          : Mark{-1, 0, 0};
      if (p.problem_value >= 0) {
        return Fail(at, fmt::format("{} (byte 0x{:02x})", problem, p.problem_value));
      }
      return Fail(at, problem);
    }
    const Mark at = MarkOf(p.problem_mark);
    if (p.context != nullptr && p.context_mark.index != p.problem_mark.index) {
      const Mark context = MarkOf(p.context_mark);
      return Fail(at, fmt::format("{} ({} that starts at {}:{})", problem, p.context,
                                  context.line + 1, context.column + 1));
    }
    return Fail(at, problem);
  }

  std::string_view text_;
  const std::string& name_;
  Positions positions_;
  bool utf8_ = true;
  Tree tree_;
  std::vector<OpenCollection> open_;
  std::vector<std::uint32_t> pending_;
  std::unordered_map<std::string, std::uint32_t> anchors_;
  std::uint32_t root_ = 0;
};

namespace {

// Copies `text` with every tab that stands before nothing but blanks or a comment on its line
// turned into a space; false when there is none. The YAML spec (and yaml-cpp) allows such lines
// (an empty line or a comment line, indented with tabs), libyaml refuses them ("found character
// that cannot start any token"). The copy has the same length, so every position holds.
bool BlankTabOnlyLines(std::string_view text, std::string& out) {
  bool changed = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::size_t i = start;
    bool tab = false;
    for (; i < end && (text[i] == ' ' || text[i] == '\t'); ++i) {
      if (text[i] == '\t') tab = true;
    }
    const bool blank = i == end || text[i] == '#' || (text[i] == '\r' && i + 1 == end);
    if (tab && blank) {
      if (!changed) out.assign(text);
      changed = true;
      for (std::size_t j = start; j < i; ++j) out[j] = ' ';
    }
    start = end + 1;
  }
  return changed;
}

}  // namespace

Result<Tree> Tree::Parse(std::string_view text, const std::string& name) {
  Result<Tree> tree = TreeBuilder(text, name).Run();
  if (tree || text.find('\t') == std::string_view::npos) return tree;
  // Only on failure, so that text libyaml reads is read exactly as written.
  std::string blanked;
  if (!BlankTabOnlyLines(text, blanked)) return tree;
  return TreeBuilder(blanked, name).Run();
}

std::vector<Node> Tree::documents() const {
  std::vector<Node> docs;
  docs.reserve(documents_.size());
  for (std::uint32_t root : documents_) docs.push_back(Node(this, root));
  return docs;
}

}  // namespace vigil::rules::yaml
