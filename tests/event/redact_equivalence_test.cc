// RedactedJson writes evidence text straight from the simdjson DOM. That text is stored in finding
// stores and printed, so it must stay byte for byte what the earlier implementation (a nlohmann
// tree, patched, then dump()ed) wrote. The earlier implementation is kept here as the reference and
// both are compared on every event of the example data, the shared corpora (when present), the
// benchmark generator's events (when built), random events and hand-made edge cases.
#include <dirent.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "event/audit_event.h"
#include "event/redact.h"
#include "ingest/reader.h"

extern char** environ;

namespace vigil::event {
namespace {

// ---- The reference: RedactedJson and IsCredentialKey as they were before the direct writer. ----
namespace reference {

using nlohmann::json;

std::string NormalizeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '-' || c == '_' || c == '.') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

constexpr std::string_view kExactKeys[] = {
    "authorization", "proxyauthorization", "token",      "accesstoken",  "refreshtoken",
    "idtoken",       "bearertoken",        "password",   "passwd",       "passphrase",
    "secret",        "clientsecret",       "apikey",     "secretkey",    "secretaccesskey",
    "privatekey",    "credentials",        "credential", "sessiontoken", "xapikey",
    "cookie",        "setcookie",
};
constexpr std::string_view kSuffixes[] = {"password", "passwd",     "secret",    "token",
                                          "apikey",   "privatekey", "secretkey", "secretaccesskey"};

bool IsCredentialKey(std::string_view key) {
  std::string k = NormalizeKey(key);
  for (auto exact : kExactKeys) {
    if (k == exact) return true;
  }
  for (auto suffix : kSuffixes) {
    if (k.size() > suffix.size() && k.ends_with(suffix)) return true;
  }
  return false;
}

struct Context {
  bool secret_object = false;
  bool token_subresource = false;
  bool token_review = false;
  bool config_map = false;
};

json Convert(simdjson::dom::element e, const Context& ctx, int depth, std::string_view path);

json ConvertObject(simdjson::dom::object obj,
                   const Context& ctx,
                   int depth,
                   std::string_view path) {
  json out = json::object();
  for (auto field : obj) {
    std::string key(field.key);
    std::string child_path = std::string(path) + "/" + key;
    bool redact = false;
    if (field.value.is_string() && IsCredentialKey(key)) redact = true;
    if (ctx.secret_object && (key == "data" || key == "stringData")) redact = true;
    if (ctx.secret_object && key == "kubectl.kubernetes.io/last-applied-configuration") {
      redact = true;
    }
    if (ctx.config_map && path.ends_with("/data") && field.value.is_string() &&
        IsCredentialKey(key)) {
      redact = true;
    }
    if (redact) {
      out[key] = std::string(kRedacted);
    } else {
      out[key] = Convert(field.value, ctx, depth + 1, child_path);
    }
  }
  return out;
}

json Convert(simdjson::dom::element e, const Context& ctx, int depth, std::string_view path) {
  if (depth > 200) return std::string("[omitted: nested too deeply]");
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      return ConvertObject(obj, ctx, depth, path);
    }
    case simdjson::dom::element_type::ARRAY: {
      json arr = json::array();
      simdjson::dom::array items = e.get_array().value_unsafe();
      for (auto child : items) {
        arr.push_back(Convert(child, ctx, depth + 1, path));
      }
      return arr;
    }
    case simdjson::dom::element_type::STRING:
      return RedactText(e.get_string().value_unsafe());
    case simdjson::dom::element_type::INT64:
      return e.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return e.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return e.get_double().value_unsafe();
    case simdjson::dom::element_type::BOOL:
      return e.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

std::string RedactedJson(const AuditEvent& ev) {
  Context ctx;
  std::string_view resource = ev.resource();
  ctx.secret_object = resource == "secrets";
  ctx.token_subresource = resource == "serviceaccounts" && ev.subresource() == "token";
  ctx.token_review = resource == "tokenreviews";
  ctx.config_map = resource == "configmaps";
  json doc = Convert(ev.root(), ctx, 0, "");
  if (ctx.token_subresource && doc.contains("responseObject")) {
    auto& resp = doc["responseObject"];
    if (resp.is_object() && resp.contains("status") && resp["status"].is_object() &&
        resp["status"].contains("token")) {
      resp["status"]["token"] = std::string(kRedacted);
    }
  }
  std::string out = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > kMaxEvidenceBytes) {
    for (const char* body : {"requestObject", "responseObject"}) {
      if (doc.contains(body)) {
        size_t size = doc[body].dump(-1, ' ', false, json::error_handler_t::replace).size();
        doc[body] = "[omitted: " + std::to_string(size) + " bytes]";
      }
    }
    out = doc.dump(-1, ' ', false, json::error_handler_t::replace);
    if (out.size() > kMaxEvidenceBytes) {
      json small = json::object();
      small["auditID"] = std::string(ev.audit_id());
      small["stage"] = std::string(ev.stage_name());
      small["verb"] = std::string(ev.verb());
      small["note"] = "[omitted: event of " + std::to_string(out.size()) + " bytes]";
      out = small.dump();
    }
  }
  return out;
}

}  // namespace reference

