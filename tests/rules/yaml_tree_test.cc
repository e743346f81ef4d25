#include "rules/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::rules::yaml {
namespace {

// Parses `text` as one document and returns its tree (the test fails on a parse error).
Tree MustParse(const std::string& text) {
  auto tree = Tree::Parse(text, "t.yaml");
  EXPECT_TRUE(tree.has_value()) << tree.error().ToString();
  if (!tree) return Tree();
  return std::move(*tree);
}

std::string ParseError(const std::string& text) {
  auto tree = Tree::Parse(text, "t.yaml");
  if (tree) return "(parsed)";
  return tree.error().ToString();
}

std::string MarkString(const Node& node) {
  const Mark m = node.Mark();
  return std::to_string(m.pos) + "/" + std::to_string(m.line) + "/" + std::to_string(m.column);
}

TEST(YamlTreeTest, ResolvesNullLikeYamlCpp) {
  const Tree tree = MustParse(
      "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: 'null'\ng: \"~\"\nh: !!str null\ni: nULL\nj: ''\n"
      "k: &x\n");
  const Node root = tree.documents().at(0);
  for (const char* key : {"a", "b", "c", "d", "e", "k"}) {
    EXPECT_TRUE(root[key].IsNull()) << key;
    EXPECT_TRUE(root[key].IsDefined()) << key;
  }
  for (const char* key : {"f", "g", "h", "i", "j"}) EXPECT_TRUE(root[key].IsScalar()) << key;
  EXPECT_EQ(root["f"].Scalar(), "null");
  EXPECT_EQ(root["h"].Scalar(), "null");
  EXPECT_EQ(root["j"].Scalar(), "");
  EXPECT_FALSE(root["f"].IsPlain());
  EXPECT_TRUE(root["i"].IsPlain());
  EXPECT_FALSE(root["missing"].IsDefined());
  EXPECT_EQ(root["missing"].Scalar(), "");
  EXPECT_EQ(root["a"].Scalar(), "");
}

TEST(YamlTreeTest, DecodesBoolsLikeYamlCppConvert) {
  // The accepted spellings of yaml-cpp 0.7's convert<bool> (checked against libyaml-cpp 0.7.0).
  for (const char* t : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
                        "'true'", "\"yes\""}) {
    const Tree tree = MustParse(std::string("k: ") + t);
    EXPECT_EQ(DecodeBool(tree.documents().at(0)["k"]), std::optional<bool>(true)) << t;
  }
  for (const char* f : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                        "OFF"}) {
    const Tree tree = MustParse(std::string("k: ") + f);
    EXPECT_EQ(DecodeBool(tree.documents().at(0)["k"]), std::optional<bool>(false)) << f;
  }
  for (const char* x : {"yEs", "YeS", "TRue", "tRUE", "oN", "nO", "1", "0", "t", "''", "~", "[]",
                        "{}"}) {
    const Tree tree = MustParse(std::string("k: ") + x);
    EXPECT_EQ(DecodeBool(tree.documents().at(0)["k"]), std::nullopt) << x;
  }
  EXPECT_EQ(DecodeBool(Node()), std::nullopt);
}

TEST(YamlTreeTest, MarksCountBytesAsYamlCppDid) {
  // Expected marks are what YAML::Node::Mark() gave for the same text with yaml-cpp 0.7.
  const Tree tree = MustParse("- \xC3\xA9: \"\xC3\xBC x\"\n  b: |\n    x\n- k:\n  - x\n");
  const Node root = tree.documents().at(0);
  EXPECT_EQ(MarkString(root), "0/0/0");
  const Node first = *root.begin();
  EXPECT_EQ(MarkString(first), "2/0/2");
  EXPECT_EQ(MarkString(first.begin()->first), "2/0/2");
  EXPECT_EQ(MarkString(first.begin()->second), "6/0/6");  // at the quote, in bytes
  EXPECT_EQ(MarkString(first["b"]), "18/1/5");            // at the '|'
  const Node second = *++root.begin();
  EXPECT_EQ(MarkString(second["k"]), "33/4/2");  // an indentless sequence: at its first '-'
}

TEST(YamlTreeTest, EmptyValuesAreMarkedAtTheNextToken) {
  const Tree tree = MustParse("- a:\n  b:   # note\n\n  c:\n-\n- z\n");
  const Node root = tree.documents().at(0);
  const Node item = *root.begin();
  EXPECT_EQ(MarkString(item["a"]), "7/1/2");    // at 'b'
  EXPECT_EQ(MarkString(item["b"]), "22/3/2");   // past the comment and the blank line, at 'c'
  EXPECT_EQ(MarkString(item["c"]), "25/4/0");   // at the next '-'
  auto it = root.begin();
  ++it;
  EXPECT_TRUE(it->IsNull());
  EXPECT_EQ(MarkString(*it), "27/5/0");         // at the next '-'
}

TEST(YamlTreeTest, ByteOrderMarkIsNotAColumn) {
  const Tree tree = MustParse("\xEF\xBB\xBF- a: b\n");
  const Node item = *tree.documents().at(0).begin();
  // pos is the byte offset in the text as given; the column is what an editor shows.
  EXPECT_EQ(MarkString(item), "5/0/2");
  EXPECT_EQ(MarkString(item["a"]), "8/0/5");
}

