#include "remediate/config_yaml.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::remediate {

SourcePos PosOf(const YAML::Node& node, std::string_view file) {
  SourcePos pos;
  pos.file = std::string(file);
  if (node.IsDefined() && node.Mark().line >= 0) {
    pos.line = node.Mark().line + 1;
    pos.column = node.Mark().column + 1;
  }
  return pos;
}

Error ConfigError(const YAML::Node& node, std::string_view file, std::string message) {
  return MakeError(ErrorCode::kConfig, std::move(message), PosOf(node, file));
}

Result<std::optional<std::string>> OptionalString(const YAML::Node& map, std::string_view key,
                                                  std::string_view file) {
  const YAML::Node v = map[std::string(key)];
  if (!v.IsDefined() || v.IsNull()) return std::optional<std::string>();
  if (!v.IsScalar()) return ConfigError(v, file, fmt::format("'{}' must be a string", key));
  return std::optional<std::string>(v.Scalar());
}

Result<std::string> RequiredString(const YAML::Node& map, std::string_view key,
                                   std::string_view file) {
  VIGIL_TRY(auto v, OptionalString(map, key, file));
  if (!v || v->empty()) return ConfigError(map, file, fmt::format("'{}' is required", key));
  return *v;
}

Result<bool> OptionalBool(const YAML::Node& map, std::string_view key, std::string_view file,
                          bool fallback) {
  const YAML::Node v = map[std::string(key)];
  if (!v.IsDefined() || v.IsNull()) return fallback;
  if (v.IsScalar()) {
    if (v.Scalar() == "true") return true;
    if (v.Scalar() == "false") return false;
  }
  return ConfigError(v, file, fmt::format("'{}' must be true or false", key));
}

Result<long long> OptionalInt(const YAML::Node& map, std::string_view key, std::string_view file,
                              long long fallback, long long lo, long long hi) {
  const YAML::Node v = map[std::string(key)];
  if (!v.IsDefined() || v.IsNull()) return fallback;
  long long n = 0;
  if (v.IsScalar()) {
    const std::string& s = v.Scalar();
    char* end = nullptr;
    errno = 0;
    n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0 && n >= lo && n <= hi) return n;
  }
  return ConfigError(v, file,
                     fmt::format("'{}' must be an integer from {} to {}", key, lo, hi));
}

Status CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                 std::string_view file, std::string_view what) {
  if (!map.IsDefined() || !map.IsMap()) {
    return ConfigError(map, file, fmt::format("{} must be a mapping", what));
  }
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) return ConfigError(kv.first, file, "keys must be strings");
    const std::string& k = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::string list;
      for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return ConfigError(kv.first, file,
                         fmt::format("unknown key '{}' in {} (known: {})", k, what, list));
    }
  }
  return Ok();
}

Result<std::string> ReadTextFile(const std::string& path) {
  // Secrets, certificates and kubeconfigs are small regular files (or links to them, as mounted
  // Kubernetes secrets are); a device or a FIFO named by mistake must not hang vigil.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot read '{}': not a regular file", path));
  }
  if (std::filesystem::file_size(path, ec) > (4u << 20)) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot read '{}': larger than 4 MiB", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, fmt::format("cannot read '{}'", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kIo, fmt::format("cannot read '{}'", path));
  return ss.str();
}

Result<std::string> ReadSecret(const YAML::Node& map, std::string_view key, std::string_view file) {
  const std::string env_key = std::string(key) + "_env";
  const std::string file_key = std::string(key) + "_file";
  VIGIL_TRY(auto env, OptionalString(map, env_key, file));
  VIGIL_TRY(auto path, OptionalString(map, file_key, file));
  if (env.has_value() == path.has_value()) {
    return ConfigError(map, file,
                       fmt::format("set exactly one of '{}' (an environment variable) or '{}' "
                                   "(a file) for the {}",
                                   env_key, file_key, key));
  }
  if (env) {
    const char* v = std::getenv(env->c_str());
    if (v == nullptr || *v == '\0') {
      return ConfigError(map[env_key], file,
                         fmt::format("environment variable '{}' ({}) is unset or empty", *env,
                                     env_key));
    }
    return std::string(v);
  }
  auto text = ReadTextFile(*path);
  if (!text) return ConfigError(map[file_key], file, text.error().message);
  std::string s = std::move(*text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return ConfigError(map[file_key], file, fmt::format("'{}' is empty", *path));
  return s;
}

}  // namespace vigil::remediate
