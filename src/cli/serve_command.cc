#include "cli/serve_command.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "base/time.h"
#include "cli/exit_codes.h"
#include "ingest/tail.h"
#include "store/sqlite/tail_offsets.h"
#include "server/config.h"
#include "server/server.h"

namespace vigil::cli {
namespace {

// Flags as given; each one set on the command line overrides the config file.
struct ServeFlags {
  std::string config;
  std::string listen;
  std::string db;
  std::vector<std::string> rules;
  bool no_builtin_rules = false;
  bool sequences = false;
  bool no_sequences = false;
  bool baselines = false;
  std::int64_t learning_period = 7 * 24 * 3600;
  std::vector<std::string> tail;
  std::string api_token_file;
  std::string webhook_token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  std::string cluster;
  std::string dead_letter;
  std::string max_body;
  bool insecure_listen = false;
  std::int64_t delivery_window = 900;
  std::vector<std::string> threat_lists;
  std::vector<std::string> trusted_proxies;
  std::vector<std::string> geoip_dbs;
  CLI::App* cmd = nullptr;

  bool Given(const char* name) const { return cmd->count(name) > 0; }
};

Result<server::ServeConfig> BuildConfig(const ServeFlags& f) {
  server::ServeConfig c;
  if (!f.config.empty()) {
    VIGIL_TRY(c, server::LoadServeConfig(f.config));
  }
  if (f.Given("--listen")) c.listen = f.listen;
  if (f.Given("--db")) c.db = f.db;
  if (f.Given("--rules")) c.rules = f.rules;
  if (f.no_builtin_rules) c.no_builtin_rules = true;
  if (f.sequences) c.attack_sequences = true;
  if (f.no_sequences) c.attack_sequences = false;
  if (f.baselines) c.baselines = true;
  if (f.Given("--learning-period")) c.learning_period_seconds = f.learning_period;
  if (f.Given("--tail")) c.tail = f.tail;
  if (f.Given("--threat-list")) c.threat_lists = f.threat_lists;
  if (f.Given("--trusted-proxy")) c.trusted_proxies = f.trusted_proxies;
  if (f.Given("--geoip-db")) c.geoip_databases = f.geoip_dbs;
  if (f.Given("--api-token-file")) c.auth.api_token_file = f.api_token_file;
  if (f.Given("--webhook-token-file")) c.auth.webhook_token_file = f.webhook_token_file;
  if (f.Given("--tls-cert")) c.tls.cert_file = f.tls_cert;
  if (f.Given("--tls-key")) c.tls.key_file = f.tls_key;
  if (f.Given("--client-ca")) c.tls.client_ca_file = f.client_ca;
  if (f.Given("--cluster")) c.cluster = f.cluster;
  if (f.Given("--dead-letter")) c.dead_letter = f.dead_letter;
  if (f.Given("--max-body")) {
    auto v = server::ParseByteSize(f.max_body);
    if (!v) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("--max-body: '{}' is not a size such as 12MiB", f.max_body));
    }
    c.limits.max_body_bytes = *v;
  }
  if (f.insecure_listen) c.insecure_listen = true;
  if (f.Given("--delivery-window")) c.delivery_window = std::chrono::seconds(f.delivery_window);
  return c;
}

