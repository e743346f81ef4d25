#include "remediate/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/time.h"

namespace vigil::remediate {
namespace {

using findings::Finding;

// Collects every problem with its position instead of stopping at the first.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void Fail(const YAML::Node& at, const std::string& message) {
    errors_.push_back(MakeError(ErrorCode::kConfig, message, PosOf(at)).ToString());
  }
  SourcePos PosOf(const YAML::Node& at) const {
    SourcePos pos{source_, 0, 0};
    if (at.IsDefined() && at.Mark().line >= 0) {
      pos.line = at.Mark().line + 1;
      pos.column = at.Mark().column + 1;
    }
    return pos;
  }
  void AddError(const std::string& already_formatted) { errors_.push_back(already_formatted); }

  void String(const YAML::Node& n, std::string_view key, std::string& out) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      Fail(n, fmt::format("{}: expected a non-empty string", key));
      return;
    }
    out = n.Scalar();
  }

  void Strings(const YAML::Node& n, std::string_view key, std::vector<std::string>& out) {
    out.clear();
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return;
    }
    if (!n.IsSequence()) {
      Fail(n, fmt::format("{}: expected a string or a list of strings", key));
      return;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        Fail(item, fmt::format("{}: every item must be a string", key));
        continue;
      }
      out.push_back(item.Scalar());
    }
  }

  void Count(const YAML::Node& n, std::string_view key, std::uint32_t& out) {
    std::uint32_t v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0) {
      Fail(n, fmt::format("{}: expected a positive whole number", key));
      return;
    }
    out = v;
  }

  void Seconds(const YAML::Node& n, std::string_view key, std::int64_t& out) {
    auto v = n.IsScalar() ? ParseDurationSeconds(n.Scalar()) : std::nullopt;
    if (!v || *v <= 0) {
      Fail(n, fmt::format("{}: expected a duration such as 10s, 15m, 24h or 7d", key));
      return;
    }
    out = *v;
  }

  void Severity(const YAML::Node& n, std::string_view key, findings::Severity& out) {
    auto v = n.IsScalar() ? findings::ParseSeverity(n.Scalar()) : std::nullopt;
    if (!v) {
      Fail(n, fmt::format("{}: expected a severity (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)",
                          key));
      return;
    }
    out = *v;
  }

  void Map(const YAML::Node& n,
           std::string_view where,
           const std::map<std::string, std::function<void(const YAML::Node&)>>& handlers) {
    if (!n.IsMap()) {
      Fail(n, fmt::format("{}: expected a mapping of keys to values", where));
      return;
    }
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      auto it = handlers.find(key);
      if (it == handlers.end()) {
        std::string known;
        for (const auto& [k, h] : handlers) known += (known.empty() ? "" : ", ") + k;
        Fail(kv.first, fmt::format("{}: unknown key '{}' (known here: {})", where, key, known));
        continue;
      }
      it->second(kv.second);
    }
  }

  Status Finish() const {
    if (errors_.empty()) return Ok();
    std::string msg;
    for (const auto& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kConfig, msg);
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

nlohmann::json ToJson(const YAML::Node& n, int depth = 0) {
  if (depth > 32) return nullptr;
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) {
      o[kv.first.IsScalar() ? kv.first.Scalar() : ""] = ToJson(kv.second, depth + 1);
    }
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& item : n) a.push_back(ToJson(item, depth + 1));
    return a;
  }
  if (n.IsScalar()) return n.Scalar();
  return nullptr;
}

void ReadMatch(Reader& r, const YAML::Node& n, std::string_view where, Match& m) {
  r.Map(n, where,
        {{"type", [&](const YAML::Node& v) { r.Strings(v, "type", m.types); }},
         {"control", [&](const YAML::Node& v) { r.Strings(v, "control", m.controls); }},
         {"compliance",
          [&](const YAML::Node& v) {
            r.Strings(v, "compliance", m.compliance);
            for (const std::string& s : m.compliance) {
              if (!findings::ParseComplianceStatus(s)) {
                r.Fail(v, fmt::format("compliance: '{}' is not PASSED, FAILED, WARNING or "
                                      "NOT_AVAILABLE",
                                      s));
              }
            }
          }},
         {"min_severity",
          [&](const YAML::Node& v) {
            findings::Severity s = findings::Severity::kInformational;
            r.Severity(v, "min_severity", s);
            m.min_severity = s;
          }},
         {"cluster", [&](const YAML::Node& v) { r.Strings(v, "cluster", m.clusters); }},
         {"account", [&](const YAML::Node& v) { r.Strings(v, "account", m.accounts); }},
         {"namespace", [&](const YAML::Node& v) { r.Strings(v, "namespace", m.namespaces); }},
         {"principal", [&](const YAML::Node& v) { r.Strings(v, "principal", m.principals); }}});
}

