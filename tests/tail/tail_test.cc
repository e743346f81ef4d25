// The Tailer on real files in a temp dir, rotated for real while it follows them: whole lines
// only, chunk bounds, every rotation kind, callback failures, oversize lines, Stop().
#include "ingest/tail.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "tail/tail_test_util.h"

namespace vigil::ingest {
namespace {

// A temp dir with audit.log in it, a collecting callback and in-memory checkpoints.
class TailerTest : public ::testing::Test {
 protected:
  Tailer& Start(TailOptions options) {
    tailer_ = std::make_unique<Tailer>(std::move(options), c.Callback(), cps);
    return *tailer_;
  }
  Tailer& Start() { return Start(testing::Options(path)); }

  testing::TempDir dir;
  const std::string path = dir.File("audit.log");
  testing::Collector c;
  MemoryTailCheckpointStore cps;

 private:
  std::unique_ptr<Tailer> tailer_;
};

using testing::Append;
using testing::AppendLines;
using testing::CopyTruncate;
using testing::Drain;
using testing::ExpectLines;
using testing::Gzip;
using testing::Line;
using testing::Options;

TEST_F(TailerTest, HandsOnWholeLinesOnlyAndHoldsAPartialOne) {
  Append(path, Line(0) + "\n" + Line(1).substr(0, 5));
  Tailer& t = Start();
  Drain(t);
  ExpectLines(c.lines, 0, 1);
  EXPECT_EQ((*cps.Load(path))->offset, Line(0).size() + 1);
  Append(path, Line(1).substr(5) + "\n");
  Drain(t);
  ExpectLines(c.lines, 0, 2);
  EXPECT_EQ(t.totals().lines, 2u);
  EXPECT_EQ(t.totals().bytes, Line(0).size() + Line(1).size() + 2);
  EXPECT_EQ(t.status()[0].lag_bytes, 0u);
}

TEST_F(TailerTest, ChunksAreBoundedAndCarryThePositionAfterThem) {
  AppendLines(path, 0, 500);
  auto o = Options(path);
  o.max_chunk_bytes = 300;
  Tailer& t = Start(o);
  Drain(t);
  ExpectLines(c.lines, 0, 500);
  std::uint64_t expect_begin = 0;
  for (const auto& origin : c.origins) {
    EXPECT_LE(origin.end - origin.begin, 300u);
    EXPECT_EQ(origin.begin, expect_begin);
    expect_begin = origin.end;
  }
  EXPECT_EQ(expect_begin, std::filesystem::file_size(path));
  EXPECT_EQ((*cps.Load(path))->offset, expect_begin);
  EXPECT_EQ(t.totals().chunks, c.origins.size());
}

TEST_F(TailerTest, ALineLongerThanAChunkIsAChunkOfItsOwn) {
  const std::string long_line(700, 'L');
  Append(path, "a\n" + long_line + "\nb\n");
  auto o = Options(path);
  o.max_chunk_bytes = 100;
  o.max_line_bytes = 1000;
  Tailer& t = Start(o);
  Drain(t);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"a", long_line, "b"}));
  EXPECT_EQ(t.totals().oversize_lines, 0u);
}

TEST_F(TailerTest, OversizeLinesAreSkippedWithReasonAndBoundedMemory) {
  std::vector<TailSkip::Kind> skips;
  std::vector<std::uint64_t> skip_lengths;
  auto o = Options(path);
  o.max_chunk_bytes = 64;
  o.max_line_bytes = 100;
  o.on_skip = [&](const TailSkip& s) {
    skips.push_back(s.kind);
    skip_lengths.push_back(s.length);
  };
  // One huge line (written in pieces, so it is never whole in memory), one line just too long
  // inside an otherwise fine chunk, and good lines around them.
  Append(path, "good0\n");
  Tailer& t = Start(o);
  Drain(t);
  for (int i = 0; i < 50; ++i) {
    Append(path, std::string(1000, 'H'));
    Drain(t);
  }
  Append(path, "\ngood1\n" + std::string(101, 'T') + "\ngood2\n");
  Drain(t);
  EXPECT_EQ(c.lines, (std::vector<std::string>{"good0", "good1", "good2"}));
  EXPECT_EQ(t.totals().oversize_lines, 2u);
  EXPECT_EQ(skips, (std::vector<TailSkip::Kind>{TailSkip::Kind::kOversizeLine,
                                                TailSkip::Kind::kOversizeLine}));
  EXPECT_EQ(skip_lengths, (std::vector<std::uint64_t>{50001, 102}));
  EXPECT_EQ((*cps.Load(path))->offset, std::filesystem::file_size(path));
}

