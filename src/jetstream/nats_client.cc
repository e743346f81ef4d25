#include "jetstream/nats_client.h"

#include <fmt/format.h>
#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace vigil::jetstream {
namespace {

Error NatsError(std::string_view what, natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string reason = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && reason != last) reason = fmt::format("{} ({})", reason, last);
  if (code != 0) reason += fmt::format(" [JetStream error {}]", static_cast<int>(code));
  return MakeError(ErrorCode::kIo, fmt::format("NATS: {}: {}", what, reason));
}

std::int64_t Nanos(std::chrono::nanoseconds d) { return static_cast<std::int64_t>(d.count()); }

// What the acknowledgement callback of one PublishAll call counts. Owned by the call, which waits
// until every message was answered (libnats answers each one: an ack, an error, or a timeout).
struct PublishState {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t answered = 0;
  std::size_t stored = 0;
  std::size_t duplicates = 0;
  std::size_t failed = 0;
  std::string first_error;
};

void OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* st = static_cast<PublishState*>(closure);
  {
    std::lock_guard lock(st->mu);
    ++st->answered;
    if (pa != nullptr) {
      if (pa->Duplicate) {
        ++st->duplicates;
      } else {
        ++st->stored;
      }
    } else {
      ++st->failed;
      if (st->first_error.empty()) {
        st->first_error = pae != nullptr && pae->ErrText != nullptr
                              ? std::string(pae->ErrText)
                              : std::string(natsStatus_GetText(pae != nullptr ? pae->Err : NATS_ERR));
      }
    }
  }
  st->cv.notify_all();
  natsMsg_Destroy(msg);
}

// libnats' thread-local error text carries where it was set ("(conn.c:1905): Authorization
// Violation"); the reader wants the reason only.
std::string_view WithoutLocation(std::string_view text) {
  if (text.starts_with('(')) {
    const std::size_t end = text.find("): ");
    if (end != std::string_view::npos) text.remove_prefix(end + 3);
  }
  return text;
}

// Why a connect attempt failed: libnats' detail when it gives one, else its text for the status.
std::string Reason(natsStatus s, std::string_view detail) {
  detail = WithoutLocation(detail);
  if (detail.empty()) return natsStatus_GetText(s);
  return std::string(detail);
}

// What the connection last said of itself (natsConnection_GetLastError), or "".
std::string LastErrorOf(natsConnection* nc) {
  const char* text = nullptr;
  const natsStatus s = natsConnection_GetLastError(nc, &text);
  if (s == NATS_OK) return "";
  return Reason(s, text != nullptr ? text : "");
}

}  // namespace

// Shared between a Connection and libnats' callbacks (its closure). libnats delivers a
// connection's callbacks one at a time on its own thread; the closed callback is the last one.
struct Connection::Watch {
  Watch(std::function<void(const std::string&)> report, std::string secret)
      : on_state(std::move(report)), token(std::move(secret)) {}

  std::function<void(const std::string&)> on_state;
  std::string token;  // only to scrub it

  mutable std::mutex mu;
  std::condition_variable cv;
  bool reported = false;  // on_state was called at least once
  std::string why_not = "not connected yet";
  std::string last_refusal;  // the last reason that was not a plain "no server" (kept for closed)
  bool closing = false;      // the Connection is being destroyed: report nothing more
  bool closed = false;       // the closed callback ran

  std::string Scrub(std::string text) const {
    if (token.empty()) return text;
    for (std::size_t p = text.find(token); p != std::string::npos; p = text.find(token, p + 3)) {
      text.replace(p, token.size(), "***");
    }
    return text;
  }

  // Records the state ("" = connected) and tells the owner when it changed.
  void Set(std::string why) {
    why = Scrub(std::move(why));
    std::lock_guard lock(mu);
    if (closing) return;
    if (!why.empty() && why != natsStatus_GetText(NATS_NO_SERVER)) last_refusal = why;
    if (why.empty()) last_refusal.clear();
    if (reported && why == why_not) return;
    reported = true;
    why_not = why;
    if (on_state) on_state(why_not);
  }

  std::string Get() const {
    std::lock_guard lock(mu);
    return why_not;
  }

  static void OnConnected(natsConnection*, void* closure) { static_cast<Watch*>(closure)->Set(""); }

  static void OnDisconnected(natsConnection* nc, void* closure) {
    const std::string last = LastErrorOf(nc);
    static_cast<Watch*>(closure)->Set("disconnected" + (last.empty() ? "" : ": " + last));
  }

