// The feature-control table and reading a detector's features (guardduty.h).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "controls/guardduty.h"

namespace vigil::controls {
namespace {

using nlohmann::json;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Error ShapeError(std::string_view where, std::string_view what) {
  return MakeError(ErrorCode::kParse, fmt::format("{} {}", where, what));
}

// Follows a path of keys (first-letter case ignored); nullptr when any step is missing.
const json* Path(const json& j, const std::vector<std::string_view>& keys) {
  const json* cur = &j;
  for (std::string_view k : keys) {
    cur = Field(*cur, k);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

struct LegacySource {
  std::string_view feature;
  std::vector<std::string_view> path;  // to the object holding Status
  std::string_view label;
};

}  // namespace

std::span<const FeatureControl> FeatureControls() {
  static const std::vector<FeatureControl> kTable = {
      {"GuardDuty.5", {{"EKS_AUDIT_LOGS", ""}}},
      {"GuardDuty.6", {{"LAMBDA_NETWORK_LOGS", ""}}},
      {"GuardDuty.7",
       {{"RUNTIME_MONITORING", "EKS_ADDON_MANAGEMENT"},
        {"EKS_RUNTIME_MONITORING", "EKS_ADDON_MANAGEMENT"}}},
      {"GuardDuty.8", {{"EBS_MALWARE_PROTECTION", ""}}},
      {"GuardDuty.9", {{"RDS_LOGIN_EVENTS", ""}}},
      {"GuardDuty.10", {{"S3_DATA_EVENTS", ""}}},
      {"GuardDuty.11", {{"RUNTIME_MONITORING", ""}}},
      {"GuardDuty.12", {{"RUNTIME_MONITORING", "ECS_FARGATE_AGENT_MANAGEMENT"}}},
      {"GuardDuty.13", {{"RUNTIME_MONITORING", "EC2_AGENT_MANAGEMENT"}}},
  };
  return kTable;
}

Result<FeatureMap> ParseFeatures(const json& detector) {
  if (!detector.is_object()) return ShapeError("the detector", "is not a JSON object");
  FeatureMap features;
  if (const json* list = Field(detector, "Features")) {
    if (!list->is_array()) return ShapeError("Features", "is not a list");
    for (size_t i = 0; i < list->size(); ++i) {
      const json& item = (*list)[i];
      const std::string where = fmt::format("Features[{}]", i);
      const std::string name = StringField(item, "Name");
      if (name.empty()) return ShapeError(where, "has no Name");
      FeatureState state;
      state.status = Upper(StringField(item, "Status"));
      state.source = fmt::format("Features[{}]", name);
      if (const json* extra = Field(item, "AdditionalConfiguration")) {
        if (!extra->is_array())
          return ShapeError(where + ".AdditionalConfiguration", "is not a list");
        for (const json& a : *extra) {
          const std::string extra_name = StringField(a, "Name");
          if (extra_name.empty())
            return ShapeError(where + ".AdditionalConfiguration", "has an entry without Name");
          state.additional[extra_name] = Upper(StringField(a, "Status"));
        }
      }
      features[name] = std::move(state);
    }
  }
  if (const json* sources = Field(detector, "DataSources")) {
    if (!sources->is_object()) return ShapeError("DataSources", "is not an object");
    static const std::vector<LegacySource> kLegacy = {
        {"EKS_AUDIT_LOGS", {"Kubernetes", "AuditLogs"}, "DataSources.Kubernetes.AuditLogs"},
        {"S3_DATA_EVENTS", {"S3Logs"}, "DataSources.S3Logs"},
        {"EBS_MALWARE_PROTECTION",
         {"MalwareProtection", "ScanEc2InstanceWithFindings", "EbsVolumes"},
         "DataSources.MalwareProtection.ScanEc2InstanceWithFindings.EbsVolumes"},
        {"CLOUD_TRAIL", {"CloudTrail"}, "DataSources.CloudTrail"},
        {"DNS_LOGS", {"DNSLogs"}, "DataSources.DNSLogs"},
        {"FLOW_LOGS", {"FlowLogs"}, "DataSources.FlowLogs"},
    };
    for (const LegacySource& legacy : kLegacy) {
      if (features.contains(std::string(legacy.feature))) continue;
      const json* holder = Path(*sources, legacy.path);
      if (holder == nullptr) continue;
      std::string status = StringField(*holder, "Status");
      if (status.empty()) continue;
      FeatureState state;
      state.status = Upper(std::move(status));
      state.source = std::string(legacy.label);
      features[std::string(legacy.feature)] = std::move(state);
    }
  }
  return features;
}

bool FeatureEnabled(const FeatureControl& control, const FeatureMap& features, std::string& why) {
  std::vector<std::string> seen;
  for (const FeatureOption& option : control.options) {
    auto it = features.find(std::string(option.feature));
    if (it == features.end()) {
      seen.push_back(fmt::format("{} is not reported", option.feature));
      continue;
    }
    const FeatureState& state = it->second;
    if (state.status != "ENABLED") {
      seen.push_back(fmt::format("{} is {}", option.feature,
                                 state.status.empty() ? "without a Status" : state.status));
      continue;
    }
    if (option.additional.empty()) return true;
    auto extra = state.additional.find(std::string(option.additional));
    if (extra != state.additional.end() && extra->second == "ENABLED") return true;
    seen.push_back(fmt::format("{} is ENABLED but {} is {}", option.feature, option.additional,
                               extra == state.additional.end() ? "not reported" : extra->second));
  }
  why = fmt::format("{}", fmt::join(seen, ", and "));
  return false;
}

}  // namespace vigil::controls
