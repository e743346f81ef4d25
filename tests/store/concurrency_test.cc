#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::testing::kSampleNow;
using findings::testing::MakeObservation;
using findings::testing::SampleObservations;
using testing::OpenOrDie;
using testing::Scan;
using testing::TempDir;

// A raw connection that holds a write transaction open, as another process would.
class RawWriter {
 public:
  explicit RawWriter(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawWriter() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteConcurrencyTest, ReadersSeeTheLastCommitWhileAWriterIsBusy) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  auto store = OpenOrDie(path);
  const std::vector<Finding> findings = Scan(SampleObservations());
  ASSERT_TRUE(store->Upsert(findings, kSampleNow).has_value());
  const std::string id = findings[0].id;

  RawWriter writer(path);
  writer.Exec("BEGIN IMMEDIATE");
  writer.Exec("UPDATE findings SET count = 999 WHERE id = '" + id + "'");
  // WAL: the reader is not blocked and sees the committed state.
  auto reader = OpenOrDie(path, {.busy_timeout_ms = 100});
  auto during = reader->Get(id);
  ASSERT_TRUE(during.has_value()) << during.error().ToString();
  EXPECT_EQ(during->count, findings[0].count);
  EXPECT_EQ(reader->List({})->total, findings.size());
  // A second writer waits for the busy timeout, then fails cleanly, writing nothing.
  auto blocked = reader->Upsert(Scan({MakeObservation("r", "bob", "x", 1)}), kSampleNow);
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, ErrorCode::kIo);
  EXPECT_NE(blocked.error().message.find("lock"), std::string::npos) << blocked.error().message;
  writer.Exec("COMMIT");

  EXPECT_EQ(reader->Get(id)->count, 999u);
  auto retried = reader->Upsert(Scan({MakeObservation("r", "bob", "x", 1)}), kSampleNow);
  EXPECT_TRUE(retried.has_value()) << retried.error().ToString();
}

TEST(SqliteConcurrencyTest, AWriterThreadAndAReaderThreadShareTheFile) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  constexpr int kEvents = 150;
  std::atomic<bool> done{false};
  std::atomic<int> write_errors{0};
  std::atomic<int> read_errors{0};
  std::atomic<int> regressions{0};

  std::thread writer([&] {
    auto store = OpenOrDie(path);
    for (int i = 0; i < kEvents; ++i) {
      auto r = store->Upsert(Scan({MakeObservation("r", "alice", "e" + std::to_string(i), i + 1)}),
                             kSampleNow + i);
      if (!r) ++write_errors;
    }
    done = true;
  });
  std::thread reader([&] {
    auto store = OpenOrDie(path);
    std::uint64_t last = 0;
    while (!done) {
      auto page = store->List({});
      if (!page) {
        ++read_errors;
        continue;
      }
      if (!page->findings.empty()) {
        if (page->findings[0].count < last) ++regressions;
        last = page->findings[0].count;
      }
    }
  });
  writer.join();
  reader.join();
  EXPECT_EQ(write_errors, 0);
  EXPECT_EQ(read_errors, 0);
  EXPECT_EQ(regressions, 0);
  auto store = OpenOrDie(path);
  EXPECT_EQ(store->List({})->findings.at(0).count, static_cast<std::uint64_t>(kEvents));
}

TEST(SqliteConcurrencyTest, TwoWritersBothLand) {
  TempDir dir;
  const std::string path = dir.File("vigil.db");
  { ASSERT_NE(OpenOrDie(path), nullptr); }
  std::atomic<int> errors{0};
  auto write = [&](const std::string& user) {
    auto store = OpenOrDie(path);
    for (int i = 0; i < 50; ++i) {
      if (!store->Upsert(Scan({MakeObservation("r", user, user + std::to_string(i), i + 1)}),
                         kSampleNow)) {
        ++errors;
      }
    }
  };
  std::thread a(write, "alice");
  std::thread b(write, "bob");
  a.join();
  b.join();
  EXPECT_EQ(errors, 0);
  auto page = OpenOrDie(path)->List({});
  ASSERT_EQ(page->findings.size(), 2u);
  EXPECT_EQ(page->findings[0].count + page->findings[1].count, 100u);
}

}  // namespace
}  // namespace vigil::store
