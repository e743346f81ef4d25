// The issue's "How it is checked" scenarios for GitHub and AWS, end to end below the CLI: real
// SQLite files, real HTTP to a fake GitHub on loopback, a fake `aws` program recording argv.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "remediate/journal.h"
#include "temp_dir.h"
#include "remediate/remediate_test_util.h"

namespace vigil::remediate::testing {
namespace {

constexpr UnixNanos kT0 = 1'790'000'000'000'000'000;  // 2026-09-21
constexpr UnixNanos kMinute = 60'000'000'000;

std::string GuardDutyPlaybook(std::string_view mode, std::string_view extra = "") {
  return fmt::format(R"(
remediation:
  comment_interval: 1h
  flap_window: 1h
  trackers:
    github: {{type: github, repository: acme/infra}}
  playbooks:
    - name: guardduty5
      mode: {}
      match: {{control: GuardDuty.5}}
      actions:
        - aws.guardduty.enable-eks-audit-logs: {{aws: "@AWS@"}}
{}
)",
                     mode, extra);
}

std::string Failing() { return Example("snapshots/demo"); }
std::string Passing() { return Example("snapshots/guardduty5-passing"); }
std::string Org() { return Example("snapshots/guardduty5-org"); }

const PlanRecord* PlanFor(const RunReport& r, std::string_view playbook) {
  for (const PlanRecord& p : r.plans)
    if (p.playbook == playbook) return &p;
  return nullptr;
}

TEST(RemediationScenarioTest, StandaloneDryRunOpensOneIssueWithTheRequiredFieldsAndPlansTheFix) {
  World w(GuardDutyPlaybook("dry-run"));
  RunReport r = w.RunSnapshot(Failing(), kT0);
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  const auto& body = issues[0].body;
  EXPECT_NE(issues[0].title.find("GuardDuty.5"), std::string::npos) << issues[0].title;
  EXPECT_NE(body.find("| Finding ID | `"), std::string::npos);
  EXPECT_NE(body.find("arn:aws:guardduty:us-east-1:111122223333:detector/"
                      "12abc34d567e8fa901bc2d34e56789f0"),
            std::string::npos);
  EXPECT_NE(body.find("| Severity | HIGH |"), std::string::npos);
  EXPECT_NE(body.find("| Remediation type | auto-remediation"), std::string::npos);
  EXPECT_NE(body.find("| Created | "), std::string::npos);
  EXPECT_NE(body.find("### Description"), std::string::npos);
  EXPECT_NE(body.find("### Remediation"), std::string::npos);
  EXPECT_NE(body.find("automatically created by vigil's auto-remediation"), std::string::npos);
  EXPECT_NE(body.find("<!-- vigil-finding: "), std::string::npos);
  EXPECT_NE(std::find(issues[0].labels.begin(), issues[0].labels.end(), "vigil"),
            issues[0].labels.end());

  const PlanRecord* plan = PlanFor(r, "guardduty5");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->state, PlanState::kPlanned);
  ASSERT_EQ(plan->changes.size(), 1u);
  const std::vector<std::string> argv = plan->changes[0]["detail"]["argv"];
  EXPECT_EQ(argv, (std::vector<std::string>{w.aws_, "guardduty", "update-detector", "--region",
                                            "us-east-1", "--detector-id",
                                            "12abc34d567e8fa901bc2d34e56789f0", "--features",
                                            R"([{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}])"}));
  // Dry run: the aws CLI was not asked to change anything.
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 0u);
  // The plan is on the ticket too.
  ASSERT_FALSE(issues[0].comments.empty());
  EXPECT_NE(issues[0].comments.back().find(plan->hash), std::string::npos);
  EXPECT_NE(issues[0].comments.back().find("Dry run"), std::string::npos);
}

TEST(RemediationScenarioTest, ARerunOpensNoDuplicateAndMakesNoSecondPlan) {
  World w(GuardDutyPlaybook("dry-run"));
  w.RunSnapshot(Failing(), kT0);
  w.Reopen();  // a second process
  RunReport again = w.RunSnapshot(Failing(), kT0 + 10 * kMinute);
  EXPECT_EQ(w.github_.issues().size(), 1u);
  EXPECT_EQ(w.github_.CountRequests("POST", "/repos/acme/infra/issues"), 2u)  // create + plan
      << "one create and one plan comment, nothing more";
  EXPECT_TRUE(again.plans.empty());
  PlanQuery q;
  EXPECT_EQ(w.state_->ListPlans(q)->plans.size(), 1u);
}

