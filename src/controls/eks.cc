#include "controls/eks.h"

#include <fmt/format.h>

#include <charconv>

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Finding;
using nlohmann::json;

constexpr std::string_view kEksControls[] = {"EKS.8", "EKS.1", "EKS.3", "EKS.2"};

ControlOutcome NotAvailable(std::string reason) {
  ControlOutcome out;
  out.status = ComplianceStatus::kNotAvailable;
  out.reasons.push_back(std::move(reason));
  return out;
}

ControlOutcome AuditLogging(const json& cluster, const std::string& file) {
  const json* logging = Field(cluster, "logging");
  const json* entries = logging != nullptr ? Field(*logging, "clusterLogging") : nullptr;
  if (entries == nullptr || !entries->is_array()) {
    return NotAvailable(fmt::format("{}: has no logging.clusterLogging list", file));
  }
  ControlOutcome out;
  std::vector<std::string> seen;
  for (const json& entry : *entries) {
    const json* types = Field(entry, "types");
    const json* enabled = Field(entry, "enabled");
    const bool on = enabled != nullptr && enabled->is_boolean() && enabled->get<bool>();
    std::vector<std::string> names;
    bool audit = false;
    if (types != nullptr && types->is_array()) {
      for (const json& t : *types) {
        if (!t.is_string()) continue;
        names.push_back(t.get<std::string>());
        audit = audit || names.back() == "audit";
      }
    }
    seen.push_back(fmt::format("[{}] {}", fmt::join(names, ","), on ? "enabled" : "disabled"));
    if (on && audit) {
      out.status = ComplianceStatus::kPassed;
      out.reasons.push_back("the audit log type is enabled");
      out.evidence.push_back(
          {file, fmt::format("logging.clusterLogging: {}", fmt::join(seen, "; "))});
      return out;
    }
  }
  out.status = ComplianceStatus::kFailed;
  out.reasons.push_back(
      fmt::format("no enabled clusterLogging entry has type 'audit' (entries: {})",
                  seen.empty() ? std::string("none") : fmt::format("{}", fmt::join(seen, "; "))));
  out.evidence.push_back({file, fmt::format("logging.clusterLogging: {}", fmt::join(seen, "; "))});
  return out;
}

ControlOutcome PublicEndpoint(const json& cluster, const std::string& file) {
  const json* vpc = Field(cluster, "resourcesVpcConfig");
  const json* pub = vpc != nullptr ? Field(*vpc, "endpointPublicAccess") : nullptr;
  if (pub == nullptr || !pub->is_boolean()) {
    return NotAvailable(fmt::format("{}: has no resourcesVpcConfig.endpointPublicAccess", file));
  }
  ControlOutcome out;
  out.evidence.push_back(
      {file, fmt::format("resourcesVpcConfig.endpointPublicAccess = {}", pub->get<bool>())});
  if (!pub->get<bool>()) {
    out.status = ComplianceStatus::kPassed;
    out.reasons.push_back("the API server endpoint is not publicly accessible");
    return out;
  }
  std::vector<std::string> cidrs;
  if (const json* list = Field(*vpc, "publicAccessCidrs"); list != nullptr && list->is_array()) {
    for (const json& c : *list) {
      if (c.is_string()) cidrs.push_back(c.get<std::string>());
    }
  }
  out.status = ComplianceStatus::kFailed;
  out.reasons.push_back(fmt::format(
      "the API server endpoint is public (publicAccessCidrs: {})",
      cidrs.empty() ? std::string("not stated") : fmt::format("{}", fmt::join(cidrs, ", "))));
  return out;
}

ControlOutcome SecretsEncryption(const json& cluster, const std::string& file) {
  ControlOutcome out;
  const json* configs = Field(cluster, "encryptionConfig");
  if (configs != nullptr && configs->is_array()) {
    for (const json& c : *configs) {
      const json* resources = Field(c, "resources");
      if (resources == nullptr || !resources->is_array()) continue;
      for (const json& r : *resources) {
        if (r.is_string() && r.get<std::string>() == "secrets") {
          out.status = ComplianceStatus::kPassed;
          out.reasons.push_back("Secrets are envelope-encrypted with a KMS key");
          out.evidence.push_back({file, "encryptionConfig[].resources contains secrets"});
          return out;
        }
      }
    }
  }
  out.status = ComplianceStatus::kFailed;
  out.reasons.push_back("no encryptionConfig entry covers 'secrets'");
  out.evidence.push_back(
      {file, configs == nullptr ? "encryptionConfig absent" : "encryptionConfig without secrets"});
  return out;
}

