#include "detect/engine.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "detect/observation.h"
#include "event/redact.h"
#include "rules/output.h"

namespace vigil::detect {
namespace {

// Maps the values a constraint names to small ids; id 0 is every other value.
class ValueIds {
 public:
  void Add(const std::optional<std::vector<std::string>>& values) {
    if (!values) return;
    for (const auto& v : *values) {
      if (ids_.find(v) == ids_.end()) {
        names_.push_back(v);
        ids_.emplace(names_.back(), static_cast<std::uint32_t>(names_.size()));
      }
    }
  }
  // Lookup without allocating: transparent find over string_view.
  std::uint32_t IdView(std::string_view v) const {
    auto it = view_ids_.find(v);
    return it == view_ids_.end() ? 0 : it->second;
  }
  void Freeze() {
    for (const auto& [k, id] : ids_) view_ids_.emplace(std::string_view(k), id);
  }
  std::uint32_t size() const { return static_cast<std::uint32_t>(names_.size()) + 1; }
  const std::string& name(std::uint32_t id) const { return names_[id - 1]; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::unordered_map<std::string_view, std::uint32_t> view_ids_;
};

bool Admits(const std::optional<std::vector<std::string>>& constraint,
            const ValueIds& ids,
            std::uint32_t id) {
  if (!constraint) return true;
  if (id == 0) return false;
  return std::find(constraint->begin(), constraint->end(), ids.name(id)) != constraint->end();
}

// A constraint that names "" cannot tell an absent field from an empty one; ignore it.
std::optional<std::vector<std::string>> Usable(std::optional<std::vector<std::string>> c) {
  if (c && std::find(c->begin(), c->end(), std::string()) != c->end()) return std::nullopt;
  return c;
}

std::string TitleFromDesc(const rules::Rule& rule) {
  std::string_view desc = rule.desc;
  while (!desc.empty() && (desc.front() == ' ' || desc.front() == '\n')) desc.remove_prefix(1);
  if (desc.empty()) return rule.name;
  size_t end = desc.find_first_of(".\n");
  std::string_view first = desc.substr(0, end);
  if (first.size() > 160) first = first.substr(0, 160);
  return std::string(first);
}

}  // namespace

// Candidate rules per (stage, verb, resource), computed once for every combination of the values
// that any rule's constraints name (plus "other" for each).
class Engine::Index {
 public:
  Index(const rules::RuleSet& set, const std::vector<std::uint32_t>& active) {
    std::vector<rules::IndexConstraints> cons;
    cons.reserve(active.size());
    for (std::uint32_t r : active) {
      const auto& c = set.rules()[r].constraints;
      cons.push_back({Usable(c.verbs), Usable(c.resources), Usable(c.stages)});
      stages_.Add(cons.back().stages);
      verbs_.Add(cons.back().verbs);
      resources_.Add(cons.back().resources);
    }
    stages_.Freeze();
    verbs_.Freeze();
    resources_.Freeze();
    table_.resize(static_cast<size_t>(stages_.size()) * verbs_.size() * resources_.size());
    for (std::uint32_t s = 0; s < stages_.size(); ++s) {
      for (std::uint32_t v = 0; v < verbs_.size(); ++v) {
        for (std::uint32_t res = 0; res < resources_.size(); ++res) {
          auto& list = table_[Slot(s, v, res)];
          for (size_t i = 0; i < active.size(); ++i) {
            if (Admits(cons[i].stages, stages_, s) && Admits(cons[i].verbs, verbs_, v) &&
                Admits(cons[i].resources, resources_, res)) {
              list.push_back(active[i]);
            }
          }
        }
      }
    }
  }

  const std::vector<std::uint32_t>& Candidates(const event::AuditEvent& ev) const {
    return table_[Slot(stages_.IdView(ev.stage_name()), verbs_.IdView(ev.verb()),
                       resources_.IdView(ev.resource()))];
  }

 private:
  size_t Slot(std::uint32_t s, std::uint32_t v, std::uint32_t r) const {
    return (static_cast<size_t>(s) * verbs_.size() + v) * resources_.size() + r;
  }

