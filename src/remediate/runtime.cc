#include "remediate/runtime.h"

#include <fmt/format.h>

#include "remediate/aws_actions.h"
#include "remediate/github_tracker.h"
#include "remediate/integrations_config.h"

namespace vigil::remediate {
namespace {

// A tracker known only by name: `plan` reports what it would do with it and never calls it.
class OfflineTracker final : public Tracker {
 public:
  OfflineTracker(std::string name, std::string why) : name_(std::move(name)), why_(std::move(why)) {}
  const std::string& name() const override { return name_; }
  Result<std::optional<TicketRef>> FindByFinding(std::string_view) override { return Fail(); }
  Result<TicketRef> Open(const TicketContent&) override { return Fail(); }
  Status Comment(const TicketRef&, std::string_view) override { return Fail(); }
  Status Close(const TicketRef&, std::string_view) override { return Fail(); }
  Status Reopen(const TicketRef&, std::string_view) override { return Fail(); }
  Result<TicketRef> Fetch(const TicketRef&) override { return Fail(); }

 private:
  Error Fail() const {
    return MakeError(ErrorCode::kConfig, fmt::format("tracker '{}' is offline: {}", name_, why_));
  }
  std::string name_;
  std::string why_;
};

}  // namespace

Result<std::unique_ptr<RemediationRuntime>> RemediationRuntime::Create(
    const RemediationConfig& config, bool offline) {
  auto rt = std::unique_ptr<RemediationRuntime>(new RemediationRuntime(config));
  rt->executors_.push_back(MakeGuardDutyEksAuditAction(rt->runner_));
  rt->executors_.push_back(MakeEksAuditLoggingAction(rt->runner_));
  rt->executors_.push_back(MakeCommandAction(rt->runner_));
  for (const TrackerConfig& t : config.trackers) {
    Result<std::unique_ptr<Tracker>> tracker =
        MakeError(ErrorCode::kUnsupported,
                  fmt::format("tracker '{}': type '{}' is not in this build", t.name, t.type));
    if (t.type == "github") {
      auto options = ResolveGitHubOptions(t);
      if (!options) {
        tracker = options.error();
      } else if (auto gh = GitHubTracker::Create(*options); gh) {
        tracker = std::unique_ptr<Tracker>(std::move(*gh));
      } else {
        tracker = gh.error();
      }
    } else if (t.type == "jira") {
      tracker = MakeJiraTracker(t.yaml.node, t.name, t.yaml.file);
    }
    if (!tracker) {
      if (!offline) return tracker.error();
      rt->trackers_.push_back(std::make_unique<OfflineTracker>(t.name, tracker.error().message));
      continue;
    }
    rt->trackers_.push_back(std::move(*tracker));
  }
  for (const NotifierConfig& n : config.notifiers) {
    auto notifier = n.type == "slack" ? MakeSlackNotifier(n.yaml.node, n.name, n.yaml.file)
                                      : MakeWebhookNotifier(n.yaml.node, n.name, n.yaml.file);
    if (!notifier) {
      if (!offline) return notifier.error();
      continue;  // plan sends nothing
    }
    rt->notifiers_.push_back(std::move(*notifier));
  }
  if (config.kubernetes) {
    auto kube = MakeKubernetesExecutors(config.kubernetes->node, config.kubernetes->file);
    if (!kube) {
      if (!offline) return kube.error();
    } else {
      for (auto& e : *kube) rt->executors_.push_back(std::move(e));
    }
  }
  return rt;
}

void RemediationRuntime::AddExecutor(std::unique_ptr<ActionExecutor> executor) {
  executors_.push_back(std::move(executor));
}

void RemediationRuntime::AddTracker(std::unique_ptr<Tracker> tracker) {
  trackers_.push_back(std::move(tracker));
}

void RemediationRuntime::AddNotifier(std::unique_ptr<Notifier> notifier) {
  notifiers_.push_back(std::move(notifier));
}

EngineDeps RemediationRuntime::Deps(RemediationStateStore* state,
                                    store::FindingStore* findings) const {
  EngineDeps d;
  d.config = &config_;
  d.state = state;
  d.findings = findings;
  for (const auto& t : trackers_) d.trackers[t->name()] = t.get();
  for (const auto& e : executors_) d.executors[std::string(e->kind())] = e.get();
  for (const auto& n : notifiers_) d.notifiers[n->name()] = n.get();
  return d;
}

}  // namespace vigil::remediate
