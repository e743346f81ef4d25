#include "remediate/aws_actions.h"

#include <fmt/format.h>

#include <regex>

namespace vigil::remediate {
namespace {

using nlohmann::json;

constexpr std::string_view kEnableFeature = R"([{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}])";
constexpr std::string_view kDisableFeature = R"([{"Name":"EKS_AUDIT_LOGS","Status":"DISABLED"}])";
constexpr std::string_view kEnableAuditLogging =
    R"({"clusterLogging":[{"types":["audit"],"enabled":true}]})";
constexpr std::string_view kDisableAuditLogging =
    R"({"clusterLogging":[{"types":["audit"],"enabled":false}]})";

// The string at `key` of an object, or "" (the aws CLI's answers are outside input: json::value()
// would throw on a wrong type).
std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> AwsBase(const json& params) {
  const std::string program = Str(params, "aws");
  std::vector<std::string> argv{program.empty() ? std::string("aws") : program};
  const std::string profile = Str(params, "profile");
  if (!profile.empty()) {
    argv.push_back("--profile");
    argv.push_back(profile);
  }
  return argv;
}

std::vector<std::string> Argv(const json& detail) {
  std::vector<std::string> out;
  if (detail.contains("argv") && detail["argv"].is_array()) {
    for (const auto& a : detail["argv"]) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

// The argument vector a change runs; kInvalidArgument when it has none.
Result<std::vector<std::string>> ChangeArgv(const PlannedChange& c) {
  std::vector<std::string> argv = Argv(c.detail);
  if (argv.empty()) return MakeError(ErrorCode::kInvalidArgument, "the change has no argv");
  return argv;
}

// The aws CLI has no server-side dry run for these calls (nor has a user's program): a dry run
// changes nothing and says what would run.
ActionOutcome DryRun(const std::vector<std::string>& argv) {
  ActionOutcome out;
  out.message = fmt::format("dry run: would run {}", fmt::join(argv, " "));
  return out;
}

// Runs an aws call that prints JSON (or nothing). kIo with the CLI's stderr when it fails.
Result<json> RunAws(controls::CommandRunner& runner, const std::vector<std::string>& argv) {
  VIGIL_TRY(controls::CommandResult r, runner.Run(argv));
  if (r.exit_code != 0) {
    std::string err = r.err.substr(0, 2000);
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return MakeError(ErrorCode::kIo, fmt::format("{} {} exited with {}: {}", argv[0],
                                                 argv.size() > 2 ? argv[1] + " " + argv[2] : "",
                                                 r.exit_code, err));
  }
  if (r.out.find_first_not_of(" \n\r\t") == std::string::npos) return json::object();
  auto j = json::parse(r.out, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kParse,
                     fmt::format("{}: the output is not JSON", fmt::join(argv, " ")));
  }
  return j;
}

// EKS_AUDIT_LOGS status in a get-detector or member configuration document ("" when absent).
std::string EksAuditStatus(const json& doc) {
  if (!doc.is_object()) return "";
  if (doc.contains("Features") && doc["Features"].is_array()) {
    for (const auto& f : doc["Features"]) {
      if (Str(f, "Name") == "EKS_AUDIT_LOGS") return Str(f, "Status");
    }
  }
  if (doc.contains("DataSources") && doc["DataSources"].is_object()) {
    const json& ds = doc["DataSources"];
    if (ds.contains("Kubernetes") && ds["Kubernetes"].is_object() &&
        ds["Kubernetes"].contains("AuditLogs") && ds["Kubernetes"]["AuditLogs"].is_object()) {
      return Str(ds["Kubernetes"]["AuditLogs"], "Status");
    }
  }
  return "";
}

class GuardDutyEksAudit final : public ActionExecutor {
 public:
  explicit GuardDutyEksAudit(controls::CommandRunner& runner) : runner_(runner) {}
  std::string_view kind() const override { return "aws.guardduty.enable-eks-audit-logs"; }
  bool mutating() const override { return true; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& f,
                                          const json& params) override {
    VIGIL_TRY(GuardDutyTarget t, GuardDutyTargetOf(f));
    std::string auto_enable = Str(params, "auto_enable");
    if (auto_enable.empty()) auto_enable = "ALL";
    if (auto_enable != "ALL" && auto_enable != "NEW") {
      return MakeError(ErrorCode::kInvalidArgument, "auto_enable: expected ALL or NEW");
    }
    std::vector<PlannedChange> out;
    const std::string arn = f.compliance->resource_id;
    auto base = [&](std::string_view op) {
      std::vector<std::string> a = AwsBase(params);
      a.insert(a.end(), {"guardduty", std::string(op), "--region", t.region, "--detector-id",
                         t.detector_id});
      return a;
    };
    if (t.own_failing) {
      std::vector<std::string> argv = base("update-detector");
      argv.insert(argv.end(), {"--features", std::string(kEnableFeature)});
      out.push_back({std::string(kind()), arn,
                     fmt::format("enable EKS Audit Log Monitoring on detector {} in account {} "
                                 "({})",
                                 t.detector_id, t.account, t.region),
                     {{"op", "update-detector"},
                      {"argv", argv},
                      {"region", t.region},
                      {"account", t.account},
                      {"detector_id", t.detector_id},
                      {"params", params}}});
    }
    if (t.is_admin) {
      std::vector<std::string> argv = base("update-organization-configuration");
      argv.insert(argv.end(),
                  {"--auto-enable-organization-members", auto_enable, "--features",
                   fmt::format(R"([{{"Name":"EKS_AUDIT_LOGS","AutoEnable":"{}"}}])", auto_enable)});
      out.push_back({std::string(kind()), fmt::format("{} (organization configuration)", arn),
                     fmt::format("auto-enable EKS Audit Log Monitoring ({}) for the organization "
                                 "of delegated administrator {}",
                                 auto_enable, t.account),
                     {{"op", "update-organization-configuration"},
                      {"argv", argv},
                      {"region", t.region},
                      {"account", t.account},
                      {"detector_id", t.detector_id},
                      {"params", params}}});
      for (const std::string& m : t.failing_members) {
        std::vector<std::string> margv = base("update-member-detectors");
        margv.insert(margv.end(), {"--account-ids", m, "--features", std::string(kEnableFeature)});
        out.push_back({std::string(kind()), fmt::format("member account {}", m),
                       fmt::format("enable EKS Audit Log Monitoring for member account {} (via "
                                   "administrator {})",
                                   m, t.account),
                       {{"op", "update-member-detectors"},
                        {"argv", margv},
                        {"region", t.region},
                        {"account", t.account},
                        {"member", m},
                        {"detector_id", t.detector_id},
                        {"params", params}}});
      }
    }
    return out;
  }

  Result<ActionOutcome> Apply(const PlannedChange& c, bool dry_run) override {
    VIGIL_TRY(const std::vector<std::string> argv, ChangeArgv(c));
    if (dry_run) return DryRun(argv);
    ActionOutcome out;
    VIGIL_TRY(out.before, ReadState(c));
    VIGIL_TRY(json response, RunAws(runner_, argv));
    if (response.is_object() && response.contains("UnprocessedAccounts") &&
        response["UnprocessedAccounts"].is_array() && !response["UnprocessedAccounts"].empty()) {
      return MakeError(ErrorCode::kIo, fmt::format("{}: unprocessed accounts: {}", c.target,
                                                   response["UnprocessedAccounts"].dump()));
    }
    out.applied = true;
    VIGIL_TRY(out.after, ReadState(c));
    out.message = fmt::format("ran {}", fmt::join(argv, " "));
    return out;
  }

  Result<Verification> Verify(const PlannedChange& c, const ActionOutcome&) override {
    VIGIL_TRY(json now, ReadState(c));
    const std::string op = c.detail.value("op", "");
    Verification v;
    std::string got;
    if (op == "update-organization-configuration") {
      got = now.value("auto_enable", "");
      v.verdict = (got == "ALL" || got == "NEW") ? Verdict::kFixed : Verdict::kNotFixed;
      v.reason = fmt::format("organization AutoEnable for EKS_AUDIT_LOGS is {}",
                             got.empty() ? "unset" : got);
      return v;
    }
    got = now.value("status", "");
    v.verdict = got == "ENABLED" ? Verdict::kFixed : Verdict::kNotFixed;
    v.reason = fmt::format("{}: EKS_AUDIT_LOGS is {}", c.target, got.empty() ? "unknown" : got);
    return v;
  }

  Result<ActionOutcome> Rollback(const PlannedChange& c, const ActionOutcome& applied) override {
    const std::string op = c.detail.value("op", "");
    const json& params = c.detail.contains("params") ? c.detail["params"] : json::object();
    const std::string region = c.detail.value("region", "");
    const std::string detector = c.detail.value("detector_id", "");
    std::vector<std::string> argv = AwsBase(params);
    if (op == "update-organization-configuration") {
      const std::string prev = applied.before.value("auto_enable", "NONE");
      argv.insert(argv.end(), {"guardduty", "update-organization-configuration", "--region", region,
                               "--detector-id", detector, "--features",
                               fmt::format(R"([{{"Name":"EKS_AUDIT_LOGS","AutoEnable":"{}"}}])",
                                           prev.empty() ? "NONE" : prev)});
    } else {
      if (applied.before.value("status", "") == "ENABLED") {
        ActionOutcome out;
        out.message = "it was already enabled before: nothing to undo";
        out.after = applied.before;
        return out;
      }
      if (op == "update-member-detectors") {
        argv.insert(argv.end(), {"guardduty", "update-member-detectors", "--region", region,
                                 "--detector-id", detector, "--account-ids",
                                 c.detail.value("member", ""), "--features",
                                 std::string(kDisableFeature)});
      } else {
        argv.insert(argv.end(), {"guardduty", "update-detector", "--region", region,
                                 "--detector-id", detector, "--features",
                                 std::string(kDisableFeature)});
      }
    }
    VIGIL_TRY(json response, RunAws(runner_, argv));
    (void)response;
    ActionOutcome out;
    out.applied = true;
    out.before = applied.after;
    VIGIL_TRY(out.after, ReadState(c));
    out.message = fmt::format("ran {}", fmt::join(argv, " "));
    return out;
  }

 private:
  // The state a change touches: {"status": ...} for a detector or member, {"auto_enable": ...}
  // for the organization configuration.
  Result<json> ReadState(const PlannedChange& c) {
    const std::string op = c.detail.value("op", "");
    const json& params = c.detail.contains("params") ? c.detail["params"] : json::object();
    const std::string region = c.detail.value("region", "");
    const std::string detector = c.detail.value("detector_id", "");
    std::vector<std::string> argv = AwsBase(params);
    if (op == "update-detector") {
      argv.insert(argv.end(),
                  {"guardduty", "get-detector", "--region", region, "--detector-id", detector});
      VIGIL_TRY(json doc, RunAws(runner_, argv));
      return json{{"status", EksAuditStatus(doc)}};
    }
    if (op == "update-member-detectors") {
      const std::string member = c.detail.value("member", "");
      argv.insert(argv.end(), {"guardduty", "get-member-detectors", "--region", region,
                               "--detector-id", detector, "--account-ids", member});
      VIGIL_TRY(json doc, RunAws(runner_, argv));
      if (doc.contains("MemberDataSourceConfigurations") &&
          doc["MemberDataSourceConfigurations"].is_array()) {
        for (const auto& m : doc["MemberDataSourceConfigurations"]) {
          if (Str(m, "AccountId") == member)
            return json{{"status", EksAuditStatus(m)}};
        }
      }
      return json{{"status", ""}};
    }
    argv.insert(argv.end(), {"guardduty", "describe-organization-configuration", "--region",
                             region, "--detector-id", detector});
    VIGIL_TRY(json doc, RunAws(runner_, argv));
    std::string auto_enable;
    if (doc.contains("Features") && doc["Features"].is_array()) {
      for (const auto& f : doc["Features"]) {
        if (Str(f, "Name") == "EKS_AUDIT_LOGS") auto_enable = Str(f, "AutoEnable");
      }
    }
    return json{{"auto_enable", auto_enable},
                {"auto_enable_organization_members", Str(doc, "AutoEnableOrganizationMembers")}};
  }

  controls::CommandRunner& runner_;
};

// "arn:aws:eks:us-east-1:111122223333:cluster/prod" → region, account, name.
struct ClusterRef {
  std::string region, account, name;
};
Result<ClusterRef> ClusterOf(const findings::Finding& f) {
  if (!f.compliance) return MakeError(ErrorCode::kInvalidArgument, "not a control finding");
  static const std::regex kArn(R"(^arn:[a-z-]+:eks:([a-z0-9-]+):(\d{12}):cluster/(.+)$)");
  std::smatch m;
  const std::string& id = f.compliance->resource_id;
  if (!std::regex_match(id, m, kArn)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("resource '{}' is not an EKS cluster ARN", id));
  }
  return ClusterRef{m[1], m[2], m[3]};
}

class EksAuditLogging final : public ActionExecutor {
 public:
  explicit EksAuditLogging(controls::CommandRunner& runner) : runner_(runner) {}
  std::string_view kind() const override { return "aws.eks.enable-audit-logging"; }
  bool mutating() const override { return true; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& f,
                                          const json& params) override {
    if (!f.compliance || f.compliance->control_id != "EKS.8") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "aws.eks.enable-audit-logging fixes EKS.8 findings only");
    }
    VIGIL_TRY(ClusterRef c, ClusterOf(f));
    std::vector<std::string> argv = AwsBase(params);
    argv.insert(argv.end(), {"eks", "update-cluster-config", "--region", c.region, "--name",
                             c.name, "--logging", std::string(kEnableAuditLogging)});
    return std::vector<PlannedChange>{
        {std::string(kind()), f.compliance->resource_id,
         fmt::format("enable the audit log type of EKS cluster {} ({}); other log types stay as "
                     "they are",
                     c.name, c.region),
         {{"argv", argv}, {"region", c.region}, {"name", c.name}, {"params", params}}}};
  }