// ---- Comparing the two. ----

// Compares old and new on every event it is given; keeps the first few differences.
class ComparingSink : public ingest::EventSink {
 public:
  void OnEvent(const AuditEvent& ev, const ingest::Origin& origin) override {
    Compare(ev, std::string(origin.input) + ":" + std::to_string(origin.line));
  }
  void OnRejected(const ingest::Rejection&) override { ++rejected; }

  void Compare(const AuditEvent& ev, const std::string& where) {
    ++events;
    const std::string expected = reference::RedactedJson(ev);
    const std::string actual = RedactedJson(ev);
    if (expected != actual) {
      ++mismatches;
      if (examples.size() < 3) {
        examples.push_back(where + "\n  expected: " + expected.substr(0, 2000) +
                           "\n  actual:   " + actual.substr(0, 2000));
      }
    }
    CompareKeys(ev.root(), 0);
  }

  // IsCredentialKey against the reference on every key of the event.
  void CompareKeys(simdjson::dom::element e, int depth) {
    if (depth > 300) return;
    if (e.is_object()) {
      const simdjson::dom::object obj = e.get_object().value_unsafe();
      for (auto field : obj) {
        ++keys;
        if (IsCredentialKey(field.key) != reference::IsCredentialKey(field.key)) {
          ++key_mismatches;
          if (examples.size() < 3) examples.push_back("key: " + std::string(field.key));
        }
        CompareKeys(field.value, depth + 1);
      }
    } else if (e.is_array()) {
      const simdjson::dom::array items = e.get_array().value_unsafe();
      for (auto child : items) CompareKeys(child, depth + 1);
    }
  }

  std::string Report() const {
    std::string r = std::to_string(mismatches) + " of " + std::to_string(events) +
                    " events differ, " + std::to_string(key_mismatches) + " of " +
                    std::to_string(keys) + " keys classified differently";
    for (const auto& e : examples) r += "\n" + e;
    return r;
  }

  std::uint64_t events = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t keys = 0;
  std::uint64_t key_mismatches = 0;
  std::uint64_t rejected = 0;
  std::vector<std::string> examples;
};

// Audit-log files under `dir`, recursively: .json, .jsonl, .log and .gz.
void FilesUnder(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      FilesUnder(path, out);
    } else if (name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".log") ||
               name.ends_with(".gz")) {
      out.push_back(path);
    }
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
}

std::uint64_t CompareFiles(const std::vector<std::string>& files, ComparingSink& sink) {
  ingest::Reader reader;
  for (const auto& f : files) EXPECT_TRUE(reader.ReadFile(f, sink).has_value()) << f;
  return sink.events;
}

