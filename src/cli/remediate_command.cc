#include "cli/remediate_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "base/time.h"
#include "cli/exit_codes.h"
#include "controls/evaluate.h"
#include "remediate/config.h"
#include "remediate/engine.h"
#include "remediate/journal.h"
#include "remediate/runtime.h"
#include "store/finding_store.h"
#include "store/postgres/remediation_state.h"

namespace vigil::cli {
namespace {

using remediate::Engine;

struct Options {
  std::string config;
  std::string db = ":memory:";
  std::string snapshot;
  std::string format = "text";
  std::string output;
  std::string id;  // plan or action id
  std::string hash;
  std::string note;
  std::string actor;
  std::string finding;
  bool verify = false;
  std::size_t limit = 0;
};

int Fail(std::string_view command, const Error& e) {
  std::cerr << "vigil remediate " << command << ": " << e.ToString() << "\n";
  return ExitCodeFor(e);
}

std::string Actor(const Options& o) {
  if (!o.actor.empty()) return o.actor;
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? std::string(user) : "cli";
}

struct Stores {
  std::unique_ptr<store::FindingStore> findings;
  std::unique_ptr<remediate::RemediationStateStore> state;
};

Result<Stores> OpenStores(const std::string& db) {
  Stores s;
  // Two connections to ":memory:" would be two databases: callers pass a file.
  VIGIL_TRY(s.findings, store::OpenFindingStore(db));
  VIGIL_TRY(s.state, store::OpenRemediationState(db));
  return s;
}

Result<remediate::RemediationConfig> LoadConfig(const Options& o) {
  if (o.config.empty()) return remediate::RemediationConfig{};
  return remediate::LoadRemediationConfig(o.config);
}

// Writes to --output or stdout.
class Out {
 public:
  explicit Out(const std::string& path) {
    if (!path.empty() && path != "-") {
      file_.open(path, std::ios::out | std::ios::trunc);
      ok_ = static_cast<bool>(file_);
    }
  }
  bool ok() const { return ok_; }
  std::ostream& stream() { return file_.is_open() ? file_ : std::cout; }

 private:
  std::ofstream file_;
  bool ok_ = true;
};

int RunPlanOrRun(const Options& o, bool execute) {
  const char* name = execute ? "run" : "plan";
  if (o.config.empty()) {
    std::cerr << "vigil remediate " << name << ": give --config FILE (with a remediation: key)\n";
    return kExitUsage;
  }
  auto config = LoadConfig(o);
  if (!config) return Fail(name, config.error());
  auto runtime = remediate::RemediationRuntime::Create(*config, /*offline=*/!execute);
  if (!runtime) return Fail(name, runtime.error());
  // A plan without --db still reads nothing and writes nothing that lasts: a temporary file.
  std::string db = o.db;
  std::string temp;
  if (db == ":memory:") {
    char pattern[] = "/tmp/vigil-remediate-XXXXXX";
    const int fd = ::mkstemp(pattern);
    if (fd < 0) {
      std::cerr << "vigil remediate " << name << ": cannot create a temporary store\n";
      return kExitIo;
    }
    ::close(fd);
    ::unlink(pattern);
    temp = db = pattern;
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      if (path.empty()) return;
      for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
    }
  } cleanup{temp};
  auto stores = OpenStores(db);
  if (!stores) return Fail(name, stores.error());

