#include <gtest/gtest.h>

#include "rules/field.h"
#include "rules/fields/field_test_util.h"

namespace vigil::rules {
namespace {

using testing::Extract;
using testing::Extracted;
using testing::ParsedEvent;
using testing::V;

constexpr char kExec[] =
    R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"ca1ed9f4",)"
    R"("stage":"ResponseStarted","verb":"create",)"
    R"("requestURI":"/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&)"
    R"(command=cat+%2Fetc%2Fshadow&container=c1&stdin=true&bad;=1&k%zz=2",)"
    R"("user":{"username":"minikube-user","groups":["system:masters","system:authenticated"],)"
    R"("extra":{"arn":["arn:aws:iam::1:role/x"],"sessionName":["s1"]}},)"
    R"("impersonatedUser":{"username":"bob"},)"
    R"("sourceIPs":["10.0.0.1","192.168.99.1"],"userAgent":"kubectl/v1.28",)"
    R"("objectRef":{"resource":"pods","namespace":"default","name":"p","subresource":"exec"},)"
    R"("responseStatus":{"code":101,"metadata":{}},)"
    R"("annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"",)"
    R"("cluster_name":"prod"},)"
    R"("stageTimestamp":"2018-10-26T13:38:34.902914Z"})";

struct Case {
  const char* field;
  Extracted want;
};

class KaFieldsTest : public ::testing::TestWithParam<Case> {};

TEST_P(KaFieldsTest, ExtractsFromExecEvent) {
  ParsedEvent ev(kExec);
  ASSERT_TRUE(ev.ok()) << ev.error();
  const Case& c = GetParam();
  Extracted got = Extract(ev.event(), c.field);
  EXPECT_EQ(got, c.want) << c.field << " gave " << testing::Describe(got) << ", want "
                         << testing::Describe(c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Exec, KaFieldsTest,
    ::testing::Values(
        Case{"ka.auditid", V({"ca1ed9f4"})}, Case{"ka.stage", V({"ResponseStarted"})},
        Case{"ka.verb", V({"create"})},
        Case{"ka.uri.param[command]", V({"sh"})},
        Case{"ka.uri.param[container]", V({"c1"})},
        Case{"ka.uri.param[stdin]", V({"true"})},
        Case{"ka.uri.param[nope]", std::nullopt},
        Case{"ka.uri.param[bad]", std::nullopt},
        Case{"ka.user.name", V({"minikube-user"})},
        Case{"ka.user.groups", V({"system:masters", "system:authenticated"})},
        Case{"ka.user.extra[arn]", V({"arn:aws:iam::1:role/x"})},
        Case{"ka.user.extra[accessKeyId]", std::nullopt},
        Case{"ka.impuser.name", V({"bob"})},
        Case{"ka.target.resource", V({"pods"})},
        Case{"ka.target.subresource", V({"exec"})},
        Case{"ka.target.namespace", V({"default"})}, Case{"ka.target.name", V({"p"})},
        Case{"ka.target.pod.name", std::nullopt},
        Case{"ka.response.code", V({"101"})}, Case{"ka.response.reason", std::nullopt},
        Case{"ka.auth.decision", V({"allow"})}, Case{"ka.auth.reason", V({""})},
        Case{"ka.cluster.name", V({"prod"})},
        Case{"ka.sourceips", V({"10.0.0.1", "192.168.99.1"})},
        Case{"ka.sourceips[1]", V({"192.168.99.1"})}, Case{"ka.sourceips[2]", std::nullopt},
        Case{"ka.useragent", V({"kubectl/v1.28"})},
        Case{"ka.req.binding.role", std::nullopt},
        Case{"ka.req.binding.subjects.user_names", V({})},
        Case{"jevt.value[/objectRef/name]", V({"p"})},
        Case{"jevt.value[/responseStatus]", V({R"({"code":101,"metadata":{}})"})},
        Case{"jevt.value[/responseStatus/code]", V({"101"})},
        Case{"jevt.value[/annotations/authorization.k8s.io~1decision]", V({"allow"})},
        Case{"jevt.value[/a~1~0b]", std::nullopt},
        Case{"jevt.value[/sourceIPs/0]", V({"10.0.0.1"})},
        Case{"jevt.rawtime", V({"1540561114902914000"})},
        Case{"jevt.time", V({"13:38:34.902914000"})},
        Case{"jevt.time.iso8601", V({"2018-10-26T13:38:34.902914000Z"})}));

}  // namespace
}  // namespace vigil::rules