TEST(RedactEquivalenceTest, RepositoryExampleData) {
  std::vector<std::string> files;
  FilesUnder(std::string(VIGIL_SOURCE_DIR) + "/examples", files);
  FilesUnder(std::string(VIGIL_SOURCE_DIR) + "/tests/data", files);
  ComparingSink sink;
  CompareFiles(files, sink);
  EXPECT_GT(sink.events, 100u) << "too few events found in examples/ and tests/data/";
  std::printf("compared %llu events\n", static_cast<unsigned long long>(sink.events));
  EXPECT_EQ(sink.mismatches, 0u) << sink.Report();
  EXPECT_EQ(sink.key_mismatches, 0u) << sink.Report();
}

TEST(RedactEquivalenceTest, SharedDatasets) {
  const std::string dir = std::string(VIGIL_SOURCE_DIR) + "/../shared/datasets";
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    GTEST_SKIP() << "shared datasets not found at " << dir
                 << " (they live beside the repository as ../shared/datasets)";
  }
  std::vector<std::string> files;
  FilesUnder(dir, files);
  ComparingSink sink;
  CompareFiles(files, sink);
  EXPECT_GE(sink.events, 88u);  // Falco's trace files and the audit2rbac log
  // Panther's rule tests wrap each event as {"rule_id":…, "log": Event}: the Events are compared.
  const std::uint64_t before = sink.events;
  std::vector<std::string> panther;
  FilesUnder(dir + "/panther-analysis-k8s-rule-tests", panther);
  simdjson::dom::parser parser;
  for (const auto& f : panther) {
    FILE* in = std::fopen(f.c_str(), "r");
    ASSERT_NE(in, nullptr) << f;
    char* line = nullptr;
    size_t cap = 0;
    ssize_t n = 0;
    for (int number = 1; (n = ::getline(&line, &cap, in)) > 0; ++number) {
      auto doc = parser.parse(line, static_cast<size_t>(n));
      if (doc.error()) continue;
      auto log = doc.value_unsafe()["log"];
      if (log.error()) continue;
      auto ev = AuditEvent::FromElement(log.value_unsafe());
      if (ev.has_value()) sink.Compare(*ev, f + ":" + std::to_string(number));
    }
    std::free(line);
    std::fclose(in);
  }
  // Most of them lack `stage` (hand-written), which vigil rejects; 21 are whole Events.
  EXPECT_GE(sink.events - before, 20u) << "too few events in Panther's rule tests";
  std::printf("compared %llu events\n", static_cast<unsigned long long>(sink.events));
  EXPECT_EQ(sink.mismatches, 0u) << sink.Report();
  EXPECT_EQ(sink.key_mismatches, 0u) << sink.Report();
}

TEST(RedactEquivalenceTest, BenchmarkGeneratorEvents) {
#ifndef VIGIL_GEN_AUDIT
  GTEST_SKIP() << "vigil_gen_audit is built only with -DVIGIL_BUILD_BENCH=ON";
#else
  char tmpl[] = "/tmp/vigil-redact-eq-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string path = tmpl;
  // Attacks are what produce findings and so evidence; a high rate brings their bodies in often.
  std::vector<std::string> args = {
      VIGIL_GEN_AUDIT, "--events", "20000", "--attack-rate", "0.3", "--seed", "11", "-o", path};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ComparingSink sink;
  CompareFiles({path}, sink);
  ::unlink(path.c_str());
  EXPECT_EQ(sink.events, 20000u);
  EXPECT_EQ(sink.mismatches, 0u) << sink.Report();
  EXPECT_EQ(sink.key_mismatches, 0u) << sink.Report();
#endif
}

// ---- Hand-made and random events. ----

class RedactEquivalenceCases : public ::testing::Test {
 protected:
  // Compares old and new on one event; returns the new text.
  std::string Check(const std::string& json) {
    auto doc = parser_.parse(json);
    EXPECT_FALSE(doc.error()) << json.substr(0, 300);
    if (doc.error()) return "";
    auto ev = AuditEvent::FromElement(doc.value_unsafe());
    EXPECT_TRUE(ev.has_value()) << json.substr(0, 300);
    if (!ev.has_value()) return "";
    ComparingSink sink;
    sink.Compare(*ev, json.substr(0, 300));
    EXPECT_EQ(sink.mismatches, 0u) << sink.Report();
    EXPECT_EQ(sink.key_mismatches, 0u) << sink.Report();
    return RedactedJson(*ev);
  }
  simdjson::dom::parser parser_;
};