void ReadAction(Reader& r, const YAML::Node& n, Playbook& p) {
  ActionSpec a;
  if (n.IsScalar()) {
    a.kind = n.Scalar();
  } else if (n.IsMap() && n.size() == 1) {
    auto kv = *n.begin();
    a.kind = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (kv.second.IsMap()) {
      a.params = ToJson(kv.second);
    } else if (!kv.second.IsNull()) {
      r.Fail(kv.second, fmt::format("action '{}': parameters must be a mapping", a.kind));
    }
  } else {
    r.Fail(n, "actions: each item is an action name or {name: {parameters}}");
    return;
  }
  if (a.kind.empty()) {
    r.Fail(n, "actions: an action needs a name");
    return;
  }
  p.actions.push_back(std::move(a));
}

void ReadPlaybook(Reader& r, const YAML::Node& n, RemediationConfig& c) {
  Playbook p;
  p.pos = r.PosOf(n);
  r.Map(n, "playbook",
        {{"name", [&](const YAML::Node& v) { r.String(v, "name", p.name); }},
         {"mode",
          [&](const YAML::Node& v) {
            auto m = v.IsScalar() ? ParseMode(v.Scalar()) : std::nullopt;
            if (!m) {
              r.Fail(v, "mode: expected off, notify, dry-run, approve or auto");
              return;
            }
            p.mode = m;
          }},
         {"tracker", [&](const YAML::Node& v) { r.String(v, "tracker", p.tracker); }},
         {"notify",
          [&](const YAML::Node& v) {
            std::vector<std::string> names;
            r.Strings(v, "notify", names);
            p.notify = std::move(names);
          }},
         {"ticket",
          [&](const YAML::Node& v) {
            const std::string s = v.IsScalar() ? v.Scalar() : "";
            if (s == "failed") {
              p.ticket = TicketPolicy::kFailed;
            } else if (s == "always") {
              p.ticket = TicketPolicy::kAlways;
            } else if (s == "never") {
              p.ticket = TicketPolicy::kNever;
            } else {
              r.Fail(v, "ticket: expected failed, always or never");
            }
          }},
         {"rate_limit_per_hour",
          [&](const YAML::Node& v) { r.Count(v, "rate_limit_per_hour", p.rate_limit_per_hour); }},
         {"match", [&](const YAML::Node& v) { ReadMatch(r, v, "match", p.match); }},
         {"exclude",
          [&](const YAML::Node& v) {
            if (v.IsMap()) {
              p.exclude.emplace_back();
              ReadMatch(r, v, "exclude", p.exclude.back());
            } else if (v.IsSequence()) {
              for (const auto& item : v) {
                p.exclude.emplace_back();
                ReadMatch(r, item, "exclude", p.exclude.back());
              }
            } else {
              r.Fail(v, "exclude: expected a match mapping or a list of them");
            }
          }},
         {"actions", [&](const YAML::Node& v) {
            if (!v.IsSequence()) {
              r.Fail(v, "actions: expected a list");
              return;
            }
            for (const auto& item : v) ReadAction(r, item, p);
          }}});
  if (p.name.empty()) {
    r.Fail(n, "playbook: 'name' is required");
    return;
  }
  if (p.match.empty()) {
    r.Fail(n, fmt::format("playbook '{}': 'match' is required and must set at least one field "
                          "(a playbook matching everything is almost never meant)",
                          p.name));
  }
  for (const Playbook& other : c.playbooks) {
    if (other.name == p.name) r.Fail(n, fmt::format("playbook '{}' is defined twice", p.name));
  }
  c.playbooks.push_back(std::move(p));
}

