#include "detect/engine.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <unordered_map>

#include "base/hash.h"
#include "detect/observation.h"
#include "event/redact.h"
#include "rules/analysis.h"
#include "rules/output.h"

namespace vigil::detect {
namespace {

// Maps the values a constraint names to small ids; id 0 is every other value. Looked up several
// times per event, so the frozen table is a flat open-addressing array of (hash, view, id) that
// compares strings only on a hash match, and an empty one answers without hashing.
class ValueIds {
 public:
  void Add(const std::optional<std::vector<std::string>>& values) {
    if (!values) return;
    for (const auto& v : *values) {
      if (ids_.find(v) == ids_.end()) {
        names_.push_back(v);
        ids_.emplace(v, static_cast<std::uint32_t>(names_.size()));
      }
    }
  }
  std::uint32_t IdView(std::string_view v) const {
    if (ids_.empty()) return 0;
    // Most lookups miss (a kubelet's user name, a group no rule names) or hit a tiny table (the
    // stages): a length no value has answers without hashing, and a few values are compared.
    if (((length_mask_ >> std::min<size_t>(v.size(), 63)) & 1) == 0) return 0;
    if (names_.size() <= kLinear) {
      for (size_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == v) return static_cast<std::uint32_t>(i + 1);
      }
      return 0;
    }
    const std::uint64_t h = FastHash64(v);
    for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id == 0) return 0;
      if (slot.hash == h && slot.key == v) return slot.id;
    }
  }
  void Freeze() {
    size_t capacity = 8;
    while (capacity < 2 * ids_.size() + 2) capacity <<= 1;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    length_mask_ = 0;
    for (const std::string& name : names_) {
      length_mask_ |= std::uint64_t{1} << std::min<size_t>(name.size(), 63);
    }
    for (const auto& [name, id] : ids_) {  // node keys: stable views
      const std::uint64_t h = FastHash64(name);
      size_t i = static_cast<size_t>(h) & mask_;
      while (slots_[i].id != 0) i = (i + 1) & mask_;
      slots_[i] = Slot{h, std::string_view(name), id};
    }
  }
  std::uint32_t size() const { return static_cast<std::uint32_t>(names_.size()) + 1; }
  const std::string& name(std::uint32_t id) const { return names_[id - 1]; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::string_view key;
    std::uint32_t id = 0;  // 0: empty
  };
  static constexpr size_t kLinear = 4;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::uint64_t length_mask_ = 0;  // bit min(size, 63) set for the size of every value
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
// that any rule's constraints name (plus "other" for each); and per rule a gate (rules/analysis.h)
// tested through bitsets over rule indices: a candidate is evaluated only when its gate passes.
class Engine::Index {
 public:
  Index(const rules::RuleSet& set, const std::vector<std::uint32_t>& active)
      : words_((set.rules().size() + 63) / 64) {
    std::vector<rules::IndexConstraints> cons;
    cons.reserve(active.size());
    for (std::uint32_t r : active) {
      const auto& c = set.rules()[r].constraints;
      cons.push_back({Usable(c.verbs), Usable(c.resources), Usable(c.stages), c.gate});
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
    BuildGates(set, active, cons);
    BuildSlotGates();
  }

  // The (stage, verb, resource) combination's place in the table.
  size_t SlotOf(std::string_view stage, std::string_view verb, std::string_view resource) const {
    return Slot(stages_.IdView(stage), verbs_.IdView(verb), resources_.IdView(resource));
  }
  const std::vector<std::uint32_t>& Candidates(size_t slot) const { return table_[slot]; }
  const std::vector<std::uint32_t>& Candidates(std::string_view stage,
                                               std::string_view verb,
                                               std::string_view resource) const {
    return table_[SlotOf(stage, verb, resource)];
  }
  // Whether the gate of a candidate of `slot` passes an event whose tree was not built, from its
  // keys, except the "no timestamp" gate (see GatedOnNoTime). Absent members read as "", so every
  // lookup admits at least the rules the full event would. It looks up only the fields that some
  // candidate's gate names, and stops at the first gate that passes.
  bool AnyGatePasses(size_t slot, const ingest::EventKeys& keys, const ThreatIntel* intel) const {
    const SlotGates& g = slot_gates_[slot];
    if (g.ungated) return true;
    const std::uint64_t* cand = g.candidates.data();
    if (g.threat && intel != nullptr && intel->has_lists()) {
      for (std::string_view ip : keys.source_ips()) {
        if (intel->Listed(ip)) return true;
      }
    }
    if (g.users) {
      const std::string_view user[] = {keys.user_name};
      if (users_.Admits(user, cand)) return true;
    }
    if (g.subresources) {
      const std::string_view subresource[] = {keys.subresource};
      if (subresources_.Admits(subresource, cand)) return true;
    }
    if (g.groups && groups_.Admits(keys.groups(), cand)) return true;
    for (std::uint32_t k : g.user_not) {
      if (user_not_[k].Passes(keys.user_name)) return true;
    }
    return false;
  }
  // Whether a candidate of `slot` is gated on "no timestamp": only then does the prefilter need
  // to know whether the event has one (parsing every event's timestamps cost ~2 % of a scan).
  bool GatedOnNoTime(size_t slot) const { return slot_gates_[slot].no_time; }

  // Sets `pass` to the rules whose gate the event passes (every rule without a gate). `threat`
  // says whether some sourceIPs entry is on a threat list.
  void Gates(rules::EvalContext& eval, bool threat, std::vector<std::uint64_t>& pass) const {
    pass = ungated_;
    if (threat) Or(threat_, pass);
    if (any_no_time_ && eval.event()->time() == 0) Or(no_time_, pass);
    users_.OrMatching(users_.used() ? eval.Values(users_.slot()) : nullptr, pass);
    if (subresources_.used()) {
      // No subresource (the field is not available) is looked up as "", as from the keys.
      const rules::FieldValues* sub = eval.Values(subresources_.slot());
      static constexpr std::string_view kNone[] = {std::string_view()};
      if (sub != nullptr && !sub->empty()) {
        subresources_.OrMatching(sub, pass);
      } else {
        subresources_.OrMatching(std::span<const std::string_view>(kNone), pass);
      }
    }
    groups_.OrMatching(groups_.used() ? eval.Values(groups_.slot()) : nullptr, pass);
    if (!user_not_.empty()) {
      const rules::FieldValues* user = eval.Values(user_slot_);
      OrUserNot(user != nullptr && !user->empty() ? (*user)[0] : std::string_view(), pass);
    }
  }

  bool gated_on_groups() const { return groups_.used(); }
  bool gated_on_no_time() const { return any_no_time_; }

  static bool Test(const std::vector<std::uint64_t>& bits, std::uint32_t r) {
    return (bits[r >> 6] >> (r & 63)) & 1;
  }

 private:
  // Rules gated on the values of one field: value id -> the rules one of whose atoms names it.
  class GateField {
   public:
    void Add(const std::vector<std::string>& values) {
      std::optional<std::vector<std::string>> v = values;
      ids_.Add(v);
    }
    void Build(size_t words, const std::vector<std::uint32_t>& slots) {
      ids_.Freeze();
      if (!slots.empty()) slot_ = slots[0];
      rules_.assign(ids_.size(), std::vector<std::uint64_t>(words, 0));
    }
    void Set(const std::vector<std::string>& values, std::uint32_t rule) {
      for (const auto& v : values) {
        const std::uint32_t id = ids_.IdView(v);
        SetBit(rules_[id], rule);
      }
    }
    bool used() const { return ids_.size() > 1; }
    std::uint32_t slot() const { return slot_; }
    // Adds the rules gated on any of `values` (the field's values in this event; null when the
    // field is not available).
    void OrMatching(const rules::FieldValues* values, std::vector<std::uint64_t>& pass) const {
      if (values != nullptr) OrMatching(std::span<const std::string_view>(*values), pass);
    }
    void OrMatching(std::span<const std::string_view> values,
                    std::vector<std::uint64_t>& pass) const {
      if (!used()) return;
      for (std::string_view v : values) {
        if (const std::uint32_t id = ids_.IdView(v); id != 0) Or(rules_[id], pass);
      }
    }

    // Whether one of `values` names a rule in `bits`.
    bool Admits(std::span<const std::string_view> values, const std::uint64_t* bits) const {
      if (!used()) return false;
      for (std::string_view v : values) {
        if (const std::uint32_t id = ids_.IdView(v); id != 0 && Intersect(rules_[id], bits)) {
          return true;
        }
      }
      return false;
    }
    // Whether some value names a rule in `bits`.
    bool AnyRuleIn(const std::uint64_t* bits) const {
      for (const auto& rules : rules_) {
        if (Intersect(rules, bits)) return true;
      }
      return false;
    }

   private:
    ValueIds ids_;
    std::uint32_t slot_ = 0;
    std::vector<std::vector<std::uint64_t>> rules_;  // by value id; id 0 (other values) is empty
  };

  // "Not these users" gates: the rules of each pass when the name (or "" when there is none) is
  // none of its values and starts with none of its prefixes.
  struct UserNot {
    std::vector<std::string> values;  // sorted
    std::vector<std::string> prefixes;
    std::vector<std::uint64_t> rules;
    bool Passes(std::string_view name) const {
      for (const std::string& p : prefixes) {
        if (name.substr(0, p.size()) == p) return false;
      }
      return !std::binary_search(values.begin(), values.end(), name, std::less<>());
    }
  };
  void OrUserNot(std::string_view name, std::vector<std::uint64_t>& pass) const {
    for (const UserNot& gate : user_not_) {
      if (gate.Passes(name)) Or(gate.rules, pass);
    }
  }

  static void SetBit(std::vector<std::uint64_t>& bits, std::uint32_t r) {
    bits[r >> 6] |= std::uint64_t{1} << (r & 63);
  }
  static bool HasValueTable(rules::GateDim dim) {
    return dim == rules::GateDim::kUser || dim == rules::GateDim::kSubresource ||
           dim == rules::GateDim::kGroups;
  }

  static void Or(const std::vector<std::uint64_t>& from, std::vector<std::uint64_t>& to) {
    for (size_t i = 0; i < to.size(); ++i) to[i] |= from[i];
  }
  // Whether `a` and `b` (a.size() words) share a rule.
  static bool Intersect(const std::vector<std::uint64_t>& a, const std::uint64_t* b) {
    std::uint64_t any = 0;
    for (size_t i = 0; i < a.size(); ++i) any |= a[i] & b[i];
    return any != 0;
  }

  // Which gates can admit a candidate of each (stage, verb, resource) slot.
  struct SlotGates {
    std::vector<std::uint64_t> candidates;  // the slot's candidate rules as a bitset
    bool ungated = false;                   // a candidate has no gate
    bool threat = false;
    bool users = false;
    bool subresources = false;
    bool groups = false;
    bool no_time = false;
    std::vector<std::uint32_t> user_not;  // indices into user_not_
  };
  void BuildSlotGates() {
    slot_gates_.resize(table_.size());
    for (size_t slot = 0; slot < table_.size(); ++slot) {
      SlotGates& g = slot_gates_[slot];
      g.candidates.assign(words_, 0);
      for (std::uint32_t r : table_[slot]) SetBit(g.candidates, r);
      const std::uint64_t* cand = g.candidates.data();
      g.ungated = Intersect(ungated_, cand);
      g.threat = Intersect(threat_, cand);
      g.no_time = Intersect(no_time_, cand);
      g.users = users_.used() && users_.AnyRuleIn(cand);
      g.subresources = subresources_.used() && subresources_.AnyRuleIn(cand);
      g.groups = groups_.used() && groups_.AnyRuleIn(cand);
      for (size_t k = 0; k < user_not_.size(); ++k) {
        if (Intersect(user_not_[k].rules, cand)) g.user_not.push_back(static_cast<std::uint32_t>(k));
      }
    }
  }

  GateField& FieldFor(rules::GateDim dim) {
    switch (dim) {
      case rules::GateDim::kUser: return users_;
      case rules::GateDim::kSubresource: return subresources_;
      case rules::GateDim::kGroups: return groups_;
      case rules::GateDim::kThreat:
      case rules::GateDim::kNoTime:
      case rules::GateDim::kUserNot: break;
    }
    return users_;  // unreachable: the other dims have no value table
  }

  void BuildGates(const rules::RuleSet& set,
                  const std::vector<std::uint32_t>& active,
                  const std::vector<rules::IndexConstraints>& cons) {
    ungated_.assign(words_, 0);
    threat_.assign(words_, 0);
    no_time_.assign(words_, 0);
    // A rule's gate atoms name fields its condition reads, so their slots exist.
    const rules::IndexSlots slots = rules::FindIndexSlots(set.fields());
    for (size_t i = 0; i < active.size(); ++i) {
      if (!cons[i].gate) continue;
      for (const rules::GateAtom& atom : *cons[i].gate) {
        if (HasValueTable(atom.dim)) FieldFor(atom.dim).Add(atom.values);
      }
    }
    if (!slots.user.empty()) user_slot_ = slots.user[0];
    users_.Build(words_, slots.user);
    subresources_.Build(words_, slots.subresource);
    groups_.Build(words_, slots.groups);
    for (size_t i = 0; i < active.size(); ++i) {
      const std::uint32_t r = active[i];
      if (!cons[i].gate) {
        SetBit(ungated_, r);
        continue;
      }
      for (const rules::GateAtom& atom : *cons[i].gate) {
        if (HasValueTable(atom.dim)) {
          FieldFor(atom.dim).Set(atom.values, r);
        } else if (atom.dim == rules::GateDim::kThreat) {
          SetBit(threat_, r);
        } else if (atom.dim == rules::GateDim::kNoTime) {
          SetBit(no_time_, r);
          any_no_time_ = true;
        } else {
          // kUserNot: rules with the same exclusions share one test.
          auto it = std::find_if(user_not_.begin(), user_not_.end(), [&](const UserNot& g) {
            return g.values == atom.values && g.prefixes == atom.prefixes;
          });
          if (it == user_not_.end()) {
            user_not_.push_back(UserNot{atom.values, atom.prefixes, std::vector<std::uint64_t>(words_, 0)});
            it = user_not_.end() - 1;
          }
          SetBit(it->rules, r);
        }
      }
    }
  }

  size_t Slot(std::uint32_t s, std::uint32_t v, std::uint32_t r) const {
    return (static_cast<size_t>(s) * verbs_.size() + v) * resources_.size() + r;
  }

  ValueIds stages_, verbs_, resources_;
  std::vector<std::vector<std::uint32_t>> table_;
  size_t words_;
  std::vector<SlotGates> slot_gates_;  // by table_ slot
  std::vector<std::uint64_t> ungated_;  // rules without a gate
  std::vector<std::uint64_t> threat_;   // rules gated on a threat-list match
  std::vector<std::uint64_t> no_time_;  // rules gated on the event having no timestamp
  bool any_no_time_ = false;
  GateField users_, subresources_, groups_;
  std::uint32_t user_slot_ = 0;
  std::vector<UserNot> user_not_;
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
      fired_(options_.dedup_window_seconds, std::max<size_t>(options_.dedup_max_entries / 16, 1024)),
      geo_(options_.geoip) {
  for (std::uint32_t i = 0; i < rules_->rules().size(); ++i) {
    if (rules_->rules()[i].enabled) active_.push_back(i);
  }
  index_ = std::make_unique<Index>(*rules_, active_);
  rule_counters_.resize(rules_->rules().size());
  pass_.assign((rules_->rules().size() + 63) / 64, 0);
  meta_.reserve(rules_->rules().size());
  for (const rules::Rule& rule : rules_->rules()) {
    RuleMeta m;
    m.type = rule.finding_type.empty() ? "Custom:Kubernetes/" + rule.name : rule.finding_type;
    m.severity = findings::ParseSeverity(rule.severity).value_or(findings::Severity::kMedium);
    m.priority = std::string(rules::PriorityName(rule.priority));
    m.title = TitleFromDesc(rule);
    for (const auto& t : rule.mitre) m.mitre.push_back({t.tactic, t.technique_id, t.technique});
    if (rule.remediation) m.remediation = {rule.remediation->text, rule.remediation->url};
    meta_.push_back(std::move(m));
  }
}

Engine::~Engine() = default;

void Engine::Process(const event::AuditEvent& ev, ObservationSink& sink) {
  ++stats_.events;
  const auto& candidates = options_.use_index
                               ? index_->Candidates(ev.stage_name(), ev.verb(), ev.resource())
                               : active_;
  if (candidates.empty()) {
    ++stats_.evaluated;
    ++stats_.no_candidates;
    return;
  }

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
  if (options_.geoip && !ctx.caller_ip.empty()) {
    const GeoInfo& g = geo_.Lookup(ctx.caller_ip);
    ctx.geo_country = g.country;
    ctx.geo_asn = g.asn_text;
    ctx.geo_as_org = g.as_org;
  }
  eval_.Reset(ev, &ctx);
  if (options_.use_index) {
    index_->Gates(eval_, !ctx.threat_matches.empty(), pass_);
  } else {
    pass_.assign(pass_.size(), ~std::uint64_t{0});
  }
  matched_.clear();
  bool evaluated_any = false;
  for (std::uint32_t r : candidates) {
    if (!Index::Test(pass_, r)) continue;
    evaluated_any = true;
    ++stats_.rule_evaluations;
    ++rule_counters_[r].evaluations;
    if (rules_->rules()[r].Matches(eval_)) {
      ++rule_counters_[r].matches;
      matched_.push_back(r);
    }
  }
  // Only an event that matched needs the dedup window: a repeat of an event that matched nothing
  // matches nothing again. So the window holds matching events only and reaches much further
  // back than if it held every event.
  if (!evaluated_any) ++stats_.no_candidates;
  if (matched_.empty()) {
    ++stats_.evaluated;
    return;
  }
  const UnixNanos time = ev.time();
  if (seen_.SeenBefore(ev.audit_id(), ev.stage_name(), time)) {
    ++stats_.duplicates;
    return;
  }
  ++stats_.evaluated;
  for (std::uint32_t r : matched_) {
    const rules::Rule& rule = rules_->rules()[r];
    if (rule.once_per_request && fired_.SeenBefore(ev.audit_id(), rule.name, time)) {
      ++stats_.repeat_stage_matches;
      continue;
    }
    Emit(r, ev, ctx, sink);
  }
}

bool Engine::MayMatch(const ingest::EventKeys& keys) {
  if (!options_.use_index) return true;
  const size_t slot = index_->SlotOf(keys.stage, keys.verb, keys.resource);
  if (index_->Candidates(slot).empty()) return false;
  if (index_->AnyGatePasses(slot, keys, intel_.get())) return true;
  // The "no timestamp" gate last, so the timestamps are parsed only when it could decide.
  return index_->GatedOnNoTime(slot) && !time_check_.HasTime(keys);
}

ingest::KeyNeeds Engine::key_needs() const {
  if (!options_.use_index) return {.groups = false, .source_ips = false, .times = false};
  return {.groups = index_->gated_on_groups(),
          .source_ips = intel_ != nullptr && intel_->has_lists(),
          .times = index_->gated_on_no_time()};
}

void Engine::Emit(std::uint32_t index,
                  const event::AuditEvent& ev,
                  const rules::EventContext& ctx,
                  ObservationSink& sink) {
  const rules::Rule& rule = rules_->rules()[index];
  const RuleMeta& meta = meta_[index];
  findings::Observation& obs = obs_;
  // The brief: what aggregating a repeat of a known finding needs.
  obs.rule.assign(rule.name);
  obs.severity = meta.severity;
  obs.priority.assign(meta.priority);
  obs.cluster.assign(options_.cluster);
  FillBrief(ev, obs, &user_agents_);

  // The dedup key from the rule's dedup_by fields (identifiers such as users, namespaces and
  // addresses), redacted all the same, since it is stored.
  obs.dedup_key.clear();
  if (!rule.dedup_slots.empty()) {
    obs.dedup_key.assign(options_.cluster);
    for (std::uint32_t slot : rule.dedup_slots) {
      value_.clear();
      rules::RenderFieldValue(rules_->fields().field(slot), eval_.Values(slot), value_);
      obs.dedup_key += '\x1f';
      event::AppendRedactedText(value_, obs.dedup_key);
    }
  } else {
    // Computed once here rather than by the aggregator in both NeedsDetail() and Add().
    findings::AppendDefaultDedupKey(obs, obs.dedup_key);
  }

  obs.type.assign(meta.type);  // brief observations keep their type (attack sequences read it)
  obs.title.clear();
  obs.account.clear();
  obs.region.clear();
  obs.tags.clear();
  // Brief observations keep their MITRE tactics too: attack sequences classify a repeat by them
  // (Policy: types carry no tactic in their name). Assigning reuses the strings' storage.
  obs.mitre = meta.mitre;
  obs.remediation = {};
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
  obs.title.assign(meta.title);
  obs.account.assign(options_.account);
  obs.region.assign(options_.region);
  obs.tags = rule.tags;
  obs.remediation = meta.remediation;
  FillDetail(ev, obs);
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
    if (!m.label.empty()) {
      auto& labels = obs.context["threat_labels"];
      if (!labels.empty()) labels += ',';
      labels += std::string(m.list) + ":" + std::string(m.ip) + "=" + std::string(m.label);
    }
  }
  if (!ctx.caller_ip.empty()) obs.context["caller_ip"] = std::string(ctx.caller_ip);
  if (!ctx.geo_country.empty()) obs.context["caller_country"] = std::string(ctx.geo_country);
  if (!ctx.geo_asn.empty()) obs.context["caller_asn"] = std::string(ctx.geo_asn);
  if (!ctx.geo_as_org.empty()) obs.context["caller_as_org"] = std::string(ctx.geo_as_org);
  sink.OnObservation(obs);
}

}  // namespace vigil::detect