std::string Event(const std::string& resource,
                  const std::string& subresource,
                  const std::string& rest) {
  return R"({"auditID":"id-1","stage":"ResponseComplete","verb":"create","objectRef":{"resource":")" +
         resource + R"(","subresource":")" + subresource + R"(","namespace":"ns","name":"n"})" +
         (rest.empty() ? "" : "," + rest) + "}";
}

TEST_F(RedactEquivalenceCases, KeyOrderAndDuplicates) {
  EXPECT_EQ(Check(R"({"stage":"s","auditID":"a","zeta":1,"Alpha":2,"alpha":3,"b":4,"b":5})"),
            R"({"Alpha":2,"alpha":3,"auditID":"a","b":5,"stage":"s","zeta":1})");
  // The last occurrence stands, redacted or not, whatever the type of the first.
  Check(R"({"auditID":"a","stage":"s","token":"abc","token":{"x":1}})");
  Check(R"({"auditID":"a","stage":"s","token":{"x":1},"token":"abc"})");
  Check(R"({"auditID":"a","stage":"s","k":[1,2],"k":null,"k":"v"})");
  // Keys that sort by bytes: upper case, digits, punctuation, empty, non-ASCII, NUL.
  Check(
      R"({"auditID":"a","stage":"s","é":1,"z":2,"":3,"~":4,"0":5,"_":6,"\u0000":7,"日本":8,"ab":9,"a":10})");
  // Nested duplicates, and duplicates of the root's bodies.
  Check(
      R"({"auditID":"a","stage":"s","requestObject":{"a":1},"requestObject":{"b":{"c":1,"c":2}}})");
  Check(R"({"auditID":"a","stage":"s","auditID":"b"})");
}

TEST_F(RedactEquivalenceCases, Scalars) {
  Check(
      R"({"auditID":"a","stage":"s","d":[1.0,-0.0,0.1,1e300,-1.5e-7,2.5,1e21,1.2345678901234568e29,3.141592653589793,5e-324]})");
  Check(
      R"({"auditID":"a","stage":"s","i":[0,-1,9223372036854775807,-9223372036854775808,9223372036854775808,18446744073709551615]})");
  Check(
      R"({"auditID":"a","stage":"s","n":null,"t":true,"f":false,"e":{},"ea":[],"nested":[[],[{}],{"a":[]}]})");
}

TEST_F(RedactEquivalenceCases, Strings) {
  Check(
      R"({"auditID":"a","stage":"s","q":"say \"hi\" \\ back\/slash","c":"\b\f\n\r\t\u0001\u001f\u007f","u":"é 日本 \ud83d\ude00 \u00e9","esc":"\u2028\u2029"})");
  Check(
      R"({"auditID":"a\n\"b","stage":"s","requestURI":"/api?access_token=abcdefgh12345678&x=1","userAgent":"Bearer abcdefghijklmnopqrs","m":"password=hunter2 token: x","pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----","jwt":"eyJhbGciOi.eyJpc3MiOiJr.c2ln"})");
}

TEST_F(RedactEquivalenceCases, CredentialKeys) {
  Check(
      R"({"auditID":"a","stage":"s","o":{"Authorization":"x","X-Api-Key":"x","AWS_SECRET_ACCESS_KEY":"x","db.password":"x","secretName":"x","tokenExpirationSeconds":1,"token":5,"password":null,"passwd":{"a":"b"},"cookie":["c"],"_":"x","":"x","-.-":"x","Proxy-Authorization":"x","my_private_key":"x","PRIVATEKEY":"x","xsecretaccesskey":"x","veryveryverylongprefix-refresh-token":"x","SeCrEt":"x"}})");
  for (std::string key : {"token", "atoken", "Token", "tokens", "secret", "xsecret", "passwordx",
                          "p-a-s-s-w-o-r-d", "proxyauthorizationx", "xproxyauthorization", "ÉTOKEN",
                          "ÀPASSWORD", "TOKEN\xff", "x.y_z-token", "-token", "_secret"}) {
    EXPECT_EQ(IsCredentialKey(key), reference::IsCredentialKey(key)) << key;
  }
}

