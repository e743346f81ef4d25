// Rotated-sibling naming (lumberjack, logrotate) and the plain/gzip file reader of the Tailer.
#include "ingest/tail_files.h"

#include <gtest/gtest.h>
#include <sys/time.h>

#include "tail/tail_test_util.h"

namespace vigil::ingest::internal {
namespace {

using testing::Append;
using testing::Gzip;
using testing::TempDir;

TEST(LumberjackNameTest, ParsesTheBackupTimeOfTheLiveFile) {
  // 2024-01-02T03:04:05.678Z
  const std::int64_t want = 1704164645LL * 1000000000 + 678000000;
  EXPECT_EQ(LumberjackBackupTime("audit-2024-01-02T03-04-05.678.log", "audit.log"), want);
  EXPECT_EQ(LumberjackBackupTime("audit-2024-01-02T03-04-05.678.log.gz", "audit.log"), want);
  EXPECT_EQ(LumberjackBackupTime("kube-apiserver-audit-2024-01-02T03-04-05.678.log",
                                 "kube-apiserver-audit.log"),
            want);
  // A live name without an extension: the time is the end of the name.
  EXPECT_EQ(LumberjackBackupTime("audit-2024-01-02T03-04-05.678", "audit"), want);
}

TEST(LumberjackNameTest, RejectsOtherNames) {
  for (const char* name :
       {"audit.log", "audit-2024-01-02T03-04-05.log", "other-2024-01-02T03-04-05.678.log",
        "audit-2024-13-02T03-04-05.678.log", "audit-2024-01-02T03-04-05.678.txt",
        "audit-2024-01-02 03-04-05.678.log", "audit-2024-01-02T03-04-05.6x8.log"}) {
    EXPECT_FALSE(LumberjackBackupTime(name, "audit.log")) << name;
  }
}

TEST(RotatedSiblingTest, KnowsLumberjackAndLogrotateNames) {
  EXPECT_TRUE(IsRotatedSibling("audit-2024-01-02T03-04-05.678.log", "audit.log"));
  EXPECT_TRUE(IsRotatedSibling("audit-2024-01-02T03-04-05.678.log.gz", "audit.log"));
  EXPECT_TRUE(IsRotatedSibling("audit.log.1", "audit.log"));
  EXPECT_TRUE(IsRotatedSibling("audit.log.2.gz", "audit.log"));
  EXPECT_TRUE(IsRotatedSibling("audit.log-20240102", "audit.log"));
  EXPECT_FALSE(IsRotatedSibling("audit.log", "audit.log"));
  EXPECT_FALSE(IsRotatedSibling("audit.logx", "audit.log"));
  EXPECT_FALSE(IsRotatedSibling("audit.log.", "audit.log"));
  EXPECT_FALSE(IsRotatedSibling("other.log.1", "audit.log"));
  EXPECT_FALSE(IsRotatedSibling("audit-old.log", "audit.log"));
}

void SetMtime(const std::string& path, long seconds) {
  struct timeval tv[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(utimes(path.c_str(), tv), 0);
}

TEST(RotatedSiblingTest, ListsOldestFirstAndSkipsAGzipBeingWritten) {
  TempDir dir;
  const std::string live = dir.File("audit.log");
  Append(live, "live\n");
  Append(dir.File("audit-2024-01-02T03-04-05.000.log"), "b\n");
  Append(dir.File("audit-2024-01-01T03-04-05.000.log"), "a\n");
  Append(dir.File("audit-2024-01-01T03-04-05.000.log.gz"), "half-written gzip\n");
  Append(dir.File("audit.log.1"), "x\n");
  SetMtime(dir.File("audit.log.1"), 1000);  // 1970: oldest of all
  Append(dir.File("unrelated.log"), "u\n");
  auto list = ListRotatedSiblings(live);
  ASSERT_TRUE(list.has_value()) << list.error().ToString();
  std::vector<std::string> names;
  for (const auto& s : *list) names.push_back(std::filesystem::path(s.path).filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"audit.log.1", "audit-2024-01-01T03-04-05.000.log",
                                             "audit-2024-01-02T03-04-05.000.log"}));
}

TEST(TailFileTest, ReadsPlainFilesAsTheyGrowAndGzipFilesInflated) {
  TempDir dir;
  const std::string plain = dir.File("a.log");
  Append(plain, "hello\n");
  auto f = TailFile::Open(plain);
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE((*f)->compressed());
  char buf[64];
  EXPECT_EQ(*(*f)->Read(buf, sizeof buf), 6u);
  EXPECT_EQ(*(*f)->Read(buf, sizeof buf), 0u);
  Append(plain, "world\n");
  EXPECT_EQ(*(*f)->Read(buf, sizeof buf), 6u);
  EXPECT_EQ(std::string(buf, 6), "world\n");
  EXPECT_EQ((*f)->pos(), 12u);

  const std::string gz_plain = dir.File("b.log");
  Append(gz_plain, "one\ntwo\nthree\n");
  const auto fp = FingerprintOfPath(gz_plain, 6);
  ASSERT_TRUE(fp.has_value());
  Gzip(gz_plain, gz_plain + ".gz");
  auto g = TailFile::Open(gz_plain + ".gz");
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE((*g)->compressed());
  ASSERT_TRUE((*g)->Seek(4).has_value());
  const size_t n = *(*g)->Read(buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n), "two\nthree\n");
  // The same first bytes give the same fingerprint, compressed or not.
  EXPECT_EQ(FingerprintOfPath(gz_plain + ".gz", 6), fp);
  EXPECT_FALSE(FingerprintOfPath(gz_plain + ".gz", 100).has_value());  // shorter than that
  auto g2 = TailFile::Open(gz_plain + ".gz");
  EXPECT_FALSE((*g2)->Seek(100).has_value());
}

TEST(TailFileTest, MissingFileIsNotFound) {
  TempDir dir;
  auto f = TailFile::Open(dir.File("nope.log"));
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, ErrorCode::kNotFound);
}

TEST(FingerprintTest, IsIncrementalFnv1a) {
  EXPECT_EQ(Fnv1a(kFnvOffsetBasis, ""), kFnvOffsetBasis);
  EXPECT_EQ(Fnv1a(kFnvOffsetBasis, "a"), 0xaf63dc4c8601ec8cULL);  // published FNV-1a 64 of "a"
  EXPECT_EQ(Fnv1a(Fnv1a(kFnvOffsetBasis, "foo"), "bar"), Fnv1a(kFnvOffsetBasis, "foobar"));
}

}  // namespace
}  // namespace vigil::ingest::internal