  const UnixNanos now = NowNanos();
  std::vector<findings::Finding> list;
  if (!o.snapshot.empty()) {
    auto evaluated = controls::EvaluateSnapshot(o.snapshot, {}, now);
    if (!evaluated) return Fail(name, evaluated.error());
    if (execute) {
      auto up = stores->findings->Upsert(*evaluated, now);
      if (!up) return Fail(name, up.error());
      for (const findings::Finding& f : *evaluated) {
        auto g = stores->findings->Get(f.id);
        if (!g) return Fail(name, g.error());
        list.push_back(std::move(*g));
      }
    } else {
      // What the store would hold after this evaluation, without writing it.
      for (const findings::Finding& f : *evaluated) {
        auto g = stores->findings->Get(f.id);
        findings::Finding merged = f;
        if (g) {
          merged.workflow = g->workflow;
          merged.created_at = g->created_at;
          if (f.compliance && f.compliance->status == findings::ComplianceStatus::kPassed)
            merged.workflow = findings::WorkflowStatus::kResolved;
        }
        list.push_back(std::move(merged));
      }
    }
  } else {
    for (std::size_t offset = 0;; offset += 500) {
      store::FindingQuery q;
      q.limit = 500;
      q.offset = offset;
      auto page = stores->findings->List(q);
      if (!page) return Fail(name, page.error());
      for (findings::Finding& f : page->findings) list.push_back(std::move(f));
      if (page->findings.size() < 500) break;
    }
  }
  Engine engine((*runtime)->Deps(stores->state.get(), stores->findings.get()));
  auto report = engine.Process(list, now, execute);
  if (!report) return Fail(name, report.error());
  Out out(o.output);
  if (!out.ok()) {
    std::cerr << "vigil remediate " << name << ": cannot write '" << o.output << "'\n";
    return kExitIo;
  }
  if (o.format == "json") {
    out.stream() << remediate::ReportJson(*report).dump(2) << "\n";
  } else {
    out.stream() << remediate::ReportText(*report);
  }
  out.stream().flush();
  for (const remediate::RunNote& n : report->notes) {
    if (n.kind == "error") return kExitIo;  // retried on the next run; say so in the exit code
  }
  return kExitOk;
}

int RunApproveOrReject(const Options& o, bool approve) {
  const char* name = approve ? "approve" : "reject";
  if (o.db == ":memory:") {
    std::cerr << "vigil remediate " << name << ": give --db PATH (the store with the plan)\n";
    return kExitUsage;
  }
  auto config = LoadConfig(o);
  if (!config) return Fail(name, config.error());
  auto runtime = remediate::RemediationRuntime::Create(*config, true);
  if (!runtime) return Fail(name, runtime.error());
  auto stores = OpenStores(o.db);
  if (!stores) return Fail(name, stores.error());
  Engine engine((*runtime)->Deps(stores->state.get(), stores->findings.get()));
  const UnixNanos now = NowNanos();
  auto outcome = approve ? engine.Approve(o.id, o.hash, o.note, Actor(o), now)
                         : engine.Reject(o.id, o.note, Actor(o), now);
  if (!outcome) return Fail(name, outcome.error());
  using Kind = remediate::ApprovalOutcome::Kind;
  if (o.format == "json") {
    std::cout << remediate::PlanJson(outcome->plan).dump(2) << "\n";
  } else {
    std::cout << outcome->message << "\n";
  }
  if (outcome->kind == Kind::kApproved || outcome->kind == Kind::kRejected) return kExitOk;
  std::cerr << "vigil remediate " << name << ": " << outcome->message << "\n";
  return kExitUsage;
}

int RunRollback(const Options& o) {
  if (o.db == ":memory:") {
    std::cerr << "vigil remediate rollback: give --db PATH (the store with the action)\n";
    return kExitUsage;
  }
  auto config = LoadConfig(o);
  if (!config) return Fail("rollback", config.error());
  auto runtime = remediate::RemediationRuntime::Create(*config, true);
  if (!runtime) return Fail("rollback", runtime.error());
  auto stores = OpenStores(o.db);
  if (!stores) return Fail("rollback", stores.error());
  Engine engine((*runtime)->Deps(stores->state.get(), stores->findings.get()));
  auto entry = engine.Rollback(o.id, Actor(o), NowNanos());
  if (!entry) return Fail("rollback", entry.error());
  std::cout << fmt::format("rolled back action {} (journal entry {}): {}\n", o.id, entry->seq,
                           entry->detail.value("message", ""));
  return kExitOk;
}

int RunJournal(const Options& o) {
  if (o.db == ":memory:") {
    std::cerr << "vigil remediate journal: give --db PATH\n";
    return kExitUsage;
  }
  auto state = store::OpenRemediationState(o.db);
  if (!state) return Fail("journal", state.error());
  auto all = (*state)->ListJournal(0, 0, "");
  if (!all) return Fail("journal", all.error());
  const remediate::JournalCheck check = remediate::VerifyJournal(*all);
  if (o.verify) {
    if (check.ok) {
      std::cout << fmt::format("journal verified: {} entries, chain intact\n", all->size());
      return kExitOk;
    }
    std::cout << fmt::format("journal verification FAILED at entry {}: {}\n", check.bad_seq,
                             check.why);
    return kExitFindings;
  }
  std::size_t shown = 0;
  for (const remediate::JournalEntry& e : *all) {
    if (!o.finding.empty() && e.finding_id != o.finding) continue;
    if (o.limit != 0 && shown == o.limit) break;
    ++shown;
    if (o.format == "json") {
      std::cout << remediate::JournalEntryJson(e).dump() << "\n";
    } else {
      std::cout << fmt::format("{:>5} {} {:<13} finding={} plan={} action={} {}\n", e.seq,
                               FormatRfc3339(e.time, 0), e.kind, e.finding_id,
                               e.plan_id.empty() ? "-" : e.plan_id,
                               e.action_id.empty() ? "-" : e.action_id, e.detail.dump());
    }
  }
  if (!check.ok) {
    std::cerr << fmt::format("vigil: the journal does not verify at entry {}: {}\n", check.bad_seq,
                             check.why);
  }
  return kExitOk;
}

int RunStatus(const Options& o) {
  auto config = LoadConfig(o);
  if (!config) return Fail("status", config.error());
  if (o.db == ":memory:") {
    std::cerr << "vigil remediate status: give --db PATH\n";
    return kExitUsage;
  }
  auto runtime = remediate::RemediationRuntime::Create(*config, true);
  if (!runtime) return Fail("status", runtime.error());
  auto stores = OpenStores(o.db);
  if (!stores) return Fail("status", stores.error());
  Engine engine((*runtime)->Deps(stores->state.get(), stores->findings.get()));
  auto status = engine.StatusJson(NowNanos());
  if (!status) return Fail("status", status.error());
  if (o.format == "json") {
    std::cout << status->dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& [name, mode] : (*status)["mode_by_playbook"].items())
    std::cout << fmt::format("playbook {:<30} mode {}\n", name, mode.get<std::string>());
  std::cout << fmt::format("awaiting approval: {}\nactions in the last hour: {} (global cap {})\n"
                           "escalated or flapping findings: {}\n",
                           (*status)["awaiting_approval"].get<std::size_t>(),
                           (*status)["actions_last_hour"].get<std::size_t>(),
                           (*status)["global_cap_per_hour"].get<std::size_t>(),
                           (*status)["escalated"].get<std::size_t>());
  return kExitOk;
}

void AddCommon(CLI::App* cmd, Options& o, bool config, bool db) {
  if (config) {
    cmd->add_option("--config", o.config, "vigil config file with a remediation: key");
  }
  if (db) {
    cmd->add_option("--db", o.db, "SQLite store (findings and remediation state)");
  }
  cmd->add_option("--format", o.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace

void RegisterRemediateCommand(CLI::App& app, std::function<int()>& run) {
  CLI::App* rem = app.add_subcommand(
      "remediate", "Turn findings into tickets and safe, verified fixes (docs/remediation.md)");
  rem->require_subcommand(1);
  auto o = std::make_shared<Options>();

  CLI::App* plan = rem->add_subcommand(
      "plan", "Print every ticket that would open/update/close and every change (does nothing)");
  AddCommon(plan, *o, true, true);
  plan->add_option("--snapshot", o->snapshot, "Evaluate the controls over this snapshot first");
  plan->add_option("-o,--output", o->output, "Write the plan to this file");
  plan->callback([o, &run] { run = [o] { return RunPlanOrRun(*o, false); }; });

  CLI::App* r = rem->add_subcommand("run", "Open/update/close tickets and plan or apply fixes");
  AddCommon(r, *o, true, true);
  r->add_option("--snapshot", o->snapshot, "Evaluate the controls over this snapshot first");
  r->add_option("-o,--output", o->output, "Write the report to this file");
  r->callback([o, &run] {
    run = [o] {
      ::signal(SIGPIPE, SIG_IGN);
      return RunPlanOrRun(*o, true);
    };
  });

  CLI::App* ap = rem->add_subcommand("approve", "Approve a plan awaiting approval");
  AddCommon(ap, *o, true, true);
  ap->add_option("plan", o->id, "Plan id")->required();
  ap->add_option("--hash", o->hash, "The plan hash you reviewed (from plan/run output)")
      ->required();
  ap->add_option("--note", o->note, "Why");
  ap->add_option("--actor", o->actor, "Who approves (default: $USER)");
  ap->callback([o, &run] { run = [o] { return RunApproveOrReject(*o, true); }; });

  CLI::App* rj = rem->add_subcommand("reject", "Reject a plan");
  AddCommon(rj, *o, true, true);
  rj->add_option("plan", o->id, "Plan id")->required();
  rj->add_option("--note", o->note, "Why");
  rj->add_option("--actor", o->actor, "Who rejects (default: $USER)");
  rj->callback([o, &run] { run = [o] { return RunApproveOrReject(*o, false); }; });

  CLI::App* rb = rem->add_subcommand("rollback", "Undo an applied action from its saved state");
  AddCommon(rb, *o, true, true);
  rb->add_option("action", o->id, "Action id (from the journal)")->required();
  rb->add_option("--actor", o->actor, "Who rolls back (default: $USER)");
  rb->callback([o, &run] { run = [o] { return RunRollback(*o); }; });

  CLI::App* j = rem->add_subcommand("journal", "Print the hash-chained journal, or --verify it");
  AddCommon(j, *o, false, true);
  j->add_flag("--verify", o->verify, "Check the hash chain; exit 3 naming the first bad entry");
  j->add_option("--finding", o->finding, "Only this finding's entries");
  j->add_option("--limit", o->limit, "At most this many entries");
  j->callback([o, &run] { run = [o] { return RunJournal(*o); }; });

  CLI::App* st = rem->add_subcommand("status", "Modes, approvals waiting, actions, escalations");
  AddCommon(st, *o, true, true);
  st->callback([o, &run] { run = [o] { return RunStatus(*o); }; });
}

}  // namespace vigil::cli
