// MmdbWriter: writes small MaxMind DB (.mmdb) files for tests, following the format's published
// specification (MaxMind DB File Format 2.0): a binary search tree over the address bits, a 16-byte
// separator, a data section of typed values, and a metadata map after the "\xAB\xCD\xEFMaxMind.com"
// marker. Debian 12 ships libmaxminddb's reader but no writer and no sample database, so the
// tests build theirs: a GeoLite2-Country-like and a GeoLite2-ASN-like file for a few test networks.
// Test helper only: 24-bit records, an IPv6 tree (IPv4 networks under ::/96, where libmaxminddb
// looks them up), networks must not nest.
#ifndef VIGIL_TESTS_MMDB_WRITER_H_
#define VIGIL_TESTS_MMDB_WRITER_H_

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace vigil::tests {

// A value of the MaxMind DB data section (the subset the tests need).
struct MmdbValue {
  enum class Kind { kString, kUint16, kUint32, kUint64, kMap, kArray };
  Kind kind = Kind::kString;
  std::string str;
  std::uint64_t num = 0;
  std::vector<std::pair<std::string, MmdbValue>> map;
  std::vector<MmdbValue> array;

  static MmdbValue Str(std::string s) {
    MmdbValue v;
    v.str = std::move(s);
    return v;
  }
  static MmdbValue U16(std::uint64_t n) { return Num(Kind::kUint16, n); }
  static MmdbValue U32(std::uint64_t n) { return Num(Kind::kUint32, n); }
  static MmdbValue U64(std::uint64_t n) { return Num(Kind::kUint64, n); }
  static MmdbValue Map(std::vector<std::pair<std::string, MmdbValue>> m) {
    MmdbValue v;
    v.kind = Kind::kMap;
    v.map = std::move(m);
    return v;
  }
  static MmdbValue Array(std::vector<MmdbValue> a) {
    MmdbValue v;
    v.kind = Kind::kArray;
    v.array = std::move(a);
    return v;
  }

 private:
  static MmdbValue Num(Kind k, std::uint64_t n) {
    MmdbValue v;
    v.kind = k;
    v.num = n;
    return v;
  }
};

class MmdbWriter {
 public:
  explicit MmdbWriter(std::string database_type) : type_(std::move(database_type)) {
    nodes_.push_back({Rec{}, Rec{}});
  }

  // Adds "192.0.2.0/24" or "2001:db8::/32" with `value`.
  void Add(const std::string& cidr, const MmdbValue& value) {
    auto slash = cidr.find('/');
    std::string ip = cidr.substr(0, slash);
    int len = std::stoi(cidr.substr(slash + 1));
    std::array<std::uint8_t, 16> bytes{};
    if (ip.find(':') == std::string::npos) {
      if (inet_pton(AF_INET, ip.c_str(), &bytes[12]) != 1) throw std::invalid_argument(cidr);
      len += 96;
    } else if (inet_pton(AF_INET6, ip.c_str(), bytes.data()) != 1) {
      throw std::invalid_argument(cidr);
    }
    const std::uint32_t offset = static_cast<std::uint32_t>(data_.size());
    Encode(value, data_);
    std::size_t node = 0;
    for (int i = 0; i < len; ++i) {
      const int bit = (bytes[static_cast<std::size_t>(i / 8)] >> (7 - i % 8)) & 1;
      Rec& r = nodes_[node][static_cast<std::size_t>(bit)];
      if (i == len - 1) {
        r = Rec{Rec::kData, offset};
      } else {
        if (r.kind == Rec::kData) throw std::invalid_argument("nested network " + cidr);
        if (r.kind == Rec::kEmpty) {
          nodes_.push_back({Rec{}, Rec{}});
          // nodes_ may have moved: index again.
          nodes_[node][static_cast<std::size_t>(bit)] =
              Rec{Rec::kNode, static_cast<std::uint32_t>(nodes_.size() - 1)};
        }
        node = nodes_[node][static_cast<std::size_t>(bit)].value;
      }
    }
  }

  std::string Bytes() const {
    const auto count = static_cast<std::uint32_t>(nodes_.size());
    std::string out;
    for (const auto& n : nodes_) {
      for (const Rec& r : n) {
        std::uint32_t v = r.kind == Rec::kNode   ? r.value
                          : r.kind == Rec::kData ? count + 16 + r.value
                                                 : count;
        out.push_back(static_cast<char>((v >> 16) & 0xff));
        out.push_back(static_cast<char>((v >> 8) & 0xff));
        out.push_back(static_cast<char>(v & 0xff));
      }
    }
    out.append(16, '\0');
    out += data_;
    out += std::string("\xAB\xCD\xEF") + "MaxMind.com";
    Encode(MmdbValue::Map({
               {"binary_format_major_version", MmdbValue::U16(2)},
               {"binary_format_minor_version", MmdbValue::U16(0)},
               {"build_epoch", MmdbValue::U64(1700000000)},
               {"database_type", MmdbValue::Str(type_)},
               {"description", MmdbValue::Map({{"en", MmdbValue::Str("vigil test database")}})},
               {"ip_version", MmdbValue::U16(6)},
               {"languages", MmdbValue::Array({MmdbValue::Str("en")})},
               {"node_count", MmdbValue::U32(count)},
               {"record_size", MmdbValue::U16(24)},
           }),
           out);
    return out;
  }

  void Write(const std::string& path) const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << Bytes();
  }

 private:
  struct Rec {
    enum Kind { kEmpty, kNode, kData } kind = kEmpty;
    std::uint32_t value = 0;
  };

  static void Control(int type, std::size_t size, std::string& out) {
    const int first_type = type <= 7 ? type : 0;
    std::string ext;
    int size_bits = 0;
    if (size < 29) {
      size_bits = static_cast<int>(size);
    } else if (size < 29 + 256) {
      size_bits = 29;
      ext.push_back(static_cast<char>(size - 29));
    } else {
      size_bits = 30;
      const std::size_t s = size - 285;
      ext.push_back(static_cast<char>((s >> 8) & 0xff));
      ext.push_back(static_cast<char>(s & 0xff));
    }
    out.push_back(static_cast<char>((first_type << 5) | size_bits));
    if (type > 7) out.push_back(static_cast<char>(type - 7));
    out += ext;
  }

  static void Encode(const MmdbValue& v, std::string& out) {
    using K = MmdbValue::Kind;
    switch (v.kind) {
      case K::kString:
        Control(2, v.str.size(), out);
        out += v.str;
        break;
      case K::kUint16:
      case K::kUint32:
      case K::kUint64: {
        std::string be;
        for (std::uint64_t n = v.num; n != 0; n >>= 8) be.insert(be.begin(), static_cast<char>(n & 0xff));
        Control(v.kind == K::kUint16 ? 5 : v.kind == K::kUint32 ? 6 : 9, be.size(), out);
        out += be;
        break;
      }
      case K::kMap:
        Control(7, v.map.size(), out);
        for (const auto& [key, value] : v.map) {
          Encode(MmdbValue::Str(key), out);
          Encode(value, out);
        }
        break;
      case K::kArray:
        Control(11, v.array.size(), out);
        for (const auto& item : v.array) Encode(item, out);
        break;
    }
  }

  std::string type_;
  std::vector<std::array<Rec, 2>> nodes_;
  std::string data_;
};