  Result<ActionOutcome> Apply(const PlannedChange& c, bool dry_run) override {
    VIGIL_TRY(const std::vector<std::string> argv, ChangeArgv(c));
    if (dry_run) return DryRun(argv);
    ActionOutcome out;
    VIGIL_TRY(out.before, ReadLogging(c));
    VIGIL_TRY(json response, RunAws(runner_, argv));
    (void)response;
    out.applied = true;
    VIGIL_TRY(out.after, ReadLogging(c));
    out.message = fmt::format("ran {}", fmt::join(argv, " "));
    return out;
  }

  Result<Verification> Verify(const PlannedChange& c, const ActionOutcome&) override {
    VIGIL_TRY(json now, ReadLogging(c));
    Verification v;
    v.verdict = now.value("audit", false) ? Verdict::kFixed : Verdict::kNotFixed;
    v.reason = fmt::format("cluster {}: audit logging is {}", c.detail.value("name", ""),
                           now.value("audit", false) ? "enabled" : "not enabled");
    // Updates are asynchronous (the cluster shows status UPDATING): not yet is not a failure.
    if (v.verdict == Verdict::kNotFixed && now.value("cluster_status", "") == "UPDATING")
      v.verdict = Verdict::kUnknown;
    return v;
  }

  Result<ActionOutcome> Rollback(const PlannedChange& c, const ActionOutcome& applied) override {
    ActionOutcome out;
    if (applied.before.value("audit", false)) {
      out.message = "audit logging was already enabled before: nothing to undo";
      out.after = applied.before;
      return out;
    }
    const json& params = c.detail.contains("params") ? c.detail["params"] : json::object();
    std::vector<std::string> argv = AwsBase(params);
    argv.insert(argv.end(), {"eks", "update-cluster-config", "--region",
                             c.detail.value("region", ""), "--name", c.detail.value("name", ""),
                             "--logging", std::string(kDisableAuditLogging)});
    VIGIL_TRY(json response, RunAws(runner_, argv));
    (void)response;
    out.applied = true;
    out.before = applied.after;
    VIGIL_TRY(out.after, ReadLogging(c));
    out.message = fmt::format("ran {}", fmt::join(argv, " "));
    return out;
  }

