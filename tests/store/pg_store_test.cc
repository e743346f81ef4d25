// What only the PostgreSQL store has to show: several processes upserting the same findings at
// once lose no update, several workers starting at once migrate once, login failures are clear
// and never show the password, the password can come from a PGPASSFILE instead of the URL, a
// foreign or newer database is refused — and `vigil scan --db postgres://…` end to end. Against a
// real server (tests/pg_server.h).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "controls/command_runner.h"
#include "pg_server.h"
#include "remediate/journal.h"
#include "store/postgres/pg_store.h"
#include "store/postgres/remediation_state.h"
#include "store/store_test_util.h"

namespace vigil::store {
namespace {

using findings::Finding;
using findings::Observation;
using findings::testing::kSampleNow;
using findings::testing::MakeObservation;
using testing::Scan;
using tests::PgServer;
using tests::TempDir;

std::string DatabaseName() {
  static int n = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("p_") + info->name() + "_" + std::to_string(++n);
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name.substr(0, 60);
}

// Runs `body` in `n` forked children at once (released together through a pipe); returns how
// many exited 0.
int RunChildren(int n, const std::function<bool(int)>& body) {
  int go[2];
  if (pipe(go) != 0) return 0;
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      char c;
      (void)!read(go[0], &c, 1);  // wait for the start signal (EOF)
      _exit(body(i) ? 0 : 1);
    }
    pids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // start
  int ok = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VIGIL_REQUIRE_PG_SERVER(server);
    server_ = server;
    std::string why;
    url_ = server->CreateDatabase(DatabaseName(), &why);
    ASSERT_FALSE(url_.empty()) << why;
  }
  PgServer* server_ = nullptr;
  std::string url_;
};

// 4 processes, 5 findings, 240 events; every event is delivered by two processes, in batches of
// a few events across several findings, in different orders. The result must be what one
// process storing every event once gives: no lost count, first/last seen or ledger entry.
TEST_F(PgStoreTest, ConcurrentProcessesUpsertingTheSameFindingsLoseNoUpdate) {
  constexpr int kProcesses = 4;
  constexpr int kEvents = 240;
  std::vector<Observation> all;
  for (int i = 0; i < kEvents; ++i) {
    all.push_back(MakeObservation("rule-" + std::to_string(i % 5), "alice",
                                  "ev-" + std::to_string(i), kSampleNow - (i * 7919 % 1000)));
  }
  { ASSERT_TRUE(PgFindingStore::Open(url_).has_value()); }  // migrate before the race
  const int ok = RunChildren(kProcesses, [&](int child) {
    auto store = PgFindingStore::Open(url_);
    if (!store) return false;
    std::vector<Observation> mine;
    for (int i = 0; i < kEvents; ++i) {
      if (i % kProcesses == child || i % kProcesses == (child + 1) % kProcesses) {
        mine.push_back(all[i]);
      }
    }
    if (child % 2) std::reverse(mine.begin(), mine.end());
    for (size_t from = 0; from < mine.size(); from += 7) {
      std::vector<Observation> chunk(mine.begin() + static_cast<std::ptrdiff_t>(from),
                                     mine.begin() + static_cast<std::ptrdiff_t>(
                                                        std::min(from + 7, mine.size())));
      auto r = (*store)->Upsert(Scan(chunk), kSampleNow + child);
      if (!r) {
        fprintf(stderr, "child %d: %s\n", child, r.error().ToString().c_str());
        return false;
      }
    }
    return true;
  });
  ASSERT_EQ(ok, kProcesses);

  auto reference = SqliteFindingStore::Open(":memory:");
  ASSERT_TRUE((*reference)->Upsert(Scan(all), kSampleNow).has_value());
  auto store = PgFindingStore::Open(url_);
  ASSERT_TRUE(store.has_value());
  auto got = (*store)->List({.limit = 0});
  auto want = (*reference)->List({.limit = 0});
  ASSERT_EQ(got->total, 5u);
  ASSERT_EQ(want->total, 5u);
  std::map<std::string, std::string> a, b;
  for (const Finding& f : got->findings) {
    a[f.id] = fmt::format("{} {} {}", f.count, f.first_seen, f.last_seen);
    EXPECT_EQ(*(*store)->EventCount(f.id), static_cast<std::int64_t>(f.count));
  }
  for (const Finding& f : want->findings) {
    b[f.id] = fmt::format("{} {} {}", f.count, f.first_seen, f.last_seen);
  }
  EXPECT_EQ(a, b);
  std::uint64_t total = 0;
  for (const Finding& f : got->findings) total += f.count;
  EXPECT_EQ(total, static_cast<std::uint64_t>(kEvents));
}