TEST(RemediationScenarioTest, PlanModeWritesNothingAndSaysWhatWouldHappen) {
  World w(GuardDutyPlaybook("dry-run"));
  RunReport r = w.RunSnapshot(Failing(), kT0, /*execute=*/false);
  EXPECT_TRUE(w.github_.requests().empty());
  EXPECT_TRUE(w.Journal().empty());
  ASSERT_EQ(r.tickets.size(), 1u);
  EXPECT_EQ(r.tickets[0].op, "open");
  ASSERT_EQ(r.plans.size(), 1u);
  const std::string text = ReportText(r);
  EXPECT_NE(text.find("1 to open"), std::string::npos) << text;
  EXPECT_NE(text.find("update-detector"), std::string::npos) << text;
  EXPECT_NE(text.find(r.plans[0].hash), std::string::npos);
  EXPECT_EQ(ReportJson(r)["plans"][0]["hash"], r.plans[0].hash);
}

TEST(RemediationScenarioTest, AutoAppliesThenClosesOnlyAfterTheControlPassesAndReopensTheSameIssue) {
  World w(GuardDutyPlaybook("auto"));
  RunReport r1 = w.RunSnapshot(Failing(), kT0);
  const PlanRecord* plan = PlanFor(r1, "guardduty5");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->state, PlanState::kApplied);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 1u);
  EXPECT_EQ(ReadText(w.aws_state_ + "/detector"), "ENABLED\n");
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].state, "open") << "applied is not verified: the issue stays open";

  // The next snapshot shows the control PASSED: verified, RESOLVED, closed.
  w.RunSnapshot(Passing(), kT0 + 30 * kMinute);
  issues = w.github_.issues();
  EXPECT_EQ(issues[0].state, "closed");
  EXPECT_EQ(issues[0].state_reason, "completed");
  EXPECT_NE(issues[0].comments.back().find("PASSED"), std::string::npos);
  auto f = w.findings_->List({});
  ASSERT_TRUE(f.has_value());
  bool resolved = false;
  for (const auto& x : f->findings)
    resolved = resolved || (x.compliance && x.compliance->control_id == "GuardDuty.5" &&
                            x.workflow == findings::WorkflowStatus::kResolved);
  EXPECT_TRUE(resolved);
  bool verified = false;
  for (const JournalEntry& e : w.Journal())
    verified = verified || (e.kind == "verification" && e.detail.value("verdict", "") == "fixed");
  EXPECT_TRUE(verified);

  // Failing again (within the flap window): the same issue reopens; automation stops.
  RunReport r3 = w.RunSnapshot(Failing(), kT0 + 40 * kMinute);
  issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u) << "no second issue";
  EXPECT_EQ(issues[0].state, "open");
  bool flapping = false;
  for (const RunNote& n : r3.notes) flapping = flapping || n.kind == "flapping";
  EXPECT_TRUE(flapping);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 1u) << "no action while flapping";
}

TEST(RemediationScenarioTest, FailingAgainAfterTheFlapWindowReopensAndActsAgain) {
  World w(GuardDutyPlaybook("auto"));
  w.RunSnapshot(Failing(), kT0);
  w.RunSnapshot(Passing(), kT0 + 10 * kMinute);
  ::remove((w.aws_state_ + "/detector").c_str());
  w.RunSnapshot(Failing(), kT0 + 3 * 60 * kMinute);
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].state, "open");
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 2u);
}

TEST(RemediationScenarioTest, ApproveModeWaitsForAnApprovalBoundToThePlanHash) {
  World w(GuardDutyPlaybook("approve"));
  RunReport r = w.RunSnapshot(Failing(), kT0);
  const PlanRecord* plan = PlanFor(r, "guardduty5");
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(plan->state, PlanState::kAwaitingApproval);
  EXPECT_GT(plan->expires_at, kT0);
  const std::string id = plan->id, hash = plan->hash;
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 0u);

  Engine e = w.MakeEngine();
  auto wrong = e.Approve(id, std::string(64, '0'), "", "alice", kT0 + kMinute);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->kind, ApprovalOutcome::Kind::kHashMismatch);
  w.RunSnapshot(Failing(), kT0 + 2 * kMinute);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 0u) << "a wrong hash approves nothing";

  auto ok = e.Approve(id, hash, "looks right", "alice", kT0 + 3 * kMinute);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->kind, ApprovalOutcome::Kind::kApproved);
  w.RunSnapshot(Failing(), kT0 + 4 * kMinute);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 1u);
  EXPECT_EQ(w.state_->GetPlan(id)->state, PlanState::kApplied);
  auto twice = e.Approve(id, hash, "", "alice", kT0 + 5 * kMinute);
  EXPECT_EQ(twice->kind, ApprovalOutcome::Kind::kNotAwaiting);
}

