// Configuration of the integrations (docs/remediation-integrations.md lists every key): each
// function reads one YAML mapping, checks every key and value, reads secrets from environment
// variables or files (never from the YAML itself), and returns a ready integration, or kConfig
// with "file:line:col: what was wrong" from yaml-cpp's marks. None of them touches the network.
// The engine's config loader calls them for its `trackers:`, `notifiers:` and `kubernetes:`
// sections.
#ifndef VIGIL_REMEDIATE_INTEGRATIONS_CONFIG_H_
#define VIGIL_REMEDIATE_INTEGRATIONS_CONFIG_H_

#include <yaml-cpp/yaml.h>

#include <memory>
#include <string_view>
#include <vector>

#include "remediate/interfaces.h"
#include "remediate/jira.h"
#include "remediate/kube/kube_actions.h"
#include "remediate/notifiers.h"

namespace vigil::remediate {

// `file` names the YAML file in errors. `name` is the integration's configured name.
Result<JiraOptions> ParseJiraOptions(const YAML::Node& node, std::string_view name,
                                     std::string_view file = "");
Result<std::unique_ptr<Tracker>> MakeJiraTracker(const YAML::Node& node, std::string_view name,
                                                 std::string_view file = "");

Result<WebhookOptions> ParseWebhookOptions(const YAML::Node& node, std::string_view name,
                                           std::string_view file = "");
Result<std::unique_ptr<Notifier>> MakeWebhookNotifier(const YAML::Node& node,
                                                      std::string_view name,
                                                      std::string_view file = "");

Result<SlackOptions> ParseSlackOptions(const YAML::Node& node, std::string_view name,
                                       std::string_view file = "");
Result<std::unique_ptr<Notifier>> MakeSlackNotifier(const YAML::Node& node, std::string_view name,
                                                    std::string_view file = "");

// The `kubernetes:` section: where the credentials come from (a kubeconfig and context, or
// in_cluster: true), protected namespaces, the quarantine label, timeouts and retries.
struct KubernetesConfig {
  std::string kubeconfig;  // path; "" with in_cluster
  std::string context;     // "" = current-context
  bool in_cluster = false;
  kube::KubeActionOptions actions;
  RetryPolicy retry;
};
Result<KubernetesConfig> ParseKubernetesConfig(const YAML::Node& node, std::string_view file = "");
// Parses, loads the credentials (reads the kubeconfig or the service-account files) and returns
// the four executors of kube_actions.h sharing one client.
Result<std::vector<std::unique_ptr<ActionExecutor>>> MakeKubernetesExecutors(
    const YAML::Node& node, std::string_view file = "");

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_INTEGRATIONS_CONFIG_H_
