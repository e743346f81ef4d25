// RemediationRuntime: the trackers and actions a RemediationConfig names, built once and owned
// together, so `vigil remediate` and `vigil serve` wire the engine the same way.
//
// Trackers: `github` (github_tracker.h). Actions: the aws ones and `command` (aws_actions.h);
// more (Kubernetes, Jira, webhooks) are added with AddExecutor/AddTracker.
// Not thread-safe: one per thread, like the Engine that uses it.
#ifndef VIGIL_REMEDIATE_RUNTIME_H_
#define VIGIL_REMEDIATE_RUNTIME_H_

#include <memory>
#include <string>
#include <vector>

#include "controls/command_runner.h"
#include "remediate/config.h"
#include "remediate/engine.h"

namespace vigil::remediate {

class RemediationRuntime {
 public:
  // `offline`: trackers whose settings cannot be resolved (no token) become placeholders that
  // only carry their name — enough for `vigil remediate plan`, which calls no tracker. Otherwise
  // such a tracker is a kConfig error. kUnsupported for a tracker type this build lacks. (An action
  // kind nobody implements is reported by the engine as a note on the findings that need it.)
  static Result<std::unique_ptr<RemediationRuntime>> Create(const RemediationConfig& config,
                                                            bool offline);

  void AddExecutor(std::unique_ptr<ActionExecutor> executor);
  void AddTracker(std::unique_ptr<Tracker> tracker);

  // The engine's dependencies over these trackers and actions.
  EngineDeps Deps(RemediationStateStore* state, store::FindingStore* findings) const;
  const RemediationConfig& config() const { return config_; }

 private:
  explicit RemediationRuntime(RemediationConfig config) : config_(std::move(config)) {}

  RemediationConfig config_;
  controls::ProcessRunner runner_;
  std::vector<std::unique_ptr<ActionExecutor>> executors_;
  std::vector<std::unique_ptr<Tracker>> trackers_;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_RUNTIME_H_
