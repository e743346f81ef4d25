#include "detect/threat_intel.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "event/audit_event.h"

namespace vigil::detect {
namespace {

// A label from a list file goes into findings and logs: printable, bounded.
std::string CleanLabel(std::string_view label) {
  constexpr size_t kMax = 128;
  std::string out;
  for (char ch : label.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(ch);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : ch);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<unsigned> ThreatIntel::TagFor(std::string_view name) {
  for (size_t i = 0; i < lists_.size(); ++i) {
    if (lists_[i] == name) return static_cast<unsigned>(i);
  }
  if (lists_.size() >= 64) {
    return MakeError(ErrorCode::kConfig, "at most 64 threat lists can be loaded");
  }
  lists_.emplace_back(name);
  return static_cast<unsigned>(lists_.size() - 1);
}

Status ThreatIntel::AddEntry(std::string_view name, std::string_view entry, std::string_view label) {
  VIGIL_TRY(IpSet::Entry parsed, IpSet::ParseEntry(entry));
  VIGIL_TRY(unsigned tag, TagFor(name));
  VIGIL_TRY_STATUS(ips_.Add(entry, tag));
  SetLabel(parsed, tag, label);
  return Ok();
}

void ThreatIntel::SetLabel(const IpSet::Entry& entry, unsigned tag, std::string_view label) {
  if (label.empty()) return;
  auto [it, added] = label_index_.try_emplace(std::string(label),
                                              static_cast<std::uint32_t>(label_text_.size()));
  if (added) label_text_.emplace_back(label);
  labels_.try_emplace(LabelKey{entry, tag}, it->second);  // the first label given wins
}

std::string_view ThreatIntel::LabelOf(const IpAddress& addr, unsigned tag) const {
  std::string_view out;
  ips_.ForEachMatch(addr, [&](const IpSet::Entry& e, std::uint64_t tags) {
    if (!out.empty() || !(tags & (1ULL << tag))) return;
    if (auto it = labels_.find(LabelKey{e, tag}); it != labels_.end()) out = label_text_[it->second];
  });
  return out;
}

Status ThreatIntel::AddTrustedProxy(std::string_view entry) { return trusted_.Add(entry, 0); }

Status ThreatIntel::LoadList(std::string_view name, const std::string& path) {
  if (name.empty()) return MakeError(ErrorCode::kConfig, "a threat list needs a name (NAME=FILE)");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot read threat list '{}'", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadListText(name, text.str(), path);
}

Status ThreatIntel::LoadListText(std::string_view name,
                                 std::string_view text_in,
                                 const std::string& path) {
  if (name.empty()) return MakeError(ErrorCode::kConfig, "a threat list needs a name (NAME=FILE)");
  std::vector<std::pair<std::string, std::string>> entries;  // entry, label
  std::vector<Error> errors;
  int line_no = 0;
  bool first_content_line = true;
  while (!text_in.empty()) {
    auto nl = text_in.find('\n');
    std::string_view line = text_in.substr(0, nl);
    text_in.remove_prefix(nl == std::string_view::npos ? text_in.size() : nl + 1);
    ++line_no;
    std::string_view text = Trim(line);
    if (auto hash = text.find('#'); hash != std::string_view::npos) text = Trim(text.substr(0, hash));
    if (text.empty()) continue;
    bool first = first_content_line;
    first_content_line = false;
    std::string_view entry = text;
    std::string_view label;
    if (text.starts_with("ExitAddress ")) {
      entry = text.substr(12);
      entry = entry.substr(0, entry.find(' '));
    } else if (text.starts_with("ExitNode ") || text.starts_with("Published ") ||
               text.starts_with("LastStatus ") || text.starts_with("@")) {
      continue;  // other lines of the Tor exit-list format
    } else if (auto comma = text.find(','); comma != std::string_view::npos) {
      entry = Trim(text.substr(0, comma));
      if (entry.size() >= 2 && entry.front() == '"' && entry.back() == '"') {
        entry = entry.substr(1, entry.size() - 2);
      }
      if (first && !IpAddress::Parse(entry.substr(0, entry.find('/')))) continue;  // CSV header
      label = text.substr(comma + 1);
      label = Trim(label.substr(0, label.find(',')));
      if (label.size() >= 2 && label.front() == '"' && label.back() == '"') {
        label = Trim(label.substr(1, label.size() - 2));
      }
    }
    IpSet probe;
    if (auto st = probe.Add(entry, 0); !st) {
      errors.push_back(MakeError(ErrorCode::kConfig, st.error().message,
                                 SourcePos{path, line_no, 0}));
      continue;
    }
    entries.emplace_back(std::string(entry), CleanLabel(label));
  }
  if (!errors.empty()) {
    std::string msg = fmt::format("threat list '{}' has {} bad line(s):", name, errors.size());
    for (size_t i = 0; i < errors.size() && i < 20; ++i) msg += "\n  " + errors[i].ToString();
    if (errors.size() > 20) msg += fmt::format("\n  ... and {} more", errors.size() - 20);
    return MakeError(ErrorCode::kConfig, msg, SourcePos{path, errors[0].pos.line, 0});
  }
  VIGIL_TRY(unsigned tag, TagFor(name));
  for (const auto& [e, label] : entries) {
    VIGIL_TRY(IpSet::Entry parsed, IpSet::ParseEntry(e));
    VIGIL_TRY_STATUS(ips_.Add(e, tag));
    SetLabel(parsed, tag, label);
  }
  return Ok();
}

void ThreatIntel::Match(simdjson::dom::element source_ips,
                        std::vector<rules::ThreatMatch>& out) const {
  out.clear();
  if (ips_.empty()) return;
  simdjson::dom::array arr;
  if (source_ips.get_array().get(arr) != simdjson::SUCCESS) return;
  const size_t n = arr.size();
  size_t i = 0;
  for (auto item : arr) {
    std::string_view ip = event::AsString(item);
    auto addr = IpAddress::Parse(ip);
    std::uint64_t tags = addr ? ips_.Lookup(*addr) : 0;
    for (unsigned t = 0; tags != 0 && t < 64; ++t, tags >>= 1) {
      if (!(tags & 1)) continue;
      out.push_back({lists_[t], ip, i + 1 == n, labels_.empty() ? std::string_view() : LabelOf(*addr, t)});
    }
    ++i;
  }
}

std::string_view ThreatIntel::CallerIp(simdjson::dom::element source_ips) const {
  simdjson::dom::array arr;
  if (source_ips.get_array().get(arr) != simdjson::SUCCESS) return {};
  const size_t n = arr.size();
  if (n == 0) return {};
  for (size_t i = n; i-- > 0;) {
    std::string_view ip = event::AsString(arr.at(i).value_unsafe());
    if (trusted_.empty() || trusted_.Lookup(ip) == 0 || i == 0) return ip;
  }
  return {};
}

Result<std::shared_ptr<const ThreatIntel>> LoadThreatIntel(
    const std::vector<std::string>& lists, const std::vector<std::string>& trusted_proxies) {
  auto intel = std::make_shared<ThreatIntel>();
  std::vector<std::string> errors;
  for (const auto& spec : lists) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      errors.push_back(fmt::format("threat list '{}': expected NAME=FILE", spec));
      continue;
    }
    if (auto st = intel->LoadList(spec.substr(0, eq), spec.substr(eq + 1)); !st) {
      errors.push_back(st.error().ToString());
    }
  }
  for (const auto& proxy : trusted_proxies) {
    if (auto st = intel->AddTrustedProxy(proxy); !st) {
      errors.push_back(fmt::format("trusted proxy: {}", st.error().message));
    }
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kConfig, msg);
  }
  return std::shared_ptr<const ThreatIntel>(std::move(intel));
}

