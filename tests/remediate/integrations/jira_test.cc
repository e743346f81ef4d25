// JiraTracker against FakeJira (loopback HTTPS): open/find/comment/close/reopen, pagination and a
// copied label, a 500 burst and a create answered with 500 after it happened (no duplicate), 429
// with Retry-After, and Jira's own error bodies in the errors vigil reports.
#include "remediate/jira.h"

#include <gtest/gtest.h>

#include <mutex>

#include "remediate/integrations/fake_jira.h"

namespace vigil::remediate::testing {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// The marker, written here as the format interfaces.h fixes (TicketMarker belongs to the engine).
std::string Marker(const std::string& id) { return "<!-- vigil-finding: " + id + " -->"; }

TicketContent Content(const std::string& id, findings::Severity severity = findings::Severity::kHigh) {
  TicketContent c;
  c.finding_id = id;
  c.title = "GuardDuty.5: EKS Audit Log Monitoring is disabled in 111122223333";
  c.body = "## Finding\n\n**Severity:** HIGH\n\n- resource: `arn:aws:guardduty:eu-west-1:111122223333:detector/abc`\n"
           "- remediation: [docs](https://docs.aws.amazon.com/guardduty/)\n\n"
           "This issue was automatically created by vigil's auto-remediation.\n\n" + Marker(id);
  c.severity = severity;
  c.labels = {"guardduty"};
  return c;
}

class JiraTest : public ::testing::Test {
 protected:
  JiraTest() : ca_("jira-ca"), jira_(ca_, "bot@example.com", "api-token-xyz") {}

  JiraOptions Options() {
    JiraOptions o;
    o.http.base_url = jira_.url();
    o.http.ca_pem = ca_.cert_pem();
    o.http.retry.initial_backoff = milliseconds(10);
    o.http.sleep = [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mu_);
      waits_.push_back(d);
    };
    o.project_key = "SEC";
    o.labels = {"vigil"};
    o.close_transition = "Done";
    o.reopen_transition = "Reopen";
    o.email = "bot@example.com";
    o.api_token = "api-token-xyz";
    return o;
  }
  std::unique_ptr<JiraTracker> Tracker(JiraOptions o) {
    auto t = JiraTracker::Create(std::move(o));
    EXPECT_TRUE(t) << t.error().ToString();
    return std::move(*t);
  }

  TestCa ca_;
  FakeJira jira_;
  std::mutex mu_;
  std::vector<milliseconds> waits_;
};

TEST_F(JiraTest, OpensFindsCommentsClosesAndReopensOneIssue) {
  auto jira = Tracker(Options());
  auto none = jira->FindByFinding("f-1");
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_FALSE(none->has_value());

  auto opened = jira->Open(Content("f-1"));
  ASSERT_TRUE(opened) << opened.error().ToString();
  EXPECT_EQ(opened->key, "SEC-1");
  EXPECT_EQ(opened->url, jira_.url() + "/browse/SEC-1");
  EXPECT_EQ(opened->state, TicketState::kOpen);
  const json stored = jira_.issue("SEC-1");
  EXPECT_EQ(stored["priority"], "High");
  EXPECT_EQ(stored["labels"], json({"vigil", "guardduty", "vigil-finding-f-1"}));
  const std::string description = stored["description"];
  EXPECT_NE(description.find("vigil-finding: f-1"), std::string::npos) << description;
  EXPECT_EQ(description.find("<!--"), std::string::npos) << description;
  EXPECT_NE(description.find("h2. Finding"), std::string::npos) << description;
  EXPECT_NE(description.find("[docs|https://docs.aws.amazon.com/guardduty/]"), std::string::npos);

  auto found = jira->FindByFinding("f-1");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->key, "SEC-1");

  ASSERT_TRUE(jira->Comment(*opened, "Seen again: **3** more events"));
  EXPECT_EQ(jira_.issue("SEC-1")["comments"].back(), "Seen again: *3* more events");

  ASSERT_TRUE(jira->Close(*opened, "Verified: the control PASSED."));
  auto closed = jira->Fetch(*opened);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, TicketState::kClosed);
  EXPECT_EQ(closed->closed_reason, "Verified: the control PASSED.");
  // Closing again is a comment, not an error.
  ASSERT_TRUE(jira->Close(*opened, "still fixed"));

  ASSERT_TRUE(jira->Reopen(*opened, "Failed again"));
  auto reopened = jira->Fetch(*opened);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->state, TicketState::kOpen);
  EXPECT_EQ(jira_.issue_count(), 1u);
  EXPECT_EQ((*jira->FindByFinding("f-1"))->key, "SEC-1");
}