TEST(RedactEquivalenceKeys, RandomKeysOverTheCredentialAlphabet) {
  // Keys made of the words' letters (either case), separators and a few others, so that many of
  // them are credential words, near misses and words behind prefixes.
  const std::string alphabet = "tokenTOKENpaswdPASWDsecrtSECRTapikyAPIKYcdlCDLhzZH-_.-_.é";
  static const char* kWords[] = {"token",         "Pass-Word",   "secret",
                                 "api_key",       "private.key", "secret_access_key",
                                 "authorization", "credential",  "cookie"};
  std::mt19937 rng(7);
  size_t credential = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string key;
    const size_t length = rng() % 24;
    for (size_t j = 0; j < length; ++j) {
      if (rng() % 8 == 0) {
        key += kWords[rng() % std::size(kWords)];
      } else {
        key += alphabet[rng() % alphabet.size()];
      }
    }
    const bool expected = reference::IsCredentialKey(key);
    credential += expected ? 1 : 0;
    ASSERT_EQ(IsCredentialKey(key), expected) << key;
  }
  EXPECT_GT(credential, 1000u);  // the keys do reach both answers
}

TEST_F(RedactEquivalenceCases, DeepNesting) {
  for (int levels : {190, 198, 199, 200, 201, 202, 250, 600}) {
    std::string arrays = std::string(static_cast<size_t>(levels), '[') + "\"x\"" +
                         std::string(static_cast<size_t>(levels), ']');
    Check(R"({"auditID":"a","stage":"s","deep":)" + arrays + "}");
    std::string objects;
    for (int i = 0; i < levels; ++i) objects += R"({"k":"v","token":"t","n":)";
    objects += "1";
    for (int i = 0; i < levels; ++i) objects += "}";
    const std::string out = Check(R"({"auditID":"a","stage":"s","deep":)" + objects + "}");
    if (levels >= 201) {
      EXPECT_NE(out.find("[omitted: nested too deeply]"), std::string::npos);
    }
  }
}