// Findings without event tracking are counted as given (count += count): the purest lost-update
// check — 4 processes × 25 upserts of count 1 must leave count 100.
TEST_F(PgStoreTest, ConcurrentUntrackedIncrementsAllLand) {
  Finding f = Scan({MakeObservation("r", "bob", "x", kSampleNow)}).at(0);
  f.events.clear();
  { ASSERT_TRUE(PgFindingStore::Open(url_).has_value()); }
  const int ok = RunChildren(4, [&](int) {
    auto store = PgFindingStore::Open(url_);
    if (!store) return false;
    for (int i = 0; i < 25; ++i) {
      if (!(*store)->Upsert(std::vector<Finding>{f}, kSampleNow + i)) return false;
    }
    return true;
  });
  ASSERT_EQ(ok, 4);
  auto store = PgFindingStore::Open(url_);
  EXPECT_EQ((*store)->Get(f.id)->count, 100u);
}

TEST_F(PgStoreTest, WorkersStartingAtOnceMigrateOnce) {
  const int ok = RunChildren(6, [&](int) {
    auto store = PgFindingStore::Open(url_);
    if (!store) fprintf(stderr, "%s\n", store.error().ToString().c_str());
    return store.has_value() && *(*store)->SchemaVersion() == 9;
  });
  EXPECT_EQ(ok, 6);
  PGconn* conn = PQconnectdb(url_.c_str());
  PGresult* r = PQexec(conn, "SELECT count(*), count(DISTINCT version) FROM schema_migrations");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "9");
  EXPECT_STREQ(PQgetvalue(r, 0, 1), "9");
  PQclear(r);
  PQfinish(conn);
}

TEST_F(PgStoreTest, AWrongPasswordSaysSoWithoutShowingIt) {
  const std::string secret = "Wr0ng-S3cret-pw";
  const std::string url = fmt::format("postgres://vigil:{}@127.0.0.1:{}/postgres", secret,
                                      server_->port());
  auto store = OpenFindingStore(url);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  const std::string message = store.error().ToString();
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
  EXPECT_NE(message.find("postgres://vigil:***@127.0.0.1"), std::string::npos) << message;
  EXPECT_EQ(message.find(secret), std::string::npos) << message;
}

