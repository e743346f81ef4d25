// vigil's JetStream scale-out against real processes: nats-server (one node, or a 3-node
// JetStream cluster on loopback, tests/nats_server.h), `vigil serve` as the webhook front
// (jetstream.role: front) and as workers (jetstream.role: worker), all started with fork/execv.
// The workers share one finding store, a throwaway PostgreSQL server (tests/pg_server.h), as they
// would in production. Findings are compared with `vigil scan` of the same events.
#include <fmt/format.h>
#include <httplib.h>
#include <libpq-fe.h>

#include <atomic>
#include <iostream>
#include <sstream>
#include <map>
#include <set>

#include "jetstream/nats_client.h"
#include "jetstream/subject.h"
#include "nats_server.h"
#include "pg_server.h"
#include "server/serve_process.h"

namespace vigil::server::testing {
namespace {

using namespace std::chrono_literals;
using tests::NatsServers;

std::string YamlList(const std::vector<std::string>& items) {
  std::string s = "[";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + std::string("\"") + items[i] + "\"";
  return s + "]";
}

// Event count of an EventList body: the number of "auditID" keys (the generator writes one per
// event).
std::size_t EventsIn(const std::string& body) {
  std::size_t n = 0;
  for (std::size_t at = body.find("\"auditID\""); at != std::string::npos;
       at = body.find("\"auditID\"", at + 1)) {
    ++n;
  }
  return n;
}

class JetStreamServeTest : public ::testing::Test {
 protected:
  void StartNats(int nodes) {
    nats_ = std::make_unique<NatsServers>(nodes);
    if (!nats_->available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(nats_->StartAll()) << "nats-server did not start; see " << nats_->log(0);
    replicas_ = nodes >= 3 ? 3 : 1;
  }

  std::string WriteConfig(const std::string& name, const std::string& role,
                          const std::string& extra = "") {
    const std::string path = dir_.File(name + ".yaml");
    WriteFile(path, fmt::format("listen: 127.0.0.1:0\n"
                                "db: {}\n"
                                "jetstream:\n"
                                "  role: {}\n"
                                "  urls: {}\n"
                                "  replicas: {}\n"
                                "  lease_ttl: 2s\n"
                                "  ack_wait: 5s\n"
                                "  publish_timeout: 3s\n"
                                "  fetch_batch: 200\n{}",
                                role == "front" ? dir_.File("front.db") : store_, role,
                                YamlList(nats_->urls()), replicas_, extra));
    return path;
  }

  std::unique_ptr<jetstream::Connection> Client() {
    auto c = jetstream::Connection::Connect({.urls = nats_->urls()});
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().ToString());
    return c ? std::move(*c) : nullptr;
  }

