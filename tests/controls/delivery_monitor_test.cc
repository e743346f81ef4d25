// DeliveryMonitor (KubeAudit.4): a cluster that sent events and then fell silent longer than the
// window fails HIGH ("audit log delivery stopped"); resumed events pass, and the store resolves
// the finding. Times are passed in (no sleeping).
#include "controls/delivery_monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "controls/controls_test_util.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::controls {
namespace {

using findings::ComplianceStatus;
using findings::Severity;
using ::testing::HasSubstr;
using namespace vigil::controls::testing;

constexpr UnixNanos kT0 = 1'764'000'000'000'000'000;
constexpr UnixNanos kMinute = 60LL * 1'000'000'000;

TEST(DeliveryMonitorTest, UnknownClustersAreNeverReported) {
  DeliveryMonitor monitor({.window_seconds = 600});
  EXPECT_TRUE(monitor.Evaluate(kT0).empty());
  EXPECT_TRUE(monitor.Current(kT0 + 60 * kMinute).empty());
}

TEST(DeliveryMonitorTest, SilenceLongerThanTheWindowFailsHighAndResumingPasses) {
  DeliveryMonitor monitor({.window_seconds = 600});
  monitor.Observe("prod", kT0);
  auto first = monitor.Evaluate(kT0 + kMinute);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(StatusOf(first[0]), ComplianceStatus::kPassed);
  EXPECT_EQ(first[0].cluster, "prod");
  EXPECT_EQ(first[0].compliance->control_id, "KubeAudit.4");

  // Within the window: nothing changed.
  EXPECT_TRUE(monitor.Evaluate(kT0 + 10 * kMinute).empty());
  // Beyond it: FAILED, HIGH, once.
  auto failed = monitor.Evaluate(kT0 + 11 * kMinute);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(StatusOf(failed[0]), ComplianceStatus::kFailed);
  EXPECT_EQ(failed[0].severity, Severity::kHigh);
  EXPECT_THAT(ReasonsOf(failed[0]), HasSubstr("audit log delivery stopped: no audit events from "
                                              "cluster prod for 11m"));
  EXPECT_THAT(ReasonsOf(failed[0]), HasSubstr("window 10m"));
  EXPECT_TRUE(monitor.Evaluate(kT0 + 30 * kMinute).empty());

  monitor.Observe("prod", kT0 + 31 * kMinute);
  auto resumed = monitor.Evaluate(kT0 + 31 * kMinute);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(StatusOf(resumed[0]), ComplianceStatus::kPassed);
  EXPECT_EQ(resumed[0].id, failed[0].id);
}

// A JetStream worker that hands a cluster's partition to another worker forgets it: the silence
// that follows here is the other worker's traffic, not a delivery failure.
TEST(DeliveryMonitorTest, AForgottenClusterIsNotReportedSilent) {
  DeliveryMonitor monitor({.window_seconds = 600});
  monitor.Observe("prod", kT0);
  monitor.Observe("dev", kT0);
  ASSERT_EQ(monitor.Evaluate(kT0 + kMinute).size(), 2u);
  monitor.Forget("prod");
  monitor.Forget("never-seen");
  auto later = monitor.Evaluate(kT0 + 20 * kMinute);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].cluster, "dev");
  EXPECT_EQ(StatusOf(later[0]), ComplianceStatus::kFailed);
  EXPECT_EQ(monitor.Current(kT0 + 20 * kMinute).size(), 1u);
  // Taken back later: watched again from its next events.
  monitor.Observe("prod", kT0 + 21 * kMinute);
  auto back = monitor.Evaluate(kT0 + 21 * kMinute);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].cluster, "prod");
  EXPECT_EQ(StatusOf(back[0]), ComplianceStatus::kPassed);
}

TEST(DeliveryMonitorTest, ClustersAreIndependentAndAClockStepBackIsNotSilence) {
  DeliveryMonitor monitor({.window_seconds = 60});
  monitor.Observe("a", kT0);
  monitor.Observe("b", kT0);
  monitor.Evaluate(kT0);
  monitor.Observe("b", kT0 + 2 * kMinute);
  auto changes = monitor.Evaluate(kT0 + 2 * kMinute);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].cluster, "a");
  EXPECT_EQ(StatusOf(changes[0]), ComplianceStatus::kFailed);
  // An evaluation time before b's last event is "just now" for b.
  auto current = monitor.Current(kT0 + kMinute);
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(StatusOf(current[1]), ComplianceStatus::kPassed);
}

TEST(DeliveryMonitorTest, StoreResolvesTheFindingWhenEventsResume) {
  auto store = store::SqliteFindingStore::Open(":memory:");
  ASSERT_TRUE(store.has_value());
  DeliveryMonitor monitor({.window_seconds = 300});
  monitor.Observe("prod", kT0);
  ASSERT_TRUE((*store)->Upsert(monitor.Evaluate(kT0), kT0).has_value());
  auto failed = monitor.Evaluate(kT0 + 10 * kMinute);
  ASSERT_EQ(failed.size(), 1u);
  ASSERT_TRUE((*store)->Upsert(failed, kT0 + 10 * kMinute).has_value());
  EXPECT_EQ((*store)->Get(failed[0].id)->workflow, findings::WorkflowStatus::kNew);
  monitor.Observe("prod", kT0 + 12 * kMinute);
  ASSERT_TRUE(
      (*store)->Upsert(monitor.Evaluate(kT0 + 12 * kMinute), kT0 + 12 * kMinute).has_value());
  auto resolved = (*store)->Get(failed[0].id);
  EXPECT_EQ(resolved->workflow, findings::WorkflowStatus::kResolved);
  EXPECT_EQ(resolved->compliance->status, ComplianceStatus::kPassed);
}

TEST(DeliveryMonitorTest, ObserveFromManyThreads) {
  DeliveryMonitor monitor({.window_seconds = 60});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&monitor, t] {
      for (int i = 0; i < 1000; ++i) {
        monitor.Observe("cluster-" + std::to_string(i % 8), kT0 + t * 1000 + i);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(monitor.Evaluate(kT0 + 10'000).size(), 8u);
}

}  // namespace
}  // namespace vigil::controls
