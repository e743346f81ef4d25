#include <gtest/gtest.h>

#include <string>

#include "rules/field.h"
#include "rules/fields/field_test_util.h"

namespace vigil::rules {
namespace {

using testing::Extract;
using testing::Extracted;
using testing::ParsedEvent;
using testing::V;

struct Case {
  const char* field;
  Extracted want;
};

// A pod with two containers, an init and an ephemeral container, and volumes of several kinds.
// `/etc` is mounted writable only by the init container; the docker socket is mounted read-only
// by one container and writable by none; `/proc` is not mounted at all; `/var/log` is mounted
// read-only by one container and writable (readOnly: false) by another.
constexpr char kPodSpec[] = R"({
  "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000,
                      "supplementalGroups": [4000, 5000]},
  "hostNetwork": true, "hostPID": false,
  "containers": [
    {"name": "app", "image": "localhost:5000/team/app:1.2@sha256:abc",
     "command": ["sh", "-c"], "args": ["echo hi", "x"],
     "ports": [{"containerPort": 8080}, {"containerPort": 9090, "hostPort": 19090}],
     "securityContext": {"privileged": false, "runAsUser": 0,
                         "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}},
     "volumeMounts": [{"name": "sock", "mountPath": "/var/run/docker.sock", "readOnly": true},
                      {"name": "logs", "mountPath": "/logs", "readOnly": true}]},
    {"name": "side", "image": "mysql:latest",
     "securityContext": {"privileged": true, "allowPrivilegeEscalation": true,
                         "readOnlyRootFilesystem": true, "procMount": "Unmasked"},
     "volumeMounts": [{"name": "logs", "mountPath": "/logs", "readOnly": false}]}
  ],
  "initContainers": [
    {"name": "init", "image": "busybox", "command": ["chown", "-R", "/host/etc"],
     "securityContext": {"privileged": true, "runAsGroup": 7},
     "volumeMounts": [{"name": "etc", "mountPath": "/host/etc"}]}
  ],
  "ephemeralContainers": [
    {"name": "debugger", "image": "nicolaka/netshoot", "targetContainerName": "app",
     "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}
  ],
  "volumes": [
    {"name": "etc", "hostPath": {"path": "/etc", "type": ""}},
    {"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}},
    {"name": "proc", "hostPath": {"path": "/proc"}},
    {"name": "logs", "hostPath": {"path": "/var/log"}},
    {"name": "scratch", "emptyDir": {}},
    {"name": "flex", "flexVolume": {"driver": "example/lvm", "fsType": "ext4"}}
  ]
})";

std::string PodEvent() {
  return std::string(R"({"kind":"Event","auditID":"a1","stage":"ResponseComplete",)"
                     R"("verb":"create","objectRef":{"resource":"pods","namespace":"default"},)"
                     R"("requestObject":{"kind":"Pod","apiVersion":"v1","spec":)") +
         kPodSpec +
         R"(},"responseObject":{"kind":"Pod","metadata":{"name":"web-x1"}},)"
         R"("stageTimestamp":"2024-01-01T00:00:00Z"})";
}

class PodFieldsTest : public ::testing::TestWithParam<Case> {};

TEST_P(PodFieldsTest, ExtractsFromPodCreate) {
  ParsedEvent ev(PodEvent());
  ASSERT_TRUE(ev.ok()) << ev.error();
  const Case& c = GetParam();
  Extracted got = Extract(ev.event(), c.field);
  EXPECT_EQ(got, c.want) << c.field << " gave " << testing::Describe(got);
}

INSTANTIATE_TEST_SUITE_P(
    Pod, PodFieldsTest,
    ::testing::Values(
        Case{"ka.target.pod.name", V({"web-x1"})},
        Case{"ka.req.pod.containers.name", V({"app", "side"})},
        Case{"ka.req.pod.containers.name[1]", V({"side"})},
        Case{"ka.req.pod.containers.name[2]", std::nullopt},
        Case{"ka.req.pod.containers.image",
             V({"localhost:5000/team/app:1.2@sha256:abc", "mysql:latest"})},
        Case{"ka.req.pod.containers.image.repository", V({"localhost:5000/team/app", "mysql"})},
        Case{"ka.req.pod.containers.image.repository[1]", V({"mysql"})},
        Case{"ka.req.pod.containers.command", V({"sh -c"})},
        Case{"ka.req.pod.containers.command[1]", std::nullopt},
        Case{"ka.req.pod.containers.args", V({"echo hi x"})},
        Case{"ka.req.pod.containers.privileged", V({"false", "true"})},
        Case{"ka.req.pod.containers.privileged[1]", V({"true"})},
        Case{"ka.req.pod.containers.allow_privilege_escalation", V({"true"})},
        Case{"ka.req.pod.containers.allow_privilege_escalation[0]", std::nullopt},
        Case{"ka.req.pod.containers.read_only_fs", V({"true"})},
        Case{"ka.req.pod.containers.run_as_user", V({"0"})},
        Case{"ka.req.pod.containers.eff_run_as_user", V({"0", "1000"})},
        Case{"ka.req.pod.containers.eff_run_as_user[1]", V({"1000"})},
        Case{"ka.req.pod.containers.run_as_group", V({})},
        Case{"ka.req.pod.containers.eff_run_as_group", V({"3000", "3000"})},
        Case{"ka.req.pod.containers.proc_mount", V({"Unmasked"})},
        Case{"ka.req.pod.containers.add_capabilities", V({"NET_ADMIN", "SYS_TIME"})},
        Case{"ka.req.pod.containers.add_capabilities[0]", V({"NET_ADMIN", "SYS_TIME"})},
        Case{"ka.req.pod.containers.add_capabilities[1]", std::nullopt},
        Case{"ka.req.pod.containers.host_port", V({"8080", "19090"})},
        Case{"ka.req.pod.initContainers.name", V({"init"})},
        Case{"ka.req.pod.initContainers.privileged", V({"true"})},
        Case{"ka.req.pod.initContainers.command", V({"chown -R /host/etc"})},
        Case{"ka.req.pod.initContainers.eff_run_as_group", V({"7"})},
        Case{"ka.req.pod.initContainers.host_port", V({})},
        Case{"ka.req.pod.ephemeralContainers.image.repository", V({"nicolaka/netshoot"})},
        Case{"ka.req.pod.ephemeralContainers.add_capabilities", V({"SYS_ADMIN"})},
        Case{"ka.req.pod.ephemeralContainers.privileged", V({})},
        Case{"ka.req.pod.ephemeralContainers.command", std::nullopt},
        Case{"ka.req.pod.host_network", V({"true"})},
        Case{"ka.req.container.host_network", V({"true"})},
        Case{"ka.req.pod.host_pid", V({"false"})},
        Case{"ka.req.pod.host_ipc", std::nullopt},
        Case{"ka.req.pod.run_as_user", V({"1000"})},
        Case{"ka.req.pod.run_as_group", V({"3000"})},
        Case{"ka.req.pod.fs_group", V({"2000"})},
        Case{"ka.req.pod.supplemental_groups", V({"4000", "5000"})},
        Case{"ka.req.pod.volumes.hostpath", V({"/etc", "/var/run/docker.sock", "/proc",
                                              "/var/log"})},
        Case{"ka.req.pod.volumes.hostpath[1]", V({"/var/run/docker.sock"})},
        Case{"ka.req.pod.volumes.hostpath[4]", std::nullopt},
        Case{"ka.req.pod.volumes.hostpath.writable", V({"/etc", "/var/log"})},
        Case{"ka.req.pod.volumes.flexvolume_driver", V({"example/lvm"})},
        Case{"ka.req.pod.volumes.volume_type",
             V({"hostPath", "hostPath", "hostPath", "hostPath", "emptyDir", "flexVolume"})},
        Case{"ka.req.pod.volumes.volume_type[5]", V({"flexVolume"})},
        Case{"ka.req.volume.hostpath[/proc]", V({"true"})},
        Case{"ka.req.volume.hostpath[/var/run/docker.sock]", V({"true"})},
        Case{"ka.req.volume.hostpath[/var]", V({"false"})},
        Case{"ka.req.volume.hostpath[/var/*]", V({"true"})},
        Case{"ka.req.container.image", V({"localhost:5000/team/app:1.2@sha256:abc"})},
        Case{"ka.req.container.image.repository", V({"localhost:5000/team/app"})},
        Case{"ka.req.container.privileged", V({"true"})},
        // The same pod through the workload view.
        Case{"ka.req.workload.kind", V({"Pod"})},
        Case{"ka.req.workload.containers.privileged", V({"false", "true"})},
        Case{"ka.req.workload.all_containers.privileged", V({"false", "true", "true"})},
        Case{"ka.req.workload.all_containers.name", V({"app", "side", "init", "debugger"})},
        Case{"ka.req.workload.all_containers.name[2]", V({"init"})},
        Case{"ka.req.workload.all_containers.name[3]", V({"debugger"})},
        Case{"ka.req.workload.all_containers.name[4]", std::nullopt},
        Case{"ka.req.workload.volumes.hostpath.writable", V({"/etc", "/var/log"})},
        Case{"ka.req.workload.host_network", V({"true"})}),
    [](const ::testing::TestParamInfo<Case>& p) { return std::to_string(p.index); });

// A Deployment, a CronJob and a DaemonSet that carry a privileged container and a writable
// hostPath: Falco's ka.req.pod.* do not see them (by design, for compatibility); the
// ka.req.workload.* fields do.
constexpr char kTemplateSpec[] =
    R"({"containers":[{"name":"c","image":"evil/miner:7",)"
    R"("securityContext":{"privileged":true},)"
    R"("volumeMounts":[{"name":"root","mountPath":"/host"}]}],)"
    R"("hostPID":true,"volumes":[{"name":"root","hostPath":{"path":"/"}}]})";

std::string WorkloadEvent(const std::string& resource, const std::string& object) {
  return R"({"kind":"Event","auditID":"w1","stage":"ResponseComplete","verb":"create",)"
         R"("objectRef":{"resource":")" +
         resource + R"(","namespace":"default","apiGroup":"apps"},"requestObject":)" + object +
         "}";
}

