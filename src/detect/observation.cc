#include "detect/observation.h"

#include <string>

#include "event/redact.h"

namespace vigil::detect {
namespace {

using event::AsString;
using event::FindKey;

std::string Str(std::optional<simdjson::dom::element> e) {
  return e ? std::string(AsString(*e)) : std::string();
}

// user.extra values are lists of strings; the first is the value.
std::string Extra(simdjson::dom::element extra, std::string_view key) {
  auto v = FindKey(extra, key);
  if (!v) return {};
  simdjson::dom::array arr;
  if (v->get_array().get(arr) == simdjson::SUCCESS) {
    for (auto item : arr) return std::string(AsString(item));
    return {};
  }
  return std::string(AsString(*v));
}

}  // namespace

void FillFromEvent(const event::AuditEvent& ev, findings::Observation& obs) {
  using event::Member;
  obs.audit_id = std::string(ev.audit_id());
  obs.stage = std::string(ev.stage_name());
  obs.time = ev.time();
  obs.verb = std::string(ev.verb());
  obs.response_code = ev.response_code();
  obs.user_agent = event::RedactText(ev.user_agent());

  if (auto user = ev.Get(Member::kUser)) {
    obs.principal.username = Str(FindKey(*user, "username"));
    obs.principal.uid = Str(FindKey(*user, "uid"));
    if (auto groups = FindKey(*user, "groups")) {
      simdjson::dom::array arr;
      if (groups->get_array().get(arr) == simdjson::SUCCESS) {
        for (auto g : arr) obs.principal.groups.emplace_back(AsString(g));
      }
    }
    if (auto extra = FindKey(*user, "extra")) {
      obs.principal.aws_arn = Extra(*extra, "arn");
      if (obs.principal.aws_arn.empty()) obs.principal.aws_arn = Extra(*extra, "canonicalArn");
      obs.principal.aws_session_name = Extra(*extra, "sessionName");
      obs.principal.aws_access_key_id = Extra(*extra, "accessKeyId");
      obs.principal.aws_principal_id = Extra(*extra, "principalId");
    }
  }
  if (auto imp = ev.Get(Member::kImpersonatedUser)) {
    obs.principal.impersonated_user = Str(FindKey(*imp, "username"));
  }
  if (auto ips = ev.Get(Member::kSourceIps)) {
    simdjson::dom::array arr;
    if (ips->get_array().get(arr) == simdjson::SUCCESS) {
      for (auto ip : arr) obs.source_ips.emplace_back(AsString(ip));
    }
  }
  obs.resource.api_group = std::string(ev.ObjectRef("apiGroup"));
  obs.resource.resource = std::string(ev.resource());
  obs.resource.subresource = std::string(ev.subresource());
  obs.resource.ns = std::string(ev.ns());
  obs.resource.name = std::string(ev.name());
  if (obs.resource.name.empty() && ev.resource() == "pods" && ev.subresource().empty()) {
    if (auto resp = ev.Get(Member::kResponseObject)) {
      if (auto md = FindKey(*resp, "metadata")) obs.resource.name = Str(FindKey(*md, "name"));
    }
  }
  obs.resource.request_uri = event::RedactText(ev.request_uri());
}

}  // namespace vigil::detect