  // libnats reports auth errors met while reconnecting here (not during the first connect).
  static void OnError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure) {
    if (sub != nullptr || natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) return;
    const std::string last = LastErrorOf(nc);
    static_cast<Watch*>(closure)->Set(last.empty() ? natsStatus_GetText(err) : last);
  }

  // Closed without our asking: libnats gave up — it does after the same server refused the same
  // credentials twice — and never tries again. Its own last error is then only "no server", so
  // the reason is the refusal seen before.
  static void OnClosed(natsConnection* nc, void* closure) {
    auto* w = static_cast<Watch*>(closure);
    std::string why = LastErrorOf(nc);
    {
      std::lock_guard lock(w->mu);
      if (!w->last_refusal.empty()) why = w->last_refusal;
    }
    w->Set(fmt::format("connection closed, not retried until vigil restarts: {}",
                       why.empty() ? "no reason given" : why));
    {
      std::lock_guard lock(w->mu);
      w->closed = true;
    }
    w->cv.notify_all();
  }
};

// ---- FetchedBatch ----

FetchedBatch::~FetchedBatch() {
  for (natsMsg* m : msgs_) natsMsg_Destroy(m);
}
FetchedBatch::FetchedBatch(FetchedBatch&& other) noexcept : msgs_(std::move(other.msgs_)) {
  other.msgs_.clear();
}
FetchedBatch& FetchedBatch::operator=(FetchedBatch&& other) noexcept {
  if (this != &other) {
    for (natsMsg* m : msgs_) natsMsg_Destroy(m);
    msgs_ = std::move(other.msgs_);
    other.msgs_.clear();
  }
  return *this;
}

std::string_view FetchedBatch::data(std::size_t i) const {
  const char* d = natsMsg_GetData(msgs_[i]);
  return d == nullptr ? std::string_view()
                      : std::string_view(d, static_cast<std::size_t>(natsMsg_GetDataLength(msgs_[i])));
}

std::string_view FetchedBatch::subject(std::size_t i) const {
  const char* s = natsMsg_GetSubject(msgs_[i]);
  return s == nullptr ? std::string_view() : std::string_view(s);
}

FetchedBatch::Meta FetchedBatch::meta(std::size_t i) const {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msgs_[i]) != NATS_OK || meta == nullptr) return {};
  const Meta m{meta->NumDelivered, meta->Timestamp};
  jsMsgMetaData_Destroy(meta);
  return m;
}

Status FetchedBatch::AckAll() {
  // Every ack but the last is sent without waiting; the last one waits for the server's reply,
  // which comes after the server processed the earlier acks of this connection (in order).
  for (std::size_t i = 0; i < msgs_.size(); ++i) {
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = i + 1 < msgs_.size() ? natsMsg_Ack(msgs_[i], nullptr)
                                        : natsMsg_AckSync(msgs_[i], nullptr, &code);
    if (s != NATS_OK) return NatsError("acknowledging a message", s, code);
  }
  return Ok();
}

void FetchedBatch::NakAll() {
  for (natsMsg* m : msgs_) (void)natsMsg_Nak(m, nullptr);
}

// ---- PullConsumer ----

PullConsumer::~PullConsumer() {
  // Unsubscribing a durable pull subscription would delete the consumer; only free the handle.
  natsSubscription_Destroy(sub_);
}

namespace {

// Every fetch is a no-wait pull request: the server answers at once with what is ready (and a 404
// or 408 status when that is less than asked) and the request ends there. A request the server
// holds open can outlive the client's wait: what it delivers afterwards, and its final status,
// then sit in the subscription's queue, and libnats 3.4.1's fetch overruns its message array
// when it starts with more than half a batch queued (seen under load: ASan, and "malloc():
// invalid size" in a worker). `wait` only bounds how long the answer may take to arrive.
// Anything still queued from an earlier answer that came too late is taken with a batch at least
// twice its size, which keeps clear of that overrun.
natsStatus NoWaitFetch(natsSubscription* sub, int max, std::chrono::milliseconds wait,
                       natsMsgList& list, int& asked) {
  int queued = 0;
  int bytes = 0;
  if (natsSubscription_GetPending(sub, &queued, &bytes) != NATS_OK) queued = 0;
  jsFetchRequest req;
  jsFetchRequest_Init(&req);
  asked = std::max(max, 2 * queued + 1);
  req.Batch = asked;
  req.NoWait = true;
  req.Expires = std::max<std::int64_t>(wait.count(), 1) * 1'000'000;  // ns
  return natsSubscription_FetchRequest(&list, sub, &req);
}

}  // namespace

