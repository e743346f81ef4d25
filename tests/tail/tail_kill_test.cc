// The whole chain under real crashes: tail_driver tails a live audit log into a real SQLite
// findings store while a writer appends realistic traffic with attacks (bench's vigil_gen_audit),
// splits lines across writes and rotates the file (lumberjack rename, rename + gzip, logrotate
// copytruncate). The driver is killed with SIGKILL at 24 random points and restarted each time.
// Afterwards the store's findings (ids and counts) must equal what `vigil scan --db` stores for
// the same events: no gap, no duplicate.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/tail_offsets.h"
#include "tail/tail_test_util.h"

namespace vigil::ingest {
namespace {

using testing::Append;
using testing::LogrotateCopyTruncate;
using testing::Gzip;
using testing::LumberjackName;
using testing::ReadAll;
using testing::TempDir;

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::map<std::string, std::uint64_t> FindingCounts(const std::string& db) {
  std::map<std::string, std::uint64_t> out;
  auto store = store::SqliteFindingStore::Open(db);
  EXPECT_TRUE(store.has_value()) << db;
  if (!store) return out;
  auto page = (*store)->List({.limit = 0});
  EXPECT_TRUE(page.has_value());
  for (const auto& f : page->findings) out[f.id] = f.count;
  return out;
}

TEST(TailKillTest, KilledAtRandomPointsTheFindingsEqualAScanOfTheSameEvents) {
  const std::string gen = VIGIL_GEN_AUDIT;
  if (gen.empty())
    GTEST_SKIP() << "vigil_gen_audit is not built (configure with VIGIL_BUILD_BENCH=ON)";
  TempDir dir;
  const std::string input = dir.File("input.jsonl");
  const std::string log = dir.File("driver.log");
  ASSERT_EQ(
      Wait(Spawn({gen, "--events", "30000", "--attack-rate", "0.02", "--seed", "11", "-o", input},
                 log)),
      0)
      << ReadAll(log);
  const std::string data = ReadAll(input);
  ASSERT_GT(data.size(), 1000000u);

  const std::string path = dir.File("audit.log");
  const std::string db = dir.File("tail.db");
  std::atomic<bool> writer_done{false};
  std::mt19937 rng(20261126);
  std::thread writer([&] {
    std::mt19937 wrng(7);
    std::size_t pos = 0;
    std::size_t since_rotation = 0;
    int kind = 0;
    int copies = 0;
    while (pos < data.size()) {
      // 1 .. 48 KiB per write, cut anywhere (mid-line too), about 8 s for the whole input.
      const std::size_t n = std::min<std::size_t>(data.size() - pos, 1 + wrng() % (48 << 10));
      Append(path, data.substr(pos, n));
      pos += n;
      since_rotation += n;
      if (since_rotation > (3u << 20) && data[pos - 1] == '\n') {
        since_rotation = 0;
        switch (kind++ % 3) {
          case 0:
            ASSERT_EQ(rename(path.c_str(), LumberjackName(dir, "audit.log").c_str()), 0);
            break;
          case 1: {
            const std::string backup = LumberjackName(dir, "audit.log");
            ASSERT_EQ(rename(path.c_str(), backup.c_str()), 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(wrng() % 200));
            Gzip(backup, backup + ".gz");  // --audit-log-compress
            break;
          }
          default:
            LogrotateCopyTruncate(dir, path, copies);
            break;
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(wrng() % 12000));
    }
    writer_done = true;
  });

  const std::vector<std::string> driver = {
      VIGIL_TAIL_DRIVER, "--db", db, "--follow", path, "--poll-ms", "20", "--chunk-bytes", "65536"};
  int kills = 0;
  while (kills < 24 || !writer_done) {
    const pid_t pid = Spawn(driver, log);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 600));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    ASSERT_EQ(Wait(pid), 128 + SIGKILL) << ReadAll(log);
    ++kills;
  }
  writer.join();
  // The last run reads what is left and exits.
  ASSERT_EQ(Wait(Spawn({VIGIL_TAIL_DRIVER, "--db", db, "--follow", path, "--until-idle"}, log)), 0)
      << ReadAll(log);
  EXPECT_GE(kills, 20);

