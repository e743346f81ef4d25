#include "findings/encode/ocsf.h"

#include <algorithm>

#include "findings/encode/mitre.h"
#include "findings/encode/line_batch.h"
#include "findings/encode/text.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::findings {
namespace {

using ojson = nlohmann::ordered_json;

std::int64_t Millis(UnixNanos t) { return t / 1'000'000; }

std::string_view SeverityCaption(Severity s) {
  switch (s) {
    case Severity::kInformational:
      return "Informational";
    case Severity::kLow:
      return "Low";
    case Severity::kMedium:
      return "Medium";
    case Severity::kHigh:
      return "High";
    case Severity::kCritical:
      return "Critical";
  }
  return "Unknown";
}

std::string_view StatusCaption(WorkflowStatus s) {
  switch (s) {
    case WorkflowStatus::kNew:
      return "New";
    case WorkflowStatus::kNotified:
      return "In Progress";
    case WorkflowStatus::kSuppressed:
      return "Suppressed";
    case WorkflowStatus::kResolved:
      return "Resolved";
  }
  return "Other";
}

ojson EvidenceObject(const std::string& evidence) {
  if (evidence.empty()) return nullptr;
  ojson parsed = ojson::parse(evidence, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return ojson{{"unparsed", evidence}};
  return parsed;
}

ojson UserObject(const Principal& p) {
  ojson user = ojson::object();
  if (!p.username.empty()) user["name"] = p.username;
  if (!p.uid.empty()) user["uid"] = p.uid;
  if (!p.aws_principal_id.empty()) user["uid_alt"] = p.aws_principal_id;
  if (!p.aws_access_key_id.empty()) user["credential_uid"] = p.aws_access_key_id;
  if (!p.groups.empty()) {
    ojson groups = ojson::array();
    for (const std::string& g : p.groups) groups.push_back(ojson{{"name", g}});
    user["groups"] = std::move(groups);
  }
  return user;
}

ojson AttackObject(const MitreRef& m) {
  ojson attack = ojson::object();
  if (!m.tactic.empty()) {
    const TacticInfo* info = LookupTactic(m.tactic);
    ojson tactic;
    tactic["name"] = info != nullptr ? std::string(info->name) : m.tactic;
    if (info != nullptr) tactic["uid"] = info->uid;
    attack["tactic"] = std::move(tactic);
  }
  if (!m.technique_id.empty() || !m.technique.empty()) {
    const size_t dot = m.technique_id.find('.');
    if (dot != std::string::npos) {
      attack["technique"] = ojson{{"uid", m.technique_id.substr(0, dot)}};
      ojson sub;
      sub["uid"] = m.technique_id;
      if (!m.technique.empty()) sub["name"] = m.technique;
      attack["sub_technique"] = std::move(sub);
    } else {
      ojson technique;
      if (!m.technique_id.empty()) technique["uid"] = m.technique_id;
      if (!m.technique.empty()) technique["name"] = m.technique;
      attack["technique"] = std::move(technique);
    }
  }
  return attack;
}

// OCSF compliance.status_id: PASSED/WARNING/FAILED → 1/2/3, NOT_AVAILABLE → 99 (Other).
int ComplianceStatusId(ComplianceStatus s) {
  switch (s) {
    case ComplianceStatus::kPassed:
      return 1;
    case ComplianceStatus::kWarning:
      return 2;
    case ComplianceStatus::kFailed:
      return 3;
    case ComplianceStatus::kNotAvailable:
      return 99;
  }
  return 99;
}

// Turns the Detection Finding `j` into a Compliance Finding (2003): the compliance object, the
// control's resource, the files that were read as evidence; no actor (nobody acted).
void ToComplianceFinding(ojson& j, const Finding& f, const Compliance& c) {
  const int activity_id = j["activity_id"].get<int>();
  j["class_uid"] = kOcsfComplianceClassUid;
  j["class_name"] = "Compliance Finding";
  j["type_uid"] = kOcsfComplianceClassUid * 100 + activity_id;
  j["type_name"] = activity_id == 1 ? "Compliance Finding: Create" : "Compliance Finding: Update";
  j["is_alert"] = c.status == ComplianceStatus::kFailed;
  j.erase("actor");
  ojson compliance;
  compliance["control"] = c.control_id;
  compliance["standards"] = ojson::array(
      {c.standard.empty() ? std::string("vigil Kubernetes audit controls") : c.standard});
  compliance["status_id"] = ComplianceStatusId(c.status);
  compliance["status"] = ComplianceStatusName(c.status);
  if (!c.reasons.empty()) compliance["status_details"] = c.reasons;
  j["compliance"] = std::move(compliance);
  j["finding_info"]["analytic"] = ojson{{"name", c.control_id}, {"type_id", 1}, {"type", "Rule"}};
  ojson resource;
  resource["type"] = c.resource_type.empty() ? "Other" : c.resource_type;
  resource["uid"] = c.resource_id.empty() ? f.cluster : c.resource_id;
  if (!f.cluster.empty()) resource["name"] = f.cluster;
  if (!f.region.empty()) resource["region"] = f.region;
  j["resources"] = ojson::array({std::move(resource)});
  ojson evidences = ojson::array();
  for (const ControlEvidence& e : c.evidence) {
    evidences.push_back(ojson{{"data", ojson{{"file", e.file}, {"said", e.said}}}});
  }
  if (evidences.empty()) {
    j.erase("evidences");
  } else {
    j["evidences"] = std::move(evidences);
  }
  ojson& vigil = j["unmapped"]["vigil"];
  vigil["remediation_type"] = c.auto_remediation ? "auto" : "manual";
  vigil["control_severity"] = SeverityName(c.control_severity);
}

}  // namespace

int OcsfSeverityId(Severity s) { return static_cast<int>(s) + 1; }

int OcsfStatusId(WorkflowStatus s) {
  switch (s) {
    case WorkflowStatus::kNew:
      return 1;
    case WorkflowStatus::kNotified:
      return 2;
    case WorkflowStatus::kSuppressed:
      return 3;
    case WorkflowStatus::kResolved:
      return 4;
  }
  return 99;
}

nlohmann::ordered_json FindingToOcsf(const Finding& f, const OcsfOptions& options) {
  const UnixNanos created = f.created_at != 0 ? f.created_at : f.first_seen;
  const UnixNanos modified = std::max(f.updated_at, created);
  const int activity_id = modified > created ? 2 : 1;
  const bool cloud_known = !f.account.empty() || !f.region.empty();

  ojson j;
  j["activity_id"] = activity_id;
  j["activity_name"] = activity_id == 1 ? "Create" : "Update";
  j["category_uid"] = kOcsfCategoryUid;
  j["category_name"] = "Findings";
  j["class_uid"] = kOcsfClassUid;
  j["class_name"] = "Detection Finding";
  j["type_uid"] = kOcsfClassUid * 100 + activity_id;
  j["type_name"] = activity_id == 1 ? "Detection Finding: Create" : "Detection Finding: Update";
  j["severity_id"] = OcsfSeverityId(f.severity);
  j["severity"] = SeverityCaption(f.severity);
  j["status_id"] = OcsfStatusId(f.workflow);
  j["status"] = StatusCaption(f.workflow);
  j["time"] = Millis(modified);
  if (f.first_seen != 0) j["start_time"] = Millis(f.first_seen);
  if (f.last_seen != 0) j["end_time"] = Millis(f.last_seen);
  j["count"] = f.count;
  j["message"] = f.description.empty() ? f.title : f.description;
  j["is_alert"] = true;

  {
    ojson info;
    info["uid"] = f.id;
    info["title"] = f.title.empty() ? f.type : f.title;
    if (!f.description.empty()) info["desc"] = f.description;
    if (!f.type.empty()) info["types"] = ojson::array({f.type});
    if (f.first_seen != 0) info["first_seen_time"] = Millis(f.first_seen);
    if (f.last_seen != 0) info["last_seen_time"] = Millis(f.last_seen);
    info["created_time"] = Millis(created);
    info["modified_time"] = Millis(modified);
    info["analytic"] = ojson{{"name", f.rule}, {"type_id", 1}, {"type", "Rule"}};
    ojson attacks = ojson::array();
    for (const MitreRef& m : f.mitre) {
      ojson attack = AttackObject(m);
      if (!attack.empty()) attacks.push_back(std::move(attack));
    }
    if (!attacks.empty()) info["attacks"] = std::move(attacks);
    j["finding_info"] = std::move(info);
  }

  {
    ojson metadata;
    metadata["product"] =
        ojson{{"name", "vigil"},
              {"vendor_name", options.vendor_name},
              {"version", options.product_version.empty() ? std::string(VIGIL_VERSION)
                                                          : options.product_version}};
    metadata["version"] = kOcsfVersion;
    ojson profiles = ojson::array({"host"});  // the host profile carries `actor`
    if (cloud_known) profiles.push_back("cloud");
    metadata["profiles"] = std::move(profiles);
    j["metadata"] = std::move(metadata);
  }

  const ojson user = UserObject(f.principal);
  j["actor"] = ojson{{"user", user}};

  {
    ojson evidence;
    evidence["actor"] = ojson{{"user", user}};
    if (!f.source_ips.empty()) evidence["src_endpoint"] = ojson{{"ip", f.source_ips.front()}};
    // The caller's place from GeoIP databases: the Network Endpoint's location and AS.
    if (auto geo = CallerGeoOf(f)) {
      ojson ep;
      ep["ip"] = !geo->ip.empty() ? geo->ip
                 : f.source_ips.empty() ? std::string() : f.source_ips.front();
      if (ep["ip"].get<std::string>().empty()) ep.erase("ip");
      if (!geo->country.empty()) ep["location"] = ojson{{"country", geo->country}};
      if (geo->asn != 0) {
        ojson as{{"number", geo->asn}};
        if (!geo->as_org.empty()) as["name"] = ValidUtf8(geo->as_org);
        ep["autonomous_system"] = std::move(as);
      }
      evidence["src_endpoint"] = std::move(ep);
    }
    ojson data = EvidenceObject(f.evidence);
    if (data.is_object()) {
      auto verb = data.find("verb");
      if (verb != data.end() && verb->is_string()) {
        ojson api;
        api["operation"] = *verb;
        auto audit_id = data.find("auditID");
        if (audit_id != data.end() && audit_id->is_string()) {
          api["request"] = ojson{{"uid", *audit_id}};
        }
        evidence["api"] = std::move(api);
      }
    }
    if (!data.is_null()) evidence["data"] = std::move(data);
    j["evidences"] = ojson::array({std::move(evidence)});
  }

  {
    ojson resources = ojson::array();
    ojson cluster;
    cluster["type"] = "Kubernetes Cluster";
    cluster["name"] = f.cluster.empty() ? "unknown" : f.cluster;
    if (!f.region.empty()) cluster["region"] = f.region;
    resources.push_back(std::move(cluster));
    const TargetResource& r = f.resource;
    if (!r.resource.empty() || !r.name.empty() || !r.request_uri.empty()) {
      ojson target;
      target["type"] = r.resource.empty() ? "nonResourceURL" : r.resource;
      target["name"] = r.name.empty() ? (r.resource.empty() ? r.request_uri : r.resource) : r.name;
      if (!r.ns.empty()) target["namespace"] = r.ns;
      ojson data = ojson::object();
      if (!r.api_group.empty()) data["api_group"] = r.api_group;
      if (!r.subresource.empty()) data["subresource"] = r.subresource;
      if (!r.request_uri.empty()) data["request_uri"] = r.request_uri;
      if (!data.empty()) target["data"] = std::move(data);
      resources.push_back(std::move(target));
    }
    j["resources"] = std::move(resources);
  }

  if (!f.remediation.text.empty() || !f.remediation.url.empty()) {
    ojson remediation;
    remediation["desc"] =
        f.remediation.text.empty() ? "See " + f.remediation.url : f.remediation.text;
    if (!f.remediation.url.empty()) remediation["references"] = ojson::array({f.remediation.url});
    j["remediation"] = std::move(remediation);
  }

  if (cloud_known) {
    ojson cloud;
    cloud["provider"] = "AWS";
    if (!f.account.empty()) cloud["account"] = ojson{{"uid", f.account}};
    if (!f.region.empty()) cloud["region"] = f.region;
    j["cloud"] = std::move(cloud);
  }

  {
    ojson vigil;
    vigil["rule"] = f.rule;
    vigil["audit_ids"] = f.audit_ids;
    vigil["audit_ids_truncated"] = f.audit_ids_truncated;
    vigil["source_ips"] = f.source_ips;
    if (!f.user_agent.empty()) vigil["user_agent"] = f.user_agent;
    if (!f.priority.empty()) vigil["priority"] = f.priority;
    if (!f.tags.empty()) vigil["tags"] = f.tags;
    const Principal& p = f.principal;
    ojson principal = ojson::object();
    if (!p.impersonated_user.empty()) principal["impersonated_user"] = p.impersonated_user;
    if (!p.aws_arn.empty()) principal["aws_arn"] = p.aws_arn;
    if (!p.aws_session_name.empty()) principal["aws_session_name"] = p.aws_session_name;
    if (!principal.empty()) vigil["principal"] = std::move(principal);
    if (!f.output_fields.empty()) vigil["output_fields"] = f.output_fields;
    if (!f.context.empty()) vigil["context"] = f.context;
    j["unmapped"] = ojson{{"vigil", std::move(vigil)}};
  }
  if (!f.related_findings.empty()) {
    ojson related = ojson::array();
    for (const std::string& id : f.related_findings) related.push_back(ojson{{"uid", id}});
    j["finding_info"]["related_events"] = std::move(related);
  }
  if (f.compliance) ToComplianceFinding(j, f, *f.compliance);
  return j;
}

std::string EncodeOcsf(const Finding& f, const OcsfOptions& options) {
  return FindingToOcsf(f, options).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WriteOcsfLines(std::ostream& out,
                    std::span<const Finding> findings,
                    const OcsfOptions& options) {
  LineBatch batch(out);
  for (const Finding& f : findings) {
    batch.text() += EncodeOcsf(f, options);
    batch.EndLine();
  }
  batch.Flush();
}

}  // namespace vigil::findings
