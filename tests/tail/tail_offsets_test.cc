// The SQLite checkpoint store: migration 4, round trips of every field (u64 values above 2^63
// too), replacement, and sharing the file with the finding store.
#include "store/sqlite/tail_offsets.h"

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "tail/tail_test_util.h"

namespace vigil::store {
namespace {

using ingest::TailCheckpoint;
using ingest::testing::TempDir;

TEST(SqliteTailOffsetsTest, RoundTripsEveryFieldAndReplaces) {
  TempDir dir;
  const std::string db = dir.File("vigil.db");
  TailCheckpoint cp;
  cp.source = "/var/log/audit.log";
  cp.file = "/var/log/audit-2024-01-02T03-04-05.000.log";
  cp.device = 0xFFFFFFFFFFFFFFF0ULL;
  cp.inode = 123456789;
  cp.offset = 1ULL << 40;
  cp.fingerprint = 0xcbf29ce484222325ULL;
  cp.fingerprint_length = 1024;
  cp.compressed = true;
  {
    auto s = SqliteTailOffsets::Open(db);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    EXPECT_FALSE((*s)->Load(cp.source)->has_value());
    ASSERT_TRUE((*s)->Save(cp).has_value());
  }
  auto s = SqliteTailOffsets::Open(db);
  ASSERT_TRUE(s.has_value());
  auto got = (*s)->Load(cp.source);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ(**got, cp);
  cp.offset = 7;
  cp.compressed = false;
  ASSERT_TRUE((*s)->Save(cp).has_value());
  EXPECT_EQ(**(*s)->Load(cp.source), cp);
  EXPECT_EQ((*s)->List()->size(), 1u);
  ASSERT_TRUE((*s)->Forget(cp.source).has_value());
  EXPECT_FALSE((*s)->Load(cp.source)->has_value());
}

TEST(SqliteTailOffsetsTest, LivesInTheFindingStoresFileAtSchemaVersionFour) {
  TempDir dir;
  const std::string db = dir.File("vigil.db");
  auto findings = SqliteFindingStore::Open(db);
  ASSERT_TRUE(findings.has_value());
  EXPECT_GE(*(*findings)->SchemaVersion(), 4);
  auto offsets = SqliteTailOffsets::Open(db);
  ASSERT_TRUE(offsets.has_value());
  TailCheckpoint cp;
  cp.source = "a.log";
  ASSERT_TRUE((*offsets)->Save(cp).has_value());
  EXPECT_TRUE((*offsets)->Load("a.log")->has_value());
}

TEST(SqliteTailOffsetsTest, RefusesAFileThatIsNotAStore) {
  TempDir dir;
  const std::string db = dir.File("garbage.db");
  ingest::testing::Append(db, std::string(4096, 'x'));
  auto s = SqliteTailOffsets::Open(db);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace vigil::store
