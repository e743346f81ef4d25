// ThreatIntel: named IP/CIDR lists (`--threat-list NAME=FILE`) and the trusted proxies that decide
// which sourceIPs entry is the caller.
//
// sourceIPs lists X-Forwarded-For and X-Real-Ip addresses first and the connection's remote address
// last; all but the last can be set by the client (k8s-audit-format.md). So every entry is checked
// against the lists — a forged header can add an address but cannot hide the real one — and each
// match records whether it was the verified (last) entry. The caller is the last entry that is not
// a trusted proxy.
// Thread-safety: immutable after loading; const methods are safe from any thread.
#ifndef VIGIL_DETECT_THREAT_INTEL_H_
#define VIGIL_DETECT_THREAT_INTEL_H_

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "detect/ip_set.h"
#include "rules/field.h"

namespace vigil::detect {

class ThreatIntel {
 public:
  // Loads list `name` from `path`. Accepted lines: an IP or CIDR; the Tor project's exit-list
  // format ("ExitAddress 1.2.3.4 2024-01-01 00:00:00"; other Tor keywords are skipped); CSV
  // "ip_or_cidr,label[,...]" (a header line starting with a non-address is skipped when it is the
  // first line; the label, at most 128 bytes, is carried into matches). Blank lines and `#` comments are ignored. Every bad line is reported (kConfig,
  // file:line) and nothing is loaded from a file with errors. The name "tor" gives Tor findings.
  Status LoadList(std::string_view name, const std::string& path);
  // The same from text already read; `path` only names it in errors.
  Status LoadListText(std::string_view name, std::string_view text, const std::string& path);
  // Adds one entry to list `name` (tests, and lists given inline), with an optional label.
  Status AddEntry(std::string_view name, std::string_view entry, std::string_view label = {});

  // Adds trusted proxies (IPs or CIDRs).
  Status AddTrustedProxy(std::string_view entry);

  bool has_lists() const { return !lists_.empty(); }
  const std::vector<std::string>& list_names() const { return lists_; }
  size_t entry_count() const { return ips_.size(); }
  size_t label_count() const { return labels_.size(); }

  // Appends a match for every `source_ips` entry on a list; the views in each match point into
  // `source_ips` (the event) and into this object. `out` is cleared first.
  void Match(simdjson::dom::element source_ips, std::vector<rules::ThreatMatch>& out) const;

  // Whether `ip` is on any list.
  bool Listed(std::string_view ip) const { return ips_.Lookup(ip) != 0; }

  // The caller's address: walking from the last sourceIPs entry backwards, the first that is not a
  // trusted proxy (the first entry when all are trusted); "" when there are none.
  std::string_view CallerIp(simdjson::dom::element source_ips) const;

 private:
  Result<unsigned> TagFor(std::string_view name);
  void SetLabel(const IpSet::Entry& entry, unsigned tag, std::string_view label);
  std::string_view LabelOf(const IpAddress& addr, unsigned tag) const;

  // Labels live beside the IpSet, keyed by (entry, list): the set stays a flat table of tag
  // masks, and a label costs one probe per prefix length, only for addresses that matched.
  struct LabelKey {
    IpSet::Entry entry;
    unsigned tag = 0;
    bool operator==(const LabelKey&) const = default;
  };
  struct LabelHash {
    size_t operator()(const LabelKey& k) const {
      std::uint64_t h = k.entry.hi * 0x9e3779b97f4a7c15ULL ^ (k.entry.lo + 0x632be59bd9b4e019ULL);
      h ^= (static_cast<std::uint64_t>(k.entry.prefix) << 8 | k.tag) * 0xbf58476d1ce4e5b9ULL;
      return static_cast<size_t>(h ^ (h >> 31));
    }
  };
  std::unordered_map<LabelKey, std::uint32_t, LabelHash> labels_;  // -> index in label_text_
  std::vector<std::string> label_text_;                             // each distinct label once
  std::unordered_map<std::string, std::uint32_t> label_index_;

  IpSet ips_;
  IpSet trusted_;
  std::vector<std::string> lists_;
};

// Loads threat lists given as "NAME=FILE" and trusted proxies (IPs or CIDRs), as `vigil scan
// --threat-list/--trusted-proxy` and `vigil serve`'s threat_lists/trusted_proxies take them. Every
// problem is reported together (kConfig, one line each); nothing is returned then.
Result<std::shared_ptr<const ThreatIntel>> LoadThreatIntel(
    const std::vector<std::string>& lists, const std::vector<std::string>& trusted_proxies);

// ThreatIntelWatcher: reloads the threat lists when one of their files changes (`vigil serve`).
// A file counts as changed when its modification time, inode or size differs from the last
// successful load (polling stat(2): works on every filesystem, and catches the rename an updater
// does to replace a list atomically). A reload that fails keeps the previous lists.
// Not thread-safe: poll from one thread.
class ThreatIntelWatcher {
 public:
  ThreatIntelWatcher(std::vector<std::string> lists, std::vector<std::string> trusted_proxies);

  // Loads the lists now (as LoadThreatIntel) and remembers their files' state.
  Result<std::shared_ptr<const ThreatIntel>> Load();
  // nullopt when no file changed since the last successful Load()/Poll(); otherwise the reloaded
  // lists, or the error that kept the previous ones (Poll() tries again once the file changes
  // again).
  std::optional<Result<std::shared_ptr<const ThreatIntel>>> Poll();

 private:
  struct FileState {
    std::int64_t mtime_ns = -1;
    std::uint64_t inode = 0;
    std::int64_t size = -1;
    friend bool operator==(const FileState&, const FileState&) = default;
  };
  std::vector<FileState> Stat() const;

  std::vector<std::string> lists_;
  std::vector<std::string> proxies_;
  std::vector<std::string> paths_;  // the FILE of each NAME=FILE
  std::vector<FileState> seen_;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_THREAT_INTEL_H_