Result<FetchedBatch> PullConsumer::Fetch(int max, std::chrono::milliseconds wait) {
  natsMsgList list{};
  int asked = 0;
  natsStatus s = NoWaitFetch(sub_, max, wait, list, asked);
  FetchedBatch batch;
  // 404 "no messages" and 408 answer a request that found nothing; a timeout is no answer yet.
  if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) return batch;
  if (s != NATS_OK) return NatsError(fmt::format("fetching from {}", spec_.durable), s);
  const int count = std::min(list.Count, asked);
  batch.msgs_.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    batch.msgs_.push_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // owned by the batch now
  }
  natsMsgList_Destroy(&list);
  return batch;
}

int PullConsumer::ReturnUnseen(std::chrono::milliseconds settle) {
  std::this_thread::sleep_for(settle);
  int queued = 0;
  int bytes = 0;
  if (natsSubscription_GetPending(sub_, &queued, &bytes) != NATS_OK || queued <= 0) return 0;
  // Take what is queued (a no-wait request may bring more from the server: it is returned too).
  natsMsgList list{};
  int asked = 0;
  int returned = 0;
  if (NoWaitFetch(sub_, queued, std::chrono::milliseconds(100), list, asked) == NATS_OK) {
    for (int i = 0; i < std::min(list.Count, asked); ++i) {
      if (natsMsg_Nak(list.Msgs[i], nullptr) == NATS_OK) ++returned;
    }
  }
  natsMsgList_Destroy(&list);
  return returned;
}

namespace {
Result<ConsumerState> GetConsumerState(jsCtx* js, const std::string& stream,
                                       const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js, stream.c_str(), durable.c_str(), nullptr, &code);
  if (s == NATS_NOT_FOUND || code == JSConsumerNotFoundErr) {
    return MakeError(ErrorCode::kNotFound, fmt::format("NATS: no consumer {} on {}", durable, stream));
  }
  if (s != NATS_OK) return NatsError(fmt::format("consumer info of {}", durable), s, code);
  ConsumerState st{ci->NumPending, ci->NumAckPending, ci->NumRedelivered};
  jsConsumerInfo_Destroy(ci);
  return st;
}
}  // namespace

Result<ConsumerState> PullConsumer::State() {
  return GetConsumerState(js_, spec_.stream, spec_.durable);
}

// ---- KvBucket ----

KvBucket::~KvBucket() { kvStore_Destroy(kv_); }

Result<std::uint64_t> KvBucket::Put(const std::string& key, std::string_view value) {
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return NatsError(fmt::format("writing key {}", key), s);
  return rev;
}

Result<std::optional<std::uint64_t>> KvBucket::Create(const std::string& key,
                                                      std::string_view value) {
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return std::optional<std::uint64_t>(rev);
  if (s == NATS_ERR) {  // "wrong last sequence": the key exists
    nats_GetLastError(nullptr);
    return std::optional<std::uint64_t>();
  }
  return NatsError(fmt::format("creating key {}", key), s);
}

Result<std::optional<std::uint64_t>> KvBucket::Update(const std::string& key,
                                                      std::string_view value,
                                                      std::uint64_t last) {
  std::uint64_t rev = 0;
  natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(),
                                static_cast<int>(value.size()), last);
  if (s == NATS_OK) return std::optional<std::uint64_t>(rev);
  if (s == NATS_ERR) return std::optional<std::uint64_t>();  // someone else's revision
  return NatsError(fmt::format("updating key {}", key), s);
}

Result<std::optional<std::pair<std::string, std::uint64_t>>> KvBucket::Get(const std::string& key) {
  using Out = std::optional<std::pair<std::string, std::uint64_t>>;
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return Out();
  if (s != NATS_OK) return NatsError(fmt::format("reading key {}", key), s);
  Out out(std::in_place, std::string(static_cast<const char*>(kvEntry_Value(e)),
                                     static_cast<std::size_t>(kvEntry_ValueLen(e))),
          kvEntry_Revision(e));
  kvEntry_Destroy(e);
  return out;
}

Status KvBucket::Delete(const std::string& key) {
  natsStatus s = kvStore_Delete(kv_, key.c_str());
  if (s != NATS_OK) return NatsError(fmt::format("deleting key {}", key), s);
  return Ok();
}

