#include "remediate/runtime.h"

#include <fmt/format.h>

#include "remediate/aws_actions.h"
#include "remediate/github_tracker.h"

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
    if (t.type != "github") {
      if (!offline) {
        return MakeError(ErrorCode::kUnsupported,
                         fmt::format("tracker '{}': type '{}' is not in this build", t.name,
                                     t.type));
      }
      rt->trackers_.push_back(std::make_unique<OfflineTracker>(t.name, "type not in this build"));
      continue;
    }
    auto options = ResolveGitHubOptions(t);
    Result<std::unique_ptr<GitHubTracker>> tracker =
        options ? GitHubTracker::Create(*options)
                : Result<std::unique_ptr<GitHubTracker>>(options.error());
    if (!tracker) {
      if (!offline) return tracker.error();
      rt->trackers_.push_back(std::make_unique<OfflineTracker>(t.name, tracker.error().message));
      continue;
    }
    rt->trackers_.push_back(std::move(*tracker));
  }
  return rt;
}

void RemediationRuntime::AddExecutor(std::unique_ptr<ActionExecutor> executor) {
  executors_.push_back(std::move(executor));
}

void RemediationRuntime::AddTracker(std::unique_ptr<Tracker> tracker) {
  trackers_.push_back(std::move(tracker));
}

EngineDeps RemediationRuntime::Deps(RemediationStateStore* state,
                                    store::FindingStore* findings) const {
  EngineDeps d;
  d.config = &config_;
  d.state = state;
  d.findings = findings;
  for (const auto& t : trackers_) d.trackers[t->name()] = t.get();
  for (const auto& e : executors_) d.executors[std::string(e->kind())] = e.get();
  return d;
}

}  // namespace vigil::remediate
