#include "store/sqlite/migrations.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/finding_store.h"
#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using testing::OpenOrDie;
using testing::RawExec;
using testing::RawQuery;
using testing::Scan;
using testing::TempDir;

const int kLatest = sqlite::BuiltinMigrations().back().version;
// Versions may have gaps while branches merge (migrations.h), so count the list, not the version.
const std::string kMigrationCount = std::to_string(sqlite::BuiltinMigrations().size());

TEST(SqliteMigrationsTest, FromEmptyAppliesEveryMigration) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), kLatest);
  store.reset();
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite::BuiltinMigrations().size()));
  EXPECT_EQ(RawQuery(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery(path, "PRAGMA application_id"), std::to_string(sqlite::kApplicationId));
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'finding_events'"),
            "1");
}

TEST(SqliteMigrationsTest, ReopenKeepsDataAndAppliesNothingTwice) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  const auto findings = Scan(findings::testing::SampleObservations());
  {
    auto store = OpenOrDie(path);
    ASSERT_TRUE(store->Upsert(findings, 1).has_value());
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->List({})->total, findings.size());
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite::BuiltinMigrations().size()));
}

TEST(SqliteMigrationsTest, AppliesOnlyTheNewerOnesInOrder) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  std::vector<sqlite::Migration> v1(sqlite::BuiltinMigrations().begin(),
                                    sqlite::BuiltinMigrations().end());
  {
    auto store = OpenOrDie(path, {.migrations = v1});
    ASSERT_NE(store, nullptr);
  }
  std::vector<sqlite::Migration> v2 = v1;
  v2.push_back({kLatest + 1, "test: notes table", "CREATE TABLE notes (x TEXT);"});
  v2.push_back({kLatest + 2, "test: index", "CREATE INDEX notes_x ON notes(x);"});
  auto store = OpenOrDie(path, {.migrations = v2});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), kLatest + 2);
  store.reset();
  std::string expected;
  for (const auto& m : v2) expected += (expected.empty() ? "" : ",") + std::to_string(m.version);
  EXPECT_EQ(RawQuery(path,
                     "SELECT group_concat(version) FROM "
                     "(SELECT version FROM schema_migrations ORDER BY version)"),
            expected);
  EXPECT_EQ(RawQuery(path, "SELECT name FROM schema_migrations WHERE version = " +
                               std::to_string(kLatest + 1)),
            "test: notes table");
}

TEST(SqliteMigrationsTest, AFailingMigrationLeavesNothingHalfDone) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  std::vector<sqlite::Migration> broken(sqlite::BuiltinMigrations().begin(),
                                        sqlite::BuiltinMigrations().end());
  broken.push_back({kLatest + 1, "half", "CREATE TABLE half_done (x); CREATE TABLE broken ("});
  auto store = SqliteFindingStore::Open(path, {.migrations = broken});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"), "0");
  EXPECT_EQ(RawQuery(path, "SELECT max(version) FROM schema_migrations"), std::to_string(kLatest));
  EXPECT_NE(OpenOrDie(path), nullptr);  // the built-in list still opens it
}

TEST(SqliteMigrationsTest, RefusesASchemaNewerThanThisBuild) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  RawExec(path, "INSERT INTO schema_migrations VALUES (99, 'from the future', 0)");
  auto store = SqliteFindingStore::Open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(store.error().message.find("version 99"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer vigil"), std::string::npos);
  EXPECT_NE(store.error().message.find(path), std::string::npos);
}

TEST(SqliteMigrationsTest, RefusesAForeignSqliteDatabase) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  RawExec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
  auto store = SqliteFindingStore::Open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kConfig);
  EXPECT_NE(store.error().message.find("not a vigil finding store"), std::string::npos);
  // And nothing was added to it.
  EXPECT_EQ(RawQuery(path, "SELECT count(*) FROM sqlite_master WHERE name = 'findings'"), "0");

  const std::string app = dir.File("app.db");
  RawExec(app, "PRAGMA application_id = 1234");
  store = SqliteFindingStore::Open(app);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kConfig);
}

TEST(SqliteMigrationsTest, GarbageFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131 + 7) % 251));
  }
  auto store = SqliteFindingStore::Open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
}

TEST(SqliteMigrationsTest, TextFileIsAClearError) {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  { std::ofstream(path) << "this is not a database, just some notes\n"; }
  auto store = SqliteFindingStore::Open(path);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
}

