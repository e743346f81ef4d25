// Guards against yaml-cpp 0.7's LoadAll looping forever on some malformed rule files.
#pragma once

#include <yaml-cpp/mark.h>

#include <optional>
#include <string>
#include <string_view>

namespace vigil::rules::internal {

// Returns the mark where yaml-cpp's parser stops making progress on `text`, or nullopt when it
// parses to its end (or fails with an exception, which the real load reports). Throws what
// yaml-cpp throws. Costs a full parse of the text.
std::optional<YAML::Mark> FindYamlStall(const std::string& text);

// True when `text` has the shape of a rule file whose root block sequence runs to its end: the
// first line with content is an entry ("- ...") at column 0, and every later line with something
// at column 0 is another entry or a comment; no CR, NUL or other control byte but tab. LoadAll
// cannot stall on such text, so FindYamlStall need not run: nearly every real rule file passes,
// for a few per cent of a scan's startup.
bool RootSequenceSpansText(std::string_view text);

}  // namespace vigil::rules::internal
