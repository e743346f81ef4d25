// "Nothing acknowledged is lost": `vigil serve` is killed with SIGKILL at 20+ random points while a
// client posts EventList batches of 400; the client re-posts every batch it has no 200 for (as the
// API server does) after each restart. The findings afterwards — ids and counts — must equal a
// clean run over the same batches.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <random>

#include "server/serve_process.h"
#include "store/finding_store.h"

namespace vigil::server::testing {
namespace {

// Posts batches from `next` on, in order, advancing `next` past each one answered 200; stops at
// the first failure (the server died) or when `stop` is set.
void PostFrom(int port,
              const std::vector<std::string>& batches,
              std::atomic<size_t>& next,
              const std::atomic<bool>& stop) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(30);
  cli.set_connection_timeout(2);
  while (!stop && next < batches.size()) {
    auto r = cli.Post("/k8s-audit?cluster=prod", batches[next], "application/json");
    if (!r || r->status != 200) return;
    ++next;
  }
}

TEST(ServeKillTest, KillNineAtTwentyRandomPointsLosesAndDoublesNothing) {
  TempDir dir;
  auto batches = GeneratedBatches(dir, 32000, "0.01", 7);
  if (batches.empty()) GTEST_SKIP() << "vigil_gen_audit is not built (VIGIL_BUILD_BENCH=OFF)";

  // The clean run.
  const std::string clean_db = dir.File("clean.db");
  {
    ServeProcess p({"--listen", "127.0.0.1:0", "--db", clean_db}, dir.File("clean.log"));
    auto port = p.WaitForPort();
    ASSERT_TRUE(port) << p.log();
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    PostFrom(*port, batches, next, stop);
    ASSERT_EQ(next, batches.size());
    p.Signal(SIGTERM);
    ASSERT_EQ(p.Wait(std::chrono::seconds(30)), 0);
  }
  const auto clean = StoredCounts(clean_db);
  ASSERT_FALSE(clean.empty());

  // The same batches, with kill -9 at random moments. The kill points are spread so that each
  // falls while batches are still being posted; the seed is printed for reproduction.
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  // A kill point: after 0-2 more batches are acknowledged, plus 0-3 ms (so some kills land while a
  // batch is being read, evaluated or committed, and some between batches).
  std::uniform_int_distribution<size_t> more_acks(0, 2);
  std::uniform_int_distribution<int> delay_us(0, 3000);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const std::string db = dir.File("killed.db");
  std::atomic<size_t> next{0};
  int kills = 0;
  int kills_mid_stream = 0;
  while (next < batches.size()) {
    ServeProcess p({"--listen", "127.0.0.1:0", "--db", db}, dir.File("killed.log"));
    auto port = p.WaitForPort();
    ASSERT_TRUE(port) << p.log();
    std::atomic<bool> stop{false};
    const size_t before = next;
    std::thread client([&] { PostFrom(*port, batches, next, stop); });
    if (kills < 20) {
      const size_t target = std::min(batches.size(), before + more_acks(rng));
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (next < target && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
      p.Signal(SIGKILL);
      ASSERT_TRUE(p.Wait(std::chrono::seconds(10)).has_value());
      ++kills;
      if (next < batches.size()) ++kills_mid_stream;
      client.join();
    } else {
      client.join();
      p.Signal(SIGTERM);
      ASSERT_EQ(p.Wait(std::chrono::seconds(30)), 0);
    }
  }
  EXPECT_EQ(kills, 20);
  EXPECT_EQ(kills_mid_stream, 20) << "every kill should land before the input is done";
  const auto after = StoredCounts(db);
  EXPECT_EQ(after.size(), clean.size());
  for (const auto& [id, count] : clean) {
    auto it = after.find(id);
    if (it == after.end()) {
      ADD_FAILURE() << "finding " << id << " lost";
      continue;
    }
    EXPECT_EQ(it->second, count) << "finding " << id << " count differs";
  }
}

}  // namespace
}  // namespace vigil::server::testing