int RunServe(const ServeFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config) {
    std::cerr << "vigil serve: " << config.error().ToString() << "\n";
    return ExitCodeFor(config.error());
  }
  const auto shutdown_timeout = config->shutdown_timeout;

  // Signals are taken by one thread with sigwait; every other thread (started below) blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto server = server::Server::Create(std::move(*config));
  if (!server) {
    std::cerr << "vigil serve: " << server.error().ToString() << "\n";
    return ExitCodeFor(server.error());
  }
  auto port = (*server)->Listen();
  if (!port) {
    std::cerr << "vigil serve: " << port.error().ToString() << "\n";
    return ExitCodeFor(port.error());
  }
  server::ListenAddress addr = *server::ParseListenAddress((*server)->config().listen);
  std::cerr << fmt::format("vigil serve: listening on {}:{} ({}), store {}\n", addr.host, *port,
                           (*server)->config().tls.enabled() ? "https" : "http",
                           store::RedactLocation((*server)->config().db))
            << std::flush;

  // File tailers (--tail, tail:): one Tailer thread follows every file; a chunk's offset is saved
  // only after CommitLines says its findings are committed (ingest/tail.h, docs/tailing.md).
  server::Server& srv = **server;
  std::unique_ptr<store::SqliteTailOffsets> offsets;
  std::unique_ptr<ingest::Tailer> tailer;
  std::thread tail_thread;
  std::thread lag_thread;
  std::mutex lag_mu;
  std::condition_variable lag_cv;
  bool lag_stop = false;
  if (!srv.config().tail.empty()) {
    // Checkpoints are about this machine's files: with a shared PostgreSQL store they belong in
    // a local SQLite file (tail_state), not in the organisation-wide database.
    if (srv.config().tail_state.empty() && store::IsPostgresLocation(srv.config().db)) {
      std::cerr << "vigil serve: --tail with a PostgreSQL store needs tail_state: (a local SQLite "
                   "file for this machine's tail checkpoints)\n";
      return kExitUsage;
    }
    const std::string state =
        srv.config().tail_state.empty() ? srv.config().db : srv.config().tail_state;
    auto opened = store::SqliteTailOffsets::Open(state);
    if (!opened) {
      std::cerr << "vigil serve: tail offsets: " << opened.error().ToString() << "\n";
      return ExitCodeFor(opened.error());
    }
    offsets = std::move(*opened);
    ingest::TailOptions to;
    to.paths = srv.config().tail;
    to.on_skip = [](const ingest::TailSkip& skip) {
      std::cerr << fmt::format("vigil serve: tail {}: {} at {} of {}: {}\n", skip.source,
                               ingest::TailSkipKindName(skip.kind), skip.offset, skip.file,
                               skip.reason);
    };
    tailer = std::make_unique<ingest::Tailer>(
        std::move(to),
        [&srv](std::string_view lines, const ingest::TailOrigin& origin) {
          Status st = server::CommitLines(srv.ingest(), std::string(lines), srv.config().cluster,
                                          "tail:" + std::string(origin.source));
          if (st) srv.delivery().Observe(srv.config().cluster, NowNanos());
          return st;
        },
        *offsets);
    tail_thread = std::thread([&tailer] {
      Status st = tailer->Run();
      if (!st) std::cerr << "vigil serve: tailer stopped: " << st.error().ToString() << "\n";
    });
    // vigil_tail_lag_bytes, refreshed a few times a second from the tailer's status.
    lag_thread = std::thread([&srv, &tailer, &lag_mu, &lag_cv, &lag_stop] {
      std::unique_lock lock(lag_mu);
      while (!lag_stop) {
        for (const auto& source : tailer->status()) {
          srv.metrics().Set("vigil_tail_lag_bytes", {source.source},
                            static_cast<double>(source.lag_bytes));
        }
        lag_cv.wait_for(lock, std::chrono::milliseconds(250));
      }
    });
    // Stop reading before the server drains, so the last chunk commits or is re-read next start.
    srv.OnShutdown([&] {
      tailer->Stop();
      if (tail_thread.joinable()) tail_thread.join();
      {
        std::lock_guard lock(lag_mu);
        lag_stop = true;
      }
      lag_cv.notify_all();
      if (lag_thread.joinable()) lag_thread.join();
    });
    std::cerr << fmt::format("vigil serve: following {} file(s); offsets in {}\n",
                             srv.config().tail.size(), state);
  }

  std::atomic<bool> drained{true};
  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        std::cerr << "vigil serve: SIGHUP: reloading rules and TLS files\n";
        (void)(*server)->Reload();
        continue;
      }
      std::cerr << fmt::format("vigil serve: {}: draining (at most {}s)\n",
                               sig == SIGTERM ? "SIGTERM" : "SIGINT", shutdown_timeout.count());
      // A drain that hangs (a stuck disk) must not keep the process alive past its bound.
      std::thread([shutdown_timeout] {
        std::this_thread::sleep_for(shutdown_timeout + std::chrono::seconds(5));
        std::cerr << "vigil serve: shutdown exceeded its bound; exiting\n";
        _exit(kExitIo);
      }).detach();
      stopping = true;
      drained = (*server)->Shutdown();
      return;
    }
  });
  (*server)->Serve();  // returns once Shutdown() stopped the listener
  if (!stopping) {
    // The listener ended by itself (it failed): shut down through the signal thread as well.
    std::cerr << "vigil serve: the listener stopped unexpectedly\n";
    ::kill(::getpid(), SIGTERM);
  }
  signal_thread.join();
  if (tail_thread.joinable()) {  // Shutdown() normally joined it already
    tailer->Stop();
    tail_thread.join();
  }
  if (lag_thread.joinable()) {
    {
      std::lock_guard lock(lag_mu);
      lag_stop = true;
    }
    lag_cv.notify_all();
    lag_thread.join();
  }
  std::cerr << (drained ? "vigil serve: stopped; every accepted batch is committed\n"
                        : "vigil serve: stopped; batches still queued at the deadline were "
                          "refused (not acknowledged)\n");
  return drained ? kExitOk : kExitIo;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, std::function<int()>& run) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run as a service: audit webhook receiver, detection, finding store and HTTP API");
  f->cmd = cmd;
  cmd->add_option("-c,--config", f->config, "YAML configuration file (examples/serve/vigil.yaml)");
  cmd->add_option("--listen", f->listen, "ADDR:PORT to listen on (default 127.0.0.1:8765)");
  cmd->add_option("--db", f->db, "Finding store: a SQLite file (default vigil.db) or a postgres:// URL");
  cmd->add_option("--rules", f->rules,
                  "Rule file or directory loaded after the built-in catalog (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--no-builtin-rules", f->no_builtin_rules, "Do not load the built-in catalog");
  cmd->add_flag("--sequences", f->sequences,
                "Correlate findings and weak signals into attack sequences "
                "(config: attack_sequences: true; the default)");
  cmd->add_flag("--no-sequences", f->no_sequences,
                "Do not correlate attack sequences (config: attack_sequences: false)");
  cmd->add_flag("--baselines", f->baselines,
                "Learn per-principal baselines (kept in the store) and report AnomalousBehavior "
                "findings after the learning period (config: baselines: true)");
  cmd->add_option("--learning-period", f->learning_period,
                  "Seconds of event time a baseline learns before reporting (config: "
                  "learning_period, e.g. 7d)")
      ->capture_default_str();
  cmd->add_option("--tail", f->tail, "Audit log file to follow (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--api-token-file", f->api_token_file,
                  "File of API tokens, lines 'TOKEN read|admin [NAME]'");
  cmd->add_option("--webhook-token-file", f->webhook_token_file,
                  "File of webhook bearer tokens, lines 'TOKEN [CLUSTER]'");
  cmd->add_option("--tls-cert", f->tls_cert, "PEM certificate chain (reloaded on SIGHUP)");
  cmd->add_option("--tls-key", f->tls_key, "PEM private key (reloaded on SIGHUP)");
  cmd->add_option("--client-ca", f->client_ca,
                  "PEM CA whose client certificates authenticate webhook callers (CN = cluster)");
  cmd->add_option("--cluster", f->cluster, "Cluster name for callers that name none");
  cmd->add_option("--dead-letter", f->dead_letter, "Append rejected records to this file");
  cmd->add_option("--max-body", f->max_body, "Largest webhook body (default 12MiB)");
  cmd->add_flag("--insecure-listen", f->insecure_listen,
                "Allow a non-loopback address without TLS and authentication");
  cmd->add_option("--threat-list", f->threat_lists,
                  "NAME=FILE: an IP/CIDR list; tor gives TorIPCaller, other names "
                  "MaliciousIPCaller.Custom (repeatable; read at start)");
  cmd->add_option("--trusted-proxy", f->trusted_proxies,
                  "IP or CIDR of a proxy in front of the API server, skipped when finding the "
                  "caller's address (repeatable)");
  cmd->add_option("--geoip-db", f->geoip_dbs,
                  "MaxMind-format database (.mmdb: Country, City or ASN) for the caller's country "
                  "and AS (repeatable; geoip_databases in the config)");
  cmd->add_option("--delivery-window", f->delivery_window,
                  "Seconds of silence after which a cluster that sent audit events gets a HIGH "
                  "'audit log delivery stopped' finding (KubeAudit.4); 0 turns it off")
      ->capture_default_str();
  cmd->callback([f, &run] { run = [f] { return RunServe(*f); }; });
}

}  // namespace vigil::cli
