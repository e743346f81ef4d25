#include "detect/observation.h"

#include <string>

#include "event/redact.h"

namespace vigil::detect {
namespace {

using event::AsString;
using event::FindKey;

std::string_view Str(std::optional<simdjson::dom::element> e) {
  return e ? AsString(*e) : std::string_view();
}

// user.extra values are lists of strings; the first is the value.
std::string_view Extra(simdjson::dom::element extra, std::string_view key) {
  auto v = FindKey(extra, key);
  if (!v) return {};
  simdjson::dom::array arr;
  if (v->get_array().get(arr) == simdjson::SUCCESS) {
    for (auto item : arr) return AsString(item);
    return {};
  }
  return AsString(*v);
}

// Assigning into existing strings and vectors reuses their capacity: the engine fills one
// Observation per match, so steady state does not allocate.
void AssignList(std::vector<std::string>& out, std::optional<simdjson::dom::element> list) {
  size_t n = 0;
  simdjson::dom::array arr;
  if (list && list->get_array().get(arr) == simdjson::SUCCESS) {
    for (auto item : arr) {
      if (n < out.size()) {
        out[n].assign(AsString(item));
      } else {
        out.emplace_back(AsString(item));
      }
      ++n;
    }
  }
  out.resize(n);
}

}  // namespace

void FillBrief(const event::AuditEvent& ev,
               findings::Observation& obs,
               event::RedactMemo* user_agents) {
  using event::Member;
  obs.audit_id.assign(ev.audit_id());
  obs.stage.assign(ev.stage_name());
  obs.time = ev.time();
  if (user_agents != nullptr) {
    obs.user_agent.assign(user_agents->Redact(ev.user_agent()));
  } else {
    obs.user_agent.clear();
    event::AppendRedactedText(ev.user_agent(), obs.user_agent);
  }
  obs.principal.username.assign(ev.user_name());
  AssignList(obs.source_ips, ev.Get(Member::kSourceIps));

  findings::TargetResource& r = obs.resource;
  r.api_group.assign(ev.ObjectRef("apiGroup"));
  r.resource.assign(ev.resource());
  r.subresource.assign(ev.subresource());
  r.ns.assign(ev.ns());
  r.name.assign(ev.name());
  if (r.name.empty() && ev.resource() == "pods" && ev.subresource().empty()) {
    if (auto resp = ev.Get(Member::kResponseObject)) {
      if (auto md = FindKey(*resp, "metadata")) r.name.assign(Str(FindKey(*md, "name")));
    }
  }
  if (r.resource.empty()) {
    r.request_uri.clear();
    event::AppendRedactedText(ev.request_uri(), r.request_uri);
  } else {
    r.request_uri.clear();
  }
}

void FillDetail(const event::AuditEvent& ev, findings::Observation& obs) {
  using event::Member;
  obs.verb.assign(ev.verb());
  obs.response_code = ev.response_code();

  findings::Principal& p = obs.principal;
  auto user = ev.Get(Member::kUser);
  p.uid.assign(user ? Str(FindKey(*user, "uid")) : std::string_view());
  AssignList(p.groups, user ? FindKey(*user, "groups") : std::nullopt);
  auto extra = user ? FindKey(*user, "extra") : std::nullopt;
  p.aws_arn.assign(extra ? Extra(*extra, "arn") : std::string_view());
  if (p.aws_arn.empty() && extra) p.aws_arn.assign(Extra(*extra, "canonicalArn"));
  p.aws_session_name.assign(extra ? Extra(*extra, "sessionName") : std::string_view());
  p.aws_access_key_id.assign(extra ? Extra(*extra, "accessKeyId") : std::string_view());
  p.aws_principal_id.assign(extra ? Extra(*extra, "principalId") : std::string_view());
  auto imp = ev.Get(Member::kImpersonatedUser);
  p.impersonated_user.assign(imp ? Str(FindKey(*imp, "username")) : std::string_view());
  obs.resource.request_uri = event::RedactText(ev.request_uri());
}

void FillFromEvent(const event::AuditEvent& ev, findings::Observation& obs) {
  FillBrief(ev, obs);
  FillDetail(ev, obs);
}

}  // namespace vigil::detect
