// ka.* fields about the request, its user, its target, RBAC objects, services and the response:
// everything of Falco's k8saudit plugin except the pod fields (pod_fields.cc).
//
// Semantics follow falcosecurity/plugins k8saudit v0.18 (pkg/k8saudit/extract.go): a field read
// from a fixed path is not available when the path is missing; a present non-string value is
// rendered as JSON text (`true`, `201`, `{"a":1}`). Where vigil deliberately differs, the field's
// comment says so and why.
#include <simdjson.h>

#include "rules/fields/json_text.h"
#include "rules/fields/registry.h"

namespace vigil::rules::fields {
namespace {

using event::Member;

std::optional<element> Walk(const FieldSpec& spec, const event::AuditEvent& ev) {
  std::optional<element> e = ev.Get(spec.root);
  for (std::uint8_t i = 0; e && i < spec.path_len; ++i) e = Child(*e, spec.path[i]);
  return e;
}

// ka.uri.param[k]: the first value of query parameter k. Not available when the URI or the
// parameter is missing. The plugin returns not-available for the whole field when any query pair
// fails to parse (Go's url.ParseQuery error); vigil skips only the bad pair, as the API server's
// own query parsing does, so a stray `;` or `%zz` cannot hide `command=` from a rule.
bool ExtractUriParam(const FieldSpec&, const Call& c) {
  auto uri = c.ev.Get(Member::kRequestUri);
  if (!uri) return false;
  auto value = QueryParam(Render(*uri, c.scratch), c.arg.key, c.scratch);
  if (!value) return false;
  c.out.push_back(*value);
  return true;
}

// ka.target.pod.name: responseObject.metadata.name, only for pods without a subresource.
bool ExtractTargetPodName(const FieldSpec&, const Call& c) {
  if (c.ev.resource() != "pods" || !c.ev.subresource().empty()) return false;
  auto name = Child(Child(c.ev.Get(Member::kResponseObject), "metadata"), "name");
  if (!name) return false;
  c.out.push_back(Render(*name, c.scratch));
  return true;
}

enum SubjectKind : std::uint8_t { kUser, kServiceAccount, kNamespacedServiceAccount, kGroup };

// ka.req.binding.subjects.*_names: names of the binding's subjects of one kind. As in the plugin,
// a request without subjects yields an empty list (available), and subjects lacking a kind or a
// name (or a namespace, for the ns:name form) are skipped.
bool ExtractSubjectNames(const FieldSpec& spec, const Call& c) {
  auto subjects = Child(c.ev.Get(Member::kRequestObject), "subjects");
  if (!subjects) return true;
  auto arr = AsArray(subjects);
  if (!arr) return false;
  std::string_view want = spec.p1 == kUser    ? "User"
                          : spec.p1 == kGroup ? "Group"
                                              : "ServiceAccount";
  for (element subject : *arr) {
    auto kind = Child(subject, "kind");
    auto name = Child(subject, "name");
    if (!kind || !name || Render(*kind, c.scratch) != want) continue;
    if (spec.p1 != kNamespacedServiceAccount) {
      c.out.push_back(Render(*name, c.scratch));
      continue;
    }
    auto ns = Child(subject, "namespace");
    if (!ns) continue;
    std::string_view ns_text = Render(*ns, c.scratch);
    std::string_view name_text = Render(*name, c.scratch);
    std::string& buf = TextBuffer();
    buf.append(ns_text).append(":").append(name_text);
    c.out.push_back(c.scratch.Store(buf));
  }
  return true;
}

// ka.req.binding.subject.has_name[x]: deprecated; the plugin always answers "true".
bool ExtractAlwaysTrue(const FieldSpec&, const Call& c) {
  c.out.push_back("true");
  return true;
}

void AppendArrayItems(element value, const Call& c) {
  auto arr = AsArray(value);
  if (!arr) return;
  for (element item : *arr) c.out.push_back(Render(item, c.scratch));
}

// ka.req.role.rules.<attr>: requestObject.rules[*].<attr> flattened. Not available when the role
// has no rules; an index picks one rule (then its attribute list, not available if it lacks it).
bool ExtractRuleAttr(const FieldSpec& spec, const Call& c) {
  auto rules = AsArray(Child(c.ev.Get(Member::kRequestObject), "rules"));
  if (!rules) return false;
  std::string_view attr = spec.path[0];
  if (c.arg.index >= 0) {
    if (static_cast<size_t>(c.arg.index) >= rules->size()) return false;
    auto rule = rules->at(static_cast<size_t>(c.arg.index));
    if (rule.error()) return false;
    auto value = Child(rule.value_unsafe(), attr);
    if (!value) return false;
    AppendArrayItems(*value, c);
    return true;
  }
  for (element rule : *rules) {
    if (auto value = Child(rule, attr)) AppendArrayItems(*value, c);
  }
  return true;
}

// ka.user.extra[k] (vigil): the values of user.extra[k], e.g. EKS `arn`, `sessionName`,
// `accessKeyId`. Not available when the key is absent. Falco lacks this (plugins#194).
bool ExtractUserExtra(const FieldSpec&, const Call& c) {
  auto value = Child(Child(c.ev.Get(Member::kUser), "extra"), c.arg.key);
  if (!value) return false;
  if (auto arr = AsArray(value)) {
    for (element item : *arr) c.out.push_back(Render(item, c.scratch));
  } else {
    c.out.push_back(Render(*value, c.scratch));
  }
  return true;
}

enum Cached : std::uint8_t { kVerb, kStage, kAuditId, kResource, kSubresource };

// The hottest fields of Falco's rules read the values AuditEvent resolved when it was built. An
// empty cached value means absent, empty or not a string; the generic path sorts those out.
bool ExtractCached(const FieldSpec& spec, const Call& c) {
  std::string_view v;
  switch (spec.p1) {
    case kVerb: v = c.ev.verb(); break;
    case kStage: v = c.ev.stage_name(); break;
    case kAuditId: v = c.ev.audit_id(); break;
    case kResource: v = c.ev.resource(); break;
    case kSubresource: v = c.ev.subresource(); break;
    default: break;
  }
  if (v.empty()) return ExtractPathScalar(spec, c);
  c.out.push_back(v);
  return true;
}

FieldInfo Scalar(std::string_view name, std::string_view description) {
  return FieldInfo{name, description, FieldArg::kNone, false, false};
}
FieldInfo List(std::string_view name, std::string_view description,
               FieldArg arg = FieldArg::kNone) {
  return FieldInfo{name, description, arg, true, false};
}

}  // namespace

bool ExtractPathScalar(const FieldSpec& spec, const Call& c) {
  auto value = Walk(spec, c.ev);
  if (!value) return false;
  c.out.push_back(Render(*value, c.scratch));
  return true;
}

bool ExtractPathList(const FieldSpec& spec, const Call& c) {
  auto arr = AsArray(Walk(spec, c.ev));
  if (!arr) return false;
  if (c.arg.index >= 0) {
    if (static_cast<size_t>(c.arg.index) >= arr->size()) return false;
    auto item = arr->at(static_cast<size_t>(c.arg.index));
    if (item.error()) return false;
    c.out.push_back(Render(item.value_unsafe(), c.scratch));
    return true;
  }
  for (element item : *arr) c.out.push_back(Render(item, c.scratch));
  return true;
}

void AddKaFields(RegistryBuilder& b) {
  const auto scalar = [](Member root, std::initializer_list<std::string_view> keys) {
    return PathSpec(&ExtractPathScalar, root, keys);
  };
  const auto list = [](Member root, std::initializer_list<std::string_view> keys) {
    return PathSpec(&ExtractPathList, root, keys);
  };
  const auto cached = [](Cached which, Member root, std::initializer_list<std::string_view> keys) {
    FieldSpec s = PathSpec(&ExtractCached, root, keys);
    s.p1 = which;
    return s;
  };
  const auto special = [](ExtractFn fn, std::uint8_t p1 = 0) {
    FieldSpec s;
    s.fn = fn;
    s.p1 = p1;
    return s;
  };

  b.Add(Scalar("ka.auditid", "The unique id of the audit event (auditID)."),
        cached(kAuditId, Member::kAuditId, {}));
  b.Add(Scalar("ka.stage", "Stage of the request (RequestReceived, ResponseStarted, "
                           "ResponseComplete, Panic)."),
        cached(kStage, Member::kStage, {}));
  b.Add(Scalar("ka.auth.decision",
               "The authorization decision (annotation authorization.k8s.io/decision)."),
        scalar(Member::kAnnotations, {"authorization.k8s.io/decision"}));
  b.Add(Scalar("ka.auth.reason",
               "The authorization reason (annotation authorization.k8s.io/reason)."),
        scalar(Member::kAnnotations, {"authorization.k8s.io/reason"}));
  b.Add(Scalar("ka.auth.openshift.decision",
               "The OpenShift authentication decision (annotation "
               "authentication.openshift.io/decision); OpenShift only."),
        scalar(Member::kAnnotations, {"authentication.openshift.io/decision"}));
  b.Add(Scalar("ka.validations.admission.policy.failure",
               "The ValidatingAdmissionPolicy failure (annotation "
               "validation.policy.admission.k8s.io/validation_failure)."),
        scalar(Member::kAnnotations, {"validation.policy.admission.k8s.io/validation_failure"}));
  b.Add(Scalar("ka.security.pod.violations",
               "Pod Security Admission violations (annotation "
               "pod-security.kubernetes.io/audit-violations)."),
        scalar(Member::kAnnotations, {"pod-security.kubernetes.io/audit-violations"}));
  b.Add(Scalar("ka.auth.openshift.username",
               "The user name of the OpenShift authentication (annotation "
               "authentication.openshift.io/username); OpenShift only."),
        scalar(Member::kAnnotations, {"authentication.openshift.io/username"}));
  b.Add(Scalar("ka.user.name", "The user name performing the request (user.username)."),
        scalar(Member::kUser, {"username"}));
  b.Add(List("ka.user.groups", "The groups of the user performing the request (user.groups)."),
        list(Member::kUser, {"groups"}));
  b.Add(FieldInfo{"ka.user.extra",
                  "vigil: the values of user.extra[key], e.g. EKS arn, sessionName, accessKeyId "
                  "(not available when the key is absent).",
                  FieldArg::kKeyRequired, true, false},
        special(&ExtractUserExtra));
  b.Add(Scalar("ka.impuser.name", "The impersonated user name (impersonatedUser.username)."),
        scalar(Member::kImpersonatedUser, {"username"}));
  b.Add(Scalar("ka.verb", "The action being performed (verb)."),
        cached(kVerb, Member::kVerb, {}));
  b.Add(Scalar("ka.uri", "The request URI as sent from client to server (requestURI)."),
        scalar(Member::kRequestUri, {}));
  b.Add(FieldInfo{"ka.uri.param",
                  "The first value of a query parameter of the request URI, URL-decoded "
                  "(ka.uri.param[command] for exec).",
                  FieldArg::kKeyRequired, false, false},
        special(&ExtractUriParam));
  b.Add(Scalar("ka.target.name", "The target object name (objectRef.name)."),
        scalar(Member::kObjectRef, {"name"}));
  b.Add(Scalar("ka.target.namespace", "The target object namespace (objectRef.namespace)."),
        scalar(Member::kObjectRef, {"namespace"}));
  b.Add(Scalar("ka.target.resource", "The target object resource (objectRef.resource)."),
        cached(kResource, Member::kObjectRef, {"resource"}));
  b.Add(Scalar("ka.target.subresource",
               "The target object subresource (objectRef.subresource)."),
        cached(kSubresource, Member::kObjectRef, {"subresource"}));
  b.Add(Scalar("ka.target.pod.name",
               "The created pod's name (responseObject.metadata.name), for pods without a "
               "subresource."),
        special(&ExtractTargetPodName));
  b.Add(List("ka.req.binding.subjects",
             "The subjects of a (cluster) role binding, each as JSON (requestObject.subjects)."),
        list(Member::kRequestObject, {"subjects"}));
  b.Add(List("ka.req.binding.subjects.user_names",
             "The names of the binding's User subjects (empty when it has no subjects)."),
        special(&ExtractSubjectNames, kUser));
  b.Add(List("ka.req.binding.subjects.serviceaccount_names",
             "The names of the binding's ServiceAccount subjects."),
        special(&ExtractSubjectNames, kServiceAccount));
  b.Add(List("ka.req.binding.subjects.serviceaccount_ns_names",
             "The binding's ServiceAccount subjects as namespace:name."),
        special(&ExtractSubjectNames, kNamespacedServiceAccount));
  b.Add(List("ka.req.binding.subjects.group_names",
             "The names of the binding's Group subjects."),
        special(&ExtractSubjectNames, kGroup));
  b.Add(Scalar("ka.req.binding.role",
               "The role a (cluster) role binding refers to (requestObject.roleRef.name)."),
        scalar(Member::kRequestObject, {"roleRef", "name"}));
  b.Add(FieldInfo{"ka.req.binding.subject.has_name",
                  "Always \"true\", as in Falco; kept only so old rule files load.",
                  FieldArg::kKeyRequired, false, true},
        special(&ExtractAlwaysTrue));
  b.Add(Scalar("ka.req.configmap.name", "The configmap name (objectRef.name)."),
        scalar(Member::kObjectRef, {"name"}));
  b.Add(Scalar("ka.req.configmap.obj",
               "The configmap's data as JSON text (requestObject.data; needs Request level)."),
        scalar(Member::kRequestObject, {"data"}));
  b.Add(List("ka.req.role.rules", "The rules of a (cluster) role, each as JSON."),
        list(Member::kRequestObject, {"rules"}));
  FieldSpec rules_attr = special(&ExtractRuleAttr);
  rules_attr.index_is_scalar = false;  // the index picks a rule; its attribute is a list
  for (auto [name, attr, what] : {
           std::tuple{"ka.req.role.rules.apiGroups", "apiGroups", "API groups"},
           std::tuple{"ka.req.role.rules.nonResourceURLs", "nonResourceURLs",
                      "non-resource URLs"},
           std::tuple{"ka.req.role.rules.verbs", "verbs", "verbs"},
           std::tuple{"ka.req.role.rules.resources", "resources", "resources"},
       }) {
    rules_attr.path[0] = attr;
    rules_attr.path_len = 1;
    b.Add(List(name,
               b.Intern(std::string("The ") + what +
                        " of all the role's rules, flattened; [i] selects rule i."),
               FieldArg::kIndex),
          rules_attr);
  }
  b.Add(Scalar("ka.req.service.type", "The service type (requestObject.spec.type)."),
        scalar(Member::kRequestObject, {"spec", "type"}));
  // The plugin (v0.18) yields the whole ports array as one JSON value; vigil yields one value per
  // port, as its documentation and the original Falco implementation describe.
  b.Add(List("ka.req.service.ports", "The service's ports, each as JSON.", FieldArg::kIndex),
        list(Member::kRequestObject, {"spec", "ports"}));
  b.Add(Scalar("ka.resp.name", "The response object name (responseObject.metadata.name)."),
        scalar(Member::kResponseObject, {"metadata", "name"}));
  b.Add(Scalar("ka.response.code", "The response code (responseStatus.code)."),
        scalar(Member::kResponseStatus, {"code"}));
  b.Add(Scalar("ka.response.reason",
               "The response reason, usually present only for failures (responseStatus.reason)."),
        scalar(Member::kResponseStatus, {"reason"}));
  b.Add(Scalar("ka.useragent", "The client's user agent (userAgent; client-supplied)."),
        scalar(Member::kUserAgent, {}));
  // The plugin reads requestObject.rules[*].sourceIPs (a bug: always empty); vigil reads the
  // event's top-level sourceIPs, as the field is documented. Only the last entry is verified by
  // the API server; see vigil.caller.ip.
  b.Add(List("ka.sourceips",
             "The client's IP addresses (sourceIPs); only the last one is verified by the API "
             "server.",
             FieldArg::kIndex),
        list(Member::kSourceIps, {}));
  b.Add(Scalar("ka.cluster.name",
               "The cluster name from the non-standard annotation cluster_name."),
        scalar(Member::kAnnotations, {"cluster_name"}));
}

}  // namespace vigil::rules::fields
