// RemediationRuntime: the trackers and actions a RemediationConfig names, built once and owned
// together, so `vigil remediate` and `vigil serve` wire the engine the same way.
//
// Trackers: `github` (github_tracker.h) and `jira` (jira.h). Notifiers: `webhook` and `slack`
// (notifiers.h). Actions: the aws ones and `command` (aws_actions.h), and with a `kubernetes:`
// section the kubernetes.* ones (kube/kube_actions.h). Tests add more with AddExecutor/AddTracker/
// AddNotifier.
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
  // only carry their name — enough for `vigil remediate plan`, which calls no tracker; notifiers
  // that cannot be built are left out and a `kubernetes:` section whose credentials cannot be
  // loaded adds no executors (plan then notes the action as unavailable). Otherwise each of these
  // is a kConfig error at its file:line:col. kUnsupported for a tracker type this build lacks. (An action
  // kind nobody implements is reported by the engine as a note on the findings that need it.)
  static Result<std::unique_ptr<RemediationRuntime>> Create(const RemediationConfig& config,
                                                            bool offline);

  void AddExecutor(std::unique_ptr<ActionExecutor> executor);
  void AddTracker(std::unique_ptr<Tracker> tracker);
  void AddNotifier(std::unique_ptr<Notifier> notifier);

  // The engine's dependencies over these trackers and actions.
  EngineDeps Deps(RemediationStateStore* state, store::FindingStore* findings) const;
  const RemediationConfig& config() const { return config_; }

 private:
  explicit RemediationRuntime(RemediationConfig config) : config_(std::move(config)) {}

  RemediationConfig config_;
  controls::ProcessRunner runner_;
  std::vector<std::unique_ptr<ActionExecutor>> executors_;
  std::vector<std::unique_ptr<Tracker>> trackers_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
};

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_RUNTIME_H_