TEST_F(TailerTest, ACallbackFailureOffersTheSameLinesAgainAndSavesNothing) {
  AppendLines(path, 0, 10);
  c.fail_next = 2;
  Tailer& t = Start();
  ASSERT_TRUE(t.PollOnce().has_value());
  EXPECT_TRUE(c.lines.empty());
  // Only the "offset 0" checkpoint of opening the file was saved.
  EXPECT_EQ((*cps.Load(path))->offset, 0u);
  EXPECT_EQ(t.totals().callback_failures, 1u);
  EXPECT_EQ(t.status()[0].last_error, "test: store unavailable");
  // A failed pass reports no progress, so Run() waits a poll interval before trying again.
  EXPECT_FALSE(*t.PollOnce());
  EXPECT_TRUE(c.lines.empty());
  Drain(t);
  ExpectLines(c.lines, 0, 10);
  EXPECT_EQ(t.totals().callback_failures, 2u);
}

TEST_F(TailerTest, RenameAndCreateLikeLumberjackReadsTheOldFileToItsEnd) {
  AppendLines(path, 0, 100);
  Tailer& t = Start();
  Drain(t);
  // Lines land in the old file after the tailer's last read, then it is renamed away.
  AppendLines(path, 100, 150);
  const std::string rotated = dir.File("audit-2024-01-02T03-04-05.000.log");
  ASSERT_EQ(rename(path.c_str(), rotated.c_str()), 0);
  AppendLines(path, 150, 200);
  Drain(t);
  ExpectLines(c.lines, 0, 200);
  EXPECT_EQ(t.totals().rotations, 1u);
  EXPECT_EQ(c.files.back(), path);
}

TEST_F(TailerTest, AWriterStillHoldingTheRenamedFileIsReadBeforeTheNewOne) {
  std::ofstream writer(path, std::ios::binary | std::ios::app);
  writer << Line(0) << "\n";
  writer.flush();
  Tailer& t = Start();
  Drain(t);
  const std::string rotated = dir.File("audit.log.1");
  ASSERT_EQ(rename(path.c_str(), rotated.c_str()), 0);
  writer << Line(1) << "\n";  // logrotate `create` without a signal: the writer is late
  writer.flush();
  AppendLines(path, 2, 4);
  Drain(t);
  ExpectLines(c.lines, 0, 4);
}

TEST_F(TailerTest, SeveralRotationsBetweenTwoPollsAreReadInOrder) {
  AppendLines(path, 0, 10);
  Tailer& t = Start();
  Drain(t);
  AppendLines(path, 10, 20);
  ASSERT_EQ(rename(path.c_str(), dir.File("audit-2024-01-02T03-04-05.000.log").c_str()), 0);
  AppendLines(path, 20, 30);
  ASSERT_EQ(rename(path.c_str(), dir.File("audit-2024-01-02T03-04-06.000.log").c_str()), 0);
  AppendLines(path, 30, 40);
  // --audit-log-compress: the second backup is compressed before vigil looks.
  Gzip(dir.File("audit-2024-01-02T03-04-06.000.log"),
       dir.File("audit-2024-01-02T03-04-06.000.log.gz"));
  ASSERT_EQ(rename(path.c_str(), dir.File("audit-2024-01-02T03-04-07.000.log").c_str()), 0);
  AppendLines(path, 40, 50);
  Drain(t);
  ExpectLines(c.lines, 0, 50);
  EXPECT_EQ(t.totals().rotations, 1u);  // one live file left; the rest were queued backups
}

TEST_F(TailerTest, CopyTruncateReadsTheCopysRestThenTheFileFromZero) {
  AppendLines(path, 0, 100);
  Tailer& t = Start();
  Drain(t);
  AppendLines(path, 100, 120);  // not read yet when logrotate copies and truncates
  CopyTruncate(path, dir.File("audit.log.1"));
  AppendLines(path, 120, 125);  // short: the file is smaller than the old offset
  Drain(t);
  ExpectLines(c.lines, 0, 125);
  EXPECT_EQ(t.totals().truncations, 1u);
}

TEST_F(TailerTest, ATruncatedFileThatGrewPastTheOffsetIsRecognisedByItsFirstBytes) {
  AppendLines(path, 0, 10);
  Tailer& t = Start();
  Drain(t);
  ASSERT_EQ(truncate(path.c_str(), 0), 0);  // no copy: plain truncation
  AppendLines(path, 1000, 1100);            // larger than before the truncation
  Drain(t);
  ASSERT_EQ(c.lines.size(), 110u);
  EXPECT_EQ(c.lines[10], Line(1000));
  EXPECT_EQ(c.lines.back(), Line(1099));
  EXPECT_EQ(t.totals().truncations, 1u);
}