TEST(RemediationScenarioTest, AnApprovalExpires) {
  World w(GuardDutyPlaybook("approve", "  approval_ttl: 1h\n"));
  RunReport r = w.RunSnapshot(Failing(), kT0);
  ASSERT_EQ(r.plans.size(), 1u);
  Engine e = w.MakeEngine();
  auto late = e.Approve(r.plans[0].id, r.plans[0].hash, "", "bob", kT0 + 25 * 60 * kMinute);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->kind, ApprovalOutcome::Kind::kExpired);
}

TEST(RemediationScenarioTest, TheApproveFixLabelApprovesThePendingPlan) {
  World w(GuardDutyPlaybook("approve"));
  w.RunSnapshot(Failing(), kT0);
  w.github_.AddLabel(1, "approve-fix");
  w.RunSnapshot(Failing(), kT0 + kMinute);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 1u);
}

TEST(RemediationScenarioTest, AnOrganizationWithTwoFailingMembersGetsOneIssueAndMemberFixes) {
  World w(GuardDutyPlaybook("dry-run"));
  RunReport r = w.RunSnapshot(Org(), kT0);
  ASSERT_EQ(w.github_.issues().size(), 1u);
  EXPECT_NE(w.github_.issues()[0].body.find("999988887777"), std::string::npos);
  ASSERT_EQ(r.plans.size(), 1u);
  const auto& changes = r.plans[0].changes;
  ASSERT_EQ(changes.size(), 3u) << changes.dump(2);
  EXPECT_EQ(changes[0]["detail"]["op"], "update-organization-configuration");
  EXPECT_EQ(changes[1]["detail"]["member"], "222233334444");
  EXPECT_EQ(changes[2]["detail"]["member"], "333344445555");
  const std::vector<std::string> argv = changes[1]["detail"]["argv"];
  EXPECT_EQ(argv, (std::vector<std::string>{w.aws_, "guardduty", "update-member-detectors",
                                            "--region", "us-east-1", "--detector-id",
                                            "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "--account-ids",
                                            "222233334444", "--features",
                                            R"([{"Name":"EKS_AUDIT_LOGS","Status":"ENABLED"}])"}));
}

TEST(RemediationScenarioTest, OrganizationFixesAppliedInAutoModeAndRolledBack) {
  World w(GuardDutyPlaybook("auto"));
  RunReport r = w.RunSnapshot(Org(), kT0);
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_EQ(r.plans[0].state, PlanState::kApplied);
  EXPECT_EQ(ReadText(w.aws_state_ + "/member-222233334444"), "ENABLED\n");
  EXPECT_EQ(ReadText(w.aws_state_ + "/org-auto-enable"), "ALL\n");
  // Roll back the first member's change: it was DISABLED before.
  std::string member_action;
  for (const JournalEntry& e : w.Journal()) {
    if (e.kind == "result" && member_action.empty()) {
      auto a = w.state_->GetAction(e.action_id);
      if (a && a->change["detail"].value("member", "") == "222233334444") member_action = a->id;
    }
  }
  ASSERT_FALSE(member_action.empty());
  Engine e = w.MakeEngine();
  auto rb = e.Rollback(member_action, "alice", kT0 + kMinute);
  ASSERT_TRUE(rb.has_value()) << rb.error().ToString();
  EXPECT_EQ(rb->kind, "rollback");
  EXPECT_EQ(ReadText(w.aws_state_ + "/member-222233334444"), "DISABLED\n");
  auto again = e.Rollback(member_action, "alice", kT0 + 2 * kMinute);
  EXPECT_FALSE(again.has_value());
}