struct WorkloadCase {
  const char* name;
  std::string resource;
  std::string object;
  const char* kind;  // expected ka.req.workload.kind, "" for none
};

class WorkloadFieldsTest : public ::testing::TestWithParam<WorkloadCase> {};

TEST_P(WorkloadFieldsTest, FindsThePodSpec) {
  const WorkloadCase& c = GetParam();
  ParsedEvent ev(WorkloadEvent(c.resource, c.object));
  ASSERT_TRUE(ev.ok()) << ev.error();
  const auto& e = ev.event();
  if (*c.kind) {
    EXPECT_EQ(Extract(e, "ka.req.workload.kind"), V({c.kind}));
  } else {
    EXPECT_EQ(Extract(e, "ka.req.workload.kind"), std::nullopt);
  }
  EXPECT_EQ(Extract(e, "ka.req.workload.containers.privileged"), V({"true"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.all_containers.privileged"), V({"true"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.containers.image"), V({"evil/miner:7"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.containers.image.repository"), V({"evil/miner"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.volumes.hostpath"), V({"/"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.volumes.hostpath.writable"), V({"/"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.host_pid"), V({"true"}));
  EXPECT_EQ(Extract(e, "ka.req.workload.host_network"), std::nullopt);
  EXPECT_EQ(Extract(e, "ka.req.workload.initContainers.privileged"), std::nullopt);
  // Falco's pod fields read requestObject.spec only.
  EXPECT_EQ(Extract(e, "ka.req.pod.containers.privileged"), std::nullopt);
  EXPECT_EQ(Extract(e, "ka.req.pod.volumes.hostpath"), std::nullopt);
}

std::string Wrap(const std::string& kind, const std::string& spec_json) {
  std::string head = kind.empty() ? "{" : R"({"kind":")" + kind + R"(",)";
  return head + R"("metadata":{"name":"w"},"spec":)" + spec_json + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, WorkloadFieldsTest,
    ::testing::Values(
        WorkloadCase{"Deployment", "deployments",
                     Wrap("Deployment", std::string(R"({"replicas":1,"template":{"spec":)") +
                                            kTemplateSpec + "}}"),
                     "Deployment"},
        WorkloadCase{"DaemonSet", "daemonsets",
                     Wrap("DaemonSet", std::string(R"({"template":{"spec":)") + kTemplateSpec +
                                           "}}"),
                     "DaemonSet"},
        WorkloadCase{"Job", "jobs",
                     Wrap("Job", std::string(R"({"template":{"spec":)") + kTemplateSpec + "}}"),
                     "Job"},
        WorkloadCase{"CronJob", "cronjobs",
                     Wrap("CronJob",
                          std::string(R"({"schedule":"* * * * *","jobTemplate":{"spec":)"
                                      R"({"template":{"spec":)") +
                              kTemplateSpec + "}}}}"),
                     "CronJob"},
        WorkloadCase{"PodTemplate", "podtemplates",
                     std::string(R"({"kind":"PodTemplate","template":{"spec":)") +
                         kTemplateSpec + "}}",
                     "PodTemplate"},
        // A merge patch has no kind: the resource decides.
        WorkloadCase{"DeploymentPatch", "deployments",
                     Wrap("", std::string(R"({"template":{"spec":)") + kTemplateSpec + "}}"),
                     ""},
        WorkloadCase{"CronJobPatch", "cronjobs",
                     Wrap("", std::string(R"({"jobTemplate":{"spec":{"template":{"spec":)") +
                                  kTemplateSpec + "}}}}"),
                     ""}),
    [](const ::testing::TestParamInfo<WorkloadCase>& p) { return std::string(p.param.name); });

TEST(WorkloadFieldsTest, PodViaWorkloadFieldsReadsSpec) {
  ParsedEvent ev(WorkloadEvent("pods", Wrap("Pod", kTemplateSpec)));
  ASSERT_TRUE(ev.ok()) << ev.error();
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.containers.privileged"), V({"true"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.privileged"), V({"true"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.name"), V({"w"}));
}

TEST(WorkloadFieldsTest, NameFallsBackToObjectRef) {
  ParsedEvent ev(R"({"auditID":"x","stage":"ResponseComplete",)"
                 R"("objectRef":{"resource":"deployments","name":"web"}})");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.name"), V({"web"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.containers.image"), std::nullopt);
}

// A hostPath is writable if any container mounts it without readOnly: true, whatever list the
// container is in, and a volume nobody mounts is not writable.
struct WritableCase {
  const char* name;
  const char* containers;  // the "containers" value
  const char* extra;       // extra spec members (initContainers...), may be ""
  Extracted want;
};

class WritableHostPathTest : public ::testing::TestWithParam<WritableCase> {};

TEST_P(WritableHostPathTest, CountsOnlyWritableMounts) {
  const WritableCase& c = GetParam();
  std::string spec = std::string(R"({"volumes":[{"name":"v","hostPath":{"path":"/etc"}},)"
                                 R"({"name":"w","hostPath":{"path":"/root"}}],"containers":)") +
                     c.containers + c.extra + "}";
  ParsedEvent ev(WorkloadEvent("pods", Wrap("Pod", spec)));
  ASSERT_TRUE(ev.ok()) << ev.error();
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.volumes.hostpath.writable"), c.want);
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.volumes.hostpath.writable"), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Mounts, WritableHostPathTest,
    ::testing::Values(
        WritableCase{"NotMounted", R"([{"name":"c","image":"i"}])", "", V({})},
        WritableCase{"ReadOnly",
                     R"([{"name":"c","volumeMounts":[{"name":"v","readOnly":true}]}])", "",
                     V({})},
        WritableCase{"ReadOnlyFalse",
                     R"([{"name":"c","volumeMounts":[{"name":"v","readOnly":false}]}])", "",
                     V({"/etc"})},
        WritableCase{"NoReadOnlyKey", R"([{"name":"c","volumeMounts":[{"name":"w"}]}])", "",
                     V({"/root"})},
        WritableCase{"ReadOnlyAsStringIsNotReadOnly",
                     R"([{"name":"c","volumeMounts":[{"name":"v","readOnly":"true"}]}])", "",
                     V({"/etc"})},
        WritableCase{"OneReadOnlyOneWritable",
                     R"([{"name":"a","volumeMounts":[{"name":"v","readOnly":true}]},)"
                     R"({"name":"b","volumeMounts":[{"name":"v","subPath":"x"}]}])",
                     "", V({"/etc"})},
        WritableCase{"InitContainer", R"([{"name":"c"}])",
                     R"(,"initContainers":[{"name":"i","volumeMounts":[{"name":"w"}]}])",
                     V({"/root"})},
        WritableCase{"EphemeralContainer", R"([{"name":"c"}])",
                     R"(,"ephemeralContainers":[{"name":"e","volumeMounts":[{"name":"v"}]}])",
                     V({"/etc"})},
        WritableCase{"BothVolumes",
                     R"([{"name":"c","volumeMounts":[{"name":"w"},{"name":"v"}]}])", "",
                     V({"/etc", "/root"})}),
    [](const ::testing::TestParamInfo<WritableCase>& p) { return std::string(p.param.name); });

TEST(WritableHostPathTest, PathsAreCleaned) {
  // "/etc/", "//etc" and "/etc/." all mount /etc; an exact match on "/etc" must see them.
  ParsedEvent ev(WorkloadEvent(
      "deployments",
      Wrap("Deployment",
           R"({"template":{"spec":{"containers":[{"name":"c","image":"i","volumeMounts":)"
           R"([{"name":"a"},{"name":"b"},{"name":"d","readOnly":true}]}],"volumes":[)"
           R"({"name":"a","hostPath":{"path":"//etc/./"}},)"
           R"({"name":"b","hostPath":{"path":"/var/run/../run/docker.sock"}},)"
           R"({"name":"d","hostPath":{"path":"/root/"}}]}}})")));
  ASSERT_TRUE(ev.ok()) << ev.error();
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.volumes.hostpath.writable"),
            V({"/etc", "/var/run/docker.sock"}));
  // Falco's field keeps the paths as written.
  EXPECT_EQ(Extract(ev.event(), "ka.req.workload.volumes.hostpath"),
            V({"//etc/./", "/var/run/../run/docker.sock", "/root/"}));
}

TEST(PodFieldsTest, NotAvailableWithoutRequestObject) {
  ParsedEvent ev(R"({"auditID":"x","stage":"ResponseComplete","verb":"create",)"
                 R"("objectRef":{"resource":"pods"}})");
  ASSERT_TRUE(ev.ok());
  for (const char* f :
       {"ka.req.pod.containers.image", "ka.req.pod.containers.privileged",
        "ka.req.pod.volumes.hostpath", "ka.req.pod.volumes.hostpath.writable",
        "ka.req.pod.host_network", "ka.req.container.privileged", "ka.req.container.image",
        "ka.req.volume.hostpath[/etc]", "ka.req.pod.containers.eff_run_as_user",
        "ka.req.workload.all_containers.privileged", "ka.req.workload.kind",
        "ka.target.pod.name"}) {
    EXPECT_EQ(Extract(ev.event(), f), std::nullopt) << f;
  }
}

TEST(PodFieldsTest, ContainerWithoutImageMakesImageNotAvailable) {
  // As in the plugin: a container without `image` (e.g. in a strategic-merge patch) makes the
  // whole image list not available, while other attributes skip it.
  ParsedEvent ev(WorkloadEvent(
      "pods", Wrap("Pod", R"({"containers":[{"name":"a","image":"x"},)"
                          R"({"name":"b","securityContext":{"privileged":true}}]})")));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.image"), std::nullopt);
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.image[0]"), V({"x"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.privileged"), V({"true"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.container.privileged"), V({"true"}));
}

TEST(PodFieldsTest, MalformedCommandIsNotAvailable) {
  ParsedEvent ev(WorkloadEvent(
      "pods", Wrap("Pod", R"({"containers":[{"name":"a","image":"x","command":"sh"},)"
                          R"({"name":"b","image":"y","command":["ls",1]}]})")));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.command"), std::nullopt);
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.image"), V({"x", "y"}));
}

TEST(PodFieldsTest, EmptyCommandArrayIsAnEmptyString) {
  ParsedEvent ev(WorkloadEvent(
      "pods", Wrap("Pod", R"({"containers":[{"name":"a","image":"x","command":[]}]})")));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.command"), V({""}));
}

TEST(PodFieldsTest, EffectiveRunAsDefaultsToRoot) {
  ParsedEvent ev(WorkloadEvent(
      "pods", Wrap("Pod", R"({"containers":[{"name":"a","image":"x"},)"
                          R"({"name":"b","image":"y","securityContext":{"runAsUser":5}}]})")));
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.eff_run_as_user"), V({"0", "5"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.containers.eff_run_as_group[1]"), V({"0"}));
  EXPECT_EQ(Extract(ev.event(), "ka.req.pod.run_as_user"), std::nullopt);
}

}  // namespace
}  // namespace vigil::rules
