# ---- vigil_remediate_integrations (owned by the integrations work of issue 5) -------------------
# The HTTP client, the Kubernetes client and actions, the Jira tracker and the webhook and Slack
# notifiers, and their configuration. They implement the seams in interfaces.h; the engine
# (vigil_remediate) composes them. Included from src/remediate/CMakeLists.txt.
vigil_library(remediate_integrations
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/http_client.cc
    ${CMAKE_CURRENT_LIST_DIR}/base64.cc
    ${CMAKE_CURRENT_LIST_DIR}/config_yaml.cc
    ${CMAKE_CURRENT_LIST_DIR}/kube/kube_client.cc
    ${CMAKE_CURRENT_LIST_DIR}/kube/kube_actions.cc
    ${CMAKE_CURRENT_LIST_DIR}/jira.cc
    ${CMAKE_CURRENT_LIST_DIR}/notifiers.cc
    ${CMAKE_CURRENT_LIST_DIR}/integrations_config.cc
  DEPS vigil_findings vigil_base yaml-cpp OpenSSL::SSL OpenSSL::Crypto PkgConfig::HTTPLIB
       nlohmann_json::nlohmann_json fmt::fmt Threads::Threads)
# ---- end vigil_remediate_integrations -----------------------------------------------------------