TEST_F(JiraTest, SearchPagesThroughResultsAndIgnoresALabelCopiedByHand) {
  jira_.set_max_results_cap(1);
  jira_.AddIssue("someone's copy", "copied the label, not the finding", {"vigil-finding-f-2"});
  auto jira = Tracker(Options());
  auto opened = jira->Open(Content("f-2"));
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->key, "SEC-2");
  auto found = jira->FindByFinding("f-2");
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->key, "SEC-2");
  bool second_page = false;
  for (const auto& r : jira_.requests()) {
    if (r.path == "/rest/api/2/search" && r.start_at == "1") second_page = true;
  }
  EXPECT_TRUE(second_page);
}

TEST_F(JiraTest, RetriesThroughA500BurstAndACommittedCreateIsNotDuplicated) {
  auto jira = Tracker(Options());
  jira_.FailNext(3);
  auto opened = jira->Open(Content("f-3"));
  ASSERT_TRUE(opened) << opened.error().ToString();
  EXPECT_EQ(jira_.creates(), 1u);

  jira_.CommitThenFailNextCreate();
  auto second = jira->Open(Content("f-4"));
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(jira_.creates(), 2u) << "the create that answered 500 was found, not repeated";
  EXPECT_EQ(jira_.issue_count(), 2u);
  EXPECT_EQ((*jira->FindByFinding("f-4"))->key, second->key);
  EXPECT_FALSE(waits_.empty());
}

TEST_F(JiraTest, A429WaitsAsRetryAfterSays) {
  auto jira = Tracker(Options());
  jira_.RateLimitNext(3);
  auto r = jira->FindByFinding("f-5");
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(waits_.size(), 1u);
  EXPECT_EQ(waits_[0], milliseconds(3000));
}

TEST_F(JiraTest, JirasErrorBodiesReachTheErrorAndTheTokenDoesNot) {
  auto o = Options();
  o.project_key = "NOPE";
  o.issue_type = "Epic";
  auto jira = Tracker(o);
  auto opened = jira->Open(Content("f-6"));
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("HTTP 400"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("project: valid project is required"), std::string::npos);
  EXPECT_NE(opened.error().message.find("issuetype: Specify a valid issue type"), std::string::npos);
  EXPECT_EQ(jira_.creates(), 0u);

  auto bad = Options();
  bad.api_token = "wrong-token-secret";
  auto denied = Tracker(bad)->FindByFinding("f-6");
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("HTTP 401: You are not authenticated"), std::string::npos)
      << denied.error().message;
  EXPECT_EQ(denied.error().message.find("wrong-token-secret"), std::string::npos);
}

TEST_F(JiraTest, AnUnknownTransitionNamesTheAvailableOnes) {
  auto o = Options();
  o.close_transition = "Archive";
  auto jira = Tracker(o);
  auto opened = jira->Open(Content("f-7"));
  ASSERT_TRUE(opened);
  auto closed = jira->Close(*opened, "fixed");
  ASSERT_FALSE(closed);
  EXPECT_NE(closed.error().message.find("no transition named 'Archive'"), std::string::npos);
  EXPECT_NE(closed.error().message.find("Start Progress, Resolve"), std::string::npos)
      << closed.error().message;
}

TEST(JiraOptionsTest, AuthMustBeExactlyOneKind) {
  JiraOptions o;
  o.http.base_url = "https://example.atlassian.net";
  o.project_key = "SEC";
  EXPECT_FALSE(JiraTracker::Create(o));
  o.email = "a@b";
  EXPECT_FALSE(JiraTracker::Create(o));
  o.api_token = "t";
  EXPECT_TRUE(JiraTracker::Create(o));
  o.bearer_token = "p";
  EXPECT_FALSE(JiraTracker::Create(o));
}

TEST(MarkdownToJiraWikiTest, ConvertsWhatTicketBodiesUse) {
  EXPECT_EQ(MarkdownToJiraWiki("# Title\n**b** `c` [t](https://x/y)\n- item\n" + Marker("id-1")),
            "h1. Title\n*b* {{c}} [t|https://x/y]\n* item\nvigil-finding: id-1");
}

}  // namespace
}  // namespace vigil::remediate::testing