Result<std::vector<std::string>> KvBucket::Keys() {
  kvKeysList list{};
  natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  std::vector<std::string> keys;
  if (s == NATS_NOT_FOUND) return keys;  // an empty bucket
  if (s != NATS_OK) return NatsError("listing keys", s);
  for (int i = 0; i < list.Count; ++i) keys.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return keys;
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::Connect(const ConnectOptions& options) {
  if (options.urls.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "NATS: no server URL given");
  }
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return NatsError("creating options", s);
  std::vector<const char*> urls;
  for (const auto& u : options.urls) urls.push_back(u.c_str());
  if (s == NATS_OK) s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts, options.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, static_cast<std::int64_t>(options.timeout.count()));
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts, static_cast<std::int64_t>(options.reconnect_wait.count()));
  }
  std::unique_ptr<Connection> c(new Connection());
  c->watch_ = new Watch(options.on_state, options.token);
  Watch* watch = c->watch_;
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, &Watch::OnDisconnected, watch);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, &Watch::OnConnected, watch);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, &Watch::OnClosed, watch);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, &Watch::OnError, watch);
  if (s == NATS_OK && !options.token.empty()) s = natsOptions_SetToken(opts, options.token.c_str());
  if (s == NATS_OK && !options.credentials_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, options.credentials_file.c_str(), nullptr);
  }
  if (s == NATS_OK && !options.ca_file.empty()) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, options.ca_file.c_str());
  }
  if (s == NATS_OK && !options.cert_file.empty()) {
    s = natsOptions_LoadCertificatesChain(opts, options.cert_file.c_str(),
                                          options.key_file.c_str());
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return NatsError("setting options", s);
  }
  c->timeout_ = options.timeout;
  // One attempt first, in this thread: when it fails, libnats' reason (a refused token, a TLS
  // mismatch) is ours to read here — in the background retry it is lost.
  s = natsConnection_Connect(&c->nc_, opts);
  if (s == NATS_OK) {
    watch->Set("");
  } else {
    const char* detail = nats_GetLastError(nullptr);
    watch->Set(Reason(s, detail != nullptr ? detail : ""));
    // Then connect in the background: with a connected callback, natsConnection_Connect returns
    // NATS_NOT_YET_CONNECTED and keeps trying (max reconnect -1: forever).
    s = natsOptions_SetRetryOnFailedConnect(opts, true, &Watch::OnConnected, watch);
    if (s == NATS_OK) s = natsConnection_Connect(&c->nc_, opts);
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    return NatsError(fmt::format("connecting to {}", options.urls.front()), s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = static_cast<std::int64_t>(options.timeout.count());
  s = natsConnection_JetStream(&c->js_, c->nc_, &jo);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  return c;
}

Connection::~Connection() {
  jsCtx_Destroy(js_);
  if (nc_ == nullptr) {
    delete watch_;
    return;
  }
  {
    std::lock_guard lock(watch_->mu);
    watch_->closing = true;
  }
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
  // The closed callback (posted by Close, or earlier when libnats gave up) is the last use of
  // watch_; wait for it. Should it not come, let watch_ outlive any late callback: keep it.
  std::unique_lock lock(watch_->mu);
  if (watch_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return watch_->closed; })) {
    lock.unlock();
    delete watch_;
  }
}

bool Connection::connected() const {
  return nc_ != nullptr && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

std::string Connection::why_not_connected() const {
  if (connected()) return "";
  std::string why = watch_ != nullptr ? watch_->Get() : std::string();
  return why.empty() ? "not connected" : why;
}

Status Connection::EnsureStream(const StreamSpec& spec) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  std::vector<const char*> subjects;
  for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
  cfg.Name = spec.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Retention = js_LimitsPolicy;
  cfg.Storage = spec.file_storage ? js_FileStorage : js_MemoryStorage;
  cfg.Replicas = spec.replicas;
  cfg.Duplicates = Nanos(spec.duplicate_window);
  cfg.MaxAge = Nanos(spec.max_age);
  cfg.MaxBytes = spec.max_bytes;
  cfg.Discard = js_DiscardOld;
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &code);
  if (s != NATS_OK && code == JSStreamNameExistErr) {
    code = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, js_, &cfg, nullptr, &code);
  }
  jsStreamInfo_Destroy(si);
  if (s != NATS_OK) return NatsError(fmt::format("creating stream {}", spec.name), s, code);
  return Ok();
}

