// SqliteSequenceWindowStore: a real SQLite file, saved and loaded again.
#include "store/sqlite/sequence_windows.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/sqlite/database.h"

namespace vigil::store {
namespace {

namespace fs = std::filesystem;

findings::EventRef Ref(std::uint8_t b, UnixNanos time) {
  findings::EventRef r;
  r.digest.fill(b);
  r.time = time;
  return r;
}

class SequenceWindowStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-seqwin-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "vigil.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteSequenceWindowStore> Open() {
    auto s = SqliteSequenceWindowStore::Open(path_);
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    return s ? std::move(*s) : nullptr;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SequenceWindowStoreTest, NothingStoredIsNullopt) {
  auto store = Open();
  auto loaded = store->LoadSequenceWindow("prod");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(SequenceWindowStoreTest, ChangesApplyInOrderAndSurviveReopening) {
  {
    auto store = Open();
    detect::SequenceWindowChanges c{.cluster = "prod", .latest = 100};
    c.signals = {{"a", R"({"n":1})"}, {"b", R"({"n":2})"}};
    c.refs = {{"a", Ref(1, 10)}, {"a", Ref(2, 11)}, {"b", Ref(3, 12)}};
    c.readers = {"alice", "bob"};
    ASSERT_TRUE(store->SaveSequenceChanges(c).has_value());
    // Another cluster stays apart.
    ASSERT_TRUE(store->SaveSequenceChanges({.cluster = "dev", .latest = 5, .readers = {"eve"}})
                    .has_value());
    // Later: "b" leaves the window, "a"'s events are handed out and one new one arrives, a
    // replayed event is stored once, the readers start again.
    detect::SequenceWindowChanges later{.cluster = "prod", .latest = 200};
    later.readers_reset = true;
    later.removed = {"b"};
    later.refs_cleared = {"a"};
    later.signals = {{"a", R"({"n":3})"}};
    later.refs = {{"a", Ref(4, 20)}, {"a", Ref(4, 20)}};
    later.readers = {"carol"};
    ASSERT_TRUE(store->SaveSequenceChanges(later).has_value());
  }
  auto store = Open();  // a new process
  auto loaded = store->LoadSequenceWindow("prod");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  ASSERT_TRUE(loaded->has_value());
  const detect::SequenceWindowState& s = **loaded;
  EXPECT_EQ(s.latest, 200);
  ASSERT_EQ(s.signals.size(), 1u);
  EXPECT_EQ(s.signals[0].first, "a");
  EXPECT_EQ(s.signals[0].second, R"({"n":3})");
  ASSERT_EQ(s.refs.size(), 1u);
  EXPECT_EQ(s.refs[0].second, Ref(4, 20));
  EXPECT_EQ(s.secret_readers, std::vector<std::string>{"carol"});
  auto dev = store->LoadSequenceWindow("dev");
  ASSERT_TRUE(dev.has_value() && dev->has_value());
  EXPECT_EQ((*dev)->secret_readers, std::vector<std::string>{"eve"});
}

TEST_F(SequenceWindowStoreTest, ACorruptDigestIsAParseErrorNamingTheCluster) {
  {
    auto store = Open();
    detect::SequenceWindowChanges c{.cluster = "prod", .latest = 1};
    c.signals = {{"a", "{}"}};
    c.refs = {{"a", Ref(9, 1)}};
    ASSERT_TRUE(store->SaveSequenceChanges(c).has_value());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE sequence_refs SET digest = 'zz'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = Open();
  auto loaded = store->LoadSequenceWindow("prod");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kParse);
  EXPECT_NE(loaded.error().message.find("cluster 'prod'"), std::string::npos);
}

}  // namespace
}  // namespace vigil::store
