// Restarting from saved offsets: a first Tailer commits part of a file and goes away, the file is
// rotated (each kind) while nothing follows it, and a second Tailer with the same checkpoints
// (a real SQLite file) must deliver exactly the rest: no gap, no duplicate. Each kind is tried
// with the first run stopping at a line boundary and in the middle of a line.
#include <gtest/gtest.h>
#include <unistd.h>

#include "ingest/tail.h"
#include "store/sqlite/tail_offsets.h"
#include "tail/tail_test_util.h"

namespace vigil::ingest {
namespace {

using testing::Append;
using testing::AppendLines;
using testing::Collector;
using testing::CopyTruncate;
using testing::Drain;
using testing::Gzip;
using testing::Line;
using testing::LumberjackName;
using testing::Options;
using testing::TempDir;

enum class Rotation { kNone, kRename, kRenameGzip, kRenameTwice, kCopyTruncate, kLogrotateCreate };

struct RestartCase {
  Rotation rotation;
  bool mid_line;
};

std::string Name(const ::testing::TestParamInfo<RestartCase>& info) {
  const char* names[] = {"None",        "Rename",       "RenameGzip",
                         "RenameTwice", "CopyTruncate", "LogrotateCreate"};
  return std::string(names[static_cast<int>(info.param.rotation)]) +
         (info.param.mid_line ? "MidLine" : "AtLineBoundary");
}

class TailRestartTest : public ::testing::TestWithParam<RestartCase> {};

TEST_P(TailRestartTest, ResumesExactlyWhereTheCommittedLinesEnd) {
  const RestartCase tc = GetParam();
  TempDir dir;
  const std::string path = dir.File("audit.log");
  const std::string db = dir.File("vigil.db");
  std::vector<std::string> all;
  // Run 1: 300 lines there, the tailer commits them (and holds a partial one when mid_line).
  AppendLines(path, 0, 300);
  if (tc.mid_line) Append(path, Line(300).substr(0, 7));
  {
    auto cps = store::SqliteTailOffsets::Open(db);
    ASSERT_TRUE(cps.has_value()) << cps.error().ToString();
    Collector c;
    Tailer t(Options(path), c.Callback(), **cps);
    Drain(t);
    ASSERT_EQ(c.lines.size(), 300u);
    all = c.lines;
  }
  // Down: the writer finishes the line, writes more, and the file is rotated.
  int next = 300;
  if (tc.mid_line) {
    Append(path, Line(300).substr(7) + "\n");
    next = 301;
  }
  AppendLines(path, next, 400);
  switch (tc.rotation) {
    case Rotation::kNone:
      break;
    case Rotation::kRename: {
      ASSERT_EQ(rename(path.c_str(), LumberjackName(dir, "audit.log").c_str()), 0);
      break;
    }
    case Rotation::kRenameGzip: {
      const std::string backup = LumberjackName(dir, "audit.log");
      ASSERT_EQ(rename(path.c_str(), backup.c_str()), 0);
      Gzip(backup, backup + ".gz");
      break;
    }
    case Rotation::kRenameTwice: {
      ASSERT_EQ(rename(path.c_str(), LumberjackName(dir, "audit.log").c_str()), 0);
      AppendLines(path, 400, 450);
      usleep(2000);  // lumberjack names have millisecond resolution
      ASSERT_EQ(rename(path.c_str(), LumberjackName(dir, "audit.log").c_str()), 0);
      break;
    }
    case Rotation::kCopyTruncate:
      CopyTruncate(path, dir.File("audit.log.1"));
      break;
    case Rotation::kLogrotateCreate:
      ASSERT_EQ(rename(path.c_str(), dir.File("audit.log.1").c_str()), 0);
      break;
  }
  const int after_rotation = tc.rotation == Rotation::kRenameTwice ? 450 : 400;
  AppendLines(path, after_rotation, after_rotation + 100);  // the new live file
  // Run 2.
  auto cps = store::SqliteTailOffsets::Open(db);
  ASSERT_TRUE(cps.has_value());
  Collector c;
  Tailer t(Options(path), c.Callback(), **cps);
  Drain(t);
  all.insert(all.end(), c.lines.begin(), c.lines.end());
  testing::ExpectLines(all, 0, after_rotation + 100);
  EXPECT_EQ(t.totals().checkpoints_lost, 0u);
  EXPECT_EQ(t.totals().partial_lines_dropped, 0u);
  // The saved checkpoint is the end of the live file.
  auto saved = (*cps)->Load(path);
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->offset, std::filesystem::file_size(path));
  EXPECT_EQ((*saved)->file, path);
}

INSTANTIATE_TEST_SUITE_P(Kinds,
                         TailRestartTest,
                         ::testing::Values(RestartCase{Rotation::kNone, false},
                                           RestartCase{Rotation::kNone, true},
                                           RestartCase{Rotation::kRename, false},
                                           RestartCase{Rotation::kRename, true},
                                           RestartCase{Rotation::kRenameGzip, false},
                                           RestartCase{Rotation::kRenameGzip, true},
                                           RestartCase{Rotation::kRenameTwice, false},
                                           RestartCase{Rotation::kRenameTwice, true},
                                           RestartCase{Rotation::kCopyTruncate, false},
                                           RestartCase{Rotation::kCopyTruncate, true},
                                           RestartCase{Rotation::kLogrotateCreate, false},
                                           RestartCase{Rotation::kLogrotateCreate, true}),
                         Name);

TEST(TailRestartTest, StoppedWhileReadingARotatedFileResumesInsideIt) {
  TempDir dir;
  const std::string path = dir.File("audit.log");
  MemoryTailCheckpointStore cps;
  std::vector<std::string> all;
  AppendLines(path, 0, 100);
  const std::string backup = LumberjackName(dir, "audit.log");
  {
    Collector c;
    auto o = Options(path);
    o.max_chunk_bytes = 200;
    Tailer t(o, c.Callback(), cps);
    Drain(t);
    AppendLines(path, 100, 200);
    ASSERT_EQ(rename(path.c_str(), backup.c_str()), 0);
    AppendLines(path, 200, 250);
    // Deliver a few chunks of the rotated file, then the store goes away.
    c.allow = 3;
    ASSERT_TRUE(t.PollOnce().has_value());
    all = c.lines;
    ASSERT_GT(all.size(), 100u);
    ASSERT_LT(all.size(), 200u) << "the test wants to stop inside the rotated file";
    EXPECT_EQ((*cps.Load(path))->file, c.files.back());
  }
  // The backup is compressed while vigil is down: reading resumes inside the .gz.
  Gzip(backup, backup + ".gz");
  Collector c;
  Tailer t(Options(path), c.Callback(), cps);
  Drain(t);
  all.insert(all.end(), c.lines.begin(), c.lines.end());
  testing::ExpectLines(all, 0, 250);
}

TEST(TailRestartTest, ACheckpointAtOffsetZeroFindsItsFileCompressedWhileDown) {
  TempDir dir;
  const std::string path = dir.File("audit.log");
  MemoryTailCheckpointStore cps;
  AppendLines(path, 0, 100);
  {
    Collector c;
    c.allow = 0;  // the store is down from the start: only the "opened at 0" checkpoint is saved
    Tailer t(Options(path), c.Callback(), cps);
    Drain(t);
    ASSERT_TRUE(c.lines.empty());
    EXPECT_EQ((*cps.Load(path))->offset, 0u);
  }
  const std::string backup = LumberjackName(dir, "audit.log");
  ASSERT_EQ(rename(path.c_str(), backup.c_str()), 0);
  Gzip(backup, backup + ".gz");  // another inode: only the first bytes can tell it is the file
  AppendLines(path, 100, 120);
  Collector c;
  Tailer t(Options(path), c.Callback(), cps);
  Drain(t);
  testing::ExpectLines(c.lines, 0, 120);
  EXPECT_EQ(t.totals().checkpoints_lost, 0u);
}

TEST(TailRestartTest, ADeletedCheckpointedFileIsReportedAndTheLiveFileReadFromZero) {
  TempDir dir;
  const std::string path = dir.File("audit.log");
  MemoryTailCheckpointStore cps;
  AppendLines(path, 0, 10);
  {
    Collector c;
    Tailer t(Options(path), c.Callback(), cps);
    Drain(t);
  }
  ASSERT_EQ(unlink(path.c_str()), 0);  // delete + create while down (or maxbackup removed it)
  AppendLines(path, 100, 110);
  std::vector<TailSkip::Kind> skips;
  auto o = Options(path);
  o.on_skip = [&](const TailSkip& s) { skips.push_back(s.kind); };
  Collector c;
  Tailer t(o, c.Callback(), cps);
  Drain(t);
  testing::ExpectLines(c.lines, 100, 110);
  EXPECT_EQ(t.totals().checkpoints_lost, 1u);
  EXPECT_EQ(skips, std::vector<TailSkip::Kind>{TailSkip::Kind::kCheckpointLost});
}

TEST(TailRestartTest, AReusedInodeWithOtherFirstBytesIsNotMistakenForTheSavedFile) {
  TempDir dir;
  const std::string path = dir.File("audit.log");
  MemoryTailCheckpointStore cps;
  AppendLines(path, 1000, 1100);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  // A checkpoint for "this inode" whose fingerprint is of other content, far into the file: what
  // a deleted file's checkpoint looks like when the filesystem hands its inode to the new file.
  TailCheckpoint forged;
  forged.source = path;
  forged.file = path;
  forged.device = static_cast<std::uint64_t>(st.st_dev);
  forged.inode = static_cast<std::uint64_t>(st.st_ino);
  forged.offset = 500;
  forged.fingerprint = 12345;
  forged.fingerprint_length = 64;
  ASSERT_TRUE(cps.Save(forged).has_value());
  Collector c;
  Tailer t(Options(path), c.Callback(), cps);
  Drain(t);
  testing::ExpectLines(c.lines, 1000, 1100);
  EXPECT_EQ(t.totals().checkpoints_lost, 1u);
}

TEST(TailRestartTest, AFailedCheckpointSaveRereadsButNeverSkips) {
  // A checkpoint store that fails every other save: the tailer goes on; a restart starts at the
  // last save that worked, so lines are read again (the store's ledger absorbs that), never lost.
  class Flaky : public TailCheckpointStore {
   public:
    Result<std::optional<TailCheckpoint>> Load(std::string_view s) override {
      return inner.Load(s);
    }
    Status Save(const TailCheckpoint& cp) override {
      if (++n % 2 == 0) return MakeError(ErrorCode::kIo, "disk full");
      return inner.Save(cp);
    }
    MemoryTailCheckpointStore inner;
    int n = 0;
  } flaky;
  TempDir dir;
  const std::string path = dir.File("audit.log");
  AppendLines(path, 0, 200);
  std::vector<std::string> first;
  {
    Collector c;
    auto o = Options(path);
    o.max_chunk_bytes = 500;
    Tailer t(o, c.Callback(), flaky);
    Drain(t);
    first = c.lines;
    EXPECT_GT(t.totals().checkpoint_failures, 0u);
  }
  const std::uint64_t saved = (*flaky.inner.Load(path))->offset;
  Collector c;
  Tailer t(Options(path), c.Callback(), flaky.inner);
  Drain(t);
  testing::ExpectLines(first, 0, 200);
  ASSERT_FALSE(c.lines.empty());
  EXPECT_EQ(c.origins.front().begin, saved);
  EXPECT_EQ(c.lines.back(), Line(199));
}

}  // namespace
}  // namespace vigil::ingest