 private:
  // {"audit": bool, "types": {type: enabled}, "cluster_status": ...}
  Result<json> ReadLogging(const PlannedChange& c) {
    const json& params = c.detail.contains("params") ? c.detail["params"] : json::object();
    std::vector<std::string> argv = AwsBase(params);
    argv.insert(argv.end(), {"eks", "describe-cluster", "--region", c.detail.value("region", ""),
                             "--name", c.detail.value("name", "")});
    VIGIL_TRY(json doc, RunAws(runner_, argv));
    json types = json::object();
    bool audit = false;
    const json* cluster = doc.is_object() && doc.contains("cluster") ? &doc["cluster"] : nullptr;
    if (cluster != nullptr && cluster->is_object() && cluster->contains("logging") &&
        (*cluster)["logging"].is_object() && (*cluster)["logging"].contains("clusterLogging") &&
        (*cluster)["logging"]["clusterLogging"].is_array()) {
      for (const auto& e : (*cluster)["logging"]["clusterLogging"]) {
        if (!e.is_object() || !e.contains("types") || !e["types"].is_array()) continue;
        const bool enabled = e.contains("enabled") && e["enabled"].is_boolean() &&
                             e["enabled"].get<bool>();
        for (const auto& t : e["types"]) {
          if (!t.is_string()) continue;
          types[t.get<std::string>()] = enabled;
          if (enabled && t.get<std::string>() == "audit") audit = true;
        }
      }
    }
    return json{{"audit", audit},
                {"types", types},
                {"cluster_status", cluster != nullptr ? Str(*cluster, "status") : ""}};
  }