TEST(SqliteMigrationsTest, DamagedStoreGivesErrorsNotCrashes) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  {
    auto store = OpenOrDie(path);
    std::vector<findings::Finding> many;
    for (int i = 0; i < 200; ++i) {
      auto batch = Scan({findings::testing::MakeObservation("r", "user" + std::to_string(i),
                                                            "id" + std::to_string(i), i + 1)});
      many.insert(many.end(), batch.begin(), batch.end());
    }
    ASSERT_TRUE(store->Upsert(many, 1).has_value());
  }
  RawExec(path, "PRAGMA wal_checkpoint(TRUNCATE)");
  // Scribble over the middle pages, keeping the header valid.
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(8192);
    for (int i = 0; i < 16384; ++i) f.put(static_cast<char>(0xA5));
  }
  auto store = SqliteFindingStore::Open(path);
  if (!store) {
    EXPECT_EQ(store.error().code, ErrorCode::kIo) << store.error().ToString();
    return;
  }
  auto page = (*store)->List({.limit = 0});
  if (!page) {
    EXPECT_EQ(page.error().code, ErrorCode::kIo) << page.error().ToString();
  }
  auto upsert = (*store)->Upsert(Scan(findings::testing::SampleObservations()), 2);
  if (!upsert) {
    EXPECT_EQ(upsert.error().code, ErrorCode::kIo) << upsert.error().ToString();
  }
}

TEST(SqliteMigrationsTest, EmptyFileIsAFreshStore) {
  TempDir dir;
  const std::string path = dir.File("empty.db");
  { std::ofstream touch(path); }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->SchemaVersion(), kLatest);
}

TEST(SqliteMigrationsTest, MissingDirectoryIsAnIoError) {
  auto store = SqliteFindingStore::Open("/nonexistent-dir-for-vigil/x/vigil.db");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("/nonexistent-dir-for-vigil/x/vigil.db"), std::string::npos);
}

TEST(OpenFindingStoreTest, ChoosesTheImplementationByLocation) {
  TempDir dir;
  auto plain = OpenFindingStore(dir.File("a.db"));
  EXPECT_TRUE(plain.has_value()) << plain.error().ToString();
  auto prefixed = OpenFindingStore("sqlite:" + dir.File("b.db"));
  EXPECT_TRUE(prefixed.has_value());
  auto memory = OpenFindingStore(":memory:");
  ASSERT_TRUE(memory.has_value());
  EXPECT_TRUE((*memory)->Upsert(Scan(findings::testing::SampleObservations()), 1).has_value());
  // A PostgreSQL URL goes to the PostgreSQL store (tests/store/pg_store_test.cc); nothing
  // listens on port 1, so it says it cannot connect.
  auto pg = OpenFindingStore("postgres://vigil@127.0.0.1:1/vigil");
  ASSERT_FALSE(pg.has_value());
  EXPECT_EQ(pg.error().code, ErrorCode::kIo);
  EXPECT_NE(pg.error().message.find("cannot connect to PostgreSQL"), std::string::npos)
      << pg.error().message;
  EXPECT_EQ(OpenFindingStore("").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::store

namespace vigil::store {
namespace {

// Branches reserve migration numbers, so a store may have a later version and lack an earlier
// one that lands afterwards: opening applies the missing one.
TEST(SqliteMigrationsTest, AppliesAMissingEarlierVersion) {
  testing::TempDir dir;
  const std::string path = dir.File("vigil.db");
  const std::vector<sqlite::Migration> with_gap = {
      {1, "one", "CREATE TABLE one (x);"}, {3, "three", "CREATE TABLE three (x);"}};
  { ASSERT_TRUE(SqliteFindingStore::Open(path, {.migrations = with_gap}).has_value()); }
  const std::vector<sqlite::Migration> filled = {{1, "one", "CREATE TABLE one (x);"},
                                                 {2, "two", "CREATE TABLE two (x);"},
                                                 {3, "three", "CREATE TABLE three (x);"}};
  auto store = SqliteFindingStore::Open(path, {.migrations = filled});
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  EXPECT_EQ(*(*store)->SchemaVersion(), 3);
  store->reset();
  EXPECT_EQ(testing::RawQuery(path, "SELECT group_concat(version) FROM (SELECT version FROM "
                                    "schema_migrations ORDER BY version)"),
            "1,2,3");
  const std::vector<sqlite::Migration> unordered = {{2, "two", "SELECT 1;"}, {1, "one", "SELECT 1;"}};
  auto bad = SqliteFindingStore::Open(dir.File("other.db"), {.migrations = unordered});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace vigil::store
