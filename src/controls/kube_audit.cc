#include "controls/kube_audit.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controls/control.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Finding;

constexpr size_t kMaxManifestBytes = 4u << 20;

void AddToken(ApiServerFlags& flags, std::vector<std::string>& tokens) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string_view t = tokens[i];
    if (!t.starts_with("--") || t.size() == 2) continue;
    t.remove_prefix(2);
    const size_t eq = t.find('=');
    if (eq == 0) continue;  // "--=value": not a flag (found by controls_policy_fuzz)
    if (eq != std::string_view::npos) {
      flags.values[std::string(t.substr(0, eq))] = std::string(t.substr(eq + 1));
    } else if (i + 1 < tokens.size() && !tokens[i + 1].starts_with("--") &&
               tokens[i + 1].find("kube-apiserver") == std::string::npos) {
      flags.values[std::string(t)] = tokens[++i];
    } else {
      flags.values[std::string(t)] = "true";
    }
  }
}

std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  char quote = 0;
  for (char c : text) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\') {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

// Tokens of a flags file. A line "NAME=\"--a=b --c d\"" (a systemd EnvironmentFile) contributes
// the words of its quoted value; comment lines (#) are skipped.
std::vector<std::string> FlagsFileTokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos && eq > 0 && !line.starts_with("-") &&
        std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
          return std::isupper(static_cast<unsigned char>(c)) ||
                 std::isdigit(static_cast<unsigned char>(c)) || c == '_';
        })) {
      line.remove_prefix(eq + 1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
      if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') &&
          line.back() == line.front()) {
        line = line.substr(1, line.size() - 2);
      }
    }
    for (std::string& w : SplitWords(line)) tokens.push_back(std::move(w));
  }
  return tokens;
}

// The kube-apiserver container's command + args, or nothing when `root` is not such a Pod.
Result<std::vector<std::string>> ManifestTokens(const YAML::Node& root, const std::string& file) {
  const YAML::Node spec = root["spec"];
  const YAML::Node containers = spec && spec.IsMap() ? spec["containers"] : YAML::Node();
  if (!containers || !containers.IsSequence()) {
    return MakeError(ErrorCode::kConfig, "a Pod manifest without spec.containers",
                     SourcePos{file, root.Mark().line + 1, 0});
  }
  for (const YAML::Node& c : containers) {
    if (!c.IsMap()) continue;
    std::vector<std::string> tokens;
    bool apiserver = c["name"] && c["name"].IsScalar() &&
                     c["name"].Scalar().find("kube-apiserver") != std::string::npos;
    for (const char* key : {"command", "args"}) {
      const YAML::Node list = c[key];
      if (!list) continue;
      if (!list.IsSequence()) {
        return MakeError(ErrorCode::kConfig, fmt::format("container '{}' must be a list", key),
                         SourcePos{file, list.Mark().line + 1, list.Mark().column + 1});
      }
      for (const YAML::Node& item : list) {
        if (!item.IsScalar()) continue;
        if (item.Scalar().find("kube-apiserver") != std::string::npos) apiserver = true;
        tokens.push_back(item.Scalar());
      }
    }
    if (apiserver) return tokens;
  }
  return MakeError(ErrorCode::kConfig, "the Pod has no kube-apiserver container",
                   SourcePos{file, root.Mark().line + 1, 0});
}