ThreatIntelWatcher::ThreatIntelWatcher(std::vector<std::string> lists,
                                       std::vector<std::string> trusted_proxies)
    : lists_(std::move(lists)), proxies_(std::move(trusted_proxies)) {
  for (const auto& spec : lists_) {
    auto eq = spec.find('=');
    paths_.push_back(eq == std::string::npos ? std::string() : spec.substr(eq + 1));
  }
}

std::vector<ThreatIntelWatcher::FileState> ThreatIntelWatcher::Stat() const {
  std::vector<FileState> out;
  for (const auto& path : paths_) {
    FileState fs;
    struct stat st {};
    if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
      fs.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000LL +
                    st.st_mtim.tv_nsec;
      fs.inode = static_cast<std::uint64_t>(st.st_ino);
      fs.size = static_cast<std::int64_t>(st.st_size);
    }
    out.push_back(fs);
  }
  return out;
}

Result<std::shared_ptr<const ThreatIntel>> ThreatIntelWatcher::Load() {
  auto before = Stat();
  auto loaded = LoadThreatIntel(lists_, proxies_);
  if (loaded) seen_ = std::move(before);
  return loaded;
}

std::optional<Result<std::shared_ptr<const ThreatIntel>>> ThreatIntelWatcher::Poll() {
  if (paths_.empty()) return std::nullopt;
  auto now = Stat();
  if (now == seen_) return std::nullopt;
  auto loaded = LoadThreatIntel(lists_, proxies_);
  seen_ = std::move(now);  // a failed load is not retried until the file changes again
  return loaded;
}

}  // namespace vigil::detect