TEST(RemediationScenarioTest, TheAttemptCapEscalatesAndStopsActing) {
  World w(GuardDutyPlaybook("auto", "  attempt_cap: 2\n"));
  std::ofstream(w.aws_state_ + "/fail") << "1";
  for (int run = 0; run < 4; ++run) w.RunSnapshot(Failing(), kT0 + run * 2 * 60 * kMinute);
  EXPECT_EQ(CountAwsOp(w.aws_state_, "update-detector"), 2u) << "two attempts, then a human";
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  bool escalated = false;
  for (const auto& c : issues[0].comments)
    escalated = escalated || c.find("Escalation") != std::string::npos;
  EXPECT_TRUE(escalated);
  EXPECT_EQ(w.state_->CountEscalated().value(), 1u);
}

TEST(RemediationScenarioTest, AFixThatDoesNotPassTheRecheckEscalates) {
  World w(GuardDutyPlaybook("auto"));
  w.RunSnapshot(Failing(), kT0);
  RunReport r = w.RunSnapshot(Failing(), kT0 + 2 * 60 * kMinute);  // still FAILED
  bool escalated = false;
  for (const RunNote& n : r.notes) escalated = escalated || n.kind == "escalated";
  EXPECT_TRUE(escalated);
  bool not_fixed = false;
  for (const JournalEntry& e : w.Journal())
    not_fixed = not_fixed ||
                (e.kind == "verification" && e.detail.value("verdict", "") == "not_fixed");
  EXPECT_TRUE(not_fixed);
}

TEST(RemediationScenarioTest, TheTrackerDownIsRetriedAndNothingIsLostOrDuplicated) {
  World w(GuardDutyPlaybook("dry-run"), /*max_attempts=*/3);
  w.github_.FailNext(2);  // two 500s, then it answers
  w.RunSnapshot(Failing(), kT0);
  EXPECT_EQ(w.github_.issues().size(), 1u);
  EXPECT_GE(w.waits_.size(), 2u) << "backed off between attempts";
  EXPECT_LT(w.waits_[0], w.waits_[1]) << "exponential backoff";
}

TEST(RemediationScenarioTest, ALongOutageLeavesNoTicketThenOneOnRecovery) {
  World w(GuardDutyPlaybook("dry-run"), /*max_attempts=*/3);
  w.github_.FailNext(1000);
  RunReport down = w.RunSnapshot(Failing(), kT0);
  ASSERT_EQ(down.tickets.size(), 1u);
  EXPECT_TRUE(down.tickets[0].failed);
  EXPECT_TRUE(w.github_.issues().empty());
  w.github_.FailNext(0);
  w.RunSnapshot(Failing(), kT0 + kMinute);
  w.RunSnapshot(Failing(), kT0 + 2 * kMinute);
  EXPECT_EQ(w.github_.issues().size(), 1u);
}

TEST(RemediationScenarioTest, ACreateWhoseAnswerWasLostIsFoundByItsMarker) {
  World w(GuardDutyPlaybook("dry-run"), /*max_attempts=*/1);
  w.github_.LoseNextCreateAnswer();
  w.RunSnapshot(Failing(), kT0);
  ASSERT_EQ(w.github_.issues().size(), 1u) << "the create happened on the server";
  w.RunSnapshot(Failing(), kT0 + kMinute);
  EXPECT_EQ(w.github_.issues().size(), 1u) << "found by the marker, not created again";
}

TEST(RemediationScenarioTest, TimeoutsAreRetried) {
  World w(GuardDutyPlaybook("dry-run"));
  w.github_.StallNext(1, std::chrono::milliseconds(1500));  // past the 500 ms client timeout
  w.RunSnapshot(Failing(), kT0);
  EXPECT_EQ(w.github_.issues().size(), 1u);
  EXPECT_FALSE(w.waits_.empty());
}

TEST(RemediationScenarioTest, ALostStoreIsRebuiltFromTheTrackerWithoutDuplicates) {
  World w(GuardDutyPlaybook("dry-run"));
  w.github_.AddNoise(150);  // the marker search has to page
  w.RunSnapshot(Failing(), kT0);
  ASSERT_EQ(w.github_.issues().size(), 151u);
  w.Reopen(w.dir_.File("fresh.db"));
  RunReport r = w.RunSnapshot(Failing(), kT0 + kMinute);
  EXPECT_EQ(w.github_.issues().size(), 151u);
  ASSERT_FALSE(r.tickets.empty());
  EXPECT_EQ(r.tickets[0].op, "rebuild");
  EXPECT_EQ(r.tickets[0].key, "151");
  // The first run searched both pages (no marker yet) by following the Link header.
  bool paged = false;
  for (const auto& req : w.github_.requests())
    paged = paged || (req.method == "GET" && req.path.find("page=2") != std::string::npos);
  EXPECT_TRUE(paged);
}