  // Messages per subject in the stream (waits for the stream to exist).
  std::map<std::string, std::uint64_t> StreamCounts(jetstream::Connection& c) {
    for (int i = 0; i < 100; ++i) {
      auto s = c.StreamSubjects("AUDIT", "audit.>");
      if (s) return *s;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "stream AUDIT not readable";
    return {};
  }

  // Waits until every cluster's durable consumer exists and has nothing pending or unacked.
  bool WaitDrained(jetstream::Connection& c, const std::vector<std::string>& clusters,
                   std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (const auto& cluster : clusters) {
        auto st = c.ConsumerInfo("AUDIT", jetstream::ConsumerNameFor(cluster));
        if (!st || st->num_pending != 0 || st->num_ack_pending != 0) {
          all = false;
          break;
        }
      }
      if (all) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // `vigil scan --sequences` of each cluster's batches into one reference store.
  std::string ReferenceScan(const std::map<std::string, std::vector<std::string>>& by_cluster) {
    const std::string db = dir_.File("reference.db");
    for (const auto& [cluster, bodies] : by_cluster) {
      const std::string file = dir_.File("ref-" + cluster + ".jsonl");
      std::string all;
      for (const auto& b : bodies) all += b + "\n";
      WriteFile(file, all);
      EXPECT_EQ(RunToExit({VIGIL_BINARY, "scan", "--quiet", "--no-progress", "--sequences",
                           "--cluster", cluster, "--db", db, "--format", "json", "-o",
                           dir_.File("ref-" + cluster + ".json"), file},
                          dir_.File("scan.out")),
                0);
    }
    return db;
  }

  // The workers' shared store: a database on a PostgreSQL server of this test's own.
  void StartPostgres() {
    std::string why;
    pg_ = tests::PgServer::Start(&why);
    if (pg_ == nullptr) {
      if (tests::PgServer::FindBinDir().empty()) {
        GTEST_SKIP() << "PostgreSQL is not installed (scripts/install-deps.sh --tests)";
      }
      FAIL() << "PostgreSQL did not start: " << why;
    }
    store_ = pg_->CreateDatabase("shared", &why);
    ASSERT_FALSE(store_.empty()) << why;
  }

  TempDir dir_;
  std::unique_ptr<NatsServers> nats_;
  std::unique_ptr<tests::PgServer> pg_;
  int replicas_ = 1;
  std::string store_ = dir_.File("shared.db");  // StartPostgres() makes it a postgres:// URL
};

httplib::Result Post(int port, const std::string& cluster, const std::string& body) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(20);
  return cli.Post("/k8s-audit?cluster=" + cluster, body, "application/json");
}

// "took cluster" lines of a worker's log: partitions it took (src/server/jetstream_worker.cc).
std::size_t Takes(const std::string& log) {
  std::size_t n = 0;
  for (auto at = log.find("took cluster"); at != std::string::npos;
       at = log.find("took cluster", at + 1)) {
    ++n;
  }
  return n;
}

// The clusters a worker's log says it holds now: taken and not released or lost since.
std::set<std::string> Owned(const std::string& log) {
  std::set<std::string> owned;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    const auto q = line.find(" cluster '");
    if (q == std::string::npos) continue;
    const std::size_t at = q + std::string(" cluster '").size();
    const std::string cluster = line.substr(at, line.find('\'', at) - at);
    if (line.find(": took cluster") != std::string::npos) {
      owned.insert(cluster);
    } else if (line.find(": released cluster") != std::string::npos ||
               line.find(": lost cluster") != std::string::npos) {
      owned.erase(cluster);
    }
  }
  return owned;
}

// The sum of every sample of metric family `name` on /metrics.
double MetricSum(int port, const std::string& name) {
  httplib::Client cli("127.0.0.1", port);
  auto r = cli.Get("/metrics");
  if (!r || r->status != 200) return 0;
  double sum = 0;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

int ReadyStatus(int port) {
  httplib::Client cli("127.0.0.1", port);
  auto r = cli.Get("/readyz");
  return r ? r->status : 0;
}

TEST_F(JetStreamServeTest, FrontStoresEachEventOnceAndAnswers503WhileNatsIsDown) {
  StartNats(1);
  auto batches = GeneratedBatches(dir_, 1200, "0.02");
  if (batches.empty()) GTEST_SKIP() << "vigil_gen_audit is not built (VIGIL_BUILD_BENCH=OFF)";
  ServeProcess front({"-c", WriteConfig("front", "front")}, dir_.File("front.log"));
  auto port = front.WaitForPort();
  ASSERT_TRUE(port) << front.log();
  std::size_t events = 0;
  for (std::size_t i = 0; i < 2 && i < batches.size(); ++i) {
    events += EventsIn(batches[i]);
    for (int attempt = 0; attempt < 2; ++attempt) {  // the API server's retry: same events
      auto r = Post(*port, "prod.eu", batches[i]);
      ASSERT_TRUE(r) << "no answer";
      ASSERT_EQ(r->status, 200) << r->body;
    }
  }
  EXPECT_EQ(ReadyStatus(*port), 200);
  auto client = Client();
  ASSERT_TRUE(client);
  EXPECT_EQ(StreamCounts(*client),
            (std::map<std::string, std::uint64_t>{{"audit.prod%2Eeu", events}}));

  // NATS down: 503 (not acknowledged), and /readyz says so.
  nats_->Stop(0, SIGKILL);
  ASSERT_GE(batches.size(), 3u);
  auto down = Post(*port, "prod.eu", batches[2]);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503) << down->body;
  EXPECT_EQ(ReadyStatus(*port), 503);
  // Back (same store directory): the retry is stored, and nothing stored before is lost.
  nats_->Start(0);
  ASSERT_TRUE(nats_->WaitAccepting(0));
  events += EventsIn(batches[2]);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    auto r = Post(*port, "prod.eu", batches[2]);
    status = r ? r->status : 0;
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(status, 200) << front.log();
  EXPECT_EQ(ReadyStatus(*port), 200);
  auto again = Client();
  ASSERT_TRUE(again);
  EXPECT_EQ(StreamCounts(*again),
            (std::map<std::string, std::uint64_t>{{"audit.prod%2Eeu", events}}));
}

// Publishes the generated corpus through the front across four clusters while `disturb` runs
// (after a third of the batches), waits until every partition is drained, stops the workers and
// returns the shared store's findings.
struct Corpus {
  std::vector<std::string> clusters = {"prod.eu", "prod-us", "dev", "staging"};
  std::map<std::string, std::vector<std::string>> by_cluster;
};

class JetStreamWorkersTest : public JetStreamServeTest {
 protected:
  void RunWorkers(bool chaos) {
    StartNats(3);
    if (IsSkipped() || HasFatalFailure()) return;
    StartPostgres();
    if (IsSkipped() || HasFatalFailure()) return;
    auto batches = GeneratedBatches(dir_, 32000, "0.01", 11);
    if (batches.empty()) GTEST_SKIP() << "vigil_gen_audit is not built (VIGIL_BUILD_BENCH=OFF)";
    Corpus corpus;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      corpus.by_cluster[corpus.clusters[i % corpus.clusters.size()]].push_back(batches[i]);
    }
    ServeProcess front({"-c", WriteConfig("front", "front")}, dir_.File("front.log"));
    auto port = front.WaitForPort();
    ASSERT_TRUE(port) << front.log();
    // The workers start when a third of the corpus waits in the stream, so that they work
    // through a backlog (and a worker killed then most likely holds fetched, unacked messages).
    std::vector<std::unique_ptr<ServeProcess>> workers;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      if (i == batches.size() / 3) {
        for (int w = 0; w < 3; ++w) {
          const std::string id = "w" + std::to_string(w);
          workers.push_back(std::make_unique<ServeProcess>(
              std::vector<std::string>{"-c",
                                       WriteConfig(id, "worker", "  worker_id: " + id + "\n")},
              dir_.File(id + ".log")));
          ASSERT_TRUE(workers.back()->WaitForPort()) << workers.back()->log();
        }
      }
      if (chaos && i == batches.size() / 3) {
        // A worker that owns partitions dies mid-stream, its leases and unacked messages with it.
        // The findings table is locked against writers from before it takes a partition until
        // after the kill, so it dies with a fetched batch it could not commit: those messages
        // must come back to the partition's next owner.
        PGconn* lock = PQconnectdb(store_.c_str());
        ASSERT_EQ(PQstatus(lock), CONNECTION_OK) << PQerrorMessage(lock);
        auto exec = [lock](const char* sql) {
          PGresult* r = PQexec(lock, sql);
          const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
          PQclear(r);
          return ok;
        };
        ASSERT_TRUE(exec("BEGIN")) << PQerrorMessage(lock);
        ASSERT_TRUE(exec("LOCK TABLE findings IN EXCLUSIVE MODE")) << PQerrorMessage(lock);
        for (int wait = 0; wait < 1000 && Takes(workers[1]->log()) == 0; ++wait) {
          std::this_thread::sleep_for(10ms);
        }
        // Kill it once it holds fetched messages (the consumer of its first cluster has
        // unacknowledged ones; it cannot commit them while the lock is held).
        auto probe = Client();
        ASSERT_TRUE(probe);
        std::int64_t unacked = 0;
        for (int wait = 0; wait < 1000 && unacked == 0; ++wait) {
          for (const auto& cluster : Owned(workers[1]->log())) {
            auto st = probe->ConsumerInfo("AUDIT", jetstream::ConsumerNameFor(cluster));
            if (st) unacked += st->num_ack_pending;
          }
          if (unacked == 0) std::this_thread::sleep_for(10ms);
        }
        EXPECT_GT(unacked, 0) << "w1 fetched nothing:\n" << workers[1]->log();
        workers[1]->Signal(SIGKILL);
        EXPECT_TRUE(exec("ROLLBACK")) << PQerrorMessage(lock);
        PQfinish(lock);
        nats_->Stop(2, SIGKILL);  // and a NATS node
      }
      if (chaos && i == batches.size() / 2) {
        nats_->Start(2);  // the node comes back and catches up
        workers[1] = std::make_unique<ServeProcess>(
            std::vector<std::string>{"-c", dir_.File("w1.yaml")}, dir_.File("w1.log"));
        ASSERT_TRUE(workers[1]->WaitForPort()) << workers[1]->log();
      }
      const std::string& cluster = corpus.clusters[i % corpus.clusters.size()];
      int status = 0;
      for (int attempt = 0; attempt < 300 && status != 200; ++attempt) {
        auto r = Post(*port, cluster, batches[i]);
        status = r ? r->status : 0;
        if (status != 200) std::this_thread::sleep_for(100ms);  // the API server retries
      }
      ASSERT_EQ(status, 200) << "batch " << i << "\n" << front.log();
    }
    auto client = Client();
    ASSERT_TRUE(client);
    ASSERT_TRUE(WaitDrained(*client, corpus.clusters, 90s))
        << workers[0]->log() << workers[2]->log();
    std::size_t owners = 0;
    std::size_t takes = 0;
    double redelivered = 0;
    for (auto& w : workers) {
      redelivered += MetricSum(w->port(), "vigil_jetstream_redelivered_total");
      w->Signal(SIGTERM);
      EXPECT_EQ(w->Wait(30s), 0) << w->log();
      const std::size_t n = Takes(w->log());
      if (n > 0) ++owners;
      takes += n;
    }
    EXPECT_GE(owners, 2u) << "the partitions were not shared between workers";
    if (chaos) {
      // The killed worker's partitions were taken over (more takes than the four first ones),
      // and the batch it had fetched but not committed was delivered again.
      EXPECT_GT(takes, corpus.clusters.size());
      EXPECT_GT(redelivered, 0);
    }
    std::cout << "partitions taken " << takes << " times; messages redelivered: " << redelivered
              << "\n";

