// vigil.* fields: facts the detection engine computed about the event (EventContext). All are
// not available when there is no context.
#include "rules/fields/registry.h"

namespace vigil::rules::fields {
namespace {

constexpr std::string_view kTorList = "tor";

enum ThreatField : std::uint8_t { kLists, kCustom, kTor, kIp, kVerified, kLabel };

bool Contains(const FieldValues& values, size_t from, std::string_view v) {
  for (size_t i = from; i < values.size(); ++i) {
    if (values[i] == v) return true;
  }
  return false;
}

bool ExtractCluster(const FieldSpec&, const Call& c) {
  if (!c.ctx || c.ctx->cluster.empty()) return false;
  c.out.push_back(c.ctx->cluster);
  return true;
}

bool ExtractCallerIp(const FieldSpec&, const Call& c) {
  if (!c.ctx || c.ctx->caller_ip.empty()) return false;
  c.out.push_back(c.ctx->caller_ip);
  return true;
}

enum GeoField : std::uint8_t { kCountry, kAsn, kAsOrg };

bool ExtractGeo(const FieldSpec& spec, const Call& c) {
  if (!c.ctx) return false;
  std::string_view v;
  switch (spec.p1) {
    case kCountry: v = c.ctx->geo_country; break;
    case kAsn: v = c.ctx->geo_asn; break;
    case kAsOrg: v = c.ctx->geo_as_org; break;
    default: break;
  }
  if (v.empty()) return false;
  c.out.push_back(v);
  return true;
}

// Threat-list facts. Lists are short (a handful of matches per event), so de-duplication is a
// scan of what was already appended and needs no memory.
bool ExtractThreat(const FieldSpec& spec, const Call& c) {
  if (!c.ctx) return false;
  const size_t start = c.out.size();
  bool any = false;
  for (const ThreatMatch& m : c.ctx->threat_matches) {
    switch (spec.p1) {
      case kLists:
        if (!Contains(c.out, start, m.list)) c.out.push_back(m.list);
        break;
      case kCustom:
        if (m.list != kTorList && !Contains(c.out, start, m.list)) c.out.push_back(m.list);
        break;
      case kIp:
        if (!Contains(c.out, start, m.ip)) c.out.push_back(m.ip);
        break;
      case kLabel:
        if (!m.label.empty() && !Contains(c.out, start, m.label)) c.out.push_back(m.label);
        break;
      case kTor:
        any = any || m.list == kTorList;
        break;
      case kVerified:
        any = any || m.verified;
        break;
      default:
        break;
    }
  }
  if (spec.p1 == kTor || spec.p1 == kVerified) {
    c.out.push_back(any ? "true" : "false");
    return true;
  }
  // A list with no entries is not available (as in Falco), so `vigil.threat.lists exists` says
  // "some entry is on a list" and the engine's index can skip such rules for the other events.
  return c.out.size() > start;
}

FieldSpec Fn(ExtractFn fn, std::uint8_t p1 = 0) {
  FieldSpec s;
  s.fn = fn;
  s.p1 = p1;
  return s;
}

}  // namespace

void AddVigilFields(RegistryBuilder& b) {
  b.Add(FieldInfo{"vigil.cluster",
                  "The cluster the event came from (as configured for its source); not "
                  "available when unknown.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractCluster));
  b.Add(FieldInfo{"vigil.caller.ip",
                  "The caller's address: the last sourceIPs entry that is not a trusted proxy; "
                  "not available when there is none.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractCallerIp));
  b.Add(FieldInfo{"vigil.geo.country",
                  "The caller's country (ISO 3166 code such as \"DE\") from the GeoIP "
                  "databases given with --geoip-db; not available without one or when it has no "
                  "record for the address.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractGeo, kCountry));
  b.Add(FieldInfo{"vigil.geo.asn",
                  "The caller's autonomous system number (\"64512\") from a GeoIP ASN database; "
                  "not available without one or when it has no record for the address.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractGeo, kAsn));
  b.Add(FieldInfo{"vigil.geo.as_org",
                  "The organisation of the caller's autonomous system from a GeoIP ASN "
                  "database; not available without one or when it has no record.",
                  FieldArg::kNone, false, false},
        Fn(&ExtractGeo, kAsOrg));
  b.Add(FieldInfo{"vigil.threat.lists",
                  "The names of the threat-intel lists any sourceIPs entry is on, without "
                  "duplicates; not available when no entry is on a list.",
                  FieldArg::kNone, true, false},
        Fn(&ExtractThreat, kLists));
  b.Add(FieldInfo{"vigil.threat.custom",
                  "Like vigil.threat.lists, without the built-in \"tor\" list; not available "
                  "when no entry is on another list.", FieldArg::kNone,
                  true, false},
        Fn(&ExtractThreat, kCustom));
  b.Add(FieldInfo{"vigil.threat.tor",
                  "\"true\" when a sourceIPs entry is a known Tor exit node, else \"false\".",
                  FieldArg::kNone, false, false},
        Fn(&ExtractThreat, kTor));
  b.Add(FieldInfo{"vigil.threat.ip",
                  "The sourceIPs entries that are on a threat-intel list, without duplicates; "
                  "not available when there are none.",
                  FieldArg::kNone, true, false},
        Fn(&ExtractThreat, kIp));
  b.Add(FieldInfo{"vigil.threat.verified",
                  "\"true\" when a threat-list match is the last sourceIPs entry (the address the "
                  "API server saw itself, which a client cannot forge), else \"false\".",
                  FieldArg::kNone, false, false},
        Fn(&ExtractThreat, kVerified));
  b.Add(FieldInfo{"vigil.threat.label",
                  "The labels of the matched threat-list entries (a CSV list's second column), "
                  "without duplicates; not available when no matched entry has one.",
                  FieldArg::kNone, true, false},
        Fn(&ExtractThreat, kLabel));
}

}  // namespace vigil::rules::fields