TEST_F(TailerTest, DeleteAndCreateReadsTheDeletedFileThroughItsDescriptor) {
  AppendLines(path, 0, 10);
  Tailer& t = Start();
  Drain(t);
  std::ofstream writer(path, std::ios::binary | std::ios::app);
  ASSERT_EQ(unlink(path.c_str()), 0);
  writer << Line(10) << "\n" << Line(11).substr(0, 3);  // ends in a partial line
  writer.flush();
  Drain(t);  // the path is gone: the deleted file is finished, then nothing to open
  EXPECT_EQ(t.status()[0].file, "");
  AppendLines(path, 12, 20);
  Drain(t);
  ASSERT_EQ(c.lines.size(), 19u);
  EXPECT_EQ(c.lines[10], Line(10));
  EXPECT_EQ(c.lines[11], Line(12));
  EXPECT_EQ(t.totals().partial_lines_dropped, 1u);
  EXPECT_EQ(t.totals().rotations, 1u);
}

TEST_F(TailerTest, StartAtEndSkipsWhatWasThereAndTheLineInProgress) {
  AppendLines(path, 0, 10);
  Append(path, "half a li");
  auto o = Options(path);
  o.start_at_end = true;
  Tailer& t = Start(o);
  Drain(t);
  Append(path, "ne\n");
  AppendLines(path, 10, 12);
  Drain(t);
  ExpectLines(c.lines, 10, 12);
  EXPECT_EQ(t.totals().partial_lines_dropped, 1u);
}

TEST_F(TailerTest, FollowsSeveralFilesAndReportsLag) {
  const std::string a = dir.File("a.log");
  const std::string b = dir.File("b.log");
  AppendLines(a, 0, 10);
  auto o = Options(a);
  o.paths.push_back(b);  // does not exist yet
  Tailer& t = Start(o);
  Drain(t);
  EXPECT_EQ(c.lines.size(), 10u);
  AppendLines(b, 10, 20);
  c.fail_next = 1000;  // the store is down: lag builds up
  Drain(t);
  auto st = t.status();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].lag_bytes, 0u);
  EXPECT_EQ(st[1].lag_bytes, std::filesystem::file_size(b));
  EXPECT_EQ(st[1].file, b);
  c.fail_next = 0;
  Drain(t);
  EXPECT_EQ(c.lines.size(), 20u);
  EXPECT_EQ(t.status()[1].lag_bytes, 0u);
}

TEST_F(TailerTest, RejectsBadOptions) {
  TailOptions o;
  Tailer& t = Start(o);
  auto r = t.PollOnce();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  o.paths = {"a.log", "a.log"};
  EXPECT_FALSE(ValidateTailOptions(o).has_value());
  o.paths = {"a.log"};
  o.max_chunk_bytes = 0;
  EXPECT_FALSE(ValidateTailOptions(o).has_value());
}

TEST_F(TailerTest, StopEndsRunWithoutWaitingForThePollInterval) {
  AppendLines(path, 0, 5);
  auto o = Options(path);
  o.poll_interval = std::chrono::hours(1);  // Run() would sleep for an hour
  Tailer& t = Start(o);
  Status result;
  std::thread runner([&] { result = t.Run(); });
  while (t.totals().lines < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t.Stop();
  runner.join();  // returns: the hour-long wait was cut short
  EXPECT_TRUE(result.has_value());
  ExpectLines(c.lines, 0, 5);
}

TEST_F(TailerTest, ConcurrentWriterRotatingEveryWayLosesAndDoublesNothing) {
  auto o = Options(path);
  o.poll_interval = std::chrono::milliseconds(1);
  Tailer& t = Start(o);
  Status result;
  std::thread runner([&] { result = t.Run(); });
  constexpr int kLines = 6000;
  int n = 0;
  int copies = 0;
  while (n < kLines) {
    AppendLines(path, n, n + 50);
    n += 50;
    if (n % 1000 == 0) {
      // rename (lumberjack), rename + gzip, copytruncate: none loses a line when the writer
      // does not write during the rotation itself.
      const std::string name = testing::LumberjackName(dir, "audit.log");
      switch (n / 1000 % 3) {
        case 0:
          ASSERT_EQ(rename(path.c_str(), name.c_str()), 0);
          break;
        case 1:
          ASSERT_EQ(rename(path.c_str(), name.c_str()), 0);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          Gzip(name, name + ".gz");
          break;
        default:
          testing::LogrotateCopyTruncate(dir, path, copies);
          break;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  // Bounded, so a lost line fails the test instead of hanging it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (t.totals().lines < kLines && t.status()[0].last_error.empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Give a doubled line the chance to show up before stopping.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  t.Stop();
  runner.join();
  for (const auto& st : t.status()) {
    EXPECT_EQ(st.last_error, "");
  }
  for (size_t i = 0; i < c.lines.size() && i < static_cast<size_t>(kLines); ++i) {
    if (c.lines[i] != Line(static_cast<int>(i))) {
      ADD_FAILURE() << "first difference at line " << i << ": got " << c.lines[i] << " from "
                    << c.files[0];
      break;
    }
  }
  ExpectLines(c.lines, 0, kLines);
}

}  // namespace
}  // namespace vigil::ingest