std::optional<long> IntFlag(const ApiServerFlags& flags, const std::string& name) {
  auto it = flags.values.find(name);
  if (it == flags.values.end()) return std::nullopt;
  long v = 0;
  const std::string& s = it->second;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string Flag(const ApiServerFlags& flags, const std::string& name) {
  auto it = flags.values.find(name);
  return it == flags.values.end() ? std::string() : it->second;
}

ControlSubject ClusterSubject(const KubeAuditOptions& o) {
  return {"", "", o.cluster, "Other", o.cluster};
}

ControlOutcome AuditEnabled(const ApiServerFlags& flags) {
  ControlOutcome out;
  const std::string policy = Flag(flags, "audit-policy-file");
  const std::string log = Flag(flags, "audit-log-path");
  const std::string webhook = Flag(flags, "audit-webhook-config-file");
  out.evidence.push_back({flags.file, fmt::format("--audit-policy-file={} --audit-log-path={} "
                                                  "--audit-webhook-config-file={}",
                                                  policy, log, webhook)});
  if (policy.empty()) {
    out.reasons.push_back("--audit-policy-file is not set: the API server records no audit events");
  }
  if (log.empty() && webhook.empty()) {
    out.reasons.push_back(
        "neither --audit-log-path nor --audit-webhook-config-file is set: audit events go nowhere");
  }
  if (out.reasons.empty()) {
    out.status = ComplianceStatus::kPassed;
    out.reasons.push_back(fmt::format("audit policy {} with {}", policy,
                                      !log.empty() && !webhook.empty()
                                          ? "a log file and a webhook"
                                          : (!log.empty() ? "a log file" : "a webhook")));
  } else {
    out.status = ComplianceStatus::kFailed;
  }
  return out;
}

ControlOutcome Retention(const ApiServerFlags& flags) {
  ControlOutcome out;
  const std::string log = Flag(flags, "audit-log-path");
  if (log.empty() && !Flag(flags, "audit-webhook-config-file").empty()) {
    out.status = ComplianceStatus::kNotAvailable;
    out.reasons.push_back("no audit log file (webhook only): retention is the receiver's");
    return out;
  }
  if (log == "-") {
    out.status = ComplianceStatus::kNotAvailable;
    out.reasons.push_back(
        "--audit-log-path=- writes to stdout: retention is whatever collects the container output");
    return out;
  }
  if (log.empty()) {
    out.status = ComplianceStatus::kFailed;
    out.reasons.push_back("--audit-log-path is not set (CIS 1.2.16)");
    return out;
  }
  struct Rule {
    const char* flag;
    long minimum;
    const char* cis;
  };
  for (const Rule& r :
       {Rule{"audit-log-maxage", 30, "1.2.17"}, Rule{"audit-log-maxbackup", 10, "1.2.18"},
        Rule{"audit-log-maxsize", 100, "1.2.19"}}) {
    const std::string raw = Flag(flags, r.flag);
    auto value = IntFlag(flags, r.flag);
    out.evidence.push_back(
        {flags.file, fmt::format("--{}={}", r.flag, raw.empty() ? "(unset)" : raw)});
    if (raw.empty()) {
      out.reasons.push_back(
          fmt::format("--{} is not set; needs {} or more (CIS {})", r.flag, r.minimum, r.cis));
    } else if (!value) {
      out.reasons.push_back(fmt::format("--{}={} is not a number", r.flag, raw));
    } else if (*value < r.minimum) {
      out.reasons.push_back(
          fmt::format("--{}={} is below {} (CIS {})", r.flag, *value, r.minimum, r.cis));
    }
  }
  if (out.reasons.empty()) {
    out.status = ComplianceStatus::kPassed;
    out.reasons.push_back("maxage, maxbackup and maxsize meet the CIS minimums");
  } else {
    out.status = ComplianceStatus::kFailed;
  }
  return out;
}

ControlOutcome PolicyCoverage(const ApiServerFlags& flags, const KubeAuditOptions& options) {
  ControlOutcome out;
  std::string path = options.policy_file;
  if (path.empty()) {
    path = Flag(flags, "audit-policy-file");
    if (path.empty()) {
      out.status = ComplianceStatus::kFailed;
      out.reasons.push_back(
          "--audit-policy-file is not set: there is no policy, nothing is logged");
      return out;
    }
    namespace fs = std::filesystem;
    if (fs::path(path).is_relative()) {
      path = (fs::path(flags.file).parent_path() / path).string();
    }
  }
  auto policy = ReadAuditPolicy(path);
  if (!policy) {
    out.status = ComplianceStatus::kNotAvailable;
    out.reasons.push_back(
        policy.error().code == ErrorCode::kNotFound
            ? fmt::format("{} (give the policy with --audit-policy)", policy.error().ToString())
            : policy.error().ToString());
    return out;
  }
  PolicyCheck check = CheckAuditPolicy(*policy, path);
  out.evidence = std::move(check.evidence);
  if (check.failed.empty()) {
    out.status = ComplianceStatus::kPassed;
    out.reasons = std::move(check.passed);
  } else {
    out.status = ComplianceStatus::kFailed;
    out.reasons = std::move(check.failed);
  }
  return out;
}

}  // namespace

Result<ApiServerFlags> ParseApiServerFlags(std::string_view text, const std::string& file) {
  ApiServerFlags flags;
  flags.file = file;
  std::vector<std::string> tokens;
  bool yaml_pod = false;
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (root.IsMap() && root["kind"]) {
      if (!root["kind"].IsScalar() || root["kind"].Scalar() != "Pod") {
        return MakeError(
            ErrorCode::kConfig, "kind is not 'Pod' (expected a kube-apiserver static pod)",
            SourcePos{file, root["kind"].Mark().line + 1, root["kind"].Mark().column + 1});
      }
      yaml_pod = true;
      VIGIL_TRY(tokens, ManifestTokens(root, file));
    }
  } catch (const YAML::Exception&) {
    // Not YAML: a flags file.
  }
  if (!yaml_pod) tokens = FlagsFileTokens(text);
  AddToken(flags, tokens);
  if (flags.values.empty()) {
    return MakeError(ErrorCode::kConfig,
                     "no kube-apiserver flags found (expected a static pod manifest or "
                     "--flag=value lines)",
                     SourcePos{file, 0, 0});
  }
  return flags;
}

std::vector<Finding> EvaluateKubeAudit(const ApiServerFlags& flags,
                                       const KubeAuditOptions& options,
                                       UnixNanos now) {
  std::vector<Finding> out;
  const ControlSubject subject = ClusterSubject(options);
  out.push_back(MakeControlFinding(Control("KubeAudit.1"), subject, AuditEnabled(flags), now));
  out.push_back(MakeControlFinding(Control("KubeAudit.2"), subject, Retention(flags), now));
  out.push_back(
      MakeControlFinding(Control("KubeAudit.3"), subject, PolicyCoverage(flags, options), now));
  return out;
}

Result<std::vector<Finding>> EvaluateApiServerManifest(const std::string& manifest_path,
                                                       const KubeAuditOptions& options,
                                                       UnixNanos now) {
  std::ifstream in(manifest_path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot read the API server manifest", manifest_path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxManifestBytes) {
    return MakeError(ErrorCode::kConfig,
                     fmt::format("{}: larger than {} bytes", manifest_path, kMaxManifestBytes));
  }
  VIGIL_TRY(ApiServerFlags flags, ParseApiServerFlags(text.str(), manifest_path));
  return EvaluateKubeAudit(flags, options, now);
}

}  // namespace vigil::controls