    const std::string reference = ReferenceScan(corpus.by_cluster);
    const auto want = OrderFreeCounts(reference);
    const auto got = OrderFreeCounts(store_);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(got, want);
  }
};

// The first `count` × `size` lines of the example corpus (examples/audit/example.jsonl.gz) as
// `count` JSON-lines batches of `size` events.
std::vector<std::string> ExampleBatches(const TempDir& dir, std::size_t count, std::size_t size) {
  const std::string out = dir.File("example.jsonl");
  EXPECT_EQ(RunToExit({"/bin/gzip", "-dc",
                       std::string(VIGIL_SOURCE_DIR) + "/examples/audit/example.jsonl.gz"},
                      out),
            0);
  std::istringstream in(ReadFile(out));
  std::vector<std::string> batches(count);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line) && n < count * size; ++n) {
    batches[n / size] += line + "\n";
  }
  return batches;
}

httplib::Result Ready(int port) {
  httplib::Client cli("127.0.0.1", port);
  return cli.Get("/readyz");
}

// PostgreSQL stops and comes back (same port and data) under a running worker: /readyz answers
// 503 "store unavailable" while it is down and 200 after, without restarting vigil; the worker's
// own webhook answers 503 for a batch it cannot commit (the API server sends it again) and 200
// after; a JetStream batch it could not commit is nacked and committed once it comes back. The
// store then holds what `vigil scan` of the same events finds: nothing lost, nothing doubled.
TEST_F(JetStreamServeTest, APostgresRestartUnderARunningWorkerLosesAndDoublesNothing) {
  StartNats(1);
  if (IsSkipped() || HasFatalFailure()) return;
  StartPostgres();
  if (IsSkipped() || HasFatalFailure()) return;
  // The example corpus in four batches; the last two (retried through the webhook, redelivered
  // through JetStream) hold most of its findings.
  const auto parts = ExampleBatches(dir_, 8, 500);
  const std::vector<std::string> batches = {parts[0] + parts[1] + parts[2],
                                            parts[3] + parts[4] + parts[5], parts[6], parts[7]};
  ServeProcess front({"-c", WriteConfig("front", "front")}, dir_.File("front.log"));
  auto front_port = front.WaitForPort();
  ASSERT_TRUE(front_port) << front.log();
  ServeProcess worker({"-c", WriteConfig("w1", "worker", "  worker_id: w1\n")},
                      dir_.File("w1.log"));
  auto port = worker.WaitForPort();
  ASSERT_TRUE(port) << worker.log();
  auto client = Client();
  ASSERT_TRUE(client);

  auto direct = Post(*port, "dev", batches[0]);
  ASSERT_TRUE(direct);
  ASSERT_EQ(direct->status, 200) << direct->body;
  auto published = Post(*front_port, "dev", batches[1]);
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200) << published->body;
  ASSERT_TRUE(WaitDrained(*client, {"dev"}, 60s)) << worker.log();
  EXPECT_EQ(ReadyStatus(*port), 200);

  pg_->Stop();
  int down_status = 0;
  std::string down_body;
  for (int i = 0; i < 100 && down_status != 503; ++i) {
    if (auto ready = Ready(*port)) {
      down_status = ready->status;
      down_body = ready->body;
    }
    if (down_status != 503) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(down_status, 503);
  EXPECT_NE(down_body.find("store unavailable"), std::string::npos) << down_body;
  auto refused = Post(*port, "dev", batches[2]);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->body.find(tests::PgServer::kPassword), std::string::npos) << refused->body;
  published = Post(*front_port, "dev", batches[3]);  // JetStream stores it; the worker cannot
  ASSERT_TRUE(published);
  ASSERT_EQ(published->status, 200) << published->body;
  double nacked = 0;
  for (int i = 0; i < 200 && nacked == 0; ++i) {
    std::this_thread::sleep_for(100ms);
    nacked = MetricSum(*port, "vigil_jetstream_messages_total{cluster=\"dev\",result=\"nacked\"}");
  }
  EXPECT_GT(nacked, 0) << worker.log();

  std::string why;
  ASSERT_TRUE(pg_->Resume(&why)) << why;
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    status = ReadyStatus(*port);
    if (status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 200) << worker.log();
  auto retried = Post(*port, "dev", batches[2]);  // the API server's retry
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->status, 200) << retried->body;
  ASSERT_TRUE(WaitDrained(*client, {"dev"}, 60s)) << worker.log();
  EXPECT_EQ(worker.log().find(tests::PgServer::kPassword), std::string::npos);
  worker.Signal(SIGTERM);
  ASSERT_TRUE(worker.Wait(30s));

  const std::string reference = ReferenceScan({{"dev", batches}});
  const auto want = OrderFreeCounts(reference);
  EXPECT_GE(want.size(), 5u);
  EXPECT_EQ(OrderFreeCounts(store_), want);
}

