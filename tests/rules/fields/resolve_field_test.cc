#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "rules/field.h"
#include "rules/fields/field_docs.h"

namespace vigil::rules {
namespace {

using ::testing::HasSubstr;

std::string SharedDir() { return std::string(VIGIL_SOURCE_DIR) + "/../shared"; }

Result<std::unique_ptr<Field>> Resolve(std::string_view name,
                                       std::optional<std::string_view> arg = std::nullopt) {
  return ResolveField(name, arg);
}

// The 100 fields of Falco's k8saudit plugin v0.18 (its README field table).
constexpr const char* kFalcoFields[] = {
    "ka.auditid", "ka.stage", "ka.auth.decision", "ka.auth.reason",
    "ka.auth.openshift.decision", "ka.validations.admission.policy.failure",
    "ka.security.pod.violations", "ka.auth.openshift.username", "ka.user.name",
    "ka.user.groups", "ka.impuser.name", "ka.verb", "ka.uri", "ka.uri.param", "ka.target.name",
    "ka.target.namespace", "ka.target.resource", "ka.target.subresource", "ka.target.pod.name",
    "ka.req.binding.subjects", "ka.req.binding.subjects.user_names",
    "ka.req.binding.subjects.serviceaccount_names",
    "ka.req.binding.subjects.serviceaccount_ns_names", "ka.req.binding.subjects.group_names",
    "ka.req.binding.role", "ka.req.binding.subject.has_name", "ka.req.configmap.name",
    "ka.req.configmap.obj", "ka.req.pod.containers.args", "ka.req.pod.containers.command",
    "ka.req.pod.containers.name", "ka.req.pod.containers.image", "ka.req.container.image",
    "ka.req.pod.containers.image.repository", "ka.req.container.image.repository",
    "ka.req.pod.host_ipc", "ka.req.pod.host_network", "ka.req.container.host_network",
    "ka.req.pod.host_pid", "ka.req.pod.containers.host_port", "ka.req.pod.containers.privileged",
    "ka.req.container.privileged", "ka.req.pod.containers.allow_privilege_escalation",
    "ka.req.pod.containers.read_only_fs", "ka.req.pod.run_as_user",
    "ka.req.pod.containers.run_as_user", "ka.req.pod.containers.eff_run_as_user",
    "ka.req.pod.run_as_group", "ka.req.pod.containers.run_as_group",
    "ka.req.pod.containers.eff_run_as_group", "ka.req.pod.containers.proc_mount",
    "ka.req.role.rules", "ka.req.role.rules.apiGroups", "ka.req.role.rules.nonResourceURLs",
    "ka.req.role.rules.verbs", "ka.req.role.rules.resources", "ka.req.pod.fs_group",
    "ka.req.pod.supplemental_groups", "ka.req.pod.containers.add_capabilities",
    "ka.req.service.type", "ka.req.service.ports", "ka.req.pod.volumes.hostpath",
    "ka.req.volume.hostpath", "ka.req.pod.volumes.flexvolume_driver",
    "ka.req.pod.volumes.volume_type", "ka.resp.name", "ka.response.code", "ka.response.reason",
    "ka.useragent", "ka.sourceips", "ka.cluster.name", "ka.req.pod.initContainers.name",
    "ka.req.pod.initContainers.image", "ka.req.pod.initContainers.image.repository",
    "ka.req.pod.initContainers.command", "ka.req.pod.initContainers.args",
    "ka.req.pod.initContainers.privileged",
    "ka.req.pod.initContainers.allow_privilege_escalation",
    "ka.req.pod.initContainers.read_only_fs", "ka.req.pod.initContainers.run_as_user",
    "ka.req.pod.initContainers.eff_run_as_user", "ka.req.pod.initContainers.run_as_group",
    "ka.req.pod.initContainers.eff_run_as_group", "ka.req.pod.initContainers.proc_mount",
    "ka.req.pod.initContainers.add_capabilities", "ka.req.pod.initContainers.host_port",
    "ka.req.pod.ephemeralContainers.name", "ka.req.pod.ephemeralContainers.image",
    "ka.req.pod.ephemeralContainers.image.repository", "ka.req.pod.ephemeralContainers.command",
    "ka.req.pod.ephemeralContainers.args", "ka.req.pod.ephemeralContainers.privileged",
    "ka.req.pod.ephemeralContainers.allow_privilege_escalation",
    "ka.req.pod.ephemeralContainers.read_only_fs", "ka.req.pod.ephemeralContainers.run_as_user",
    "ka.req.pod.ephemeralContainers.eff_run_as_user",
    "ka.req.pod.ephemeralContainers.run_as_group",
    "ka.req.pod.ephemeralContainers.eff_run_as_group",
    "ka.req.pod.ephemeralContainers.proc_mount",
    "ka.req.pod.ephemeralContainers.add_capabilities",
};

TEST(AllFieldsTest, HasEveryFalcoK8sAuditField) {
  static_assert(std::size(kFalcoFields) == 100);
  std::set<std::string_view> names;
  for (const FieldInfo& f : AllFields()) names.insert(f.name);
  for (const char* f : kFalcoFields) EXPECT_TRUE(names.count(f)) << f;
}

TEST(AllFieldsTest, NamesAreUniqueAndDescribed) {
  std::set<std::string_view> seen;
  for (const FieldInfo& f : AllFields()) {
    EXPECT_TRUE(seen.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_EQ(f.description.find('\n'), std::string_view::npos) << f.name;
    EXPECT_EQ(f.description.back(), '.') << f.name << ": " << f.description;
  }
}

TEST(AllFieldsTest, HasVigilFields) {
  for (const char* name :
       {"ka.user.extra", "vigil.cluster", "vigil.caller.ip", "vigil.threat.lists",
        "vigil.threat.custom", "vigil.threat.tor", "vigil.threat.ip", "vigil.threat.verified",
        "ka.req.pod.volumes.hostpath.writable", "ka.req.workload.kind",
        "ka.req.workload.containers.privileged", "ka.req.workload.all_containers.privileged",
        "ka.req.workload.initContainers.image.repository",
        "ka.req.workload.ephemeralContainers.privileged", "ka.req.workload.volumes.hostpath",
        "ka.req.workload.volumes.hostpath.writable", "ka.req.workload.host_network",
        "ka.req.workload.host_pid", "ka.req.workload.host_ipc", "jevt.value", "jevt.obj",
        "jevt.rawtime", "jevt.time", "jevt.time.iso8601"}) {
    bool found = false;
    for (const FieldInfo& f : AllFields()) found = found || f.name == name;
    EXPECT_TRUE(found) << name;
  }
}

TEST(FieldTableMarkdownTest, HasOneRowPerField) {
  std::string table = fields::FieldTableMarkdown();
  size_t rows = 0;
  for (char c : table) rows += c == '\n';
  EXPECT_EQ(rows, AllFields().size() + 2);
  EXPECT_THAT(table, HasSubstr("| `ka.uri.param` | string | required key `[k]` |"));
  EXPECT_THAT(table, HasSubstr("| `ka.req.pod.containers.privileged` | list | optional index"));
  EXPECT_THAT(table, HasSubstr("| `ka.req.container.privileged` | string |  | Deprecated. "));
}

struct ResolveCase {
  const char* name;
  std::optional<const char*> arg;
  const char* text;  // ToString(), or "" when resolution must fail
  bool scalar;
  const char* error;  // a substring of the error
};

class ResolveFieldTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveFieldTest, ResolvesOrExplains) {
  const ResolveCase& c = GetParam();
  auto arg = c.arg ? std::optional<std::string_view>(*c.arg) : std::nullopt;
  auto field = ResolveField(c.name, arg);
  if (*c.text) {
    ASSERT_TRUE(field.has_value()) << field.error().message;
    EXPECT_EQ((*field)->ToString(), c.text);
    EXPECT_EQ((*field)->is_scalar(), c.scalar);
    EXPECT_EQ((*field)->info().name, c.name);
  } else {
    ASSERT_FALSE(field.has_value()) << (*field)->ToString();
    EXPECT_EQ(field.error().code, ErrorCode::kConfig);
    EXPECT_THAT(field.error().message, HasSubstr(c.error));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ResolveFieldTest,
    ::testing::Values(
        ResolveCase{"ka.verb", std::nullopt, "ka.verb", true, ""},
        ResolveCase{"ka.user.groups", std::nullopt, "ka.user.groups", false, ""},
        ResolveCase{"ka.uri.param", "command", "ka.uri.param[command]", true, ""},
        ResolveCase{"ka.req.pod.containers.image", "0", "ka.req.pod.containers.image[0]", true,
                    ""},
        ResolveCase{"ka.req.pod.containers.image", "007", "ka.req.pod.containers.image[7]", true,
                    ""},
        ResolveCase{"ka.req.pod.containers.image", std::nullopt, "ka.req.pod.containers.image",
                    false, ""},
        ResolveCase{"ka.req.pod.containers.add_capabilities", "0",
                    "ka.req.pod.containers.add_capabilities[0]", false, ""},
        ResolveCase{"ka.req.role.rules.verbs", "1", "ka.req.role.rules.verbs[1]", false, ""},
        ResolveCase{"jevt.value", "/stage", "jevt.value[/stage]", true, ""},
        ResolveCase{"jevt.value", "stage", "jevt.value[/stage]", true, ""},
        ResolveCase{"jevt.value", "/a~1b/~0c", "jevt.value[/a~1b/~0c]", true, ""},
        ResolveCase{"ka.user.extra", "arn", "ka.user.extra[arn]", false, ""},
        ResolveCase{"ka.usr.name", std::nullopt, "", false, "did you mean 'ka.user.name'"},
        ResolveCase{"ka.req.pod.initcontainers.image", std::nullopt, "", false,
                    "did you mean 'ka.req.pod.initContainers.image'"},
        ResolveCase{"ka.req.pod.container.privileged", std::nullopt, "", false,
                    "did you mean 'ka.req.pod.containers.privileged'"},
        ResolveCase{"evt.type", std::nullopt, "", false, "unknown field 'evt.type'"},
        ResolveCase{"ka.verb", "0", "", false, "takes no argument"},
        ResolveCase{"ka.uri.param", std::nullopt, "", false, "needs a key"},
        ResolveCase{"ka.uri.param", "", "", false, "needs a key"},
        ResolveCase{"ka.req.volume.hostpath", std::nullopt, "", false, "needs a key"},
        ResolveCase{"ka.req.pod.containers.image", "x", "", false, "numeric index"},
        ResolveCase{"ka.req.pod.containers.image", "-1", "", false, "numeric index"},
        ResolveCase{"ka.req.pod.containers.image", "", "", false, "numeric index"},
        ResolveCase{"ka.req.pod.containers.image", "99999999999", "", false, "numeric index"},
        ResolveCase{"jevt.value", std::nullopt, "", false, "needs a JSON pointer"},
        ResolveCase{"jevt.value", "/a~2", "", false, "'~' must be followed by 0 or 1"},
        ResolveCase{"jevt.value", "/a~", "", false, "malformed JSON pointer"}));

TEST(ResolveFieldTest, EqualFieldsHaveEqualText) {
  auto a = Resolve("jevt.value", "/objectRef/name");
  auto b = Resolve("jevt.value", "objectRef/name");
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ((*a)->ToString(), (*b)->ToString());
}

// Every field named in Falco's own k8s audit rule files (plugins v0.18 and the 2023 version)
// resolves.
TEST(ResolveFieldTest, ResolvesEveryFieldOfFalcoRuleFiles) {
  const std::string dir = SharedDir() + "/datasets/falco-k8saudit-rules";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "dataset not found: " << dir;
  const std::regex field_re(R"(\b((?:ka|jevt|json)\.[A-Za-z_.]*[A-Za-z_])(\[([^\]]*)\])?)");
  size_t resolved = 0;
  for (const char* file : {"k8s_audit_rules.yaml", "k8s_audit_rules-2023-08.yaml"}) {
    std::ifstream in(dir + "/" + file);
    ASSERT_TRUE(in) << file;
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    for (std::sregex_iterator it(s.begin(), s.end(), field_re), end; it != end; ++it) {
      std::string name = (*it)[1];
      std::optional<std::string> arg;
      if ((*it)[2].matched) arg = (*it)[3];
      auto field = ResolveField(name, arg ? std::optional<std::string_view>(*arg)
                                          : std::nullopt);
      EXPECT_TRUE(field.has_value()) << file << ": " << (*it)[0] << ": "
                                     << field.error().message;
      ++resolved;
    }
  }
  EXPECT_GT(resolved, 100u);
}

}  // namespace
}  // namespace vigil::rules
