// A minimal append-only JSON writer, escaping strings the way Go's encoding/json does (which is
// what kube-apiserver uses for audit events): `"` `\` and control characters, and also `<` `>`
// `&` as \u003c \u003e \u0026, so query strings in requestURI carry "\u0026" as in real logs.
#ifndef VIGIL_BENCH_GEN_JSON_WRITER_H_
#define VIGIL_BENCH_GEN_JSON_WRITER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vigil::bench {

// Appends `s` as a JSON string literal (with quotes) to `out`.
inline void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool plain = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
    if (plain) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Writes one JSON value into a caller-owned string. Commas are placed automatically; the caller
// is responsible for balancing Begin/End calls. Not thread-safe.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  JsonWriter& Key(std::string_view key) {
    Comma();
    AppendJsonString(out_, key);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }
  JsonWriter& String(std::string_view value) {
    Comma();
    AppendJsonString(out_, value);
    need_comma_ = true;
    return *this;
  }
  JsonWriter& Int(std::int64_t value) {
    Comma();
    out_ += std::to_string(value);
    need_comma_ = true;
    return *this;
  }
  JsonWriter& Bool(bool value) {
    Comma();
    out_ += value ? "true" : "false";
    need_comma_ = true;
    return *this;
  }
  // `json` must already be a complete, valid JSON value.
  JsonWriter& Raw(std::string_view json) {
    Comma();
    out_ += json;
    need_comma_ = true;
    return *this;
  }

  // Shorthands for "key": value members.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, std::int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, int value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonWriter& StringArray(std::string_view key, std::initializer_list<std::string_view> values) {
    Key(key).BeginArray();
    for (auto v : values) String(v);
    return EndArray();
  }

 private:
  void Comma() {
    if (need_comma_) out_ += ',';
  }
  JsonWriter& Open(char c) {
    Comma();
    out_ += c;
    need_comma_ = false;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_ += c;
    need_comma_ = true;
    return *this;
  }

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_GEN_JSON_WRITER_H_
