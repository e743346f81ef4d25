// Small helpers the integrations' config parsers share: positions from yaml-cpp marks and typed
// reads that fail with "file:line:col: what was wrong" instead of throwing. Internal.
#ifndef VIGIL_REMEDIATE_CONFIG_YAML_H_
#define VIGIL_REMEDIATE_CONFIG_YAML_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::remediate {

// Where `node` starts in `file` (1-based); line 0 when yaml-cpp has no mark for it.
SourcePos PosOf(const YAML::Node& node, std::string_view file);

// A kConfig error at `node`.
Error ConfigError(const YAML::Node& node, std::string_view file, std::string message);

// Reads map[key] as a string scalar: nullopt when absent, kConfig when not a scalar.
Result<std::optional<std::string>> OptionalString(const YAML::Node& map, std::string_view key,
                                                  std::string_view file);
// The same, kConfig when absent or empty.
Result<std::string> RequiredString(const YAML::Node& map, std::string_view key,
                                   std::string_view file);
// map[key] as a bool (true/false); `fallback` when absent.
Result<bool> OptionalBool(const YAML::Node& map, std::string_view key, std::string_view file,
                          bool fallback);
// map[key] as an integer in [lo, hi]; `fallback` when absent.
Result<long long> OptionalInt(const YAML::Node& map, std::string_view key, std::string_view file,
                              long long fallback, long long lo, long long hi);
// kConfig naming the first key of `map` that is not in `known` (a typo must not pass silently).
Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                 std::string_view file, std::string_view what);

// A secret from exactly one of `<key>_env` (an environment variable's name) or `<key>_file` (a
// file's path; trailing newlines dropped). kConfig when neither or both are set, when the
// variable is unset or empty, or when the file cannot be read. Errors name the variable or file,
// never the value.
Result<std::string> ReadSecret(const YAML::Node& map, std::string_view key, std::string_view file);

// The whole file, or kIo naming it.
Result<std::string> ReadTextFile(const std::string& path);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_CONFIG_YAML_H_
