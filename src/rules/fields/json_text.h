// Internal to vigil_rules_fields: reading and rendering JSON values the way Falco's k8saudit and
// json plugins present them (strings as themselves, everything else as minified JSON text), plus
// the text transformations some fields need (image repository, URL query parameters).
#ifndef VIGIL_RULES_FIELDS_JSON_TEXT_H_
#define VIGIL_RULES_FIELDS_JSON_TEXT_H_

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"
#include "rules/field.h"

namespace vigil::rules::fields {

using simdjson::dom::element;

// Member `key` of `object`, or nullopt (also when `object` is not an object). Inline: it is the
// innermost step of almost every field.
inline std::optional<element> Child(element object, std::string_view key) {
  simdjson::dom::object obj;
  if (object.get_object().get(obj) != simdjson::SUCCESS) return std::nullopt;
  for (auto field : obj) {
    if (field.key == key) return field.value;
  }
  return std::nullopt;
}
inline std::optional<element> Child(std::optional<element> object, std::string_view key) {
  return object ? Child(*object, key) : std::nullopt;
}

// The array's elements, or nullopt when `e` is not an array.
std::optional<simdjson::dom::array> AsArray(std::optional<element> e);

// `e` as Falco renders it: a string is its (unescaped) text, a view into the document; any other
// value is its minified JSON text (`true`, `101`, `{"a":1}`), stored in `scratch`.
std::string_view RenderNonString(element e, Scratch& scratch);
inline std::string_view Render(element e, Scratch& scratch) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return s;
  return RenderNonString(e, scratch);
}

// Appends the minified JSON text of `e` to `out` (RFC 8259 escaping, document key order).
void AppendJson(element e, std::string& out);

// A per-thread buffer for building one value (a joined command line, a JSON text) before it is
// copied into the Scratch. Cleared on each call; its capacity is kept, so steady state does not
// allocate.
std::string& TextBuffer();

// An image reference without its tag and digest: "nginx:1.7" → "nginx",
// "reg.io/a/b@sha256:…" → "reg.io/a/b", "localhost:5000/x:1" → "localhost:5000/x" (a ':' before
// the last '/' is a registry port, not a tag). A view into `image`.
std::string_view ImageRepository(std::string_view image);

// `path` cleaned as Go's path.Clean does: repeated slashes collapsed, "." segments dropped, ".."
// resolved lexically, no trailing slash ("/etc/", "//etc" and "/x/../etc/." are all "/etc"). A
// view into `path` when it is already clean, else stored in `scratch`.
std::string_view CleanPath(std::string_view path, Scratch& scratch);

// The first value of query parameter `key` in `uri`, decoded as Go's url.ParseQuery does ('+' is
// a space, %XX escapes; pairs containing ';' or a bad escape are skipped). nullopt when the
// parameter is absent. The value is a view into `uri` when it needs no decoding, else in scratch.
std::optional<std::string_view> QueryParam(std::string_view uri,
                                           std::string_view key,
                                           Scratch& scratch);

// "HH:MM:SS.nnnnnnnnn" (UTC) and "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", written into `buf` (at least
// 32 bytes); returns the view of what was written.
std::string_view FormatClock(UnixNanos t, char* buf);
std::string_view FormatIso8601(UnixNanos t, char* buf);

}  // namespace vigil::rules::fields

#endif  // VIGIL_RULES_FIELDS_JSON_TEXT_H_
