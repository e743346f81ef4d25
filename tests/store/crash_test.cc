// Durability with a real crash (STYLE.md): a child process upserts continuously and is killed
// with SIGKILL mid-stream; the store must open cleanly, every committed batch must be whole, and
// replaying the input from the start (as a source does when its acknowledgement was lost) must
// neither drop nor double a single event.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Observation;
using findings::testing::kSampleNow;
using findings::testing::MakeObservation;
using testing::OpenOrDie;
using testing::RawQuery;
using testing::Scan;
using testing::TempDir;

constexpr int kBatches = 100000;  // far more than the child gets through before it is killed
constexpr int kPerBatch = 5;

std::vector<Observation> BatchInput(int batch) {
  std::vector<Observation> obs;
  for (int i = 0; i < kPerBatch; ++i) {
    const int n = batch * kPerBatch + i;
    // Two findings, so a batch touches several rows.
    obs.push_back(
        MakeObservation("r", n % 2 == 0 ? "alice" : "bob", "e" + std::to_string(n), n + 1));
  }
  return obs;
}

TEST(SqliteCrashTest, KillDashNineNeitherDropsNorDoubles) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: no gtest assertions, just write until killed.
    auto store = SqliteFindingStore::Open(path);
    if (!store) _exit(2);
    for (int b = 0; b < kBatches; ++b) {
      if (!(*store)->Upsert(Scan(BatchInput(b)), kSampleNow + b)) _exit(3);
    }
    _exit(0);
  }
  // Wait until it has committed a few batches (WAL: reading does not disturb it), then kill it
  // mid-write.
  {
    auto watcher = OpenOrDie(path);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      auto page = watcher->List({.limit = 0});
      std::uint64_t seen = 0;
      if (page) {
        for (const auto& f : page->findings) seen += f.count;
      }
      if (seen >= 20 * kPerBatch) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited by itself with " << WEXITSTATUS(status);

  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawQuery(path, "PRAGMA integrity_check"), "ok");
  auto page = store->List({.limit = 0});
  ASSERT_TRUE(page.has_value());
  std::uint64_t committed = 0;
  for (const auto& f : page->findings) {
    // Counts and the event ledger were committed together.
    EXPECT_EQ(static_cast<std::int64_t>(f.count), *store->EventCount(f.id));
    committed += f.count;
  }
  ASSERT_GT(committed, 0u) << "the child committed nothing in 30 s";
  EXPECT_EQ(committed % kPerBatch, 0u) << "a batch was half committed";

  // Replay from the beginning, past where the child stopped.
  const int replayed = static_cast<int>(committed / kPerBatch) + 3;
  for (int b = 0; b < replayed; ++b) {
    ASSERT_TRUE(store->Upsert(Scan(BatchInput(b)), kSampleNow + kBatches).has_value());
  }
  std::uint64_t total = 0;
  const auto after = store->List({.limit = 0});
  for (const auto& f : after->findings) total += f.count;
  EXPECT_EQ(total, static_cast<std::uint64_t>(replayed * kPerBatch));
}

}  // namespace
}  // namespace vigil::store
