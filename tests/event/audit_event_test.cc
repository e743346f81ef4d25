#include "event/audit_event.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::event {
namespace {

class AuditEventTest : public ::testing::Test {
 protected:
  Result<AuditEvent> Parse(const std::string& json) {
    auto doc = parser_.parse(json);
    if (doc.error()) return MakeError(ErrorCode::kParse, simdjson::error_message(doc.error()));
    return AuditEvent::FromElement(doc.value_unsafe());
  }
  simdjson::dom::parser parser_;
};

constexpr char kExec[] =
    R"({"kind":"Event","auditID":"ca1ed9f4","stage":"ResponseStarted","verb":"create",)"
    R"("requestURI":"/api/v1/namespaces/default/pods/p/exec?command=bash",)"
    R"("user":{"username":"minikube-user","groups":["system:masters"]},)"
    R"("objectRef":{"resource":"pods","namespace":"default","name":"p","subresource":"exec"},)"
    R"("responseStatus":{"code":101},"annotations":{"authorization.k8s.io/decision":"allow"},)"
    R"("stageTimestamp":"2018-10-26T13:38:34.902914Z","timestamp":"2018-10-26T13:38:34Z"})";

TEST_F(AuditEventTest, ReadsCommonMembers) {
  auto ev = Parse(kExec);
  ASSERT_TRUE(ev.has_value()) << ev.error().message;
  EXPECT_EQ(ev->audit_id(), "ca1ed9f4");
  EXPECT_EQ(ev->stage(), Stage::kResponseStarted);
  EXPECT_EQ(ev->verb(), "create");
  EXPECT_EQ(ev->user_name(), "minikube-user");
  EXPECT_EQ(ev->resource(), "pods");
  EXPECT_EQ(ev->subresource(), "exec");
  EXPECT_EQ(ev->ns(), "default");
  EXPECT_EQ(ev->response_code(), 101);
  EXPECT_EQ(ev->Annotation("authorization.k8s.io/decision"), "allow");
  EXPECT_EQ(ev->time(), *ParseRfc3339("2018-10-26T13:38:34.902914Z"));
}

TEST_F(AuditEventTest, ResolvesJsonPointers) {
  auto ev = Parse(kExec);
  ASSERT_TRUE(ev.has_value());
  auto stage = ev->AtPointer("/stage");
  ASSERT_TRUE(stage);
  EXPECT_EQ(AsString(*stage), "ResponseStarted");
  auto ann = ev->AtPointer("/annotations/authorization.k8s.io~1decision");
  ASSERT_TRUE(ann);
  EXPECT_EQ(AsString(*ann), "allow");
  EXPECT_FALSE(ev->AtPointer("/a~1~0b"));
  EXPECT_FALSE(ev->AtPointer("/objectRef/nope"));
}

TEST_F(AuditEventTest, FallsBackToLegacyTimestamp) {
  auto ev = Parse(R"({"auditID":"x","stage":"ResponseComplete","timestamp":"2019-01-01T00:00:01Z"})");
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->time(), *ParseRfc3339("2019-01-01T00:00:01Z"));
  EXPECT_EQ(ev->response_code(), -1);
  EXPECT_EQ(ev->verb(), "");
}

TEST_F(AuditEventTest, RejectsWhatCannotBeIdentified) {
  EXPECT_EQ(Parse(R"({"kind":0})").error().message, "event has no auditID");
  EXPECT_EQ(Parse(R"({"auditID":"a"})").error().message, "event has no stage");
  EXPECT_EQ(Parse(R"({"auditID":7,"stage":"Panic"})").error().message,
            "event auditID is not a non-empty string");
  EXPECT_EQ(Parse(R"([1,2])").error().message, "event is not a JSON object");
}

}  // namespace
}  // namespace vigil::event
