#include "detect/ip_set.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vigil::detect {

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  // Brackets as in "[::1]" are accepted; zone ids ("%eth0") are not addresses we can match.
  if (text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  char buf[65];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress out;
  unsigned char v4[4];
  if (inet_pton(AF_INET, buf, v4) == 1) {
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    std::memcpy(&out.bytes[12], v4, 4);
    out.v4 = true;
    return out;
  }
  if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    out.v4 = std::memcmp(out.bytes.data(), kMapped, 12) == 0;
    return out;
  }
  return std::nullopt;
}

IpSet::Key IpSet::Masked(const IpAddress& a, unsigned prefix) {
  std::uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | a.bytes[static_cast<size_t>(i)];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | a.bytes[static_cast<size_t>(i)];
  if (prefix == 0) return {0, 0};
  if (prefix <= 64) {
    hi &= prefix == 64 ? ~0ULL : ~((~0ULL) >> prefix);
    lo = 0;
  } else if (prefix < 128) {
    lo &= ~((~0ULL) >> (prefix - 64));
  }
  return {hi, lo};
}

std::uint64_t& IpSet::Table::Insert(const Key& k, bool& inserted) {
  if ((used_ + 1) * 10 > slots_.size() * 7) Grow();  // load factor at most 0.7
  for (std::size_t i = Hash(k) & mask_;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (s.tags == 0) {
      s.hi = k.hi;
      s.lo = k.lo;
      ++used_;
      inserted = true;
      return s.tags;  // the caller sets a tag bit at once
    }
    if (s.hi == k.hi && s.lo == k.lo) {
      inserted = false;
      return s.tags;
    }
  }
}

std::uint64_t IpSet::Table::Find(const Key& k) const {
  if (used_ == 0) return 0;
  for (std::size_t i = Hash(k) & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.tags == 0) return 0;
    if (s.hi == k.hi && s.lo == k.lo) return s.tags;
  }
}

void IpSet::Table::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.tags == 0) continue;
    for (std::size_t i = Hash(Key{s.hi, s.lo}) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i].tags == 0) {
        slots_[i] = s;
        break;
      }
    }
  }
}

Result<IpSet::Entry> IpSet::ParseEntry(std::string_view entry) {
  std::string_view addr_text = entry;
  std::optional<unsigned> prefix;
  if (auto slash = entry.find('/'); slash != std::string_view::npos) {
    addr_text = entry.substr(0, slash);
    std::string_view p = entry.substr(slash + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("'{}' has a malformed prefix length", entry));
    }
    prefix = v;
  }
  auto addr = IpAddress::Parse(addr_text);
  if (!addr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("'{}' is not an IP address or CIDR block", entry));
  }
  unsigned bits = prefix.value_or(addr->v4 ? 32 : 128);
  if (addr->v4 && bits > 32) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("'{}': an IPv4 prefix is at most /32", entry));
  }
  if (bits > 128) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("'{}': an IPv6 prefix is at most /128", entry));
  }
  const unsigned p = addr->v4 ? bits + 96 : bits;
  const Key k = Masked(*addr, p);
  return Entry{p, k.hi, k.lo};
}

Status IpSet::Add(std::string_view entry_text, unsigned tag) {
  if (tag >= 64) return MakeError(ErrorCode::kInvalidArgument, "at most 64 IP lists are supported");
  VIGIL_TRY(Entry entry, ParseEntry(entry_text));
  const unsigned p = entry.prefix;
  bool inserted = false;
  tables_[p].Insert(Key{entry.hi, entry.lo}, inserted) |= 1ULL << tag;
  if (inserted) ++size_;
  if (std::find(prefixes_.begin(), prefixes_.end(), p) == prefixes_.end()) {
    prefixes_.push_back(p);
    std::sort(prefixes_.rbegin(), prefixes_.rend());
  }
  return Ok();
}

std::uint64_t IpSet::Lookup(const IpAddress& addr) const {
  std::uint64_t tags = 0;
  for (unsigned p : prefixes_) tags |= tables_[p].Find(Masked(addr, p));
  return tags;
}

std::uint64_t IpSet::Lookup(std::string_view text) const {
  if (empty()) return 0;
  auto addr = IpAddress::Parse(text);
  return addr ? Lookup(*addr) : 0;
}

}  // namespace vigil::detect
