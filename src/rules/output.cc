#include "rules/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "rules/lexer.h"

namespace vigil::rules {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The longest known field name that `text` starts with, or nullopt.
std::optional<const FieldInfo*> LongestFieldPrefix(std::string_view text) {
  const FieldInfo* best = nullptr;
  for (const FieldInfo& info : AllFields()) {
    if (info.name.size() <= text.size() && text.starts_with(info.name) &&
        (best == nullptr || info.name.size() > best->name.size())) {
      best = &info;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best;
}

Error FormatError(std::string_view format,
                  std::uint32_t offset,
                  std::string message,
                  std::uint32_t* error_offset) {
  if (error_offset) *error_offset = offset;
  const LineColumn lc = LineColumnAt(format, offset);
  return MakeError(ErrorCode::kConfig, std::move(message), SourcePos{"", lc.line, lc.column});
}

}  // namespace

void RenderFieldValue(const Field& field, const FieldValues* values, std::string& out) {
  if (values == nullptr) {
    out += kNotAvailable;
    return;
  }
  if (!field.is_scalar()) {
    out += '(';
    for (size_t i = 0; i < values->size(); ++i) {
      if (i > 0) out += ',';
      out += (*values)[i];
    }
    out += ')';
    return;
  }
  if (values->empty()) {
    out += kNotAvailable;
    return;
  }
  out += (*values)[0];
}

Result<OutputFormat> OutputFormat::Compile(std::string_view format,
                                           FieldTable& fields,
                                           std::uint32_t* error_offset) {
  OutputFormat out;
  out.format_ = std::string(format);
  std::string literal;
  size_t i = 0;
  while (i < format.size()) {
    const char c = format[i];
    if (c != '%') {
      literal += c;
      ++i;
      continue;
    }
    const auto percent = static_cast<std::uint32_t>(i);
    ++i;
    std::uint32_t width = 0;
    while (i < format.size() && IsDigit(format[i])) {
      width = std::min<std::uint32_t>(width * 10 + static_cast<std::uint32_t>(format[i] - '0'),
                                      4096);
      ++i;
    }
    const std::string_view rest = format.substr(i);
    auto info = LongestFieldPrefix(rest);
    if (!info) {
      Lexer lex(rest);
      if (rest.empty() || IsBlank(rest[0])) {
        return FormatError(format, percent, "'%' must be followed by a field name",
                           error_offset);
      }
      auto word = lex.TryFieldName();
      std::string shown = word ? std::string(*word) : std::string(rest.substr(0, 1));
      // Let ResolveField explain (it suggests the closest name).
      auto resolved = ResolveField(shown, std::nullopt);
      std::string message = resolved ? fmt::format("unknown field after '%': '{}'", shown)
                                     : resolved.error().message;
      return FormatError(format, static_cast<std::uint32_t>(i), message, error_offset);
    }
    const std::string_view name = (*info)->name;
    i += name.size();
    std::optional<std::string> arg;
    if ((*info)->arg != FieldArg::kNone && i < format.size() && format[i] == '[') {
      const size_t close = format.find(']', i + 1);
      if (close == std::string_view::npos) {
        return FormatError(format, static_cast<std::uint32_t>(i),
                           fmt::format("missing ']' after the argument of '%{}'", name),
                           error_offset);
      }
      arg = std::string(format.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    std::optional<std::string_view> arg_view;
    if (arg) arg_view = *arg;
    auto slot = fields.Intern(name, arg_view);
    if (!slot) {
      return FormatError(format, percent + 1, slot.error().message, error_offset);
    }
    Piece piece;
    piece.literal = std::move(literal);
    literal.clear();
    piece.slot = *slot;
    piece.width = width;
    out.pieces_.push_back(std::move(piece));
    if (std::find(out.slots_.begin(), out.slots_.end(), *slot) == out.slots_.end()) {
      out.slots_.push_back(*slot);
    }
  }
  if (!literal.empty()) {
    Piece piece;
    piece.literal = std::move(literal);
    out.pieces_.push_back(std::move(piece));
  }
  return out;
}

void OutputFormat::Render(EvalContext& ctx, std::string& out) const {
  out.clear();
  for (const Piece& piece : pieces_) {
    out += piece.literal;
    if (piece.slot < 0) continue;
    const auto slot = static_cast<std::uint32_t>(piece.slot);
    const size_t start = out.size();
    RenderFieldValue(ctx.fields().field(slot), ctx.Values(slot), out);
    if (piece.width > 0) out.resize(start + piece.width, ' ');
  }
}

std::vector<OutputField> OutputFormat::Fields(EvalContext& ctx) const {
  std::vector<OutputField> result;
  result.reserve(slots_.size());
  for (std::uint32_t slot : slots_) {
    const Field& field = ctx.fields().field(slot);
    const FieldValues* values = ctx.Values(slot);
    OutputField f;
    f.name = ctx.fields().name(slot);
    f.available = values != nullptr;
    f.is_list = !field.is_scalar();
    if (values) {
      for (std::string_view v : *values) f.values.emplace_back(v);
    }
    RenderFieldValue(field, values, f.rendered);
    result.push_back(std::move(f));
  }
  return result;
}

}  // namespace vigil::rules