TEST_F(PgStoreTest, AnUnreachableServerSaysSoWithoutShowingThePassword) {
  const std::string secret = "hunter2-S3cret";
  for (const std::string& url :
       {fmt::format("postgresql://vigil:{}@127.0.0.1:1/vigil", secret),
        fmt::format("postgres://127.0.0.1:1/vigil?user=vigil&password={}", secret)}) {
    auto store = OpenFindingStore(url);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, ErrorCode::kIo);
    const std::string message = store.error().ToString();
    EXPECT_NE(message.find("cannot connect to PostgreSQL"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

TEST(PgRedactTest, RedactsThePasswordWhereverTheUrlCarriesIt) {
  EXPECT_EQ(pg::RedactUrl("postgres://u:p%40ss@db.example:5432/vigil"),
            "postgres://u:***@db.example:5432/vigil");
  EXPECT_EQ(pg::RedactUrl("postgresql://u@host/db"), "postgresql://u@host/db");
  EXPECT_EQ(pg::RedactUrl("postgres://host/db?user=u&password=pw&sslmode=require"),
            "postgres://host/db?user=u&password=***&sslmode=require");
  EXPECT_EQ(pg::RedactUrl("postgres://u:a@b@host/db"), "postgres://u:***@host/db");
}

TEST_F(PgStoreTest, ThePasswordCanComeFromAPasswordFileInsteadOfTheUrl) {
  TempDir dir;
  const std::string passfile = dir.File("pgpass");
  {
    std::ofstream out(passfile);
    out << "127.0.0.1:" << server_->port() << ":*:vigil:" << PgServer::kPassword << "\n";
  }
  ASSERT_EQ(chmod(passfile.c_str(), 0600), 0);
  const std::string db = url_.substr(url_.rfind('/') + 1);
  // Without the file: refused.
  auto refused = OpenFindingStore(server_->UrlWithoutPassword(db));
  ASSERT_FALSE(refused.has_value());
  setenv("PGPASSFILE", passfile.c_str(), 1);
  auto store = OpenFindingStore(server_->UrlWithoutPassword(db));
  unsetenv("PGPASSFILE");
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  EXPECT_TRUE((*store)->Upsert(Scan({MakeObservation("r", "a", "e", 1)}), 1).has_value());
}

TEST_F(PgStoreTest, ADatabaseThatIsNotAVigilStoreIsRefused) {
  PGconn* conn = PQconnectdb(url_.c_str());
  PGresult* r = PQexec(conn, "CREATE TABLE invoices (id int)");
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  auto store = OpenFindingStore(url_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kConfig);
  EXPECT_NE(store.error().message.find("not a vigil finding store"), std::string::npos);
}

TEST_F(PgStoreTest, ASchemaNewerThanThisBuildIsRefused) {
  { ASSERT_TRUE(PgFindingStore::Open(url_).has_value()); }
  auto older = pg::BuiltinMigrations().first(3);
  auto store = PgFindingStore::Open(url_, {.migrations = older});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(store.error().message.find("version 9"), std::string::npos) << store.error().message;
}

// Several engines at once: the journal stays one intact chain, and a finding keeps one ticket
// row per tracker however many workers write it.
TEST_F(PgStoreTest, ConcurrentWorkersKeepOneJournalChainAndOneTicketPerFinding) {
  { ASSERT_TRUE(PgRemediationState::Open(url_).has_value()); }
  const int ok = RunChildren(4, [&](int child) {
    auto st = PgRemediationState::Open(url_);
    if (!st) return false;
    for (int i = 0; i < 20; ++i) {
      remediate::JournalEntry e;
      e.time = i;
      e.kind = "action";
      e.finding_id = "f";
      if (!(*st)->AppendJournal(e)) return false;
      remediate::TicketLink t;
      t.finding_id = "f";
      t.tracker = "github";
      t.key = std::to_string(child);
      if (!(*st)->PutTicket(t)) return false;
    }
    return true;
  });
  ASSERT_EQ(ok, 4);
  auto st = PgRemediationState::Open(url_);
  auto journal = (*st)->ListJournal(0, 0, "");
  ASSERT_TRUE(journal.has_value());
  ASSERT_EQ(journal->size(), 80u);
  for (size_t i = 0; i < journal->size(); ++i) EXPECT_EQ((*journal)[i].seq, static_cast<std::int64_t>(i + 1));
  const remediate::JournalCheck check = remediate::VerifyJournal(*journal);
  EXPECT_TRUE(check.ok) << check.why;
  PGconn* conn = PQconnectdb(url_.c_str());
  PGresult* r = PQexec(conn, "SELECT count(*) FROM remediation_tickets");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "1");
  PQclear(r);
  PQfinish(conn);
}

// /readyz asks the store for one finding: when the server goes away, that fails (kIo, no
// password), so readiness follows PostgreSQL's connectivity. When the server restarts (same port
// and data directory), the same store object goes on: the next operation finds its session ended
// and runs on a new one — without failing — and while the server is down every operation fails
// cleanly and the first one after it is back succeeds.
TEST(PgServerGoneTest, AStoreFailsCleanlyWhileItsServerIsDownAndRecoversWhenItIsBack) {
  std::string why;
  auto own = PgServer::Start(&why);
  if (own == nullptr && PgServer::FindBinDir().empty()) GTEST_SKIP() << why;
  ASSERT_NE(own, nullptr) << why;
  const std::string url = own->CreateDatabase("gone", &why);
  ASSERT_FALSE(url.empty()) << why;
  auto store = OpenFindingStore(url);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  ASSERT_TRUE((*store)->List({.limit = 1}).has_value());

  // A restart between two operations: neither a read nor a write (a transaction) fails.
  ASSERT_TRUE(own->Restart(&why)) << why;
  auto read = (*store)->List({.limit = 1});
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  ASSERT_TRUE(own->Restart(&why)) << why;
  auto first = (*store)->Upsert(Scan({MakeObservation("r", "alice", "ev-1", kSampleNow)}),
                                kSampleNow);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();

  // Down: every operation fails with kIo, saying what failed and never the password.
  own->Stop();
  for (int i = 0; i < 2; ++i) {  // the second one tries to connect again, and fails the same way
    auto listed = (*store)->List({.limit = 1});
    ASSERT_FALSE(listed.has_value());
    EXPECT_EQ(listed.error().code, ErrorCode::kIo);
    EXPECT_NE(listed.error().message.find("PostgreSQL"), std::string::npos)
        << listed.error().message;
    EXPECT_EQ(listed.error().message.find(PgServer::kPassword), std::string::npos)
        << listed.error().message;
  }
  auto refused = (*store)->Upsert(Scan({MakeObservation("r", "alice", "ev-2", kSampleNow)}),
                                  kSampleNow);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kIo);
  EXPECT_EQ(refused.error().message.find(PgServer::kPassword), std::string::npos)
      << refused.error().message;

  // Back: the same object reads and writes again; what was committed before is there, once.
  ASSERT_TRUE(own->Resume(&why)) << why;
  auto second = (*store)->Upsert(Scan({MakeObservation("r", "alice", "ev-2", kSampleNow)}),
                                 kSampleNow);
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  auto all = (*store)->List({.limit = 0});
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  ASSERT_EQ(all->findings.size(), 1u);
  EXPECT_EQ(all->findings[0].count, 2u);
}

// A session ended by the server (a DBA's pg_terminate_backend, a failover): the next operation
// either finds it ended before sending anything, or loses it in the middle of its transaction —
// which the server rolled back, so the transaction is retried whole on a new session. Either
// way it commits once.
TEST_F(PgStoreTest, ASessionTerminatedByTheServerIsReplacedOnTheNextOperation) {
  auto store = PgFindingStore::Open(url_);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  ASSERT_TRUE((*store)->Upsert(Scan({MakeObservation("r", "bob", "ev-1", kSampleNow)}), kSampleNow)
                  .has_value());
  PGconn* admin = PQconnectdb(url_.c_str());
  ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
  PGresult* r = PQexec(admin,
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE application_name = 'vigil' AND pid <> pg_backend_pid()");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(admin);
  EXPECT_STRNE(PQgetvalue(r, 0, 0), "0");
  PQclear(r);
  PQfinish(admin);
  auto again = (*store)->Upsert(Scan({MakeObservation("r", "bob", "ev-2", kSampleNow)}), kSampleNow);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ((*store)->Get(Scan({MakeObservation("r", "bob", "ev-2", kSampleNow)}).at(0).id)->count,
            2u);
}

// --- end to end: the vigil binary ------------------------------------------------------------

controls::CommandResult Vigil(std::vector<std::string> args) {
  args.insert(args.begin(), VIGIL_BINARY);
  controls::ProcessRunner runner;
  auto r = runner.Run(args);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : controls::CommandResult{-1, "", ""};
}

// id → count|first_seen|last_seen of `vigil findings list --format json`.
std::map<std::string, std::string> Listed(const std::string& db) {
  const auto r = Vigil({"findings", "list", "--db", db, "--format", "json", "--limit", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      ADD_FAILURE() << "not JSON: " << line;
      continue;
    }
    out[j["id"].get<std::string>()] = fmt::format(
        "{}|{}|{}|{}", j["count"].dump(), j["first_seen"].dump(), j["last_seen"].dump(),
        j["workflow_status"].dump());
  }
  return out;
}

TEST_F(PgStoreTest, VigilScanTwiceLeavesTheSameFindingsAsWithSqlite) {
  const std::string input = std::string(VIGIL_SOURCE_DIR) + "/examples/audit/example.jsonl.gz";
  TempDir dir;
  const std::string lite = dir.File("vigil.db");
  for (const std::string& db : {url_, url_, lite}) {
    const auto r = Vigil({"scan", "--db", db, "--cluster", "prod", "--format", "json", input});
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << ": " << r.err;
    EXPECT_EQ(r.err.find(PgServer::kPassword), std::string::npos) << r.err;
  }
  const auto pg_listed = Listed(url_);
  EXPECT_FALSE(pg_listed.empty());
  EXPECT_EQ(pg_listed, Listed(lite));
}

}  // namespace
}  // namespace vigil::store
