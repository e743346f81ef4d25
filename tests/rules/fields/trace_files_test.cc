// Fields over the real minikube captures of Falco's regression suite
// (shared/datasets/falco-k8s-audit-trace-files, see its PROVENANCE.md): the values the Falco
// rules decide on, for the events where those rules are expected to fire (or not).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rules/field.h"
#include "rules/fields/field_test_util.h"

namespace vigil::rules {
namespace {

using testing::Extract;
using testing::Extracted;
using testing::ParsedEvent;
using testing::V;

std::string TraceDir() {
  return std::string(VIGIL_SOURCE_DIR) + "/../shared/datasets/falco-k8s-audit-trace-files";
}

// The events (one per line) of a trace file; empty when the dataset is absent.
std::vector<std::string> ReadLines(const std::string& file) {
  std::ifstream in(TraceDir() + "/" + file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

struct TraceCase {
  const char* file;
  const char* field;
  Extracted want;
};

class TraceFilesTest : public ::testing::TestWithParam<TraceCase> {};

TEST_P(TraceFilesTest, ExtractsRuleInputs) {
  if (!std::filesystem::exists(TraceDir())) {
    GTEST_SKIP() << "Falco trace files not found at " << TraceDir();
  }
  const TraceCase& c = GetParam();
  auto lines = ReadLines(c.file);
  ASSERT_FALSE(lines.empty()) << c.file;
  ParsedEvent ev(lines[0]);
  ASSERT_TRUE(ev.ok()) << c.file << ": " << ev.error();
  Extracted got = Extract(ev.event(), c.field);
  EXPECT_EQ(got, c.want) << c.file << " " << c.field << " gave " << testing::Describe(got);
}

INSTANTIATE_TEST_SUITE_P(
    Falco, TraceFilesTest,
    ::testing::Values(
        // Create Privileged Pod: the second container is privileged.
        TraceCase{"create_nginx_pod_privileged_2nd_container.json",
                  "ka.req.pod.containers.privileged", V({"false", "true"})},
        TraceCase{"create_nginx_pod_privileged_2nd_container.json",
                  "ka.req.pod.containers.image.repository", V({"nginx", "mysql"})},
        TraceCase{"create_nginx_pod_privileged_2nd_container.json",
                  "ka.req.container.privileged", V({"true"})},
        TraceCase{"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
                  "ka.req.pod.containers.privileged", V({"true"})},
        TraceCase{"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json",
                  "ka.req.pod.containers.privileged[0]", std::nullopt},
        TraceCase{"create_nginx_pod_privileged.json", "ka.req.pod.containers.privileged",
                  V({"true"})},
        // No securityContext: present, but no values (Falco: exists is false, see below).
        TraceCase{"create_nginx_pod_unprivileged.json", "ka.req.pod.containers.privileged",
                  V({})},
        TraceCase{"create_nginx_pod_unprivileged.json", "ka.req.pod.initContainers.privileged",
                  std::nullopt},
        TraceCase{"create_nginx_pod_privileged_2nd_container.json",
                  "ka.req.workload.containers.privileged", V({"false", "true"})},
        // Create Sensitive Mount Pod: /etc mounted (writable) by the second container.
        TraceCase{"create_nginx_pod_sensitive_mount.json", "ka.req.pod.volumes.hostpath",
                  V({"/etc"})},
        TraceCase{"create_nginx_pod_sensitive_mount_2nd_container.json",
                  "ka.req.pod.volumes.hostpath", V({"/etc"})},
        TraceCase{"create_nginx_pod_sensitive_mount_2nd_container.json",
                  "ka.req.pod.volumes.hostpath.writable", V({"/etc"})},
        TraceCase{"create_nginx_pod_sensitive_mount_2nd_container.json",
                  "ka.req.volume.hostpath[/etc]", V({"true"})},
        TraceCase{"create_nginx_pod_sensitive_mount_2nd_container.json",
                  "ka.req.pod.volumes.volume_type", V({"hostPath"})},
        TraceCase{"create_nginx_pod_unsensitive_mount.json", "ka.req.pod.volumes.hostpath",
                  std::nullopt},
        TraceCase{"create_nginx_pod_unprivileged.json", "ka.req.pod.volumes.hostpath",
                  std::nullopt},
        // Create HostNetwork Pod.
        TraceCase{"create_nginx_pod_hostnetwork.json", "ka.req.pod.host_network", V({"true"})},
        TraceCase{"create_nginx_pod_nohostnetwork.json", "ka.req.pod.host_network",
                  std::nullopt},
        TraceCase{"create_nginx_pod_hostnetwork.json", "ka.req.workload.host_network",
                  V({"true"})},
        // Attach/Exec Pod.
        TraceCase{"exec_pod.json", "ka.uri.param[command]", V({"bash"})},
        TraceCase{"exec_pod.json", "ka.uri.param[container]", V({"nginx1"})},
        TraceCase{"exec_pod.json", "ka.target.subresource", V({"exec"})},
        TraceCase{"exec_pod.json", "ka.stage", V({"ResponseStarted"})},
        TraceCase{"exec_pod.json", "ka.response.code", V({"101"})},
        TraceCase{"exec_pod.json", "ka.sourceips", V({"192.168.99.1"})},
        TraceCase{"exec_pod.json", "jevt.value[/stage]", V({"ResponseStarted"})},
        TraceCase{"attach_pod.json", "ka.uri.param[command]", std::nullopt},
        TraceCase{"attach_pod.json", "ka.target.subresource", V({"attach"})},
        // Attach to cluster-admin Role.
        TraceCase{"attach_cluster_admin_role.json", "ka.req.binding.role", V({"cluster-admin"})},
        TraceCase{"attach_cluster_admin_role.json", "ka.req.binding.subjects.user_names",
                  V({"minikube"})},
        TraceCase{"attach_cluster_admin_role.json", "ka.req.binding.subjects.group_names",
                  V({})},
        TraceCase{"attach_cluster_admin_role.json", "ka.req.binding.subjects",
                  V({R"({"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"minikube"})"})},
        // ClusterRole With Wildcard / Pod Exec / Write Privileges Created.
        TraceCase{"create_cluster_role_wildcard_verbs.json", "ka.req.role.rules.verbs",
                  V({"*", "get"})},
        TraceCase{"create_cluster_role_wildcard_verbs.json", "ka.req.role.rules.verbs[1]",
                  V({"get"})},
        TraceCase{"create_cluster_role_wildcard_resources.json", "ka.req.role.rules.resources",
                  V({"*"})},
        TraceCase{"create_cluster_role_wildcard_resources.json", "ka.req.role.rules.apiGroups",
                  V({""})},
        TraceCase{"create_cluster_role_pod_exec.json", "ka.req.role.rules.resources",
                  V({"pods/exec"})},
        TraceCase{"create_cluster_role_write_privileges.json", "ka.req.role.rules.verbs",
                  V({"get", "delete"})},
        TraceCase{"create_cluster_role_write_privileges.json",
                  "ka.req.role.rules.nonResourceURLs[0]", std::nullopt},
        // Create NodePort Service.
        TraceCase{"create_nginx_service_nodeport.json", "ka.req.service.type", V({"NodePort"})},
        TraceCase{"create_nginx_service_nodeport.json", "ka.req.service.ports",
                  V({R"({"nodePort":30080,"port":80,"protocol":"TCP","targetPort":80})"})},
        // Configmap with credentials: the data rendered as JSON text.
        TraceCase{"create_configmap_sensitive_values.json", "ka.req.configmap.obj",
                  V({R"({"access.properties":"aws_access_key_id = MY-ID\naws_secret_access_key = )"
                     R"(MY-KEY\n","ui.properties":"color.good=purple\ncolor.bad=yellow\n)"
                     R"(allow.textmode=true\n"})"})},
        // Anonymous Request Allowed.
        TraceCase{"anonymous_creates_namespace_foo.json", "ka.user.name",
                  V({"system:anonymous"})},
        TraceCase{"anonymous_creates_namespace_foo.json", "ka.auth.decision", V({"allow"})},
        // Deployments are not pods: only the workload fields see their containers.
        TraceCase{"create_deployment.json", "ka.req.workload.kind", V({"Deployment"})},
        TraceCase{"create_deployment.json", "ka.req.workload.containers.image", V({"nginx"})},
        TraceCase{"create_deployment.json", "ka.req.workload.name", V({"nginx-deployment"})},
        TraceCase{"create_deployment.json", "ka.req.pod.containers.image", std::nullopt},
        TraceCase{"delete_deployment.json", "ka.req.workload.containers.image", std::nullopt},
        // v1beta1 without stageTimestamp still has a time.
        TraceCase{"some-user_creates_namespace_foo.json", "ka.user.name", V({"some-user"})}),
    [](const ::testing::TestParamInfo<TraceCase>& p) { return std::to_string(p.index); });

// Every field, with representative arguments, over every event of every trace file: nothing
// crashes, and an extraction either fails or yields values (no field is flaky).
TEST(TraceFilesTest, EveryFieldOnEveryEvent) {
  if (!std::filesystem::exists(TraceDir())) {
    GTEST_SKIP() << "Falco trace files not found at " << TraceDir();
  }
  std::vector<std::unique_ptr<Field>> fields;
  for (const FieldInfo& info : AllFields()) {
    std::optional<std::string_view> arg;
    if (info.arg == FieldArg::kKeyRequired) arg = "command";
    if (info.arg == FieldArg::kPointer) arg = "/requestObject/spec";
    auto f = ResolveField(info.name, arg);
    ASSERT_TRUE(f.has_value()) << info.name << ": " << f.error().message;
    fields.push_back(std::move(*f));
    if (info.arg == FieldArg::kIndex) {
      auto indexed = ResolveField(info.name, "1");
      ASSERT_TRUE(indexed.has_value());
      fields.push_back(std::move(*indexed));
    }
  }
  size_t events = 0, available = 0;
  Scratch scratch;
  FieldValues values;
  for (const auto& entry : std::filesystem::directory_iterator(TraceDir())) {
    if (entry.path().extension() != ".json") continue;
    for (const std::string& line : ReadLines(entry.path().filename().string())) {
      ParsedEvent ev(line);
      if (!ev.ok()) continue;  // fal_01_003.json is {"kind":0}
      ++events;
      scratch.Reset();
      for (const auto& f : fields) {
        values.clear();
        bool ok = f->Extract(ev.event(), nullptr, scratch, values);
        available += ok;
        if (f->is_scalar() && ok) {
          EXPECT_EQ(values.size(), 1u) << f->ToString();
        }
        if (!ok) {
          EXPECT_TRUE(values.empty()) << f->ToString() << " appended then failed";
        }
      }
    }
  }
  EXPECT_EQ(events, 51u);
  EXPECT_GT(available, 0u);
}

}  // namespace
}  // namespace vigil::rules