void ReadPlaybooks(Reader& r, const YAML::Node& n, RemediationConfig& c) {
  if (!n.IsSequence()) {
    r.Fail(n, "playbooks: expected a list");
    return;
  }
  for (const auto& item : n) ReadPlaybook(r, item, c);
}

// The `type:` of an integration's mapping, or its name when absent.
std::string TypeOf(Reader& r, const YAML::Node& n, const std::string& name) {
  std::string type;
  const YAML::Node t = n["type"];
  if (t.IsDefined()) r.String(t, "type", type);
  return type.empty() ? name : type;
}

void ReadTrackers(Reader& r, const YAML::Node& n, RemediationConfig& c) {
  if (!n.IsMap()) {
    r.Fail(n, "trackers: expected a mapping of tracker names to settings");
    return;
  }
  for (const auto& kv : n) {
    TrackerConfig t;
    t.name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (t.name.empty()) {
      r.Fail(kv.first, "trackers: a tracker needs a name");
      continue;
    }
    if (!kv.second.IsMap()) {
      r.Fail(kv.second, fmt::format("tracker '{}': expected a mapping", t.name));
      continue;
    }
    t.type = TypeOf(r, kv.second, t.name);
    t.yaml = IntegrationNode{kv.second, r.source()};
    if (t.type == "jira") {
      // Read and checked key by key by ParseJiraOptions when the runtime builds it; only the
      // rule that a secret never sits in the file is checked here too.
      if (kv.second["token"].IsDefined() || kv.second["api_token"].IsDefined()) {
        r.Fail(kv.second, fmt::format("tracker '{}': a token is never written in the config; use "
                                      "auth: {{token_env | token_file}}",
                                      t.name));
      }
      c.trackers.push_back(std::move(t));
      continue;
    }
    for (const auto& s : kv.second) {
      const std::string key = s.first.IsScalar() ? s.first.Scalar() : "";
      if (key == "type") continue;
      if (key == "labels") {
        r.Strings(s.second, "labels", t.labels);
      } else if (key == "token") {
        r.Fail(s.first, fmt::format("tracker '{}': a token is never written in the config; use "
                                    "token_env or token_file",
                                    t.name));
      } else if (s.second.IsScalar()) {
        t.settings[key] = s.second.Scalar();
      } else {
        r.Fail(s.second, fmt::format("tracker '{}': {} must be a string", t.name, key));
      }
    }
    if (t.type != "github") {
      r.Fail(kv.second, fmt::format("tracker '{}': unknown type '{}' (github, jira)", t.name,
                                    t.type));
    }
    c.trackers.push_back(std::move(t));
  }
}

void ReadNotifiers(Reader& r, const YAML::Node& n, RemediationConfig& c) {
  if (!n.IsMap()) {
    r.Fail(n, "notifiers: expected a mapping of notifier names to settings");
    return;
  }
  for (const auto& kv : n) {
    NotifierConfig nc;
    nc.name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (nc.name.empty()) {
      r.Fail(kv.first, "notifiers: a notifier needs a name");
      continue;
    }
    if (!kv.second.IsMap()) {
      r.Fail(kv.second, fmt::format("notifier '{}': expected a mapping", nc.name));
      continue;
    }
    nc.type = TypeOf(r, kv.second, nc.name);
    if (nc.type != "webhook" && nc.type != "slack") {
      r.Fail(kv.second, fmt::format("notifier '{}': unknown type '{}' (webhook, slack)", nc.name,
                                    nc.type));
      continue;
    }
    nc.yaml = IntegrationNode{kv.second, r.source()};
    c.notifiers.push_back(std::move(nc));
  }
}

void ReadKubernetes(Reader& r, const YAML::Node& n, RemediationConfig& c) {
  if (!n.IsMap()) {
    r.Fail(n, "kubernetes: expected a mapping (kubeconfig, context or in_cluster, ...)");
    return;
  }
  c.kubernetes = IntegrationNode{n, r.source()};
}

Status ParseInto(std::string_view text,
                 const std::string& source,
                 const std::string& base_dir,
                 bool top_is_playbook_file,
                 int depth,
                 RemediationConfig& c);