  controls::CommandRunner& runner_;
};

class CommandAction final : public ActionExecutor {
 public:
  explicit CommandAction(controls::CommandRunner& runner) : runner_(runner) {}
  std::string_view kind() const override { return "command"; }
  // Whatever the program does is unknown to vigil: treat it as a change.
  bool mutating() const override { return true; }

  Result<std::vector<PlannedChange>> Plan(const findings::Finding& f,
                                          const json& params) override {
    if (!params.contains("argv") || !params["argv"].is_array() || params["argv"].empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "command: 'argv' must be a non-empty list (the program and its arguments)");
    }
    std::vector<std::string> argv;
    for (const auto& a : params["argv"]) {
      if (!a.is_string()) return MakeError(ErrorCode::kInvalidArgument, "command: argv: strings only");
      argv.push_back(a.get<std::string>());
    }
    return std::vector<PlannedChange>{
        {"command", f.id,
         fmt::format("run {} with finding {} as JSON on standard input", argv[0], f.id),
         {{"argv", argv}, {"finding_id", f.id}, {"stdin", FindingInput(f)}}}};
  }

  Result<ActionOutcome> Apply(const PlannedChange& c, bool dry_run) override {
    VIGIL_TRY(const std::vector<std::string> argv, ChangeArgv(c));
    if (dry_run) return DryRun(argv);
    ActionOutcome out;
    const std::string input = c.detail.contains("stdin") ? c.detail["stdin"].dump() : "{}";
    VIGIL_TRY(controls::CommandResult r, runner_.RunWithInput(argv, input));
    if (r.exit_code != 0) {
      return MakeError(ErrorCode::kIo, fmt::format("{} exited with {}: {}", argv[0], r.exit_code,
                                                   r.err.substr(0, 2000)));
    }
    out.applied = true;
    out.after = {{"stdout", r.out.substr(0, 4000)}};
    out.message = fmt::format("{} exited with 0", argv[0]);
    return out;
  }

  Result<Verification> Verify(const PlannedChange&, const ActionOutcome& o) override {
    // The program's exit status is all vigil knows; it re-checks on the next evaluation.
    return Verification{o.applied ? Verdict::kFixed : Verdict::kUnknown,
                        o.applied ? "the program exited with 0" : "not run"};
  }

  Result<ActionOutcome> Rollback(const PlannedChange&, const ActionOutcome&) override {
    return MakeError(ErrorCode::kUnsupported, "a command action cannot be undone by vigil");
  }

 private:
  // The finding as the program sees it: the fields people script against that identify it.
  static json FindingInput(const findings::Finding& f) {
    json j = {{"id", f.id},
              {"type", f.type},
              {"rule", f.rule},
              {"title", f.title},
              {"severity", findings::SeverityName(f.severity)},
              {"description", f.description},
              {"cluster", f.cluster},
              {"account", f.account},
              {"region", f.region},
              {"principal", f.principal.username},
              {"namespace", f.resource.ns},
              {"resource", f.resource.resource},
              {"name", f.resource.name}};
    // No counters or times: they change on every repeat, and the input is part of what an
    // approval's hash covers.
    if (f.compliance) {
      j["control"] = f.compliance->control_id;
      j["compliance_status"] = findings::ComplianceStatusName(f.compliance->status);
      j["resource_id"] = f.compliance->resource_id;
      j["reasons"] = f.compliance->reasons;
    }
    return j;
  }

  controls::CommandRunner& runner_;
};

}  // namespace