  // The reference: `vigil scan` over the same events, into its own store.
  const std::string scan_db = dir.File("scan.db");
  ASSERT_EQ(Wait(Spawn({VIGIL_BIN, "scan", "-q", "--no-progress", "--no-sequences", "--format", "json", "-o",
                        dir.File("scan.json"), "--db", scan_db, input},
                       dir.File("scan.log"))),
            0)
      << ReadAll(dir.File("scan.log"));
  const auto want = FindingCounts(scan_db);
  const auto got = FindingCounts(db);
  ASSERT_GT(want.size(), 5u) << "the generated traffic should hold attacks";
  EXPECT_EQ(got, want);
  const std::string driver_log = ReadAll(log);
  // Nothing was skipped: no lost checkpoint, no dropped line.
  EXPECT_EQ(driver_log.find("checkpoint-lost"), std::string::npos) << driver_log;
  EXPECT_EQ(driver_log.find("partial-line"), std::string::npos) << driver_log;
  std::cerr << "killed " << kills << " times; " << got.size() << " findings\n";
}

TEST(TailKillTest, ReReadingLinesWhoseOffsetWasNotSavedChangesNoFinding) {
  const std::string gen = VIGIL_GEN_AUDIT;
  if (gen.empty())
    GTEST_SKIP() << "vigil_gen_audit is not built (configure with VIGIL_BUILD_BENCH=ON)";
  TempDir dir;
  const std::string path = dir.File("audit.log");
  const std::string db = dir.File("tail.db");
  const std::string log = dir.File("driver.log");
  ASSERT_EQ(
      Wait(Spawn({gen, "--events", "5000", "--attack-rate", "0.05", "--seed", "3", "-o", path},
                 log)),
      0);
  const std::vector<std::string> driver = {
      VIGIL_TAIL_DRIVER, "--db", db, "--follow", path, "--until-idle", "--chunk-bytes", "100000"};
  ASSERT_EQ(Wait(Spawn(driver, log)), 0) << ReadAll(log);
  const auto first = FindingCounts(db);
  ASSERT_FALSE(first.empty());
  // The offset is lost (a crash after the findings' commit and before the offset's save, taken to
  // the extreme): every line is read and committed again.
  {
    auto offsets = store::SqliteTailOffsets::Open(db);
    ASSERT_TRUE(offsets.has_value());
    ASSERT_TRUE((*offsets)->Forget(path).has_value());
  }
  ASSERT_EQ(Wait(Spawn(driver, log)), 0) << ReadAll(log);
  EXPECT_NE(ReadAll(log).find("\"lines\":5000"), std::string::npos) << ReadAll(log);
  EXPECT_EQ(FindingCounts(db), first);
}

TEST(TailKillTest, ARestartBetweenTwoStagesOfARequestCountsItOnce) {
  const std::string gen = VIGIL_GEN_AUDIT;
  if (gen.empty())
    GTEST_SKIP() << "vigil_gen_audit is not built (configure with VIGIL_BUILD_BENCH=ON)";
  TempDir dir;
  const std::string input = dir.File("input.jsonl");
  const std::string path = dir.File("audit.log");
  const std::string db = dir.File("tail.db");
  const std::string log = dir.File("driver.log");
  // Seed 11 has exec sessions whose ResponseStarted and ResponseComplete lie megabytes apart; the
  // built-in exec rules fire once per request, on the first of them.
  ASSERT_EQ(
      Wait(Spawn({gen, "--events", "30000", "--attack-rate", "0.02", "--seed", "11", "-o", input},
                 log)),
      0);
  const std::string data = ReadAll(input);
  const std::size_t half = data.find('\n', data.size() / 2) + 1;
  const std::vector<std::string> driver = {VIGIL_TAIL_DRIVER, "--db", db,
                                           "--follow",        path,   "--until-idle"};
  Append(path, data.substr(0, half));
  ASSERT_EQ(Wait(Spawn(driver, log)), 0) << ReadAll(log);
  Append(path, data.substr(half));  // the rest, read by a new process with a fresh engine
  ASSERT_EQ(Wait(Spawn(driver, log)), 0) << ReadAll(log);
  // The second run dropped later stages whose first stage the first run had counted.
  const std::string out = ReadAll(log);
  const auto at = out.rfind("\"held_back_after_restart\":");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_NE(out.substr(at, 27), "\"held_back_after_restart\":0") << out;

  const std::string scan_db = dir.File("scan.db");
  ASSERT_EQ(Wait(Spawn({VIGIL_BIN, "scan", "-q", "--no-progress", "--no-sequences", "--format", "json", "-o",
                        dir.File("scan.json"), "--db", scan_db, input},
                       dir.File("scan.log"))),
            0);
  EXPECT_EQ(FindingCounts(db), FindingCounts(scan_db));
}

}  // namespace
}  // namespace vigil::ingest
