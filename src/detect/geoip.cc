#include "detect/geoip.h"

#include <fmt/format.h>
#include <maxminddb.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vigil::detect {
namespace {

// The string at `path` in the record, or "" when absent or not a string.
std::string_view GetString(MMDB_entry_s& entry, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return {};
  }
  return {data.utf8_string, data.data_size};
}

bool ValidCountry(std::string_view c) {
  if (c.size() < 2 || c.size() > 3) return false;
  for (char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

// An organisation name goes into findings and logs: control characters are replaced and the
// length bounded, whatever the file holds.
std::string CleanOrg(std::string_view org) {
  constexpr size_t kMax = 200;
  std::string out;
  out.reserve(std::min(org.size(), kMax));
  for (char ch : org.substr(0, kMax)) {
    const auto u = static_cast<unsigned char>(ch);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : ch);
  }
  return out;
}

}  // namespace

struct GeoIp::Db {
  MMDB_s mmdb{};
  bool open = false;
  ~Db() {
    if (open) MMDB_close(&mmdb);
  }
};

GeoIp::~GeoIp() = default;

Result<std::shared_ptr<const GeoIp>> GeoIp::Open(const std::vector<std::string>& paths) {
  std::shared_ptr<GeoIp> geo(new GeoIp());
  std::vector<std::string> errors;
  for (const auto& path : paths) {
    if (path.empty()) {
      errors.push_back("geoip database: empty file name");
      continue;
    }
    auto db = std::make_unique<Db>();
    errno = 0;
    const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb);
    if (rc != MMDB_SUCCESS) {
      std::string why = MMDB_strerror(rc);
      if (rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR) {
        if (errno != 0) why += fmt::format(" ({})", std::strerror(errno));
      } else if (rc == MMDB_INVALID_METADATA_ERROR || rc == MMDB_UNKNOWN_DATABASE_FORMAT_ERROR) {
        why += " - not a MaxMind DB (.mmdb) file, or a damaged one";
      }
      errors.push_back(fmt::format("geoip database '{}': {}", path, why));
      continue;  // MMDB_open frees what it allocated on failure: nothing to close
    }
    db->open = true;
    geo->dbs_.push_back(std::move(db));
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    return MakeError(ErrorCode::kConfig, msg);
  }
  return std::shared_ptr<const GeoIp>(std::move(geo));
}

GeoInfo GeoIp::Lookup(std::string_view ip) const {
  auto addr = IpAddress::Parse(ip);
  if (!addr) return {};
  return Lookup(*addr);
}

GeoInfo GeoIp::Lookup(const IpAddress& addr) const {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  const sockaddr* sa = nullptr;
  if (addr.v4) {
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, &addr.bytes[12], 4);
    sa = reinterpret_cast<const sockaddr*>(&v4);
  } else {
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, addr.bytes.data(), 16);
    sa = reinterpret_cast<const sockaddr*>(&v6);
  }
  static constexpr const char* kCountry[] = {"country", "iso_code", nullptr};
  static constexpr const char* kRegistered[] = {"registered_country", "iso_code", nullptr};
  static constexpr const char* kAsn[] = {"autonomous_system_number", nullptr};
  static constexpr const char* kOrg[] = {"autonomous_system_organization", nullptr};
  GeoInfo out;
  for (const auto& db : dbs_) {
    int err = MMDB_SUCCESS;
    // An IPv6 address in an IPv4-only database is an error here: simply not found.
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&db->mmdb, sa, &err);
    if (err != MMDB_SUCCESS || !r.found_entry) continue;
    if (out.country.empty()) {
      std::string_view c = GetString(r.entry, kCountry);
      if (!ValidCountry(c)) c = GetString(r.entry, kRegistered);
      if (ValidCountry(c)) out.country.assign(c);
    }
    if (out.asn == 0) {
      MMDB_entry_data_s data{};
      if (MMDB_aget_value(&r.entry, &data, kAsn) == MMDB_SUCCESS && data.has_data) {
        std::uint64_t n = 0;
        switch (data.type) {
          case MMDB_DATA_TYPE_UINT16: n = data.uint16; break;
          case MMDB_DATA_TYPE_UINT32: n = data.uint32; break;
          case MMDB_DATA_TYPE_UINT64: n = data.uint64; break;
          default: break;
        }
        if (n > 0 && n <= 0xffffffffULL) {
          out.asn = static_cast<std::uint32_t>(n);
          out.asn_text = std::to_string(out.asn);
        }
      }
    }
    if (out.as_org.empty()) out.as_org = CleanOrg(GetString(r.entry, kOrg));
  }
  return out;
}

std::string GeoIp::Describe() const {
  std::string out;
  for (const auto& db : dbs_) {
    if (!out.empty()) out += ", ";
    const char* type = db->mmdb.metadata.database_type;
    out += type != nullptr ? CleanOrg(type) : std::string("unknown");
  }
  return out;
}

const GeoInfo& GeoCache::Lookup(std::string_view ip) {
  if (!geo_ || ip.empty()) return none_;
  if (auto it = cache_.find(ip); it != cache_.end()) return it->second;
  if (cache_.size() >= max_) cache_.clear();
  return cache_.emplace(std::string(ip), geo_->Lookup(ip)).first->second;
}

}  // namespace vigil::detect
