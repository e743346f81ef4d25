// Evaluation of GuardDuty.1 and the feature controls over a snapshot (guardduty.h).
#include "controls/guardduty.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "controls/control.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::ControlEvidence;
using findings::Finding;
using nlohmann::json;

constexpr std::string_view kListDetectors = "guardduty/list-detectors.json";
constexpr std::string_view kOrgConfig = "guardduty/describe-organization-configuration.json";
constexpr std::string_view kListMembers = "guardduty/list-members.json";
constexpr std::string_view kMemberDetectors = "guardduty/get-member-detectors.json";
constexpr std::string_view kAdministrator = "guardduty/get-administrator-account.json";

// RelationshipStatus values of accounts that are not (or no longer) associated with the
// administrator; every other status — Enabled, Disabled, Paused, AccountSuspended, ... — counts.
bool IsAssociated(std::string_view relationship) {
  for (std::string_view s : {"Created", "Invited", "Removed", "Resigned",
                             "EmailVerificationInProgress", "EmailVerificationFailed"}) {
    if (relationship.size() == s.size() &&
        std::equal(s.begin(), s.end(), relationship.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return false;
    }
  }
  return true;
}

struct Member {
  std::string account;
  std::string relationship;
};

// What was read for one account and region.
struct RegionState {
  std::string account;
  std::string region;
  std::string detector_id;
  std::string detector_file;
  std::string detector_status;  // get-detector's Status
  std::optional<FeatureMap> features;
  std::string features_error;  // why `features` is empty
  bool is_admin = false;
  bool members_known = false;
  std::string members_error;
  std::vector<Member> members;  // associated only
  std::string members_file;
  // get-member-detectors: account → features; unprocessed account → reason.
  std::map<std::string, FeatureMap> member_features;
  std::map<std::string, std::string> member_errors;
  std::string member_detectors_file;
  std::string member_detectors_error;  // the whole file is unusable
  json org_config;                     // describe-organization-configuration, or null
  std::string org_file;
};

std::string Reason(const Error& e) { return e.message; }

Result<std::vector<Member>> ParseMembers(const json& doc) {
  const json* list = Field(doc, "Members");
  if (list == nullptr || !list->is_array()) {
    return MakeError(ErrorCode::kParse, "has no Members list");
  }
  std::vector<Member> members;
  for (const json& m : *list) {
    Member member{StringField(m, "AccountId"), StringField(m, "RelationshipStatus")};
    if (member.account.empty())
      return MakeError(ErrorCode::kParse, "has a member without AccountId");
    if (IsAssociated(member.relationship)) members.push_back(std::move(member));
  }
  return members;
}

void ReadMemberDetectors(const Snapshot& snap, RegionState& s) {
  s.member_detectors_file = snap.PathOf(s.account, s.region, kMemberDetectors);
  auto doc = snap.Read(s.account, s.region, kMemberDetectors);
  if (!doc) {
    s.member_detectors_error = Reason(doc.error());
    return;
  }
  const json* configs = Field(doc->json, "MemberDataSourceConfigurations");
  if (configs != nullptr && !configs->is_array()) {
    s.member_detectors_error =
        fmt::format("{}: MemberDataSourceConfigurations is not a list", s.member_detectors_file);
    return;
  }
  if (configs != nullptr) {
    for (const json& c : *configs) {
      const std::string id = StringField(c, "AccountId");
      if (id.empty()) continue;
      auto features = ParseFeatures(c);
      if (!features) {
        s.member_errors[id] =
            fmt::format("{}: member {}: {}", s.member_detectors_file, id, features.error().message);
        continue;
      }
      s.member_features[id] = std::move(*features);
    }
  }
  if (const json* unprocessed = Field(doc->json, "UnprocessedAccounts");
      unprocessed != nullptr && unprocessed->is_array()) {
    for (const json& u : *unprocessed) {
      const std::string id = StringField(u, "AccountId");
      if (id.empty()) continue;
      s.member_errors[id] = fmt::format("unprocessed: {}", StringField(u, "Result"));
    }
  }
}

RegionState ReadRegion(const Snapshot& snap,
                       const std::string& account,
                       const std::string& region,
                       std::string& detector_error) {
  RegionState s;
  s.account = account;
  s.region = region;
  auto list = snap.Read(account, region, kListDetectors);
  if (!list) {
    detector_error = Reason(list.error());
    return s;
  }
  const json* ids = Field(list->json, "DetectorIds");
  if (ids == nullptr || !ids->is_array()) {
    detector_error = fmt::format("{}: has no DetectorIds list", list->path);
    return s;
  }
  if (ids->empty()) return s;  // no detector: detector_id stays empty
  if (!(*ids)[0].is_string() || (*ids)[0].get<std::string>().empty()) {
    detector_error = fmt::format("{}: DetectorIds[0] is not a detector id", list->path);
    return s;
  }
  s.detector_id = (*ids)[0].get<std::string>();
  const std::string name = fmt::format("guardduty/get-detector-{}.json", s.detector_id);
  s.detector_file = snap.PathOf(account, region, name);
  auto detector = snap.Read(account, region, name);
  if (!detector) {
    detector_error = Reason(detector.error());
    return s;
  }
  s.detector_status = StringField(detector->json, "Status");
  auto features = ParseFeatures(detector->json);
  if (!features) {
    s.features_error = fmt::format("{}: {}", s.detector_file, features.error().message);
  } else {
    s.features = std::move(*features);
  }
  s.org_file = snap.PathOf(account, region, kOrgConfig);
  if (auto org = snap.Read(account, region, kOrgConfig)) {
    s.is_admin = true;
    s.org_config = std::move(org->json);
  }
  s.members_file = snap.PathOf(account, region, kListMembers);
  auto members_doc = snap.Read(account, region, kListMembers);
  if (members_doc) {
    s.is_admin = true;
    auto members = ParseMembers(members_doc->json);
    if (members) {
      s.members = std::move(*members);
      s.members_known = true;
    } else {
      s.members_error = fmt::format("{}: {}", s.members_file, members.error().message);
    }
  } else if (s.is_admin) {
    s.members_error = Reason(members_doc.error());
  }
  if (s.is_admin) ReadMemberDetectors(snap, s);
  return s;
}

// The administrator named by get-administrator-account.json with an enabled relationship.
bool HasEnabledAdministrator(const Snapshot& snap,
                             const std::string& account,
                             const std::string& region) {
  auto doc = snap.Read(account, region, kAdministrator);
  if (!doc) return false;
  const json* admin = Field(doc->json, "Administrator");
  if (admin == nullptr) admin = Field(doc->json, "Master");
  if (admin == nullptr) return false;
  const std::string relationship = StringField(*admin, "RelationshipStatus");
  return !StringField(*admin, "AccountId").empty() && IsAssociated(relationship) &&
         relationship != "Disabled";
}

std::string AutoEnableNote(const RegionState& s, const FeatureControl& control) {
  if (!s.org_config.is_object()) return "";
  const json* features = Field(s.org_config, "Features");
  if (features == nullptr || !features->is_array()) return "";
  for (const json& f : *features) {
    const std::string name = StringField(f, "Name");
    if (name != control.options.front().feature) continue;
    const std::string auto_enable = StringField(f, "AutoEnable");
    if (auto_enable.empty() || auto_enable == "NONE") return "";
    return fmt::format(
        "organization auto-enable for {} is {} ({}), which does not turn it on for existing "
        "members that have it off",
        name, auto_enable, s.org_file);
  }
  return "";
}

ControlSubject DetectorSubject(const RegionState& s) {
  return {s.account, s.region, "", "AwsGuardDutyDetector",
          fmt::format("arn:{}:guardduty:{}:{}:detector/{}", PartitionOf(s.region), s.region,
                      s.account, s.detector_id)};
}

ControlSubject AccountSubject(const std::string& account, const std::string& region) {
  return {account, region, "", "AwsAccount", fmt::format("AWS::::Account:{}", account)};
}

Finding EvaluateFeature(const FeatureControl& control, const RegionState& s, UnixNanos now) {
  const ControlDef& def = Control(control.control);
  ControlOutcome out;
  std::vector<std::string> failures;
  std::vector<std::string> unknown;
  std::string why;
  if (!s.features) {
    unknown.push_back(s.features_error);
  } else if (!FeatureEnabled(control, *s.features, why)) {
    failures.push_back(fmt::format("account {} (detector {}): {}", s.account, s.detector_id, why));
    out.evidence.push_back({s.detector_file, why});
  } else {
    out.evidence.push_back(
        {s.detector_file, fmt::format("{} enabled", control.options.front().feature)});
  }
  size_t members_checked = 0;
  if (s.is_admin) {
    if (!s.members_known) {
      unknown.push_back(fmt::format("the associated members are unknown: {}", s.members_error));
    } else if (!s.member_detectors_error.empty() && !s.members.empty()) {
      std::vector<std::string> ids;
      for (const Member& m : s.members) ids.push_back(m.account);
      unknown.push_back(fmt::format("members {} cannot be checked: {}", fmt::join(ids, ", "),
                                    s.member_detectors_error));
    } else {
      std::vector<std::string> unprocessed;
      for (const Member& m : s.members) {
        auto err = s.member_errors.find(m.account);
        if (err != s.member_errors.end()) {
          unprocessed.push_back(fmt::format("{} ({})", m.account, err->second));
          continue;
        }
        auto it = s.member_features.find(m.account);
        if (it == s.member_features.end()) {
          unprocessed.push_back(fmt::format("{} (not in get-member-detectors.json)", m.account));
          continue;
        }
        ++members_checked;
        if (!FeatureEnabled(control, it->second, why)) {
          failures.push_back(fmt::format("member {} (RelationshipStatus {}): {}", m.account,
                                         m.relationship.empty() ? "unknown" : m.relationship, why));
          out.evidence.push_back({s.member_detectors_file, fmt::format("{}: {}", m.account, why)});
        }
      }
      if (!unprocessed.empty()) {
        unknown.push_back(fmt::format("members not evaluated: {}", fmt::join(unprocessed, ", ")));
        out.evidence.push_back(
            {s.member_detectors_file,
             fmt::format("{} member(s) unprocessed or missing", unprocessed.size())});
      }
    }
  }
  if (!failures.empty()) {
    out.status = ComplianceStatus::kFailed;
    out.reasons = std::move(failures);
    if (std::string note = AutoEnableNote(s, control); !note.empty()) out.reasons.push_back(note);
    for (std::string& u : unknown) out.reasons.push_back(std::move(u));
  } else if (!unknown.empty()) {
    out.status = ComplianceStatus::kNotAvailable;
    out.reasons = std::move(unknown);
  } else {
    out.status = ComplianceStatus::kPassed;
    out.reasons.push_back(
        s.is_admin ? fmt::format("enabled in delegated administrator {} and its {} associated "
                                 "member(s)",
                                 s.account, members_checked)
                   : fmt::format("enabled in account {}", s.account));
  }
  return MakeControlFinding(def, DetectorSubject(s), std::move(out), now);
}

}  // namespace