ControlOutcome SupportedVersion(const json& cluster,
                                const std::string& file,
                                const EksOptions& options) {
  const std::string version = StringField(cluster, "version");
  auto have = ParseKubernetesVersion(version);
  if (!have) {
    return NotAvailable(fmt::format("{}: version '{}' is not <major>.<minor>", file, version));
  }
  auto oldest = ParseKubernetesVersion(options.oldest_supported_version);
  if (!oldest) {
    return NotAvailable(fmt::format("the oldest supported version '{}' is not <major>.<minor>",
                                    options.oldest_supported_version));
  }
  ControlOutcome out;
  out.evidence.push_back({file, fmt::format("version = {}", version)});
  if (*have < *oldest) {
    out.status = ComplianceStatus::kFailed;
    out.reasons.push_back(fmt::format("Kubernetes {} is older than the oldest supported version {}",
                                      version, options.oldest_supported_version));
  } else {
    out.status = ComplianceStatus::kPassed;
    out.reasons.push_back(fmt::format("Kubernetes {} is supported (oldest supported {})", version,
                                      options.oldest_supported_version));
  }
  return out;
}

ControlSubject ClusterSubject(const std::string& account,
                              const std::string& region,
                              const std::string& name,
                              const std::string& arn) {
  return {account, region, name, "AwsEksCluster",
          arn.empty() ? fmt::format("arn:{}:eks:{}:{}:cluster/{}", PartitionOf(region), region,
                                    account, name)
                      : arn};
}

}  // namespace

std::optional<std::pair<int, int>> ParseKubernetesVersion(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  int major = 0;
  int minor = 0;
  const std::string_view a = text.substr(0, dot);
  const std::string_view b = text.substr(dot + 1);
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), major);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), minor);
  if (a.empty() || b.empty() || r1.ec != std::errc() || r1.ptr != a.data() + a.size() ||
      r2.ec != std::errc() || r2.ptr != b.data() + b.size() || major < 0 || minor < 0) {
    return std::nullopt;
  }
  return std::pair{major, minor};
}

std::vector<Finding> EvaluateEksCluster(const json& cluster,
                                        const std::string& file,
                                        const std::string& account,
                                        const std::string& region,
                                        const EksOptions& options,
                                        UnixNanos now) {
  const std::string name = StringField(cluster, "name");
  const ControlSubject subject = ClusterSubject(account, region, name, StringField(cluster, "arn"));
  std::vector<Finding> out;
  out.push_back(MakeControlFinding(Control("EKS.8"), subject, AuditLogging(cluster, file), now));
  out.push_back(MakeControlFinding(Control("EKS.1"), subject, PublicEndpoint(cluster, file), now));
  out.push_back(
      MakeControlFinding(Control("EKS.3"), subject, SecretsEncryption(cluster, file), now));
  out.push_back(
      MakeControlFinding(Control("EKS.2"), subject, SupportedVersion(cluster, file, options), now));
  return out;
}

Result<std::vector<Finding>> EvaluateEks(const Snapshot& snapshot,
                                         const EksOptions& options,
                                         UnixNanos now) {
  VIGIL_TRY(std::vector<std::string> accounts, snapshot.Accounts());
  std::vector<Finding> out;
  for (const std::string& account : accounts) {
    VIGIL_TRY(std::vector<std::string> regions, snapshot.Regions(account));
    for (const std::string& region : regions) {
      // A region without an eks/ folder was not collected for EKS: no results, not a failure.
      if (!snapshot.HasFolder(account, region, "eks")) continue;
      auto list = snapshot.Read(account, region, "eks/list-clusters.json");
      const json* names = list ? Field(list->json, "clusters") : nullptr;
      if (!list || names == nullptr || !names->is_array()) {
        const std::string reason =
            !list ? list.error().message : fmt::format("{}: has no clusters list", list->path);
        for (std::string_view id : kEksControls) {
          out.push_back(MakeControlFinding(
              Control(id),
              {account, region, "", "AwsAccount", fmt::format("AWS::::Account:{}", account)},
              NotAvailable(fmt::format("EKS clusters cannot be listed: {}", reason)), now));
        }
        continue;
      }
      for (const json& n : *names) {
        if (!n.is_string() || n.get<std::string>().empty()) continue;
        const std::string name = n.get<std::string>();
        const std::string relative = fmt::format("eks/describe-cluster-{}.json", name);
        auto doc = snapshot.Read(account, region, relative);
        const json* cluster = doc ? Field(doc->json, "cluster") : nullptr;
        if (!doc || cluster == nullptr || !cluster->is_object()) {
          const std::string reason =
              !doc ? doc.error().message : fmt::format("{}: has no cluster object", doc->path);
          for (std::string_view id : kEksControls) {
            out.push_back(MakeControlFinding(Control(id), ClusterSubject(account, region, name, ""),
                                             NotAvailable(reason), now));
          }
          continue;
        }
        json named = *cluster;
        if (StringField(named, "name").empty()) named["name"] = name;
        auto results = EvaluateEksCluster(named, doc->path, account, region, options, now);
        for (Finding& f : results) out.push_back(std::move(f));
      }
    }
  }
  return out;
}

}  // namespace vigil::controls