  ValueIds stages_, verbs_, resources_;
  std::vector<std::vector<std::uint32_t>> table_;
};

Engine::Engine(std::shared_ptr<const rules::RuleSet> rules,
               std::shared_ptr<const ThreatIntel> intel,
               EngineOptions options)
    : rules_(std::move(rules)),
      intel_(std::move(intel)),
      options_(std::move(options)),
      eval_(rules_->fields()),
      redacted_eval_(rules_->fields()),
      seen_(options_.dedup_window_seconds, options_.dedup_max_entries),
      fired_(options_.dedup_window_seconds, std::max<size_t>(options_.dedup_max_entries / 16, 1024)) {
  for (std::uint32_t i = 0; i < rules_->rules().size(); ++i) {
    if (rules_->rules()[i].enabled) active_.push_back(i);
  }
  index_ = std::make_unique<Index>(*rules_, active_);
}

Engine::~Engine() = default;

void Engine::Process(const event::AuditEvent& ev, ObservationSink& sink) {
  ++stats_.events;
  const UnixNanos time = ev.time();
  if (seen_.SeenBefore(ev.audit_id(), ev.stage_name(), time)) {
    ++stats_.duplicates;
    return;
  }
  ++stats_.evaluated;
  const auto& candidates = index_->Candidates(ev);
  if (candidates.empty()) return;

  rules::EventContext ctx;
  ctx.cluster = options_.cluster;
  if (intel_) {
    if (auto ips = ev.Get(event::Member::kSourceIps)) {
      ctx.caller_ip = intel_->CallerIp(*ips);
      intel_->Match(*ips, matches_);
      ctx.threat_matches = matches_;
    }
  } else if (auto ips = ev.Get(event::Member::kSourceIps)) {
    simdjson::dom::array arr;
    if (ips->get_array().get(arr) == simdjson::SUCCESS && arr.size() > 0) {
      ctx.caller_ip = event::AsString(arr.at(arr.size() - 1).value_unsafe());
    }
  }
  eval_.Reset(ev, &ctx);
  for (std::uint32_t r : candidates) {
    const rules::Rule& rule = rules_->rules()[r];
    ++stats_.rule_evaluations;
    if (!rule.Matches(eval_)) continue;
    if (rule.once_per_request && fired_.SeenBefore(ev.audit_id(), rule.name, time)) {
      ++stats_.repeat_stage_matches;
      continue;
    }
    Emit(rule, ev, ctx, sink);
  }
}

void Engine::Emit(const rules::Rule& rule,
                  const event::AuditEvent& ev,
                  const rules::EventContext& ctx,
                  ObservationSink& sink) {
  findings::Observation& obs = obs_;
  obs.rule.assign(rule.name);
  if (rule.finding_type.empty()) {
    obs.type.assign("Custom:Kubernetes/");
    obs.type += rule.name;
  } else {
    obs.type.assign(rule.finding_type);
  }
  obs.severity = findings::ParseSeverity(rule.severity).value_or(findings::Severity::kMedium);
  obs.priority.assign(rules::PriorityName(rule.priority));
  obs.title = TitleFromDesc(rule);
  obs.cluster.assign(options_.cluster);
  obs.account.assign(options_.account);
  obs.region.assign(options_.region);
  obs.tags = rule.tags;
  obs.mitre.clear();
  for (const auto& m : rule.mitre) obs.mitre.push_back({m.tactic, m.technique_id, m.technique});
  obs.remediation = rule.remediation ? findings::Remediation{rule.remediation->text, rule.remediation->url}
                                     : findings::Remediation{};
  FillFromEvent(ev, obs);

  // The dedup key from the rule's dedup_by fields (identifiers such as users, namespaces and
  // addresses), redacted all the same, since it is stored.
  obs.dedup_key.clear();
  if (!rule.dedup_slots.empty()) {
    obs.dedup_key.assign(options_.cluster);
    for (std::uint32_t slot : rule.dedup_slots) {
      value_.clear();
      rules::RenderFieldValue(rules_->fields().field(slot), eval_.Values(slot), value_);
      obs.dedup_key += '\x1f';
      obs.dedup_key += event::RedactText(value_);
    }
  } else {
    // Computed once here rather than by the aggregator in both NeedsDetail() and Add().
    obs.dedup_key = findings::DefaultDedupKey(obs);
  }

  obs.description.clear();
  obs.output_fields.clear();
  obs.context.clear();
  obs.evidence.clear();
  ++stats_.matches;
  if (!sink.WantsDetail(obs)) {
    sink.OnObservation(obs);
    return;
  }
  ++stats_.detailed;
  // Everything rendered comes from the redacted copy of the event.
  obs.evidence = event::RedactedJson(ev);
  simdjson::dom::element root;
  if (redacted_parser_.parse(obs.evidence).get(root) == simdjson::SUCCESS) {
    auto redacted = event::AuditEvent::FromElement(root);
    if (redacted.has_value()) {
      redacted_eval_.Reset(*redacted, &ctx);
      rule.output_format.Render(redacted_eval_, obs.description);
      for (auto& f : rule.output_format.Fields(redacted_eval_)) {
        obs.output_fields.emplace(f.name, f.rendered);
      }
    }
  }
  if (obs.description.empty()) obs.description = rule.name;
  obs.description = event::RedactText(obs.description);
  for (const auto& m : ctx.threat_matches) {
    auto& lists = obs.context["threat_lists"];
    if (!lists.empty()) lists += ',';
    lists += std::string(m.list) + ":" + std::string(m.ip) + (m.verified ? "(verified)" : "(unverified)");
  }
  if (!ctx.caller_ip.empty()) obs.context["caller_ip"] = std::string(ctx.caller_ip);
  sink.OnObservation(obs);
}

}  // namespace vigil::detect
