// Timestamps: RFC 3339 parsing and formatting at nanosecond precision, in UTC.
#ifndef VIGIL_BASE_TIME_H_
#define VIGIL_BASE_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// Nanoseconds since the Unix epoch, UTC.
using UnixNanos = std::int64_t;

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]" (lower-case t/z accepted). Returns
// nullopt for anything else, including out-of-range fields. Up to 9 fraction digits are kept.
std::optional<UnixNanos> ParseRfc3339(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ" with `fraction_digits` digits (0, 3, 6 or 9).
std::string FormatRfc3339(UnixNanos t, int fraction_digits = 6);

// Parses a duration such as "90s", "15m", "24h", "7d" or a plain number of seconds.
std::optional<std::int64_t> ParseDurationSeconds(std::string_view text);

// Wall-clock time now. Tests that need control over time take a UnixNanos parameter instead.
UnixNanos NowNanos();

}  // namespace vigil

#endif  // VIGIL_BASE_TIME_H_