TEST(YamlTreeTest, MapsKeepOrderAndDuplicatesAndFindTheFirstKey) {
  const Tree tree = MustParse("b: 1\na: 2\nb: 3\n? [x]\n: 4\n");
  const Node root = tree.documents().at(0);
  EXPECT_EQ(root.size(), 4u);
  std::vector<std::string> keys;
  for (const auto& kv : root) keys.push_back(kv.first.IsScalar() ? kv.first.Scalar() : "[seq]");
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "a", "b", "[seq]"}));
  EXPECT_EQ(root["b"].Scalar(), "1");
  EXPECT_FALSE(root["x"].IsDefined());
  // Lookups on anything but a map find nothing (yaml-cpp threw on a scalar; the loader never
  // asked one).
  EXPECT_FALSE(root["a"]["z"].IsDefined());
  EXPECT_EQ(root["a"].size(), 0u);
  EXPECT_EQ(root["a"].begin(), root["a"].end());
}

TEST(YamlTreeTest, SequencesIterateTheirNodes) {
  const Tree tree = MustParse("- a\n- [b, c]\n- {d: e}\n-\n");
  const Node root = tree.documents().at(0);
  ASSERT_EQ(root.size(), 4u);
  std::vector<Node::Kind> kinds;
  for (const Node& n : root) kinds.push_back(n.kind());
  EXPECT_EQ(kinds, (std::vector<Node::Kind>{Node::Kind::kScalar, Node::Kind::kSequence,
                                            Node::Kind::kMap, Node::Kind::kNull}));
  auto it = root.begin();
  ++it;
  EXPECT_EQ((*it).size(), 2u);
  EXPECT_EQ((*++it)["d"].Scalar(), "e");
}

TEST(YamlTreeTest, AliasesGiveTheAnchoredNode) {
  const Tree tree = MustParse("- &l [a, b]\n- *l\n- &s x\n- *s\n");
  const Node root = tree.documents().at(0);
  std::vector<Node> items(root.begin(), root.end());
  ASSERT_EQ(items.size(), 4u);
  EXPECT_TRUE(items[1].IsSequence());
  EXPECT_EQ(items[1].size(), 2u);
  EXPECT_EQ(MarkString(items[1]), MarkString(items[0]));
  EXPECT_EQ(items[3].Scalar(), "x");
}

TEST(YamlTreeTest, UnknownAndSelfReferringAliasesAreErrors) {
  EXPECT_EQ(ParseError("- a: *nope\n"),
            "t.yaml:1:6: alias '*nope' does not name an anchor before it");
  EXPECT_EQ(ParseError("- &a [x, *a]\n"),
            "t.yaml:1:10: alias '*a' does not name an anchor before it");
  // Anchors do not carry over to the next document.
  EXPECT_EQ(ParseError("- &a x\n---\n- *a\n"),
            "t.yaml:3:3: alias '*a' does not name an anchor before it");
}

TEST(YamlTreeTest, GivesEveryDocument) {
  EXPECT_TRUE(MustParse("").documents().empty());
  EXPECT_TRUE(MustParse("# only a comment\n").documents().empty());
  const Tree tree = MustParse("- a\n---\n- b\n---\n");
  const std::vector<Node> docs = tree.documents();
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[1].begin()->Scalar(), "b");
  EXPECT_TRUE(docs[2].IsNull());
}

TEST(YamlTreeTest, LinesOfTabsAreEmptyOrCommentLines) {
  // Valid YAML that yaml-cpp read and libyaml alone refuses.
  for (const char* text : {"- a: [b]\n\t\n- c\n", "\t\n- c: d\n", "- a: \"b\"\n \t # x\n- c\r\n",
                           "- a: 'b'\n\t\t"}) {
    auto tree = Tree::Parse(text, "t.yaml");
    ASSERT_TRUE(tree.has_value()) << tree.error().ToString();
    const Node root = tree->documents().at(0);
    EXPECT_EQ(root.begin()->kind(), Node::Kind::kMap);
  }
  const Tree tree = MustParse("- a: [b]\n\t\n- c\n");
  auto it = tree.documents().at(0).begin();
  ++it;
  EXPECT_EQ(it->Scalar(), "c");
  EXPECT_EQ(MarkString(*it), "13/2/2");
  // A tab that indents content is still an error, where libyaml finds it.
  EXPECT_EQ(ParseError("- a: [b]\n\t\n- \tc: d\n"),
            "t.yaml:3:3: found character that cannot start any token");
}

TEST(YamlTreeTest, SyntaxErrorsHaveLibyamlsTextAndPosition) {
  EXPECT_EQ(ParseError(","), "t.yaml:1:1: did not find expected node content");
  EXPECT_EQ(ParseError("- rule: r\n  desc: [unclosed\n  output: o\n"),
            "t.yaml:3:9: did not find expected ',' or ']' (while parsing a flow sequence that "
            "starts at 2:9)");
  EXPECT_EQ(ParseError("- a: b: c\n"), "t.yaml:1:7: mapping values are not allowed in this context");
  // Columns count bytes, as everywhere else in the loader's positions.
  EXPECT_EQ(ParseError("- \xC3\xA9: \"x\n"),
            "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar that "
            "starts at 1:7)");
  EXPECT_EQ(ParseError("- a\n- \xFF\n"), "t.yaml:2:3: invalid leading UTF-8 octet (byte 0xff)");
  EXPECT_EQ(ParseError("- a\x01"), "t.yaml:1:4: control characters are not allowed (byte 0x01)");
}

}  // namespace
}  // namespace vigil::rules::yaml