TEST_F(RedactEquivalenceCases, SecretsTokensConfigMaps) {
  const std::string secret_body =
      R"({"kind":"Secret","data":{"password":"c2VjcmV0"},"stringData":{"u":"plain"},"type":"Opaque",)"
      R"("metadata":{"name":"db","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{}}","other":"keep"}}})";
  Check(Event("secrets", "",
              R"("requestObject":)" + secret_body + R"(,"responseObject":)" + secret_body));
  Check(Event("secrets", "",
              R"("responseObject":{"kind":"SecretList","items":[)" + secret_body + "," +
                  secret_body + R"(,{"data":null,"data":[1]}]})"));
  Check(Event("secrets", "", R"("requestObject":{"data":5,"stringData":[{"a":"b"}]})"));
  // Secret rules do not apply to other resources.
  Check(Event("pods", "", R"("requestObject":)" + secret_body));
  for (const char* token : {R"("eyJhbGciOi.eyJpc3MiOiJr.c2ln")", "{\"nested\":\"x\"}", "42", "null",
                            "[\"a\"]", "true"}) {
    const std::string status =
        std::string(R"({"token":)") + token + R"(,"expirationTimestamp":"2030-01-01T00:00:00Z"})";
    const std::string out =
        Check(Event("serviceaccounts", "token",
                    R"("responseObject":{"kind":"TokenRequest","status":)" + status + "}"));
    EXPECT_NE(
        out.find(R"("status":{"expirationTimestamp":"2030-01-01T00:00:00Z","token":"[REDACTED]"})"),
        std::string::npos)
        << out;
    // Not a TokenRequest: only the string rule applies.
    Check(Event("serviceaccounts", "", R"("responseObject":{"status":)" + status + "}"));
    // The patch looks at responseObject.status of the root only, never through arrays.
    Check(Event("serviceaccounts", "token", R"("responseObject":[{"status":)" + status + "}]"));
    Check(Event("serviceaccounts", "token", R"("responseObject":{"status":[)" + status + "]}"));
    Check(Event("serviceaccounts", "token", R"("requestObject":{"status":)" + status + "}"));
    Check(Event("serviceaccounts", "token",
                R"("responseObject":{"spec":{"status":)" + status + "}}"));
    // Duplicates: the last responseObject / status is the one patched.
    Check(Event("serviceaccounts", "token",
                R"("responseObject":{"status":)" + status +
                    R"(,"status":{"x":1}},"responseObject":{"status":)" + status + "}"));
    Check(Event("serviceaccounts", "token",
                R"("responseObject":{"status":{"x":1},"status":)" + status + "}"));
  }
  Check(Event("serviceaccounts", "token", R"("responseObject":{"status":"ok"})"));
  Check(Event("serviceaccounts", "token", R"("responseObject":{"status":{}})"));
  Check(Event("serviceaccounts", "token", R"("responseObject":null)"));
  Check(Event(
      "tokenreviews", "",
      R"("requestObject":{"kind":"TokenReview","spec":{"token":"eyJhbGciOi.eyJpc3MiOiJr.c2ln","audiences":["api"]}},"responseObject":{"status":{"authenticated":true,"user":{"username":"u"}}})"));
  Check(Event(
      "configmaps", "",
      R"("requestObject":{"data":{"db_password":"hunter2","password":5,"ui":"color=blue","creds":"aws_secret_access_key = abcdef","x/data":{"token":"t"}},"binaryData":{"apikey":"x"},"metadata":{"annotations":{"a/data":"x","token":"y"}}})"));
}

TEST_F(RedactEquivalenceCases, HugeBodies) {
  const std::string big(kMaxEvidenceBytes + 100, 'x');
  const std::string half(kMaxEvidenceBytes / 2 + 100, 'y');
  // requestObject only, responseObject only, both (each alone small enough), both huge.
  std::string out = Check(R"({"auditID":"a","stage":"s","verb":"get","requestObject":{"blob":")" +
                          big + R"("}})");
  EXPECT_NE(out.find("[omitted: "), std::string::npos);
  Check(R"({"auditID":"a","stage":"s","verb":"get","responseObject":{"blob":")" + big + R"("}})");
  Check(R"({"auditID":"a","stage":"s","requestObject":{"a":")" + half +
        R"("},"responseObject":{"b":")" + half + R"("}})");
  Check(R"({"auditID":"a","stage":"s","requestObject":[")" + big + R"("],"responseObject":")" +
        big + R"("})");
  // Escapes count in the size: a body of control characters doubles... sixfolds.
  Check(R"({"auditID":"a","stage":"s","requestObject":{"c":")" + [] {
    std::string s;
    for (size_t i = 0; i < kMaxEvidenceBytes / 5; ++i) s += "\\u0001";
    return s;
  }() + R"("}})");
  // Still too large without the bodies: the small object (keys in byte order).
  out = Check(R"({"verb":"list","auditID":"a\"1","stage":"ResponseComplete","userAgent":")" + big +
              R"(","requestObject":{"a":1}})");
  EXPECT_EQ(out.rfind(R"({"auditID":"a\"1","note":"[omitted: event of )", 0), 0u)
      << out.substr(0, 200);
  // No bodies at all, and a body that is not an object.
  Check(R"({"auditID":"a","stage":"s","annotations":{"x":")" + big + R"("}})");
  Check(R"({"auditID":"a","stage":"s","responseObject":")" + big + R"("})");
  // Just under and just over the cap.
  for (long delta : {-2L, -1L, 0L, 1L, 2L}) {
    const std::string head = R"({"auditID":"a","stage":"s","requestObject":")";
    const size_t fill = kMaxEvidenceBytes - head.size() - 2 + static_cast<size_t>(delta);
    Check(head + std::string(fill, 'z') + "\"}");
  }
  // Duplicate bodies in a huge event: the last one is the one measured.
  Check(R"({"auditID":"a","stage":"s","requestObject":{"small":1},"requestObject":{"big":")" + big +
        R"("}})");
  Check(R"({"auditID":"a","stage":"s","requestObject":{"big":")" + big +
        R"("},"requestObject":{"small":1},"userAgent":")" + big + R"("})");
}