Result<std::vector<Finding>> EvaluateGuardDuty(const Snapshot& snapshot, UnixNanos now) {
  VIGIL_TRY(std::vector<std::string> accounts, snapshot.Accounts());
  std::vector<Finding> out;
  struct Read {
    RegionState state;
    std::string detector_error;
  };
  std::vector<Read> reads;
  std::map<std::string, std::set<std::string>> members_by_region;  // region → member accounts
  for (const std::string& account : accounts) {
    VIGIL_TRY(std::vector<std::string> regions, snapshot.Regions(account));
    for (const std::string& region : regions) {
      // A region without a guardduty/ folder was not collected for GuardDuty: no results.
      if (!snapshot.HasFolder(account, region, "guardduty")) continue;
      Read r;
      r.state = ReadRegion(snapshot, account, region, r.detector_error);
      for (const Member& m : r.state.members) members_by_region[region].insert(m.account);
      reads.push_back(std::move(r));
    }
  }
  for (const Read& r : reads) {
    const RegionState& s = r.state;
    // GuardDuty.1: per account and region.
    ControlOutcome gd1;
    if (!r.detector_error.empty()) {
      gd1.status = ComplianceStatus::kNotAvailable;
      gd1.reasons.push_back(r.detector_error);
    } else if (s.detector_id.empty()) {
      gd1.status = ComplianceStatus::kFailed;
      gd1.reasons.push_back(
          fmt::format("no GuardDuty detector in {} (DetectorIds is empty)", s.region));
      gd1.evidence.push_back(
          {snapshot.PathOf(s.account, s.region, kListDetectors), "DetectorIds: []"});
    } else {
      const std::string& status = s.detector_status;
      gd1.evidence.push_back(
          {s.detector_file, fmt::format("Status = {}", status.empty() ? "(absent)" : status)});
      if (status == "ENABLED") {
        gd1.status = ComplianceStatus::kPassed;
        gd1.reasons.push_back(fmt::format("detector {} is ENABLED", s.detector_id));
      } else if (status.empty()) {
        gd1.status = ComplianceStatus::kNotAvailable;
        gd1.reasons.push_back(fmt::format("{}: has no Status", s.detector_file));
      } else {
        gd1.status = ComplianceStatus::kFailed;
        gd1.reasons.push_back(
            fmt::format("detector {} Status is {} (suspended)", s.detector_id, status));
      }
    }
    out.push_back(MakeControlFinding(Control("GuardDuty.1"), AccountSubject(s.account, s.region),
                                     std::move(gd1), now));

    // Feature controls: none for members; the administrator reports for them.
    const bool is_member = !s.is_admin && (members_by_region[s.region].contains(s.account) ||
                                           HasEnabledAdministrator(snapshot, s.account, s.region));
    if (is_member) continue;
    for (const FeatureControl& control : FeatureControls()) {
      if (!r.detector_error.empty() || s.detector_id.empty()) {
        ControlOutcome na;
        na.status = ComplianceStatus::kNotAvailable;
        na.reasons.push_back(
            !r.detector_error.empty()
                ? r.detector_error
                : fmt::format("no GuardDuty detector in {}; see GuardDuty.1", s.region));
        out.push_back(MakeControlFinding(Control(control.control),
                                         AccountSubject(s.account, s.region), std::move(na), now));
        continue;
      }
      out.push_back(EvaluateFeature(control, s, now));
    }
  }
  return out;
}

}  // namespace vigil::controls
