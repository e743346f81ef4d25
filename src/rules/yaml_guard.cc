#include "rules/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace vigil::rules::internal {
namespace {

// yaml-cpp 0.7's LoadAll never returns on some malformed input: for a stray ',' at the top level
// the parser reports an empty document without consuming the token, again and again, while the
// list of documents grows. A first pass with this handler stops at a document that starts where
// the previous one did, so such input becomes an error instead of a hang.
class YamlProgress : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {
  }
  void OnSequenceStart(const YAML::Mark&,
                       const std::string&,
                       YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&,
                  const std::string&,
                  YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

}  // namespace

std::optional<YAML::Mark> FindYamlStall(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  YamlProgress progress;
  int previous = -1;
  while (parser.HandleNextDocument(progress)) {
    if (progress.start.pos == previous) return progress.start;
    previous = progress.start.pos;
  }
  return std::nullopt;
}

// Why this shape cannot stall: the stall needs a token that the document-level parser does not
// consume (a ',' there, for one). Once an entry at column 0 opens the root block sequence, the
// sequence lasts until a token at column 0 that is not an entry, and the shape allows none, so
// it ends with the text: every later token is inside it, and yaml-cpp's sequence and map parsers
// throw on any token they do not expect. Before that first entry the shape allows only blank and
// comment lines, which make no tokens. Control bytes are refused because yaml-cpp treats some of
// them specially (CR ends lines, NUL suggests UTF-16 or UTF-32), and a BOM, a directive ('%') or a
// document marker ("---", "...") is not an entry at column 0, so each of those gets the guard.
bool RootSequenceSpansText(std::string_view text) {
  bool in_sequence = false;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\n' && c != '\t') return false;
    if (c == '\n') {
      line_start = true;
      continue;
    }
    if (!line_start) continue;
    line_start = false;
    if (c == '-' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) {
      in_sequence = true;
    } else if (c == '#') {
      // A comment line.
    } else if (c == ' ' && in_sequence) {
      // Inside an entry.
    } else if (c == ' ') {
      // Before the first entry only blanks and comments may follow the indentation.
      std::size_t j = i;
      while (j < text.size() && text[j] == ' ') ++j;
      if (j < text.size() && text[j] != '\n' && text[j] != '#') return false;
    } else {
      return false;
    }
  }
  return in_sequence;
}

}  // namespace vigil::rules::internal