TEST(RemediationScenarioTest, ClosingWithAcceptedRiskSuppressesTheFinding) {
  World w(GuardDutyPlaybook("dry-run"));
  w.RunSnapshot(Failing(), kT0);
  w.github_.CloseWithLabel(1, "accepted-risk");
  RunReport r = w.RunSnapshot(Failing(), kT0 + kMinute);
  auto issues = w.github_.issues();
  EXPECT_EQ(issues[0].state, "closed") << "not reopened";
  auto list = w.findings_->List({});
  bool suppressed = false;
  for (const auto& f : list->findings)
    suppressed = suppressed || (f.compliance && f.compliance->control_id == "GuardDuty.5" &&
                                f.workflow == findings::WorkflowStatus::kSuppressed);
  EXPECT_TRUE(suppressed);
  w.RunSnapshot(Failing(), kT0 + 2 * kMinute);
  EXPECT_EQ(w.github_.issues()[0].state, "closed");
}

TEST(RemediationScenarioTest, PassedControlsOpenNoTicket) {
  World w(GuardDutyPlaybook("auto"));
  RunReport r = w.RunSnapshot(Passing(), kT0);
  EXPECT_TRUE(w.github_.issues().empty());
  EXPECT_TRUE(r.plans.empty());
}


findings::Finding Detection(std::string id, std::string ns, findings::Severity severity) {
  findings::Finding f;
  f.id = std::move(id);
  f.rule = "Privileged container deployed";
  f.type = "PrivilegeEscalation:Kubernetes/PrivilegedContainer";
  f.title = "A workload was launched with a privileged container";
  f.severity = severity;
  f.cluster = "prod-eks";
  f.count = 1;
  f.first_seen = f.last_seen = kT0;
  f.principal.username = "mallory";
  f.resource.resource = "pods";
  f.resource.ns = std::move(ns);
  f.resource.name = "miner";
  return f;
}

std::string CommandPlaybook(std::string_view extra, const std::string& marker_file) {
  return fmt::format(R"(
remediation:
  trackers:
    github: {{type: github, repository: acme/infra}}
  playbooks:
    - name: quarantine
      mode: auto
      rate_limit_per_hour: 1
      match: {{type: "PrivilegeEscalation:*"}}
      actions:
        - command: {{argv: [/bin/sh, -c, "cat >> {}"]}}
{}
)",
                     marker_file, extra);
}

TEST(RemediationScenarioTest, AProtectedNamespaceIsRefusedAndTheTicketSaysWhy) {
  tests::TempDir tmp;
  const std::string ran = tmp.File("ran");
  World w(CommandPlaybook("", ran));
  RunReport r = w.RunFindings({Detection("d1", "kube-system", findings::Severity::kHigh)}, kT0,
                              true);
  EXPECT_FALSE(std::filesystem::exists(ran)) << "nothing ran";
  bool refused = false;
  for (const RunNote& n : r.notes)
    refused = refused || (n.kind == "refused" && n.text.find("kube-system") != std::string::npos);
  EXPECT_TRUE(refused);
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  ASSERT_FALSE(issues[0].comments.empty());
  EXPECT_NE(issues[0].comments.back().find("namespace 'kube-system' is protected"),
            std::string::npos)
      << issues[0].comments.back();
  // Not refused again (and not re-commented) on the next run.
  w.RunFindings({Detection("d1", "kube-system", findings::Severity::kHigh)}, kT0 + kMinute, true);
  EXPECT_EQ(w.github_.issues()[0].comments.size(), issues[0].comments.size())
      << w.github_.issues()[0].comments.back();
}