// What Fluent Bit's nats output publishes, straight into the stream: chunks of [timestamp,
// {record}] pairs, the record the event itself (tail with a JSON parser) or its line in `log`
// (tail without one). The worker evaluates them as `vigil scan` does the same lines.
TEST_F(JetStreamServeTest, AWorkerEvaluatesFluentBitChunks) {
  StartNats(1);
  if (IsSkipped() || HasFatalFailure()) return;
  const auto parts = ExampleBatches(dir_, 7, 500);
  auto client = Client();
  ASSERT_TRUE(client);
  Status st = Ok();
  for (int i = 0; i < 100; ++i) {
    st = client->EnsureStream({.name = "AUDIT", .subjects = {"audit.>"}});
    if (st) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(st) << st.error().ToString();
  std::vector<jetstream::OutMessage> messages;
  std::istringstream in(parts[6]);
  std::string chunk;
  int n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    std::string record = line;
    if (n % 2 == 1) {  // the tail input's shape: the line as a string
      std::string escaped;
      for (char c : line) {
        if (c == '"' || c == '\\') escaped += '\\';
        escaped += c;
      }
      record = R"({"log":")" + escaped + R"(","stream":"stdout"})";
    }
    chunk += (chunk.empty() ? "[" : ",") + fmt::format("[{}.{},{}]", 1700000000 + n, n % 10, record);
    if (n % 40 == 39) {
      messages.push_back({"audit.dev", "", chunk + "]"});
      chunk.clear();
    }
  }
  if (!chunk.empty()) messages.push_back({"audit.dev", "", chunk + "]"});
  auto published = client->PublishAll(messages, 10s);
  ASSERT_TRUE(published.has_value()) << published.error().ToString();

  ServeProcess worker({"-c", WriteConfig("w1", "worker", "  worker_id: w1\n")},
                      dir_.File("w1.log"));
  auto port = worker.WaitForPort();
  ASSERT_TRUE(port) << worker.log();
  ASSERT_TRUE(WaitDrained(*client, {"dev"}, 60s)) << worker.log();
  EXPECT_EQ(MetricSum(*port, "vigil_events_received_total"), 500) << worker.log();
  EXPECT_EQ(MetricSum(*port, "vigil_events_malformed_total"), 0) << worker.log();
  worker.Signal(SIGTERM);
  ASSERT_TRUE(worker.Wait(30s));
  const auto want = OrderFreeCounts(ReferenceScan({{"dev", {parts[6]}}}));
  EXPECT_GE(want.size(), 3u);
  EXPECT_EQ(OrderFreeCounts(store_), want);
}