// Random events: random trees over a small pool of keys (credential words, duplicates, the keys
// the rules look at) under random resources.
class RandomEvents {
 public:
  explicit RandomEvents(std::uint32_t seed) : rng_(seed) {}

  std::string Next() {
    static const char* kResources[][2] = {{"secrets", ""},         {"serviceaccounts", "token"},
                                          {"serviceaccounts", ""}, {"configmaps", ""},
                                          {"tokenreviews", ""},    {"pods", "exec"}};
    const auto& r = kResources[Pick(std::size(kResources))];
    std::string rest = R"("responseObject":)" + Value(0) + R"(,"requestObject":)" + Value(0);
    for (int i = 0, n = static_cast<int>(Pick(4)); i < n; ++i) {
      rest += ",";
      AppendString(rest, Key());
      rest += ":" + Value(0);
    }
    return Event(r[0], r[1], rest);
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string Key() {
    static const char* kKeys[] = {"data",
                                  "stringData",
                                  "status",
                                  "token",
                                  "Token",
                                  "password",
                                  "db_password",
                                  "secretName",
                                  "items",
                                  "metadata",
                                  "spec",
                                  "kubectl.kubernetes.io/last-applied-configuration",
                                  "name",
                                  "x/data",
                                  "authorization",
                                  "b",
                                  "a",
                                  "Z",
                                  "é",
                                  "apiKey",
                                  "responseObject",
                                  "value",
                                  "client-secret",
                                  ""};
    return kKeys[Pick(std::size(kKeys))];
  }

  static void AppendString(std::string& out, const std::string& s) {
    out += nlohmann::json(s).dump();
  }

  std::string Value(int depth) {
    const size_t kind = depth > 6 ? 2 + Pick(6) : Pick(8);
    switch (kind) {
      case 0: {
        std::string s = "{";
        for (int i = 0, n = static_cast<int>(Pick(5)); i < n; ++i) {
          if (i) s += ",";
          AppendString(s, Key());
          s += ":" + Value(depth + 1);
        }
        return s + "}";
      }
      case 1: {
        std::string s = "[";
        for (int i = 0, n = static_cast<int>(Pick(4)); i < n; ++i) {
          if (i) s += ",";
          s += Value(depth + 1);
        }
        return s + "]";
      }
      case 2: {
        static const char* kTexts[] = {
            "plain",    "Bearer abcdefghijklmnop",      "password=hunter2",
            "é\n\"x\"", "eyJhbGciOi.eyJpc3MiOiJr.c2ln", ""};
        std::string s;
        AppendString(s, kTexts[Pick(std::size(kTexts))]);
        return s;
      }
      case 3:
        return std::to_string(static_cast<std::int64_t>(rng_()) - (1ll << 31));
      case 4:
        return Pick(2) ? "1.5" : "-2.25e-5";
      case 5:
        return Pick(2) ? "true" : "false";
      case 6:
        return "null";
      default:
        return "18446744073709551615";
    }
  }

  std::mt19937 rng_;
};

TEST_F(RedactEquivalenceCases, RandomEvents) {
  RandomEvents gen(20261127);
  for (int i = 0; i < 3000; ++i) Check(gen.Next());
}

}  // namespace
}  // namespace vigil::event
