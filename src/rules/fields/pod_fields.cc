// Pod-spec fields: Falco's ka.req.pod.* and ka.req.container.* (a Pod's requestObject.spec, as the
// plugin reads it), and vigil's ka.req.workload.* which find the pod spec inside any workload
// (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job: spec.template.spec; CronJob:
// spec.jobTemplate.spec.template.spec; Pod: spec), so a privileged container cannot slip in
// through a Deployment instead of a Pod.
//
// Container-attribute semantics follow the k8saudit plugin v0.18 (extractContainerField):
// - the container list missing (or not an array) → not available;
// - without an index, containers lacking the attribute are skipped (the list may be empty), except
//   name and image, where one container without it makes the field not available, and command and
//   args, which are not available when no container sets them;
// - with an index [i], container i must exist and have the attribute, else not available.
#include <simdjson.h>

#include "rules/fields/json_text.h"
#include "rules/fields/registry.h"

namespace vigil::rules::fields {
namespace {

using event::Member;
using simdjson::dom::array;

enum Source : std::uint8_t { kPod, kWorkload };
enum ListSel : std::uint8_t { kContainers, kInitContainers, kEphemeralContainers, kAllContainers };
enum Attr : std::uint8_t {
  kName,
  kImage,
  kImageRepository,
  kCommand,
  kArgs,
  kPrivileged,
  kAllowPrivilegeEscalation,
  kReadOnlyFs,
  kRunAsUser,
  kEffRunAsUser,
  kRunAsGroup,
  kEffRunAsGroup,
  kProcMount,
  kAddCapabilities,
  kHostPort,
};

constexpr std::string_view kListKeys[3] = {"containers", "initContainers",
                                           "ephemeralContainers"};

// The pod spec of the request object. For kPod it is requestObject.spec whatever the kind (as the
// plugin reads it). For kWorkload it depends on requestObject.kind, or, when a body has no kind
// (a merge patch), on objectRef.resource.
std::optional<element> LocateSpec(const event::AuditEvent& ev, std::uint8_t source) {
  auto object = ev.Get(Member::kRequestObject);
  if (!object) return std::nullopt;
  if (source == kPod) return Child(*object, "spec");
  enum { kPodShape, kCronJobShape, kPodTemplateShape, kTemplateShape } shape = kTemplateShape;
  auto kind_value = Child(*object, "kind");
  std::string_view kind = kind_value ? event::AsString(*kind_value) : std::string_view();
  if (!kind.empty()) {
    if (kind == "Pod") shape = kPodShape;
    else if (kind == "CronJob") shape = kCronJobShape;
    else if (kind == "PodTemplate") shape = kPodTemplateShape;
  } else {
    std::string_view resource = ev.resource();
    if (resource == "pods") shape = kPodShape;
    else if (resource == "cronjobs") shape = kCronJobShape;
    else if (resource == "podtemplates") shape = kPodTemplateShape;
  }
  switch (shape) {
    case kPodShape:
      return Child(*object, "spec");
    case kCronJobShape:
      return Child(
          Child(Child(Child(Child(*object, "spec"), "jobTemplate"), "spec"), "template"), "spec");
    case kPodTemplateShape:
      return Child(Child(*object, "template"), "spec");
    case kTemplateShape:
      break;
  }
  return Child(Child(Child(*object, "spec"), "template"), "spec");
}

enum class Outcome { kOk, kMissing, kFail };

std::string_view SecurityContextKey(std::uint8_t attr) {
  switch (attr) {
    case kPrivileged: return "privileged";
    case kAllowPrivilegeEscalation: return "allowPrivilegeEscalation";
    case kReadOnlyFs: return "readOnlyRootFilesystem";
    case kRunAsUser:
    case kEffRunAsUser: return "runAsUser";
    case kRunAsGroup:
    case kEffRunAsGroup: return "runAsGroup";
    case kProcMount: return "procMount";
    default: return {};
  }
}

// Reads one container's attribute; appends its values when `emit`. kMissing: the container does
// not set it; kFail: it is malformed (the plugin's wrong-type error, which makes the whole field
// not available).
Outcome VisitContainer(element container, std::uint8_t attr, std::string_view eff_default,
                       const Call& c, bool emit) {
  switch (attr) {
    case kName:
    case kImage:
    case kImageRepository: {
      auto v = Child(container, attr == kName ? "name" : "image");
      if (!v) return Outcome::kMissing;
      if (emit) {
        std::string_view text = Render(*v, c.scratch);
        c.out.push_back(attr == kImageRepository ? ImageRepository(text) : text);
      }
      return Outcome::kOk;
    }
    case kCommand:
    case kArgs: {
      auto v = Child(container, attr == kCommand ? "command" : "args");
      if (!v) return Outcome::kMissing;
      auto items = AsArray(v);
      if (!items) return Outcome::kFail;
      for (element item : *items) {
        if (!item.is_string()) return Outcome::kFail;
      }
      if (emit) {
        std::string& buf = TextBuffer();
        bool first = true;
        for (element item : *items) {
          if (!first) buf.push_back(' ');
          first = false;
          buf.append(event::AsString(item));
        }
        c.out.push_back(c.scratch.Store(buf));
      }
      return Outcome::kOk;
    }
    case kPrivileged:
    case kAllowPrivilegeEscalation:
    case kReadOnlyFs:
    case kRunAsUser:
    case kRunAsGroup:
    case kProcMount: {
      auto v = Child(Child(container, "securityContext"), SecurityContextKey(attr));
      if (!v) return Outcome::kMissing;
      if (emit) c.out.push_back(Render(*v, c.scratch));
      return Outcome::kOk;
    }
    case kEffRunAsUser:
    case kEffRunAsGroup: {
      // The container's own securityContext value, else the pod's, else 0 (root). The plugin
      // reads container.runAsUser and spec.runAsUser, paths Kubernetes does not have, so it
      // almost always answers 0; vigil reads the securityContext at both levels, as Falco's
      // original implementation and the field's documentation do.
      if (emit) {
        auto v = Child(Child(container, "securityContext"), SecurityContextKey(attr));
        c.out.push_back(v ? Render(*v, c.scratch) : eff_default);
      }
      return Outcome::kOk;
    }
    case kAddCapabilities: {
      // One value per capability. The plugin yields each container's `add` array as one JSON
      // text, which `intersects (SYS_ADMIN)` can never match; vigil flattens it.
      auto v = Child(Child(Child(container, "securityContext"), "capabilities"), "add");
      if (!v) return Outcome::kMissing;
      if (emit) {
        if (auto caps = AsArray(v)) {
          for (element cap : *caps) c.out.push_back(Render(cap, c.scratch));
        } else {
          c.out.push_back(Render(*v, c.scratch));
        }
      }
      return Outcome::kOk;
    }
    case kHostPort: {
      // hostPort, else containerPort (with hostNetwork the container port is the host port).
      auto v = Child(container, "ports");
      if (!v) return Outcome::kMissing;
      auto ports = AsArray(v);
      if (!ports) return Outcome::kFail;
      if (emit) {
        for (element port : *ports) {
          auto p = Child(port, "hostPort");
          if (!p) p = Child(port, "containerPort");
          if (p) c.out.push_back(Render(*p, c.scratch));
        }
      }
      return Outcome::kOk;
    }
    default:
      return Outcome::kFail;
  }
}

bool ExtractContainerAttr(const FieldSpec& spec, const Call& c) {
  auto pod_spec = LocateSpec(c.ev, spec.p1);
  if (!pod_spec) return false;
  std::array<std::optional<array>, 3> lists{};
  bool any = false;
  for (std::uint8_t i = 0; i < 3; ++i) {
    if (spec.p2 != kAllContainers && spec.p2 != i) continue;
    lists[i] = AsArray(Child(*pod_spec, kListKeys[i]));
    any = any || lists[i].has_value();
  }
  if (!any) return false;

  const std::uint8_t attr = spec.p3;
  std::string_view eff_default;
  if (attr == kEffRunAsUser || attr == kEffRunAsGroup) {
    auto v = Child(Child(*pod_spec, "securityContext"), SecurityContextKey(attr));
    eff_default = v ? Render(*v, c.scratch) : std::string_view("0");
  }

  if (c.arg.index >= 0) {
    auto remaining = static_cast<size_t>(c.arg.index);
    for (const auto& list : lists) {
      if (!list) continue;
      if (remaining >= list->size()) {
        remaining -= list->size();
        continue;
      }
      auto container = list->at(remaining);
      if (container.error()) return false;
      if (VisitContainer(container.value_unsafe(), attr, eff_default, c, false) != Outcome::kOk) {
        return false;
      }
      VisitContainer(container.value_unsafe(), attr, eff_default, c, true);
      return true;
    }
    return false;
  }

  // For attributes that can make the whole field not available, a first pass looks for that, so
  // nothing is appended then. The others (the securityContext flags) need one pass only.
  const bool missing_fails = attr == kName || attr == kImage || attr == kImageRepository;
  const bool none_fails = attr == kCommand || attr == kArgs;
  if (missing_fails || none_fails || attr == kHostPort) {
    bool any_set = false;
    for (const auto& list : lists) {
      if (!list) continue;
      for (element container : *list) {
        Outcome o = VisitContainer(container, attr, eff_default, c, false);
        if (o == Outcome::kFail || (o == Outcome::kMissing && missing_fails)) return false;
        any_set = any_set || o == Outcome::kOk;
      }
    }
    if (none_fails && !any_set) return false;
  }
  for (const auto& list : lists) {
    if (!list) continue;
    for (element container : *list) VisitContainer(container, attr, eff_default, c, true);
  }
  return true;
}

// A value at a path under the pod spec (spec.path), e.g. hostNetwork.
std::optional<element> WalkSpec(const FieldSpec& spec, const Call& c) {
  auto e = LocateSpec(c.ev, spec.p1);
  for (std::uint8_t i = 0; e && i < spec.path_len; ++i) e = Child(*e, spec.path[i]);
  return e;
}

bool ExtractSpecScalar(const FieldSpec& spec, const Call& c) {
  auto v = WalkSpec(spec, c);
  if (!v) return false;
  c.out.push_back(Render(*v, c.scratch));
  return true;
}

bool ExtractSpecList(const FieldSpec& spec, const Call& c) {
  auto arr = AsArray(WalkSpec(spec, c));
  if (!arr) return false;
  for (element item : *arr) c.out.push_back(Render(item, c.scratch));
  return true;
}

enum VolumeAttr : std::uint8_t { kHostPathPath, kFlexVolumeDriver };

std::optional<element> VolumeAttrValue(element volume, std::uint8_t attr) {
  return attr == kHostPathPath ? Child(Child(volume, "hostPath"), "path")
                               : Child(Child(volume, "flexVolume"), "driver");
}

// ka.req.pod.volumes.hostpath / flexvolume_driver: one value per volume that has it; [i] picks
// volume i (not available if it has none). Not available without spec.volumes.
bool ExtractVolumeAttr(const FieldSpec& spec, const Call& c) {
  auto pod_spec = LocateSpec(c.ev, spec.p1);
  auto volumes = AsArray(Child(pod_spec, "volumes"));
  if (!volumes) return false;
  if (c.arg.index >= 0) {
    if (static_cast<size_t>(c.arg.index) >= volumes->size()) return false;
    auto volume = volumes->at(static_cast<size_t>(c.arg.index));
    if (volume.error()) return false;
    auto v = VolumeAttrValue(volume.value_unsafe(), spec.p2);
    if (!v) return false;
    c.out.push_back(Render(*v, c.scratch));
    return true;
  }
  for (element volume : *volumes) {
    if (auto v = VolumeAttrValue(volume, spec.p2)) c.out.push_back(Render(*v, c.scratch));
  }
  return true;
}

// ka.req.pod.volumes.volume_type: each volume's keys other than "name" (its source type).
bool ExtractVolumeTypes(const FieldSpec& spec, const Call& c) {
  auto pod_spec = LocateSpec(c.ev, spec.p1);
  auto volumes = AsArray(Child(pod_spec, "volumes"));
  if (!volumes) return false;
  size_t i = 0;
  for (element volume : *volumes) {
    bool selected = c.arg.index < 0 || static_cast<size_t>(c.arg.index) == i;
    ++i;
    if (!selected) continue;
    simdjson::dom::object obj;
    if (volume.get_object().get(obj) != simdjson::SUCCESS) continue;
    for (auto field : obj) {
      if (field.key != "name") c.out.push_back(field.key);
    }
  }
  return c.arg.index < 0 || static_cast<size_t>(c.arg.index) < volumes->size();
}

// ka.req.volume.hostpath[path] (deprecated): "true" if a hostPath volume's path equals the key, or
// starts with it when the key ends in '*'; else "false". Not available without spec.volumes.
// The plugin passes the key argument's (zero) index as an index filter and so checks only the
// first volume; vigil checks them all, as documented.
bool ExtractHostPathMatch(const FieldSpec& spec, const Call& c) {
  auto volumes = AsArray(Child(LocateSpec(c.ev, spec.p1), "volumes"));
  if (!volumes) return false;
  std::string_view key = c.arg.key;
  const bool prefix = !key.empty() && key.back() == '*';
  if (prefix) key.remove_suffix(1);
  for (element volume : *volumes) {
    auto path = VolumeAttrValue(volume, kHostPathPath);
    if (!path) continue;
    std::string_view p = Render(*path, c.scratch);
    if (p == c.arg.key || (prefix && p.substr(0, key.size()) == key)) {
      c.out.push_back("true");
      return true;
    }
  }
  c.out.push_back("false");
  return true;
}

// Whether any container, init container or ephemeral container mounts the volume `name` without
// `readOnly: true`. A volume no container mounts is not writable by anyone.
bool MountedWritable(element pod_spec, std::string_view name) {
  for (std::string_view list_key : kListKeys) {
    auto list = AsArray(Child(pod_spec, list_key));
    if (!list) continue;
    for (element container : *list) {
      auto mounts = AsArray(Child(container, "volumeMounts"));
      if (!mounts) continue;
      for (element mount : *mounts) {
        auto mount_name = Child(mount, "name");
        if (!mount_name || event::AsString(*mount_name) != name) continue;
        auto read_only = Child(mount, "readOnly");
        bool is_read_only = read_only && read_only->is_bool() && bool(*read_only);
        if (!is_read_only) return true;
      }
    }
  }
  return false;
}

// ka.req.*.volumes.hostpath.writable (vigil): hostPath paths that some container mounts
// writable, cleaned (path.Clean) so that "/etc/", "//etc" or "/etc/." cannot slip past an exact
// match against "/etc" (the kubelet mounts all of them as /etc). Not available without
// spec.volumes.
bool ExtractWritableHostPaths(const FieldSpec& spec, const Call& c) {
  auto pod_spec = LocateSpec(c.ev, spec.p1);
  if (!pod_spec) return false;
  auto volumes = AsArray(Child(*pod_spec, "volumes"));
  if (!volumes) return false;
  for (element volume : *volumes) {
    auto path = VolumeAttrValue(volume, kHostPathPath);
    if (!path) continue;
    auto name = Child(volume, "name");
    if (!name || !name->is_string()) continue;
    if (MountedWritable(*pod_spec, event::AsString(*name))) {
      c.out.push_back(CleanPath(Render(*path, c.scratch), c.scratch));
    }
  }
  return true;
}

// ka.req.container.image[.repository] (deprecated): the first container's image.
bool ExtractFirstImage(const FieldSpec& spec, const Call& c) {
  auto containers = AsArray(Child(LocateSpec(c.ev, kPod), "containers"));
  if (!containers || containers->size() == 0) return false;
  auto first = containers->at(0);
  if (first.error()) return false;
  auto image = Child(first.value_unsafe(), "image");
  if (!image) return false;
  std::string_view text = Render(*image, c.scratch);
  c.out.push_back(spec.p2 ? ImageRepository(text) : text);
  return true;
}

// ka.req.container.privileged (deprecated): "true" if any (regular) container is privileged.
bool ExtractAnyPrivileged(const FieldSpec&, const Call& c) {
  auto containers = AsArray(Child(LocateSpec(c.ev, kPod), "containers"));
  if (!containers) return false;
  for (element container : *containers) {
    auto v = Child(Child(container, "securityContext"), "privileged");
    if (v && v->is_bool() && bool(*v)) {
      c.out.push_back("true");
      return true;
    }
  }
  c.out.push_back("false");
  return true;
}

// ka.req.workload.name (vigil): requestObject.metadata.name, else objectRef.name (a create
// request's objectRef often has no name).
bool ExtractWorkloadName(const FieldSpec&, const Call& c) {
  auto name = Child(Child(c.ev.Get(Member::kRequestObject), "metadata"), "name");
  if (name) {
    c.out.push_back(Render(*name, c.scratch));
    return true;
  }
  std::string_view ref = c.ev.name();
  if (ref.empty()) return false;
  c.out.push_back(ref);
  return true;
}

struct AttrDoc {
  Attr attr;
  std::string_view suffix;
  std::string_view what;  // "{}" stands for the container noun
  bool index_is_scalar;
};

constexpr AttrDoc kAttrDocs[] = {
    {kName, "name", "The name of each {}.", true},
    {kImage, "image", "The image of each {}.", true},
    {kImageRepository, "image.repository",
     "The image of each {} without tag or digest (a registry port is kept).", true},
    {kCommand, "command", "The command of each {} that sets one, joined with spaces.", true},
    {kArgs, "args", "The args of each {} that sets them, joined with spaces.", true},
    {kPrivileged, "privileged", "securityContext.privileged of each {} that sets it.", true},
    {kAllowPrivilegeEscalation, "allow_privilege_escalation",
     "securityContext.allowPrivilegeEscalation of each {} that sets it.", true},
    {kReadOnlyFs, "read_only_fs",
     "securityContext.readOnlyRootFilesystem of each {} that sets it.", true},
    {kRunAsUser, "run_as_user", "securityContext.runAsUser of each {} that sets it.", true},
    {kEffRunAsUser, "eff_run_as_user",
     "The uid each {} starts as: its runAsUser, else the pod's, else 0.", true},
    {kRunAsGroup, "run_as_group", "securityContext.runAsGroup of each {} that sets it.", true},
    {kEffRunAsGroup, "eff_run_as_group",
     "The gid each {} starts as: its runAsGroup, else the pod's, else 0.", true},
    {kProcMount, "proc_mount", "securityContext.procMount of each {} that sets it.", true},
    {kAddCapabilities, "add_capabilities",
     "The capabilities each {} adds (securityContext.capabilities.add), one value each; [i] "
     "selects a container.",
     false},
    {kHostPort, "host_port",
     "The hostPort (else containerPort) of each port of each {}; [i] selects a container.",
     false},
};

struct ListDoc {
  ListSel list;
  std::string_view key;   // as in the field name
  std::string_view noun;  // replaces {} in AttrDoc::what
};

std::string Describe(std::string_view what, std::string_view noun) {
  std::string out(what);
  if (size_t at = out.find("{}"); at != std::string::npos) out.replace(at, 2, noun);
  return out;
}

void AddContainerFamily(RegistryBuilder& b, std::string_view prefix, Source source,
                        const ListDoc& list, bool with_host_port) {
  for (const AttrDoc& doc : kAttrDocs) {
    if (doc.attr == kHostPort && !with_host_port) continue;
    FieldSpec spec;
    spec.fn = &ExtractContainerAttr;
    spec.p1 = source;
    spec.p2 = list.list;
    spec.p3 = doc.attr;
    spec.index_is_scalar = doc.index_is_scalar;
    std::string name = std::string(prefix) + std::string(list.key) + "." + std::string(doc.suffix);
    b.Add(FieldInfo{b.Intern(std::move(name)), b.Intern(Describe(doc.what, list.noun)),
                    FieldArg::kIndex, true, false},
          spec);
  }
}

FieldSpec SpecPath(ExtractFn fn, Source source, std::initializer_list<std::string_view> keys) {
  FieldSpec spec = PathSpec(fn, Member::kRequestObject, keys);
  spec.p1 = source;
  return spec;
}

FieldSpec Fn(ExtractFn fn, Source source, std::uint8_t p2 = 0) {
  FieldSpec spec;
  spec.fn = fn;
  spec.p1 = source;
  spec.p2 = p2;
  return spec;
}

FieldInfo Info(std::string_view name, std::string_view description, bool is_list = false,
               FieldArg arg = FieldArg::kNone, bool deprecated = false) {
  return FieldInfo{name, description, arg, is_list, deprecated};
}

// The pod-level fields shared by ka.req.pod.* and ka.req.workload.*.
void AddSpecFields(RegistryBuilder& b, std::string_view prefix, Source source,
                   std::string_view whose) {
  auto name = [&](std::string_view suffix) {
    return b.Intern(std::string(prefix) + std::string(suffix));
  };
  auto desc = [&](std::string_view what) { return b.Intern(Describe(what, whose)); };
  b.Add(Info(name("host_ipc"), desc("The hostIPC flag of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"hostIPC"}));
  b.Add(Info(name("host_network"), desc("The hostNetwork flag of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"hostNetwork"}));
  b.Add(Info(name("host_pid"), desc("The hostPID flag of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"hostPID"}));
  b.Add(Info(name("run_as_user"), desc("securityContext.runAsUser of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"securityContext", "runAsUser"}));
  b.Add(Info(name("run_as_group"), desc("securityContext.runAsGroup of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"securityContext", "runAsGroup"}));
  b.Add(Info(name("fs_group"), desc("securityContext.fsGroup of {}.")),
        SpecPath(&ExtractSpecScalar, source, {"securityContext", "fsGroup"}));
  b.Add(Info(name("supplemental_groups"), desc("securityContext.supplementalGroups of {}."),
             true),
        SpecPath(&ExtractSpecList, source, {"securityContext", "supplementalGroups"}));
  b.Add(Info(name("volumes.hostpath"),
             desc("The hostPath path of each volume of {} that has one; [i] selects volume i."),
             true, FieldArg::kIndex),
        Fn(&ExtractVolumeAttr, source, kHostPathPath));
  b.Add(Info(name("volumes.hostpath.writable"),
             desc("vigil: the hostPath paths of {} that some container (regular, init or "
                  "ephemeral) mounts without readOnly: true, cleaned like Go's path.Clean "
                  "(/etc/ and //etc read /etc)."),
             true),
        Fn(&ExtractWritableHostPaths, source));
  b.Add(Info(name("volumes.flexvolume_driver"),
             desc("The flexVolume driver of each volume of {} that has one."), true,
             FieldArg::kIndex),
        Fn(&ExtractVolumeAttr, source, kFlexVolumeDriver));
  b.Add(Info(name("volumes.volume_type"),
             desc("The source type of each volume of {}: its keys other than name."), true,
             FieldArg::kIndex),
        Fn(&ExtractVolumeTypes, source));
}

}  // namespace

void AddPodFields(RegistryBuilder& b) {
  const std::string_view prefix = "ka.req.pod.";
  AddSpecFields(b, prefix, kPod, "the pod (requestObject.spec)");
  AddContainerFamily(b, prefix, kPod, {kContainers, "containers", "container of the pod"}, true);
  AddContainerFamily(b, prefix, kPod,
                     {kInitContainers, "initContainers", "init container of the pod"}, true);
  // Ephemeral containers cannot declare ports, and the plugin has no host_port for them.
  AddContainerFamily(
      b, prefix, kPod,
      {kEphemeralContainers, "ephemeralContainers", "ephemeral container of the pod"}, false);
  b.Add(Info("ka.req.volume.hostpath",
             "\"true\" if a hostPath volume's path equals the key, or starts with it when the key "
             "ends in `*`; use ka.req.pod.volumes.hostpath.",
             false, FieldArg::kKeyRequired, true),
        Fn(&ExtractHostPathMatch, kPod));
  b.Add(Info("ka.req.container.image", "The first container's image; use "
                                       "ka.req.pod.containers.image.",
             false, FieldArg::kNone, true),
        Fn(&ExtractFirstImage, kPod, 0));
  b.Add(Info("ka.req.container.image.repository",
             "The first container's image repository; use "
             "ka.req.pod.containers.image.repository.",
             false, FieldArg::kNone, true),
        Fn(&ExtractFirstImage, kPod, 1));
  b.Add(Info("ka.req.container.privileged",
             "\"true\" if any (regular) container is privileged, else \"false\"; use "
             "ka.req.pod.containers.privileged.",
             false, FieldArg::kNone, true),
        Fn(&ExtractAnyPrivileged, kPod));
  b.Add(Info("ka.req.container.host_network", "Same as ka.req.pod.host_network.", false,
             FieldArg::kNone, true),
        SpecPath(&ExtractSpecScalar, kPod, {"hostNetwork"}));
}

void AddWorkloadFields(RegistryBuilder& b) {
  const std::string_view prefix = "ka.req.workload.";
  b.Add(Info("ka.req.workload.kind",
             "vigil: the kind of the request object (requestObject.kind). ka.req.workload.* "
             "read its pod spec: Pod: spec; CronJob: spec.jobTemplate.spec.template.spec; "
             "PodTemplate: template.spec; others: spec.template.spec (by objectRef.resource "
             "when the body has no kind)."),
        PathSpec(&ExtractPathScalar, Member::kRequestObject, {"kind"}));
  b.Add(Info("ka.req.workload.name",
             "vigil: the request object's name (requestObject.metadata.name, else "
             "objectRef.name)."),
        Fn(&ExtractWorkloadName, kWorkload));
  AddSpecFields(b, prefix, kWorkload, "the workload's pod spec");
  AddContainerFamily(b, prefix, kWorkload,
                     {kContainers, "containers", "container of the workload's pod spec"}, true);
  AddContainerFamily(
      b, prefix, kWorkload,
      {kInitContainers, "initContainers", "init container of the workload's pod spec"}, true);
  AddContainerFamily(b, prefix, kWorkload,
                     {kEphemeralContainers, "ephemeralContainers",
                      "ephemeral container of the workload's pod spec"},
                     true);
  AddContainerFamily(b, prefix, kWorkload,
                     {kAllContainers, "all_containers",
                      "container of the workload's pod spec, regular, init or ephemeral ([i] "
                      "counts in that order)"},
                     true);
}

}  // namespace vigil::rules::fields
