// `vigil controls report`: what the store holds about each control, for auditors.
#include "controls/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "controls/controls_test_util.h"
#include "controls/evaluate.h"
#include "controls/kube_audit.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::controls {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace vigil::controls::testing;

constexpr UnixNanos kT0 = 1'764'000'000'000'000'000;  // 2025-11-24T16:00:00Z
constexpr UnixNanos kHour = 3600LL * 1'000'000'000;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::SqliteFindingStore::Open(":memory:");
    ASSERT_TRUE(opened.has_value());
    store_ = std::move(*opened);
    Store("standalone_disabled", kT0);
    Store("standalone_enabled", kT0 + kHour);
    // A detection finding in the same store is not part of the report.
    findings::Finding detection;
    detection.id = "detection-1";
    detection.rule = "Terminal shell in container";
    detection.type = "Execution:Kubernetes/ExecInKubeSystemPod";
    detection.count = 1;
    ASSERT_TRUE(store_->Upsert({&detection, 1}, kT0).has_value());
    auto rows = LoadReport(*store_);
    ASSERT_TRUE(rows.has_value()) << rows.error().message;
    rows_ = std::move(*rows);
  }
  void Store(std::string_view fixture, UnixNanos now) {
    auto results = EvaluateSnapshot(FixtureSnapshot(fixture), {}, now);
    ASSERT_TRUE(results.has_value());
    ASSERT_TRUE(store_->Upsert(*results, now).has_value());
  }
  std::unique_ptr<store::SqliteFindingStore> store_;
  std::vector<ReportRow> rows_;
};

TEST_F(ReportTest, OneRowPerControlAndResourceInControlOrder) {
  ASSERT_EQ(rows_.size(), 10u);  // GuardDuty.1 and .5–.13 for one account and region
  EXPECT_EQ(rows_[0].finding.compliance->control_id, "GuardDuty.1");
  EXPECT_EQ(rows_[1].finding.compliance->control_id, "GuardDuty.5");
  EXPECT_EQ(rows_[9].finding.compliance->control_id, "GuardDuty.13");
  const ReportRow& gd5 = rows_[1];
  EXPECT_EQ(gd5.finding.compliance->status, findings::ComplianceStatus::kPassed);
  EXPECT_EQ(gd5.finding.compliance->status_since, kT0 + kHour);
  ASSERT_EQ(gd5.history.size(), 2u);
  EXPECT_EQ(gd5.history[0].status, findings::ComplianceStatus::kFailed);
  // GuardDuty.1 never changed: one history entry.
  EXPECT_EQ(rows_[0].history.size(), 1u);
}

TEST_F(ReportTest, JsonHasStatusSinceEvidenceAndHistory) {
  std::ostringstream out;
  WriteReportJson(out, rows_, kT0 + 2 * kHour);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["summary"]["PASSED"], 10);
  const auto& gd5 = j["results"][1];
  EXPECT_EQ(gd5["control"], "GuardDuty.5");
  EXPECT_EQ(gd5["status"], "PASSED");
  EXPECT_EQ(gd5["status_since"], "2025-11-24T17:00:00Z");
  EXPECT_EQ(gd5["workflow_status"], "RESOLVED");
  EXPECT_THAT(gd5["evidence"][0]["file"].get<std::string>(), HasSubstr("get-detector-"));
  EXPECT_EQ(gd5["history"][0]["status"], "FAILED");
  EXPECT_EQ(gd5["history"][0]["at"], "2025-11-24T16:00:00Z");
}

TEST_F(ReportTest, MarkdownHasASectionPerControlAndTheHistory) {
  std::ostringstream out;
  WriteReportMarkdown(out, rows_, kT0 + 2 * kHour);
  const std::string md = out.str();
  EXPECT_THAT(md,
              HasSubstr("## GuardDuty.5 — GuardDuty EKS Audit Log Monitoring should be enabled"));
  EXPECT_THAT(
      md, HasSubstr("| 111122223333/us-east-1 | PASSED | INFORMATIONAL | 2025-11-24T17:00:00Z |"));
  EXPECT_THAT(
      md, HasSubstr("| GuardDuty.5 | 111122223333/us-east-1 | 2025-11-24T16:00:00Z | FAILED |"));
  EXPECT_THAT(md, Not(HasSubstr("ExecInKubeSystemPod")));
}

TEST_F(ReportTest, HtmlEscapesWhatTheInputsSaid) {
  auto results = EvaluateKubeAudit(ApiServerFlags{"<script>.flags", {{"v", "2"}}},
                                   {.cluster = "<b>lab</b>", .policy_file = ""}, kT0);
  ASSERT_TRUE(store_->Upsert(results, kT0).has_value());
  auto rows = LoadReport(*store_);
  ASSERT_TRUE(rows.has_value());
  std::ostringstream out;
  WriteReportHtml(out, *rows, kT0);
  const std::string html = out.str();
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;lab&lt;/b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>lab")));
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, HasSubstr("<h2>KubeAudit.1"));
}

}  // namespace
}  // namespace vigil::controls