Result<PublishReport> Connection::PublishAll(std::span<const OutMessage> messages,
                                             std::chrono::milliseconds timeout) {
  // A JetStream context of its own, so that its acknowledgement callback counts this call's
  // messages only.
  auto state = std::make_unique<PublishState>();
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = static_cast<std::int64_t>(timeout.count());
  jo.PublishAsync.AckHandler = OnPublishAck;
  jo.PublishAsync.AckHandlerClosure = state.get();
  jo.PublishAsync.MaxPending = 4096;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, nc_, &jo);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = static_cast<std::int64_t>(timeout.count());
  std::size_t sent = 0;
  Status failure = Ok();
  for (const OutMessage& m : messages) {
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.data.data(),
                       static_cast<int>(m.data.size()));
    if (s == NATS_OK && !m.msg_id.empty()) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", m.msg_id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, &po);
    natsMsg_Destroy(msg);  // no effect when the library took it
    if (s != NATS_OK) {
      failure = NatsError(fmt::format("publishing to {}", m.subject), s);
      break;
    }
    ++sent;
  }
  // Every message sent is answered by libnats within MaxWait (an ack, an error or a timeout).
  const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(5);
  bool all_answered = false;
  {
    std::unique_lock lock(state->mu);
    all_answered = state->cv.wait_until(lock, deadline, [&] { return state->answered >= sent; });
  }
  PublishReport report;
  std::string first_error;
  std::size_t failed = 0;
  {
    std::lock_guard lock(state->mu);
    report.stored = state->stored;
    report.duplicates = state->duplicates;
    failed = state->failed;
    first_error = state->first_error;
  }
  if (!all_answered) {
    // Take back what is still unanswered: libnats then never calls back for those messages.
    natsMsgList pending;
    if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK) natsMsgList_Destroy(&pending);
    // A callback already running for a message it took before us still decrements the
    // context's pending count when it returns; wait for that before freeing its closure.
    jsPubOptions drain;
    jsPubOptions_Init(&drain);
    drain.MaxWait = 2000;
    // Should even that not finish, the state must outlive the callback: keep it.
    if (js_PublishAsyncComplete(js, &drain) != NATS_OK) (void)state.release();
  }
  jsCtx_Destroy(js);
  if (!failure) return failure.error();
  if (!all_answered || failed > 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("NATS: {} of {} publishes not acknowledged by JetStream{}",
                                 sent - report.stored - report.duplicates, messages.size(),
                                 first_error.empty() ? "" : ": " + first_error));
  }
  return report;
}

Result<std::map<std::string, std::uint64_t>> Connection::StreamSubjects(const std::string& stream,
                                                                        const std::string& filter) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = static_cast<std::int64_t>(timeout_.count());
  jo.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), &jo, &code);
  if (s != NATS_OK) return NatsError(fmt::format("stream info of {}", stream), s, code);
  std::map<std::string, std::uint64_t> out;
  if (si->State.Subjects != nullptr) {
    for (int i = 0; i < si->State.Subjects->Count; ++i) {
      out[si->State.Subjects->List[i].Subject] = si->State.Subjects->List[i].Msgs;
    }
  }
  jsStreamInfo_Destroy(si);
  return out;
}

Result<ConsumerState> Connection::ConsumerInfo(const std::string& stream,
                                               const std::string& durable) {
  return GetConsumerState(js_, stream, durable);
}

Result<std::unique_ptr<PullConsumer>> Connection::Consumer(const ConsumerSpec& spec) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = spec.stream.c_str();
  so.ManualAck = true;
  so.Config.Durable = spec.durable.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.AckWait = Nanos(spec.ack_wait);
  so.Config.MaxAckPending = spec.max_ack_pending;
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.FilterSubject = spec.filter_subject.c_str();
  so.Config.Replicas = spec.replicas;
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub, js_, spec.filter_subject.c_str(), spec.durable.c_str(),
                                  nullptr, &so, &code);
  if (s != NATS_OK) return NatsError(fmt::format("consumer {}", spec.durable), s, code);
  return std::unique_ptr<PullConsumer>(new PullConsumer(js_, sub, spec));
}

Result<std::unique_ptr<KvBucket>> Connection::KeyValue(const std::string& bucket,
                                                       std::chrono::milliseconds ttl,
                                                       int replicas) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = 1;
  cfg.TTL = Nanos(ttl);  // libnats hands TTL to the stream as MaxAge: nanoseconds
  cfg.Replicas = replicas;
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, js_, &cfg);
  if (s != NATS_OK) {
    Error created = NatsError(fmt::format("creating key-value bucket {}", bucket), s);
    // Created by another process with other settings: bind to it.
    s = js_KeyValue(&kv, js_, bucket.c_str());
    if (s != NATS_OK) return created;
  }
  return std::unique_ptr<KvBucket>(new KvBucket(kv));
}

}  // namespace vigil::jetstream
