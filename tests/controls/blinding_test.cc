// Detections link to the failing controls that would blind them (controls/blinding.h).
#include "controls/blinding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controls/controls_test_util.h"
#include "controls/evaluate.h"
#include "controls/kube_audit.h"
#include "findings/encode/asff.h"
#include "findings/encode/json.h"
#include "findings/encode/ocsf.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::controls {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using namespace vigil::controls::testing;

constexpr UnixNanos kT0 = 1'764'000'000'000'000'000;

findings::Finding Detection(std::string account, std::string region, std::string cluster) {
  findings::Finding d;
  d.id = "det-" + cluster + "-" + account;
  d.rule = "Exec in kube-system pod";
  d.type = "Execution:Kubernetes/ExecInKubeSystemPod";
  d.account = std::move(account);
  d.region = std::move(region);
  d.cluster = std::move(cluster);
  d.count = 1;
  return d;
}

std::vector<findings::Finding> Controls(std::string_view fixture) {
  auto r = EvaluateSnapshot(FixtureSnapshot(fixture), {}, kT0);
  EXPECT_TRUE(r.has_value());
  return r ? std::move(*r) : std::vector<findings::Finding>{};
}

std::string IdOf(const std::vector<findings::Finding>& all,
                 std::string_view control,
                 std::string_view account,
                 std::string_view region,
                 std::string_view cluster = "") {
  return OneResult(all, control, account, region, cluster).id;
}

TEST(BlindingTest, SameAccountGuardDuty5AndSameClusterEks8) {
  auto controls = Controls("eks_clusters");
  auto gd = Controls("standalone_disabled");
  controls.insert(controls.end(), gd.begin(), gd.end());
  std::vector<findings::Finding> detections = {
      Detection("111122223333", "us-east-2", "audit-off"),
      Detection("111122223333", "us-east-2", "audit-on"),
      Detection("999999999999", "us-east-1", "audit-off"),
  };
  LinkBlindingControls(controls, detections);
  // GuardDuty.5 fails in us-east-1 only; the detection is in us-east-2.
  EXPECT_THAT(detections[0].related_findings,
              ElementsAre(IdOf(controls, "EKS.8", "111122223333", "us-east-2", "audit-off")));
  EXPECT_THAT(detections[1].related_findings, IsEmpty());
  EXPECT_THAT(detections[2].related_findings, IsEmpty());  // another account's cluster

  std::vector<findings::Finding> same_region = {Detection("111122223333", "us-east-1", "x")};
  LinkBlindingControls(controls, same_region);
  EXPECT_THAT(same_region[0].related_findings,
              ElementsAre(IdOf(controls, "GuardDuty.5", "111122223333", "us-east-1")));
}

TEST(BlindingTest, AFailingMemberOfADelegatedAdministratorIsLinked) {
  auto controls = Controls("org_member_disabled");
  std::vector<findings::Finding> detections = {Detection("444455556666", "us-east-1", "c"),
                                               Detection("111122223333", "us-east-1", "c")};
  LinkBlindingControls(controls, detections);
  EXPECT_THAT(detections[0].related_findings,
              ElementsAre(IdOf(controls, "GuardDuty.5", "555555555555", "us-east-1")));
  EXPECT_THAT(detections[1].related_findings, IsEmpty());
}

TEST(BlindingTest, AuditPolicyAndDeliveryControlsLinkByCluster) {
  ApiServerFlags flags{"kube-apiserver.flags", {{"v", "2"}}};
  auto controls = EvaluateKubeAudit(flags, {.cluster = "lab", .policy_file = ""}, kT0);
  std::vector<findings::Finding> detections = {Detection("", "", "lab"), Detection("", "", "prod")};
  LinkBlindingControls(controls, detections);
  // KubeAudit.1 and .3 fail; .2 (retention) does not blind detection.
  EXPECT_THAT(detections[0].related_findings,
              UnorderedElementsAre(OneResult(controls, "KubeAudit.1").id,
                                   OneResult(controls, "KubeAudit.3").id));
  EXPECT_THAT(detections[1].related_findings, IsEmpty());
}

TEST(BlindingTest, LinksComeFromTheStoreAndShowInEveryFormat) {
  auto store = store::SqliteFindingStore::Open(":memory:");
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->Upsert(Controls("eks_clusters"), kT0).has_value());
  std::vector<findings::Finding> detections = {
      Detection("111122223333", "us-east-2", "split-logging")};
  ASSERT_TRUE((*store)->Upsert(detections, kT0).has_value());
  auto stored = (*store)->Get(detections[0].id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_THAT(stored->related_findings, IsEmpty());  // not stored: computed when read
  std::vector<findings::Finding> read = {*stored};
  ASSERT_TRUE(LinkBlindingControls(**store, read).has_value());
  ASSERT_EQ(read[0].related_findings.size(), 1u);
  const std::string id = read[0].related_findings[0];
  EXPECT_EQ(findings::FindingToJson(read[0])["related_findings"][0], id);
  EXPECT_EQ(findings::FindingToAsff(read[0])["ProductFields"]["vigil/RelatedFindings"], id);
  EXPECT_EQ(findings::FindingToOcsf(read[0])["finding_info"]["related_events"][0]["uid"], id);

  // Suppressing the control finding removes the link.
  ASSERT_TRUE(
      (*store)
          ->SetWorkflowStatus(id, findings::WorkflowStatus::kSuppressed, "alice", "", kT0 + 1)
          .has_value());
  ASSERT_TRUE(LinkBlindingControls(**store, read).has_value());
  EXPECT_THAT(read[0].related_findings, IsEmpty());
}

}  // namespace
}  // namespace vigil::controls