void ReadIncludes(Reader& r,
                  const YAML::Node& n,
                  const std::string& base_dir,
                  int depth,
                  RemediationConfig& c) {
  std::vector<std::string> files;
  r.Strings(n, "include", files);
  if (depth >= 4) {
    r.Fail(n, "include: nested more than 4 deep");
    return;
  }
  for (const std::string& f : files) {
    std::filesystem::path p(f);
    if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec) ||
        std::filesystem::file_size(p, ec) > (4u << 20)) {
      r.Fail(n, fmt::format("include: cannot read '{}' (not a regular file of at most 4 MiB)",
                            p.string()));
      continue;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      r.Fail(n, fmt::format("include: cannot read '{}'", p.string()));
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    Status st = ParseInto(ss.str(), p.string(), p.parent_path().string(), true, depth + 1, c);
    if (!st) r.AddError(st.error().ToString());
  }
}

Status ParseInto(std::string_view text,
                 const std::string& source,
                 const std::string& base_dir,
                 bool top_is_playbook_file,
                 int depth,
                 RemediationConfig& c) {
  Reader r(source);
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, fmt::format("not valid YAML: {}", e.msg),
                     SourcePos{source, e.mark.line + 1, e.mark.column + 1});
  }
  try {
    if (doc.IsNull()) return Ok();
    if (!doc.IsMap()) {
      return MakeError(ErrorCode::kConfig, "expected a mapping at the top", SourcePos{source, 1, 1});
    }
    if (top_is_playbook_file) {
      r.Map(doc, "include file", {{"playbooks", [&](const YAML::Node& v) {
                                    ReadPlaybooks(r, v, c);
                                  }}});
      return r.Finish();
    }
    const YAML::Node rem = doc["remediation"];
    if (!rem.IsDefined() || rem.IsNull()) return Ok();
    r.Map(
        rem, "remediation",
        {{"include", [&](const YAML::Node& v) { ReadIncludes(r, v, base_dir, depth, c); }},
         {"ticket_min_severity",
          [&](const YAML::Node& v) { r.Severity(v, "ticket_min_severity", c.ticket_min_severity); }},
         {"protected_namespaces",
          [&](const YAML::Node& v) { r.Strings(v, "protected_namespaces", c.protected_namespaces); }},
         {"protected_principals",
          [&](const YAML::Node& v) { r.Strings(v, "protected_principals", c.protected_principals); }},
         {"global_cap_per_hour",
          [&](const YAML::Node& v) { r.Count(v, "global_cap_per_hour", c.global_cap_per_hour); }},
         {"attempt_cap", [&](const YAML::Node& v) { r.Count(v, "attempt_cap", c.attempt_cap); }},
         {"flap_window",
          [&](const YAML::Node& v) { r.Seconds(v, "flap_window", c.flap_window_seconds); }},
         {"comment_interval",
          [&](const YAML::Node& v) { r.Seconds(v, "comment_interval", c.comment_interval_seconds); }},
         {"approval_ttl",
          [&](const YAML::Node& v) { r.Seconds(v, "approval_ttl", c.approval_ttl_seconds); }},
         {"accepted_risk_label",
          [&](const YAML::Node& v) { r.String(v, "accepted_risk_label", c.accepted_risk_label); }},
         {"accepted_risk_ttl",
          [&](const YAML::Node& v) {
            r.Seconds(v, "accepted_risk_ttl", c.accepted_risk_ttl_seconds);
          }},
         {"approve_label", [&](const YAML::Node& v) { r.String(v, "approve_label", c.approve_label); }},
         {"trackers", [&](const YAML::Node& v) { ReadTrackers(r, v, c); }},
         {"notifiers", [&](const YAML::Node& v) { ReadNotifiers(r, v, c); }},
         {"kubernetes", [&](const YAML::Node& v) { ReadKubernetes(r, v, c); }},
         {"playbooks", [&](const YAML::Node& v) { ReadPlaybooks(r, v, c); }}});
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kConfig, fmt::format("cannot read: {}", e.msg),
                     SourcePos{source, e.mark.line + 1, e.mark.column + 1});
  }
  return r.Finish();
}

