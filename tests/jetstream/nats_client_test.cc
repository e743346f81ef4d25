// The libnats layer against a real single-node nats-server with JetStream (tests/nats_server.h).
#include "jetstream/nats_client.h"

#include <gtest/gtest.h>

#include <mutex>

#include "jetstream/subject.h"
#include "nats_server.h"

namespace vigil::jetstream {
namespace {

using namespace std::chrono_literals;

class NatsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!nats_.available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
    ASSERT_TRUE(nats_.StartAll()) << "nats-server did not start; see " << nats_.log(0);
    auto c = Connection::Connect({.urls = nats_.urls()});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    conn_ = std::move(*c);
    // JetStream needs a moment after the port opens.
    Status st = Ok();
    for (int i = 0; i < 100; ++i) {
      st = conn_->EnsureStream(StreamSpec{.name = "AUDIT", .subjects = {"audit.>"}});
      if (st) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(st) << st.error().ToString();
  }

  tests::NatsServers nats_{1};
  std::unique_ptr<Connection> conn_;
};

TEST_F(NatsClientTest, MessageIdsMakeARepeatedPublishADuplicate) {
  std::vector<OutMessage> msgs;
  for (int i = 0; i < 50; ++i) {
    msgs.push_back({SubjectFor("audit", i % 2 ? "prod.eu" : "dev"), "id-" + std::to_string(i),
                    "{\"n\":" + std::to_string(i) + "}"});
  }
  auto first = conn_->PublishAll(msgs, 5s);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->stored, 50u);
  EXPECT_EQ(first->duplicates, 0u);
  auto second = conn_->PublishAll(msgs, 5s);
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(second->stored, 0u);
  EXPECT_EQ(second->duplicates, 50u);
  auto subjects = conn_->StreamSubjects("AUDIT", "audit.>");
  ASSERT_TRUE(subjects.has_value()) << subjects.error().ToString();
  EXPECT_EQ(*subjects, (std::map<std::string, std::uint64_t>{{"audit.dev", 25},
                                                             {"audit.prod%2Eeu", 25}}));
}

TEST_F(NatsClientTest, UnackedMessagesAreRedeliveredAndAckedOnesAreNot) {
  std::vector<OutMessage> msgs;
  for (int i = 0; i < 10; ++i) msgs.push_back({"audit.dev", "m" + std::to_string(i), "x"});
  ASSERT_TRUE(conn_->PublishAll(msgs, 5s).has_value());
  ConsumerSpec spec{.stream = "AUDIT", .durable = ConsumerNameFor("dev"),
                    .filter_subject = "audit.dev", .ack_wait = 1s};
  {
    auto consumer = conn_->Consumer(spec);
    ASSERT_TRUE(consumer.has_value()) << consumer.error().ToString();
    auto batch = (*consumer)->Fetch(4, 2s);
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    ASSERT_EQ(batch->size(), 4u);
    ASSERT_TRUE(batch->AckAll());
    auto unacked = (*consumer)->Fetch(3, 2s);  // taken and dropped without an ack
    ASSERT_TRUE(unacked.has_value());
    EXPECT_EQ(unacked->size(), 3u);
    auto state = (*consumer)->State();
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->num_pending, 3u);
    EXPECT_EQ(state->num_ack_pending, 3);
  }
  // Another handle on the same durable consumer (as a new owner would bind) gets the 3 unacked
  // ones again after AckWait, then the 3 never delivered.
  auto again = conn_->Consumer(spec);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  std::size_t got = 0;
  std::size_t redelivered = 0;
  for (int round = 0; round < 20 && got < 6; ++round) {
    auto batch = (*again)->Fetch(10, 500ms);
    ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
    for (std::size_t i = 0; i < batch->size(); ++i) {
      if (batch->meta(i).delivered > 1) ++redelivered;
    }
    got += batch->size();
    ASSERT_TRUE(batch->AckAll());
  }
  EXPECT_EQ(got, 6u);
  EXPECT_EQ(redelivered, 3u);
}