// A front whose NATS server refuses its token: the log and /readyz say why, in libnats' words,
// once per change; the token appears in neither.
TEST_F(JetStreamServeTest, AFrontWithAWrongTokenSaysWhyItIsNotConnected) {
  const std::string token = "nats-right-6b1d0c";
  const std::string wrong = "nats-wrong-29ae4f";
  nats_ = std::make_unique<NatsServers>(1, std::vector<std::string>{"--auth", token});
  if (!nats_->available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
  ASSERT_TRUE(nats_->StartAll()) << "nats-server did not start; see " << nats_->log(0);
  WriteFile(dir_.File("token"), wrong + "\n");
  ServeProcess front({"-c", WriteConfig("front", "front",
                                        "  token_file: " + dir_.File("token") + "\n")},
                     dir_.File("front.log"));
  auto port = front.WaitForPort();
  ASSERT_TRUE(port) << front.log();
  std::this_thread::sleep_for(1500ms);  // libnats' background retries meet the same refusal
  auto ready = Ready(*port);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("jetstream unavailable"), std::string::npos) << ready->body;
  EXPECT_NE(ready->body.find("Authorization Violation"), std::string::npos) << ready->body;
  const std::string log = front.log();
  const std::string line = "NATS not connected: Authorization Violation\n";
  EXPECT_NE(log.find(line), std::string::npos) << log;
  EXPECT_EQ(log.find(line), log.rfind(line)) << "logged twice:\n" << log;
  for (const std::string& secret : {token, wrong}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << log;
    EXPECT_EQ(ready->body.find(secret), std::string::npos) << ready->body;
  }
}

TEST_F(JetStreamWorkersTest, ThreeWorkersFindWhatOneScanFinds) { RunWorkers(false); }

TEST_F(JetStreamWorkersTest, KillingAWorkerAndANatsNodeLosesAndDoublesNothing) {
  RunWorkers(true);
}

}  // namespace
}  // namespace vigil::server::testing
