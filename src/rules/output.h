// OutputFormat: a rule's `output` string compiled once, rendered for each match the way Falco's
// event formatter does (libsinsp eventformatter.cpp, with Falco's "*" prefix that prints missing
// values instead of dropping the line):
//
//   * `%field` and `%field[arg]` are replaced by the field's value. The field name is the longest
//     known field name at that point (so `%ka.target.name/%ka.target.resource` and `%ka.verbx`
//     work as in Falco: the latter is ka.verb followed by "x"); a `[...]` right after it is taken
//     as the argument when the field accepts one.
//   * `%<digits>field` pads or truncates the value to that many characters.
//   * A field that is not available renders as `<NA>`; a list field renders as `(a,b)` — what
//     libsinsp's sinsp_filter_check::tostring produces for list fields; an empty list as `()`.
//   * `%` must be followed by a field: "100%" or "% foo" is an error, as in Falco.
//
// Immutable after Compile; Render and Fields are thread-safe given one EvalContext per thread.
#ifndef VIGIL_RULES_OUTPUT_H_
#define VIGIL_RULES_OUTPUT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rules/eval_context.h"

namespace vigil::rules {

inline constexpr std::string_view kNotAvailable = "<NA>";

// One field of an output, resolved for an event (Falco's `output_fields` entry).
struct OutputField {
  std::string name;                 // canonical field text, e.g. "ka.uri.param[command]"
  bool available = false;           // false: JSON null / "<NA>"
  bool is_list = false;             // true: a JSON array
  std::vector<std::string> values;  // the values (one for a scalar field)
  std::string rendered;             // as it appears in the text output
};

class OutputFormat {
 public:
  OutputFormat() = default;

  // Compiles `format`, interning its fields in `fields`. Errors (kConfig) have the line and column
  // inside `format` in pos (no file) and, when `error_offset` is not null, the byte offset there:
  // "'%' must be followed by a field name", "unknown field after '%': 'kaa.verb'...",
  // ResolveField's errors for a bad argument.
  static Result<OutputFormat> Compile(std::string_view format,
                                      FieldTable& fields,
                                      std::uint32_t* error_offset = nullptr);

  // Writes the rendered output for the event in `ctx` into `out` (replacing its contents).
  void Render(EvalContext& ctx, std::string& out) const;
  std::string Render(EvalContext& ctx) const {
    std::string out;
    Render(ctx, out);
    return out;
  }

  // The fields the format names, in order of first appearance, with their values.
  std::vector<OutputField> Fields(EvalContext& ctx) const;

  // Slots of the fields used, in order of first appearance, without duplicates.
  std::span<const std::uint32_t> slots() const { return slots_; }
  const std::string& format() const { return format_; }

 private:
  struct Piece {
    std::string literal;      // text before the field (may be empty)
    std::int64_t slot = -1;   // -1: literal only
    std::uint32_t width = 0;  // %<width>field; 0 = as is
  };

  std::string format_;
  std::vector<Piece> pieces_;
  std::vector<std::uint32_t> slots_;
};

// Renders values the way the text output does: "<NA>", "value", "(a,b)".
void RenderFieldValue(const Field& field, const FieldValues* values, std::string& out);

}  // namespace vigil::rules

#endif  // VIGIL_RULES_OUTPUT_H_