// Fetch takes what is there without waiting for a full batch beyond its wait, and an empty
// consumer costs about the wait (the worker asks every partition in turn each round).
TEST_F(NatsClientTest, FetchTakesWhatIsThereWithinItsWait) {
  ConsumerSpec spec{.stream = "AUDIT", .durable = ConsumerNameFor("ready"),
                    .filter_subject = "audit.ready", .ack_wait = 30s};
  auto consumer = conn_->Consumer(spec);
  ASSERT_TRUE(consumer.has_value()) << consumer.error().ToString();
  auto start = std::chrono::steady_clock::now();
  auto none = (*consumer)->Fetch(100, 50ms);
  ASSERT_TRUE(none.has_value()) << none.error().ToString();
  EXPECT_TRUE(none->empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);

  std::vector<OutMessage> msgs;
  for (int i = 0; i < 3; ++i) msgs.push_back({"audit.ready", "r" + std::to_string(i), "x"});
  ASSERT_TRUE(conn_->PublishAll(msgs, 5s).has_value());
  start = std::chrono::steady_clock::now();
  auto some = (*consumer)->Fetch(100, 50ms);
  ASSERT_TRUE(some.has_value()) << some.error().ToString();
  EXPECT_EQ(some->size(), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "waited for a full batch";
  ASSERT_TRUE(some->AckAll());
  start = std::chrono::steady_clock::now();
  auto after = (*consumer)->Fetch(100, 50ms);
  ASSERT_TRUE(after.has_value()) << after.error().ToString();
  EXPECT_TRUE(after->empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(NatsClientTest, KeyValueCreateIsExclusiveAndUpdateChecksTheRevision) {
  auto kv = conn_->KeyValue("vigil-test-leases", 1500ms, 1);
  ASSERT_TRUE(kv.has_value()) << kv.error().ToString();
  auto a = (*kv)->Create("dev", "worker-a");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  ASSERT_TRUE(a->has_value());
  auto b = (*kv)->Create("dev", "worker-b");
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_FALSE(b->has_value()) << "a second Create of a live key must fail";
  auto renewed = (*kv)->Update("dev", "worker-a", **a);
  ASSERT_TRUE(renewed.has_value()) << renewed.error().ToString();
  ASSERT_TRUE(renewed->has_value());
  auto stale = (*kv)->Update("dev", "worker-b", **a);  // the old revision
  ASSERT_TRUE(stale.has_value());
  EXPECT_FALSE(stale->has_value());
  auto got = (*kv)->Get("dev");
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->first, "worker-a");
  auto keys = (*kv)->Keys();
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(*keys, std::vector<std::string>{"dev"});
  // Released: another may create it at once. Not renewed: it expires after the TTL.
  ASSERT_TRUE((*kv)->Delete("dev"));
  auto c = (*kv)->Create("dev", "worker-c");
  ASSERT_TRUE(c.has_value() && c->has_value()) << "a deleted key can be created again";
  std::this_thread::sleep_for(2500ms);
  auto d = (*kv)->Create("dev", "worker-d");
  ASSERT_TRUE(d.has_value()) << d.error().ToString();
  EXPECT_TRUE(d->has_value()) << "an expired key can be created again";
}

TEST_F(NatsClientTest, PublishFailsWhenTheServerIsGone) {
  nats_.Stop(0, SIGKILL);
  std::vector<OutMessage> msgs = {{"audit.dev", "gone-1", "x"}};
  auto r = conn_->PublishAll(msgs, 500ms);
  EXPECT_FALSE(r.has_value());
  EXPECT_FALSE(conn_->connected());
}

// Connected in the background to a port nobody listens on: the publish is buffered by libnats,
// never answered, and must fail within its timeout, leaving nothing behind (the ASan build's leak
// check runs this too).
TEST(NatsUnreachableTest, PublishingBeforeTheFirstConnectFailsAndKeepsNothing) {
  const int port = tests::FreeLoopbackPort();
  auto c = Connection::Connect({.urls = {"nats://127.0.0.1:" + std::to_string(port)},
                                .timeout = 300ms});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_FALSE((*c)->connected());
  // Without a message id (no headers) libnats buffers the publish for the reconnect; it is never
  // answered. With one, it refuses at once: headers need a server that said it supports them.
  std::vector<OutMessage> buffered = {{"audit.dev", "", "x"}, {"audit.dev", "", "y"}};
  const auto start = std::chrono::steady_clock::now();
  auto r = (*c)->PublishAll(buffered, 300ms);
  ASSERT_FALSE(r.has_value()) << "published with no server";
  EXPECT_NE(r.error().message.find("2 of 2 publishes not acknowledged"), std::string::npos)
      << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  std::vector<OutMessage> with_id = {{"audit.dev", "never-1", "x"}};
  r = (*c)->PublishAll(with_id, 300ms);
  ASSERT_FALSE(r.has_value()) << "published with no server";
}

// A NATS server that requires a token (authorization.token; `nats-server --auth`): vigil connects
// with the token, a client without it publishes nothing, and no error repeats the token.
TEST(NatsAuthTest, ATokenServerAcceptsTheTokenAndRefusesEveryoneElse) {
  const std::string token = "tok-9d2e41b7c6";
  tests::NatsServers nats(1, {"--auth", token});
  if (!nats.available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
  ASSERT_TRUE(nats.StartAll()) << "nats-server did not start; see " << nats.log(0);

  auto with = Connection::Connect({.urls = nats.urls(), .token = token});
  ASSERT_TRUE(with.has_value()) << with.error().ToString();
  Status st = Ok();
  for (int i = 0; i < 100; ++i) {
    st = (*with)->EnsureStream(StreamSpec{.name = "AUDIT", .subjects = {"audit.>"}});
    if (st) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(st) << st.error().ToString();
  std::vector<OutMessage> msgs = {{"audit.dev", "auth-1", "{}"}};
  auto ok = (*with)->PublishAll(msgs, 5s);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_EQ(ok->stored, 1u);

  for (const std::string& wrong : {std::string(), std::string("not-the-token")}) {
    auto without = Connection::Connect({.urls = nats.urls(), .timeout = 500ms, .token = wrong});
    if (!without.has_value()) {
      EXPECT_EQ(without.error().message.find(token), std::string::npos);
      continue;
    }
    EXPECT_FALSE((*without)->connected());
    msgs = {{"audit.dev", "auth-2", "{}"}};
    auto refused = (*without)->PublishAll(msgs, 500ms);
    ASSERT_FALSE(refused.has_value()) << "published without the token";
    EXPECT_EQ(refused.error().message.find(token), std::string::npos) << refused.error().message;
  }
  auto subjects = (*with)->StreamSubjects("AUDIT", "audit.>");
  ASSERT_TRUE(subjects.has_value()) << subjects.error().ToString();
  EXPECT_EQ(*subjects, (std::map<std::string, std::uint64_t>{{"audit.dev", 1}}));
}

// Every state a Connection reported through on_state, in order.
struct StateLog {
  std::mutex mu;
  std::vector<std::string> states;
  std::function<void(const std::string&)> Sink() {
    return [this](const std::string& s) {
      std::lock_guard lock(mu);
      states.push_back(s);
    };
  }
  std::vector<std::string> Get() {
    std::lock_guard lock(mu);
    return states;
  }
};

// A server that refuses our token: why_not_connected and the state callback say so in libnats'
// words ("Authorization Violation"), once per change, and neither token ever appears.
TEST(NatsAuthTest, AWrongTokenSaysWhyWithoutShowingAToken) {
  const std::string token = "tok-right-77c1a0";
  const std::string wrong = "tok-wrong-3f9e52";
  tests::NatsServers nats(1, {"--auth", token});
  if (!nats.available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
  ASSERT_TRUE(nats.StartAll()) << "nats-server did not start; see " << nats.log(0);

  StateLog log;
  auto c = Connection::Connect({.urls = nats.urls(), .timeout = 500ms, .token = wrong,
                                .on_state = log.Sink()});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_FALSE((*c)->connected());
  EXPECT_NE((*c)->why_not_connected().find("Authorization Violation"), std::string::npos)
      << (*c)->why_not_connected();
  // libnats retries in the background and gives up after the second identical refusal; the
  // reason stays the refusal.
  std::this_thread::sleep_for(1500ms);
  const std::string why = (*c)->why_not_connected();
  EXPECT_NE(why.find("Authorization Violation"), std::string::npos) << why;
  const auto states = log.Get();
  ASSERT_FALSE(states.empty());
  EXPECT_NE(states.front().find("Authorization Violation"), std::string::npos) << states.front();
  for (std::size_t i = 0; i < states.size(); ++i) {
    EXPECT_FALSE(states[i].empty()) << "reported connected";
    if (i > 0) {
      EXPECT_NE(states[i], states[i - 1]) << "reported twice in a row";
    }
    EXPECT_EQ(states[i].find(token), std::string::npos) << states[i];
    EXPECT_EQ(states[i].find(wrong), std::string::npos) << states[i];
  }
  EXPECT_EQ(why.find(wrong), std::string::npos) << why;

  StateLog right_log;
  auto right = Connection::Connect({.urls = nats.urls(), .token = token,
                                    .on_state = right_log.Sink()});
  ASSERT_TRUE(right.has_value()) << right.error().ToString();
  EXPECT_TRUE((*right)->connected());
  EXPECT_EQ((*right)->why_not_connected(), "");
  EXPECT_EQ(right_log.Get(), std::vector<std::string>{""});
}

// A server that goes away and comes back: "disconnected: ..." once, then "" again.
TEST(NatsStateTest, ADisconnectAndReconnectAreEachReportedOnce) {
  tests::NatsServers nats(1);
  if (!nats.available()) GTEST_SKIP() << "nats-server is not installed (scripts/install-deps.sh)";
  ASSERT_TRUE(nats.StartAll()) << "nats-server did not start; see " << nats.log(0);
  StateLog log;
  auto c = Connection::Connect({.urls = nats.urls(), .on_state = log.Sink()});
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  ASSERT_TRUE((*c)->connected());
  nats.Stop(0, SIGKILL);
  std::string why;
  for (int i = 0; i < 100 && why.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    why = (*c)->why_not_connected();
  }
  EXPECT_EQ(why.rfind("disconnected", 0), 0u) << why;
  nats.Start(0);
  ASSERT_TRUE(nats.WaitAccepting(0));
  for (int i = 0; i < 200 && !(*c)->connected(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE((*c)->connected());
  for (int i = 0; i < 40 && (log.Get().empty() || !log.Get().back().empty()); ++i) {
    std::this_thread::sleep_for(50ms);  // the reconnected callback comes on libnats' thread
  }
  const auto states = log.Get();
  ASSERT_GE(states.size(), 3u);
  EXPECT_EQ(states.front(), "");
  EXPECT_EQ(states[1].rfind("disconnected", 0), 0u) << states[1];
  EXPECT_EQ(states.back(), "");
  for (std::size_t i = 1; i < states.size(); ++i) EXPECT_NE(states[i], states[i - 1]);
}

}  // namespace
}  // namespace vigil::jetstream