TEST(RemediationScenarioTest, ThePlaybookRateLimitEscalatesInsteadOfActing) {
  tests::TempDir tmp;
  const std::string ran = tmp.File("ran");
  World w(CommandPlaybook("", ran));
  RunReport r = w.RunFindings({Detection("d1", "default", findings::Severity::kHigh),
                               Detection("d2", "apps", findings::Severity::kHigh)},
                              kT0, true);
  EXPECT_EQ(ReadText(ran).size() > 0, true);
  // One action ran (limit 1 per hour); the second finding's was not applied and escalated.
  std::size_t applied = 0;
  bool limited = false;
  for (const PlanRecord& p : r.plans) applied += p.state == PlanState::kApplied;
  for (const RunNote& n : r.notes) limited = limited || n.kind == "rate_limited";
  EXPECT_EQ(applied, 1u);
  EXPECT_TRUE(limited);
  bool escalation_comment = false;
  for (const auto& issue : w.github_.issues())
    for (const auto& c : issue.comments)
      escalation_comment = escalation_comment || c.find("rate limit reached") != std::string::npos;
  EXPECT_TRUE(escalation_comment);
  // An hour later the limit allows it.
  RunReport later = w.RunFindings({Detection("d2", "apps", findings::Severity::kHigh)},
                                  kT0 + 61 * kMinute, true);
  ASSERT_EQ(later.plans.size(), 1u);
  EXPECT_EQ(later.plans[0].state, PlanState::kApplied);
}

TEST(RemediationScenarioTest, TheGlobalCapHoldsAcrossPlaybooks) {
  tests::TempDir tmp;
  const std::string ran = tmp.File("ran");
  World w(CommandPlaybook("  global_cap_per_hour: 1\n", ran));
  w.config_.playbooks[0].rate_limit_per_hour = 100;
  RunReport r = w.RunFindings({Detection("d1", "default", findings::Severity::kHigh),
                               Detection("d2", "apps", findings::Severity::kHigh)},
                              kT0, true);
  bool capped = false;
  for (const RunNote& n : r.notes)
    capped = capped || n.text.find("global cap reached") != std::string::npos;
  EXPECT_TRUE(capped);
}

TEST(RemediationScenarioTest, LowAndInformationalDetectionsOpenNoTicketByDefault) {
  tests::TempDir tmp;
  World w(CommandPlaybook("", tmp.File("ran")));
  w.RunFindings({Detection("d1", "default", findings::Severity::kLow),
                 Detection("d2", "default", findings::Severity::kInformational)},
                kT0, true);
  EXPECT_TRUE(w.github_.issues().empty());
  EXPECT_FALSE(std::filesystem::exists(tmp.File("ran")));
}

TEST(RemediationScenarioTest, InformationalGetsATicketOnlyWhenAPlaybookAsksAndNeverAFix) {
  tests::TempDir tmp;
  World w(CommandPlaybook("", tmp.File("ran")));
  w.config_.playbooks[0].ticket = TicketPolicy::kAlways;
  w.RunFindings({Detection("d2", "default", findings::Severity::kInformational)}, kT0, true);
  EXPECT_EQ(w.github_.issues().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(tmp.File("ran")));
}

TEST(RemediationScenarioTest, AVerifiedDetectionFixIsResolvedAndClosed) {
  tests::TempDir tmp;
  World w(CommandPlaybook("", tmp.File("ran")));
  w.RunFindings({Detection("d1", "default", findings::Severity::kHigh)}, kT0, true);
  auto issues = w.github_.issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].state, "closed");
  EXPECT_EQ(w.findings_->Get("d1")->workflow, findings::WorkflowStatus::kResolved);
}

TEST(RemediationScenarioTest, TheJournalChainsEveryStepAndATamperedEntryIsNamed) {
  World w(GuardDutyPlaybook("auto"));
  w.RunSnapshot(Failing(), kT0);
  w.RunSnapshot(Passing(), kT0 + kMinute);
  auto entries = w.Journal();
  ASSERT_GE(entries.size(), 5u);
  EXPECT_TRUE(VerifyJournal(entries).ok);
  std::set<std::string> kinds;
  for (const auto& e : entries) kinds.insert(e.kind);
  for (const char* k : {"ticket", "plan", "action", "result", "verification"})
    EXPECT_TRUE(kinds.count(k)) << k;
  ASSERT_TRUE(w.state_->database()
                  .Exec("UPDATE remediation_journal SET detail = '{\"ok\":true}' WHERE seq = 3")
                  .has_value());
  auto check = VerifyJournal(*w.state_->ListJournal(0, 0, ""));
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.bad_seq, 3);
  ASSERT_TRUE(w.state_->database().Exec("DELETE FROM remediation_journal WHERE seq = 2").has_value());
  check = VerifyJournal(*w.state_->ListJournal(0, 0, ""));
  EXPECT_EQ(check.bad_seq, 3);
}

}  // namespace
}  // namespace vigil::remediate::testing
