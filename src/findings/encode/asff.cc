#include "findings/encode/asff.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "base/time.h"
#include "findings/encode/mitre.h"
#include "findings/encode/line_batch.h"
#include "findings/encode/text.h"

namespace vigil::findings {
namespace {

using ojson = nlohmann::ordered_json;

// ASFF timestamps: milliseconds are what AWS's own examples carry.
std::string Time(UnixNanos t) { return FormatRfc3339(t, 3); }

// GuardDuty finding-type prefixes ("threat purposes") that map to a TTPs category of the same
// name (reference §1f).
constexpr std::array<std::string_view, 12> kGuardDutyTactics = {
    "Execution",       "PrivilegeEscalation", "Persistence",  "CredentialAccess",
    "DefenseEvasion",  "Discovery",           "Impact",       "InitialAccess",
    "LateralMovement", "Collection",          "Exfiltration", "CommandAndControl",
};

constexpr std::string_view kAnomalous = "AnomalousBehavior.";

// An attack sequence's context["sequence"] (detect/sequence.h) as ASFF Detection.Sequence
// (reference §4): Signals with epoch-millisecond times and SequenceIndicators for the tactics and
// techniques. nullopt when the text is not such a document.
std::optional<ojson> SequenceToAsff(const std::string& text, const std::string& finding_id) {
  const ojson seq = ojson::parse(text, nullptr, false);
  if (seq.is_discarded() || !seq.is_object() || !seq.contains("signals") ||
      !seq["signals"].is_array()) {
    return std::nullopt;
  }
  auto millis = [](const ojson& v) -> std::int64_t {
    if (!v.is_string()) return 0;
    auto t = ParseRfc3339(v.get<std::string>());
    return t ? *t / 1'000'000 : 0;
  };
  auto strings = [](const ojson& v, size_t max) {
    std::vector<std::string> out;
    if (!v.is_array()) return out;
    for (const auto& s : v) {
      if (out.size() >= max) break;
      if (s.is_string()) out.push_back(TruncateUtf8(ValidUtf8(s.get<std::string>()), 256));
    }
    return out;
  };
  ojson signals = ojson::array();
  for (const auto& s : seq["signals"]) {
    if (!s.is_object()) continue;
    ojson out;
    const std::string name = s.value("name", "");
    out["Id"] = s.value("finding_id", name);
    out["Type"] = s.value("type", "API");
    out["Title"] = TruncateUtf8(ValidUtf8(name), 256);
    out["Name"] = out["Title"];
    out["Count"] = s.value("count", 0);
    out["FirstSeenAt"] = millis(s.value("first_seen", ojson()));
    out["LastSeenAt"] = millis(s.value("last_seen", ojson()));
    out["ActorIds"] = strings(s.value("actor_ids", ojson::array()), 50);
    if (s.contains("severity")) out["Severity"] = s["severity"];
    signals.push_back(std::move(out));
  }
  ojson indicators = ojson::array();
  indicators.push_back(
      ojson{{"Key", "ATTACK_TACTIC"}, {"Values", strings(seq.value("tactics", ojson()), 400)}});
  std::vector<std::string> techniques;
  if (seq.contains("techniques") && seq["techniques"].is_array()) {
    for (const auto& t : seq["techniques"]) {
      if (t.is_object() && techniques.size() < 400) {
        techniques.push_back(TruncateUtf8(ValidUtf8(t.value("id", "")), 256));
      }
    }
  }
  indicators.push_back(ojson{{"Key", "ATTACK_TECHNIQUE"}, {"Values", techniques}});
  ojson actors = ojson::array();
  for (const std::string& a : strings(seq.value("actors", ojson()), 400)) {
    actors.push_back(ojson{{"Id", a}});
  }
  return ojson{{"Uid", finding_id},
               {"Actors", std::move(actors)},
               {"Signals", std::move(signals)},
               {"SequenceIndicators", std::move(indicators)}};
}

// Clean text for a size-limited ASFF string: valid UTF-8, cut to `max` bytes.
std::string Fit(std::string_view text, size_t max) { return TruncateUtf8(ValidUtf8(text), max); }

// Like Fit, but for identifiers: cut without an ellipsis.
std::string FitId(std::string_view text, size_t max) {
  return TruncateUtf8(ValidUtf8(text), max, "");
}

bool IsRegion(std::string_view region) {
  if (region.empty() || region.size() > 32) return false;
  return std::all_of(region.begin(), region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string_view Partition(std::string_view region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

// EKS cluster names: 1–100 of [0-9A-Za-z_-], starting with a letter or digit.
bool IsEksClusterName(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Joins `items` with ',' into at most `max` bytes. Items that do not fit are dropped and the
// result ends with ",…(+N more)"; when `more_exist` (the list itself was capped) it ends with ",…"
// if nothing was dropped here.
std::string JoinFitting(const std::vector<std::string>& items, size_t max, bool more_exist) {
  constexpr size_t kSuffixReserve = 32;  // ",…(+18446744073709551615 more)" fits
  std::string out;
  size_t taken = 0;
  for (const std::string& raw : items) {
    std::string item = ValidUtf8(raw);
    const bool last = taken + 1 == items.size();
    const size_t need = out.size() + (out.empty() ? 0 : 1) + item.size() +
                        (last && !more_exist ? 0 : kSuffixReserve);
    if (need > max) break;
    if (!out.empty()) out += ',';
    out += item;
    ++taken;
  }
  const std::string sep = out.empty() ? "" : ",";
  if (taken < items.size()) {
    out += fmt::format("{}{}(+{} more)", sep, kEllipsis, items.size() - taken);
  } else if (more_exist) {
    out += sep;
    out += kEllipsis;
  }
  return TruncateUtf8(out, max);
}

// Adds key/value pairs to a JSON object while enforcing an ASFF map's limits. Empty values are
// skipped (ASFF strings must contain a non-space character). When the pair budget runs out, the
// last slot says how many were left out under `omitted_key`.
class LimitedMap {
 public:
  LimitedMap(size_t max_pairs, size_t max_key, size_t max_value, std::string omitted_key)
      : max_pairs_(max_pairs),
        max_key_(max_key),
        max_value_(max_value),
        omitted_key_(std::move(omitted_key)) {}

  void Add(std::string_view key, std::string_view value) {
    if (!HasNonSpace(value)) return;
    std::string k = FitId(key, max_key_);
    if (!HasNonSpace(k) || object_.contains(k)) {
      ++omitted_;
      return;
    }
    if (object_.size() + 1 >= max_pairs_) {  // keep the last slot for the omission note
      ++omitted_;
      return;
    }
    object_[k] = Fit(value, max_value_);
  }

  ojson Take() {
    if (omitted_ > 0) object_[FitId(omitted_key_, max_key_)] = std::to_string(omitted_);
    return std::move(object_);
  }

 private:
  size_t max_pairs_, max_key_, max_value_;
  std::string omitted_key_;
  ojson object_ = ojson::object();
  size_t omitted_ = 0;
};

std::string OrDefault(std::string_view value, std::string_view fallback) {
  return HasNonSpace(value) ? std::string(value) : std::string(fallback);
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  return fmt::format("{}", fmt::join(items, sep));
}

// The ASFF Types of a control finding.
std::string ControlType(const Compliance& c) {
  if (c.standard.starts_with("aws-foundational-security-best-practices")) {
    return "Software and Configuration Checks/Industry and Regulatory Standards/"
           "AWS-Foundational-Security-Best-Practices";
  }
  return "Software and Configuration Checks/Industry and Regulatory Standards/"
         "CIS Kubernetes Benchmark";
}

// The control-finding shape (asff.h).
ojson ControlFindingToAsff(const Finding& f,
                           const Compliance& c,
                           const std::string& account,
                           const std::string& region,
                           std::string_view partition) {
  const std::string finding_id = f.id.empty() ? FindingId(f.rule, f.dedup_key) : f.id;
  ojson j;
  j["SchemaVersion"] = asff::kSchemaVersion;
  if (!c.standard.empty()) {
    j["Id"] = FitId(fmt::format("arn:{}:securityhub:{}:{}:subscription/{}/{}/finding/{}", partition,
                                region, account, c.standard, c.control_id, finding_id),
                    asff::kMaxId);
    j["GeneratorId"] = Fit(fmt::format("{}/{}", c.standard, c.control_id), asff::kMaxGeneratorId);
  } else {
    j["Id"] = FitId(fmt::format("vigil/controls/{}/{}", c.control_id, finding_id), asff::kMaxId);
    j["GeneratorId"] = Fit(fmt::format("vigil/controls/{}", c.control_id), asff::kMaxGeneratorId);
  }
  j["ProductArn"] = fmt::format("arn:{}:securityhub:{}:{}:product/{}/default", partition, region,
                                account, account);
  j["ProductName"] = "vigil";
  j["CompanyName"] = "vigil";
  j["AwsAccountId"] = account;
  const std::vector<std::string> types = {ControlType(c)};
  j["Types"] = types;
  const std::string label(SeverityName(f.severity));
  j["FindingProviderFields"] =
      ojson{{"Severity", ojson{{"Label", label}, {"Original", label}}}, {"Types", types}};
  const UnixNanos created = f.created_at != 0 ? f.created_at : f.first_seen;
  j["CreatedAt"] = Time(created);
  j["UpdatedAt"] = Time(std::max(f.updated_at, created));
  if (f.first_seen != 0) j["FirstObservedAt"] = Time(f.first_seen);
  if (f.last_seen != 0) j["LastObservedAt"] = Time(std::max(f.last_seen, f.first_seen));
  j["Severity"] = ojson{{"Label", label}, {"Normalized", NormalizedSeverity(f.severity)}};
  const std::string title = Fit(OrDefault(f.title, c.control_id), asff::kMaxTitle);
  j["Title"] = title;
  j["Description"] = Fit(OrDefault(f.description, title), asff::kMaxDescription);
  {
    ojson recommendation = ojson::object();
    if (HasNonSpace(f.remediation.text)) {
      recommendation["Text"] = Fit(f.remediation.text, asff::kMaxRecommendationText);
    }
    if (f.remediation.url.starts_with("https://") && f.remediation.url.size() <= asff::kMaxUrl) {
      recommendation["Url"] = ValidUtf8(f.remediation.url);
    }
    if (!recommendation.empty()) j["Remediation"] = ojson{{"Recommendation", recommendation}};
  }
  {
    LimitedMap fields(asff::kMaxProductFields, asff::kMaxProductFieldKey,
                      asff::kMaxProductFieldValue, "vigil/FieldsOmitted");
    fields.Add("vigil/FindingId", finding_id);
    fields.Add("vigil/ControlId", c.control_id);
    fields.Add("vigil/RemediationType", c.auto_remediation ? "auto" : "manual");
    fields.Add("vigil/ControlSeverity", SeverityName(c.control_severity));
    fields.Add("vigil/Cluster", f.cluster);
    std::vector<std::string> evidence;
    for (const ControlEvidence& e : c.evidence) evidence.push_back(e.file + ": " + e.said);
    fields.Add("vigil/Evidence", Join(evidence, "; "));
    if (!f.related_findings.empty()) {
      fields.Add("vigil/RelatedFindings",
                 JoinFitting(f.related_findings, asff::kMaxProductFieldValue, false));
    }
    j["ProductFields"] = fields.Take();
  }
  {
    ojson compliance;
    compliance["Status"] = ComplianceStatusName(c.status);
    compliance["SecurityControlId"] = c.control_id;
    if (!c.standard.empty()) {
      compliance["AssociatedStandards"] =
          ojson::array({ojson{{"StandardsId", "standards/" + c.standard}}});
    }
    ojson reasons = ojson::array();
    for (const std::string& r : c.reasons) {
      if (reasons.size() >= 32 || !HasNonSpace(r)) continue;
      reasons.push_back(ojson{{"ReasonCode", "VIGIL_EVALUATION"}, {"Description", Fit(r, 2048)}});
    }
    if (!reasons.empty()) compliance["StatusReasons"] = std::move(reasons);
    j["Compliance"] = std::move(compliance);
  }
  {
    ojson resource;
    resource["Type"] = OrDefault(c.resource_type, "Other");
    resource["Id"] =
        Fit(OrDefault(c.resource_id, OrDefault(f.cluster, account)), asff::kMaxResourceId);
    resource["Partition"] = partition;
    resource["Region"] = region;
    j["Resources"] = ojson::array({std::move(resource)});
  }
  j["Workflow"] = ojson{{"Status", WorkflowStatusName(f.workflow)}};
  j["RecordState"] = "ACTIVE";
  return j;
}

}  // namespace

bool IsAwsAccountId(std::string_view account) {
  return account.size() == 12 &&
         std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> AsffTypes(const Finding& f) {
  std::vector<std::string> types;
  std::string_view type = f.type;
  const size_t colon = type.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view tactic = type.substr(0, colon);
    const std::string_view rest = type.substr(colon + 1);
    if (tactic == "AttackSequence") {
      types.push_back(fmt::format("TTPs/{}", type));
    } else if (rest.starts_with("Kubernetes/")) {
      const std::string_view variant = rest.substr(std::string_view("Kubernetes/").size());
      const bool known = std::find(kGuardDutyTactics.begin(), kGuardDutyTactics.end(), tactic) !=
                         kGuardDutyTactics.end();
      if (tactic == "Policy") {
        types.push_back(fmt::format(
            "Software and Configuration Checks/AWS Security Best Practices/Policy:Kubernetes-{}",
            variant));
      } else if (known && variant.starts_with(kAnomalous)) {
        types.push_back(fmt::format("TTPs/AnomalousBehavior/{}:Kubernetes-{}", tactic,
                                    variant.substr(kAnomalous.size())));
      } else if (known) {
        types.push_back(fmt::format("TTPs/{}/{}:Kubernetes-{}", tactic, tactic, variant));
      }
    }
  }
  if (types.empty()) {
    for (const MitreRef& m : f.mitre) {
      if (m.tactic.empty()) continue;
      const TacticInfo* info = LookupTactic(m.tactic);
      std::string category = info != nullptr ? std::string(info->name) : m.tactic;
      std::replace(category.begin(), category.end(), '/', '-');
      types.push_back("TTPs/" + category);
      break;
    }
  }
  if (types.empty()) types.push_back("Unusual Behaviors/Application/Kubernetes Audit");
  for (std::string& t : types) t = Fit(t, asff::kMaxTypeLength);
  if (types.size() > asff::kMaxTypes) types.resize(asff::kMaxTypes);
  return types;
}

nlohmann::ordered_json FindingToAsff(const Finding& f, const AsffOptions& options) {
  const bool account_known = IsAwsAccountId(f.account);
  const std::string account = account_known ? f.account : std::string(asff::kDefaultAccount);
  const bool region_known = IsRegion(f.region);
  const std::string region = region_known                       ? f.region
                             : IsRegion(options.default_region) ? options.default_region
                                                                : std::string(asff::kDefaultRegion);
  const std::string_view partition = Partition(region);

  if (f.compliance) return ControlFindingToAsff(f, *f.compliance, account, region, partition);

  const std::string finding_id = f.id.empty() ? FindingId(f.rule, f.dedup_key) : f.id;
  const std::string cluster_label = OrDefault(f.cluster, "unknown");

  ojson j;
  j["SchemaVersion"] = asff::kSchemaVersion;
  {
    const size_t fixed = std::string_view("vigil/").size() + 1 + finding_id.size();
    const size_t room = fixed < asff::kMaxId ? asff::kMaxId - fixed : 0;
    std::string id = fmt::format("vigil/{}/{}", FitId(cluster_label, room), finding_id);
    j["Id"] = FitId(id, asff::kMaxId);
  }
  j["ProductArn"] = fmt::format("arn:{}:securityhub:{}:{}:product/{}/default", partition, region,
                                account, account);
  j["ProductName"] = options.product_name;
  j["CompanyName"] = options.company_name;
  j["GeneratorId"] = Fit(OrDefault(f.rule, "vigil"), asff::kMaxGeneratorId);
  j["AwsAccountId"] = account;

  const std::vector<std::string> types = AsffTypes(f);
  j["Types"] = types;

  const std::string label(SeverityName(f.severity));
  const std::string original = Fit(OrDefault(f.priority, label), asff::kMaxSeverityOriginal);
  j["FindingProviderFields"] =
      ojson{{"Severity", ojson{{"Label", label}, {"Original", original}}}, {"Types", types}};

  const UnixNanos created = f.created_at != 0   ? f.created_at
                            : f.first_seen != 0 ? f.first_seen
                                                : f.updated_at;
  const UnixNanos updated = std::max(f.updated_at, created);
  j["CreatedAt"] = Time(created);
  j["UpdatedAt"] = Time(updated);
  if (f.first_seen != 0) j["FirstObservedAt"] = Time(f.first_seen);
  if (f.last_seen != 0) j["LastObservedAt"] = Time(std::max(f.last_seen, f.first_seen));
  j["Severity"] = ojson{
      {"Label", label}, {"Normalized", NormalizedSeverity(f.severity)}, {"Original", original}};

  const std::string title = Fit(
      OrDefault(f.title, OrDefault(f.type, OrDefault(f.rule, "vigil finding"))), asff::kMaxTitle);
  j["Title"] = title;
  j["Description"] = Fit(OrDefault(f.description, title), asff::kMaxDescription);

  {
    ojson recommendation = ojson::object();
    if (HasNonSpace(f.remediation.text)) {
      recommendation["Text"] = Fit(f.remediation.text, asff::kMaxRecommendationText);
    }
    const bool url_ok =
        (f.remediation.url.starts_with("https://") || f.remediation.url.starts_with("http://")) &&
        f.remediation.url.size() <= asff::kMaxUrl &&
        ValidUtf8(f.remediation.url) == f.remediation.url;
    if (url_ok) recommendation["Url"] = f.remediation.url;
    if (!recommendation.empty()) j["Remediation"] = ojson{{"Recommendation", recommendation}};
  }

  std::optional<ojson> sequence;
  if (auto it = f.context.find("sequence"); it != f.context.end()) {
    sequence = SequenceToAsff(it->second, finding_id);
    if (sequence) j["Detection"] = ojson{{"Sequence", *sequence}};
  }

  {
    LimitedMap fields(asff::kMaxProductFields, asff::kMaxProductFieldKey,
                      asff::kMaxProductFieldValue, "vigil/FieldsOmitted");
    fields.Add("vigil/FindingId", finding_id);
    fields.Add("vigil/FindingType", OrDefault(f.type, "(none)"));
    fields.Add("vigil/Rule", OrDefault(f.rule, "(none)"));
    fields.Add("vigil/Count", std::to_string(f.count));
    fields.Add("vigil/AuditIDs",
               f.audit_ids.empty()
                   ? std::string("(none)")
                   : JoinFitting(f.audit_ids, asff::kMaxProductFieldValue, f.audit_ids_truncated));
    fields.Add("vigil/AuditIDsTruncated", f.audit_ids_truncated ? "true" : "false");
    fields.Add("vigil/Principal", OrDefault(f.principal.username, "(unknown)"));
    fields.Add("vigil/SourceIPs",
               f.source_ips.empty()
                   ? std::string("(none)")
                   : JoinFitting(f.source_ips, asff::kMaxProductFieldValue, false));
    fields.Add("vigil/Cluster", f.cluster);
    if (!account_known) fields.Add("vigil/Account", f.account);
    fields.Add("vigil/UserAgent", f.user_agent);
    fields.Add("vigil/Priority", f.priority);
    std::vector<std::string> techniques;
    for (const MitreRef& m : f.mitre) {
      // Appends rather than `"(" + ...`: GCC 12 at -O3 reports a false -Wrestrict on the latter.
      std::string t = m.technique_id;
      if (!m.technique.empty()) {
        if (!t.empty()) t += ' ';
        t += m.technique;
      }
      if (!m.tactic.empty()) {
        if (!t.empty()) t += ' ';
        t += '(';
        t += m.tactic;
        t += ')';
      }
      if (!t.empty()) techniques.push_back(std::move(t));
    }
    fields.Add("vigil/Mitre", Join(techniques, "; "));
    fields.Add("vigil/Tags", Join(f.tags, ","));
    if (!f.related_findings.empty()) {
      fields.Add("vigil/RelatedFindings",
                 JoinFitting(f.related_findings, asff::kMaxProductFieldValue, false));
    }
    for (const auto& [k, v] : f.context) {
      if (k == "sequence" && sequence) continue;  // carried whole by Detection.Sequence
      fields.Add("vigil/context/" + k, v);
    }
    for (const auto& [k, v] : f.output_fields) fields.Add("vigil/output/" + k, v);
    j["ProductFields"] = fields.Take();
  }

  {
    ojson resource;
    const bool eks = account_known && region_known && IsEksClusterName(f.cluster);
    std::string arn;
    if (eks) {
      arn = fmt::format("arn:{}:eks:{}:{}:cluster/{}", partition, region, account, f.cluster);
      resource["Type"] = "AwsEksCluster";
      resource["Id"] = arn;
    } else {
      resource["Type"] = "Other";
      resource["Id"] = Fit(cluster_label, asff::kMaxResourceId);
    }
    resource["Partition"] = partition;
    resource["Region"] = region;

    const Principal& p = f.principal;
    const TargetResource& r = f.resource;
    LimitedMap other(asff::kMaxOtherDetails, asff::kMaxOtherDetailKey, asff::kMaxOtherDetailValue,
                     "FieldsOmitted");
    other.Add("Cluster", f.cluster);
    other.Add("ApiGroup", r.api_group);
    other.Add("Resource", r.resource);
    other.Add("Subresource", r.subresource);
    other.Add("Namespace", r.ns);
    other.Add("Name", r.name);
    other.Add("RequestUri", r.request_uri);
    other.Add("Username", p.username);
    other.Add("UserUid", p.uid);
    other.Add("Groups", Join(p.groups, ","));
    other.Add("ImpersonatedUser", p.impersonated_user);
    other.Add("AwsArn", p.aws_arn);
    other.Add("AwsSessionName", p.aws_session_name);
    other.Add("AwsAccessKeyId", p.aws_access_key_id);
    other.Add("AwsPrincipalId", p.aws_principal_id);
    other.Add("SourceIps", Join(f.source_ips, ","));
    other.Add("UserAgent", f.user_agent);
    ojson details;
    if (eks) details["AwsEksCluster"] = ojson{{"Name", f.cluster}, {"Arn", arn}};
    ojson other_json = other.Take();
    if (!other_json.empty()) details["Other"] = std::move(other_json);
    if (!details.is_null()) resource["Details"] = std::move(details);
    j["Resources"] = ojson::array({std::move(resource)});
  }

  // Where the caller is, when GeoIP databases said: ASFF's place for it is the remote IP details
  // of an API-call action (as GuardDuty reports callers), and the caller's address is the
  // network source.
  if (auto geo = CallerGeoOf(f)) {
    const bool v6 = geo->ip.find(':') != std::string::npos;
    ojson remote;
    if (!geo->ip.empty() && !v6) remote["IpAddressV4"] = geo->ip;
    if (!geo->country.empty()) remote["Country"] = ojson{{"CountryCode", geo->country}};
    if (geo->asn != 0) {
      ojson org{{"Asn", geo->asn}};
      if (!geo->as_org.empty()) org["AsnOrg"] = Fit(geo->as_org, 256);
      remote["Organization"] = std::move(org);
    }
    j["Action"] = ojson{{"ActionType", "AWS_API_CALL"},
                        {"AwsApiCallAction",
                         ojson{{"CallerType", "remoteip"}, {"RemoteIpDetails", std::move(remote)}}}};
    if (!geo->ip.empty()) {
      j["Network"] = ojson{{"Direction", "IN"}, {v6 ? "SourceIpV6" : "SourceIpV4", geo->ip}};
    }
  }

  j["Workflow"] = ojson{{"Status", WorkflowStatusName(f.workflow)}};
  j["RecordState"] = "ACTIVE";
  return j;
}

std::string EncodeAsff(const Finding& f, const AsffOptions& options) {
  return FindingToAsff(f, options).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteAsffLines(std::ostream& out,
                    std::span<const Finding> findings,
                    const AsffOptions& options) {
  LineBatch batch(out);
  for (const Finding& f : findings) {
    batch.text() += EncodeAsff(f, options);
    batch.EndLine();
  }
  batch.Flush();
}

}  // namespace vigil::findings