bool ListMatches(const std::vector<std::string>& list, std::string_view value) {
  if (list.empty()) return true;
  for (const std::string& entry : list) {
    if (!entry.empty() && entry.back() == '*') {
      if (value.substr(0, entry.size() - 1) == std::string_view(entry).substr(0, entry.size() - 1))
        return true;
    } else if (entry == value) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kOff:
      return "off";
    case Mode::kNotify:
      return "notify";
    case Mode::kDryRun:
      return "dry-run";
    case Mode::kApprove:
      return "approve";
    case Mode::kAuto:
      return "auto";
  }
  return "off";
}

std::optional<Mode> ParseMode(std::string_view name) {
  for (Mode m : {Mode::kOff, Mode::kNotify, Mode::kDryRun, Mode::kApprove, Mode::kAuto}) {
    if (ModeName(m) == name) return m;
  }
  if (name == "dry_run" || name == "dryrun") return Mode::kDryRun;
  return std::nullopt;
}

bool Match::empty() const {
  return types.empty() && controls.empty() && compliance.empty() && !min_severity &&
         clusters.empty() && accounts.empty() && namespaces.empty() && principals.empty();
}

bool Matches(const Match& m, const Finding& f) {
  if (!ListMatches(m.types, f.type)) return false;
  if (!m.controls.empty() && (!f.compliance || !ListMatches(m.controls, f.compliance->control_id)))
    return false;
  if (!m.compliance.empty() &&
      (!f.compliance ||
       !ListMatches(m.compliance, findings::ComplianceStatusName(f.compliance->status))))
    return false;
  if (m.min_severity) {
    // A control finding is judged by its control's severity, so a playbook for HIGH controls keeps
    // matching once the control passes (and its finding becomes INFORMATIONAL) — that is how the
    // ticket gets closed.
    const findings::Severity s = f.compliance ? f.compliance->control_severity : f.severity;
    if (s < *m.min_severity) return false;
  }
  if (!ListMatches(m.clusters, f.cluster)) return false;
  if (!ListMatches(m.accounts, f.account)) return false;
  if (!ListMatches(m.namespaces, f.resource.ns)) return false;
  if (!ListMatches(m.principals, f.principal.username)) return false;
  return true;
}

Result<RemediationConfig> ParseRemediationConfig(std::string_view text,
                                                 std::string_view source,
                                                 const std::string& base_dir) {
  RemediationConfig c;
  VIGIL_TRY_STATUS(ParseInto(text, std::string(source), base_dir, false, 0, c));
  if (c.trackers.size() > 1) {
    for (const Playbook& p : c.playbooks) {
      if (p.tracker.empty() && p.ticket != TicketPolicy::kNever) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("playbook '{}': several trackers are configured; say which "
                                     "with 'tracker:'",
                                     p.name),
                         p.pos);
      }
    }
  }
  for (const Playbook& p : c.playbooks) {
    for (const std::string& name : p.notify.value_or(std::vector<std::string>{})) {
      bool known = false;
      for (const NotifierConfig& n : c.notifiers) known = known || n.name == name;
      if (!known) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("playbook '{}': notifier '{}' is not configured under "
                                     "remediation.notifiers",
                                     p.name, name),
                         p.pos);
      }
    }
    if (p.tracker.empty()) continue;
    bool found = false;
    for (const TrackerConfig& t : c.trackers) found = found || t.name == p.tracker;
    if (!found) {
      return MakeError(ErrorCode::kConfig,
                       fmt::format("playbook '{}': tracker '{}' is not configured under "
                                   "remediation.trackers",
                                   p.name, p.tracker),
                       p.pos);
    }
  }
  return c;
}

Result<RemediationConfig> LoadRemediationConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, fmt::format("cannot read config file '{}'", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseRemediationConfig(ss.str(), path,
                                std::filesystem::path(path).parent_path().string());
}

const Playbook* FindPlaybook(const RemediationConfig& config, const Finding& f) {
  for (const Playbook& p : config.playbooks) {
    if (!Matches(p.match, f)) continue;
    bool excluded = false;
    for (const Match& x : p.exclude) excluded = excluded || (!x.empty() && Matches(x, f));
    if (!excluded) return &p;
  }
  return nullptr;
}

}  // namespace vigil::remediate