Result<GuardDutyTarget> GuardDutyTargetOf(const findings::Finding& f) {
  if (!f.compliance || f.compliance->control_id != "GuardDuty.5") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "aws.guardduty.enable-eks-audit-logs fixes GuardDuty.5 findings only");
  }
  static const std::regex kArn(
      R"(^arn:([a-z-]+):guardduty:([a-z0-9-]+):(\d{12}):detector/([A-Za-z0-9]+)$)");
  std::smatch m;
  const std::string& id = f.compliance->resource_id;
  if (!std::regex_match(id, m, kArn)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("resource '{}' is not a GuardDuty detector ARN", id));
  }
  GuardDutyTarget t{m[1], m[2], m[3], m[4], false, {}, false};
  static const std::regex kMember(R"(^member (\d{12}) )");
  for (const std::string& r : f.compliance->reasons) {
    std::smatch mm;
    if (r.rfind("account " + t.account + " ", 0) == 0) t.own_failing = true;
    if (std::regex_search(r, mm, kMember)) {
      t.failing_members.push_back(mm[1]);
      t.is_admin = true;
    }
    if (r.find("organization auto-enable") != std::string::npos ||
        r.find("delegated administrator") != std::string::npos ||
        r.rfind("members ", 0) == 0) {
      t.is_admin = true;
    }
  }
  return t;
}

std::unique_ptr<ActionExecutor> MakeGuardDutyEksAuditAction(controls::CommandRunner& runner) {
  return std::make_unique<GuardDutyEksAudit>(runner);
}
std::unique_ptr<ActionExecutor> MakeEksAuditLoggingAction(controls::CommandRunner& runner) {
  return std::make_unique<EksAuditLogging>(runner);
}
std::unique_ptr<ActionExecutor> MakeCommandAction(controls::CommandRunner& runner) {
  return std::make_unique<CommandAction>(runner);
}

}  // namespace vigil::remediate
