// Fuzz target: arbitrary bytes as the integrations' outside inputs — a YAML config with jira,
// webhook, slack and kubernetes sections, a kubeconfig, and the bodies and headers Jira, Slack and
// the Kubernetes API server send back. Besides "never crashes, never leaks, never hangs" it checks
// that a rejected config names the file, and that Markdown conversion keeps the finding marker.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "remediate/http_client.h"
#include "remediate/integrations_config.h"
#include "remediate/jira.h"
#include "remediate/kube/kube_client.h"
#include "remediate/notifiers.h"

namespace {

template <typename R>
void CheckNamesFile(const R& r) {
  if (!r) {
    VIGIL_FUZZ_CHECK(!r.error().message.empty());
    VIGIL_FUZZ_CHECK(r.error().pos.file == "fuzz.yaml");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::remediate;  // NOLINT: a fuzz entry point
  const std::string text(reinterpret_cast<const char*>(data), size);

  YAML::Node root;
  bool parsed = true;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    parsed = false;  // the YAML reader's own errors are yaml-cpp's, not ours
  }
  if (parsed && root.IsMap()) {
    // Parsers only: nothing here opens a connection.
    if (root["jira"].IsDefined()) CheckNamesFile(ParseJiraOptions(root["jira"], "jira", "fuzz.yaml"));
    if (root["webhook"].IsDefined()) {
      CheckNamesFile(ParseWebhookOptions(root["webhook"], "webhook", "fuzz.yaml"));
    }
    if (root["slack"].IsDefined()) CheckNamesFile(ParseSlackOptions(root["slack"], "slack", "fuzz.yaml"));
    if (root["kubernetes"].IsDefined()) {
      CheckNamesFile(ParseKubernetesConfig(root["kubernetes"], "fuzz.yaml"));
    }
  }
  if (parsed) {
    CheckNamesFile(ParseJiraOptions(root, "jira", "fuzz.yaml"));
    CheckNamesFile(ParseSlackOptions(root, "slack", "fuzz.yaml"));
    CheckNamesFile(ParseKubernetesConfig(root, "fuzz.yaml"));
  }
  auto kc = kube::ParseKubeconfig(text, "fuzz.yaml", "");
  CheckNamesFile(kc);

  // Answers from servers.
  HttpResponse r;
  r.status = 400;
  r.body = text;
  r.headers = {{"retry-after", text.substr(0, 64)}, {"x-ratelimit-reset", text.substr(0, 32)}};
  (void)JiraErrorText(r);
  (void)ServerRequestedDelay(r, std::chrono::system_clock::now());
  (void)ParseJsonBody(r, "fuzz");

  // Ticket bodies and notification text are audit-derived.
  const std::string wiki = MarkdownToJiraWiki(text + "\n<!-- vigil-finding: F1 -->");
  VIGIL_FUZZ_CHECK(wiki.find("vigil-finding: F1") != std::string::npos);
  const std::string escaped = SlackEscape(text);
  VIGIL_FUZZ_CHECK(escaped.find('<') == std::string::npos);
  Notification note;
  note.text = text;
  note.title = text;
  (void)SlackNotifier::Message(note).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