// The test networks: a Country and an ASN database covering them.
//   203.0.113.0/24  DE  AS64500 "Example Hosting GmbH"
//   198.51.100.0/24 US  AS64501 "Example Cloud Inc"
//   2001:db8:1::/48 FR  AS64502 "Example IPv6 Networks"
// 192.0.2.0/24 is in neither (documentation range left unknown on purpose).
inline void WriteTestGeoDatabases(const std::string& country_path, const std::string& asn_path) {
  auto country = [](const char* iso) {
    return MmdbValue::Map({{"country", MmdbValue::Map({{"iso_code", MmdbValue::Str(iso)}})}});
  };
  auto as = [](std::uint64_t n, const char* org) {
    return MmdbValue::Map({{"autonomous_system_number", MmdbValue::U32(n)},
                           {"autonomous_system_organization", MmdbValue::Str(org)}});
  };
  MmdbWriter c("GeoLite2-Country");
  c.Add("203.0.113.0/24", country("DE"));
  c.Add("198.51.100.0/24", country("US"));
  c.Add("2001:db8:1::/48", country("FR"));
  c.Write(country_path);
  MmdbWriter a("GeoLite2-ASN");
  a.Add("203.0.113.0/24", as(64500, "Example Hosting GmbH"));
  a.Add("198.51.100.0/24", as(64501, "Example Cloud Inc"));
  a.Add("2001:db8:1::/48", as(64502, "Example IPv6 Networks"));
  a.Write(asn_path);
}

}  // namespace vigil::tests

#endif  // VIGIL_TESTS_MMDB_WRITER_H_
