// jevt.*, vigil.*, Scratch, the text helpers, and the no-allocation promise of the hot path.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "rules/field.h"
#include "rules/fields/field_test_util.h"
#include "rules/fields/json_text.h"

// Counts heap allocations while `g_counting` is set, to check that Extract does not allocate once
// warm. Replaces the global operator new for this test binary only.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// GCC sees free() of memory from (our own) operator new and warns; the pairing is deliberate.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return ::operator new(n, t);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace vigil::rules {
namespace {

using testing::Extract;
using testing::Extracted;
using testing::ParsedEvent;
using testing::V;

constexpr char kEvent[] =
    R"({"kind":"Event","auditID":"e1","stage":"ResponseComplete","verb":"create",)"
    R"("objectRef":{"resource":"pods","namespace":"ns"},"sourceIPs":["1.2.3.4","5.6.7.8"],)"
    R"("requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"i:1",)"
    R"("command":["a","b"],"securityContext":{"privileged":true,"runAsUser":-1}}],)"
    R"("volumes":[{"name":"v","hostPath":{"path":"/"}}]},)"
    R"("metadata":{"labels":{"q\"uote":"tab\there","ctl":"\u0001","n":1.5,"big":18446744073709551615,)"
    R"("neg":-3,"t":true,"f":false,"z":null,"e":[],"o":{}}}},)"
    R"("stageTimestamp":"1969-12-31T23:59:59.5Z"})";

TEST(JevtFieldsTest, RendersValuesAsMinifiedJson) {
  ParsedEvent ev(kEvent);
  ASSERT_TRUE(ev.ok()) << ev.error();
  const auto& e = ev.event();
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels]"),
            V({R"({"q\"uote":"tab\there","ctl":"\u0001","n":1.5,"big":18446744073709551615,)"
               R"("neg":-3,"t":true,"f":false,"z":null,"e":[],"o":{}})"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels/q\"uote]"), V({"tab\there"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels/z]"), V({"null"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels/t]"), V({"true"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels/neg]"), V({"-3"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/metadata/labels/e]"), V({"[]"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/spec/containers/0/image]"), V({"i:1"}));
  EXPECT_EQ(Extract(e, "jevt.value[/requestObject/spec/containers/1/image]"), std::nullopt);
  EXPECT_EQ(Extract(e, "json.value[/verb]"), V({"create"}));
  EXPECT_EQ(Extract(e, "ka.req.pod.containers.run_as_user"), V({"-1"}));
  EXPECT_EQ(Extract(e, "ka.req.pod.containers.command"), V({"a b"}));
}

TEST(JevtFieldsTest, PointerTokens) {
  ParsedEvent ev(R"({"auditID":"x","stage":"Panic","sourceIPs":["a","b"],"":{"":"empty"},)"
                 R"("a/b":{"c~d":1},"n":{"0":"zero-key"},"objectRef":{"resource":"pods"}})");
  ASSERT_TRUE(ev.ok());
  const auto& e = ev.event();
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/1]"), V({"b"}));
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/01]"), V({"b"}));
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/2]"), std::nullopt);
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/-]"), std::nullopt);
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/x]"), std::nullopt);
  EXPECT_EQ(Extract(e, "jevt.value[/sourceIPs/0/x]"), std::nullopt);
  EXPECT_EQ(Extract(e, "jevt.value[//]"), V({"empty"}));
  EXPECT_EQ(Extract(e, "jevt.value[/a~1b/c~0d]"), V({"1"}));
  EXPECT_EQ(Extract(e, "jevt.value[/n/0]"), V({"zero-key"}));
  EXPECT_EQ(Extract(e, "jevt.value[/objectRef/resource]"), V({"pods"}));
  EXPECT_EQ(Extract(e, "jevt.value[objectRef/resource]"), V({"pods"}));
  EXPECT_EQ(Extract(e, "jevt.value[/stage]"), V({"Panic"}));
  EXPECT_EQ(Extract(e, "jevt.value[/verb]"), std::nullopt);
}

TEST(JevtFieldsTest, ObjIsTheWholeEventMinified) {
  ParsedEvent ev(R"({ "auditID" : "x",  "stage":"Panic", "a" : [ 1 , 2 ] })");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "jevt.obj"), V({R"({"auditID":"x","stage":"Panic","a":[1,2]})"}));
  EXPECT_EQ(Extract(ev.event(), "json.obj"), V({R"({"auditID":"x","stage":"Panic","a":[1,2]})"}));
}

TEST(JevtFieldsTest, TimesBeforeTheEpochAndWithoutTimestamp) {
  ParsedEvent ev(kEvent);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(Extract(ev.event(), "jevt.rawtime"), V({"-500000000"}));
  EXPECT_EQ(Extract(ev.event(), "jevt.time"), V({"23:59:59.500000000"}));
  EXPECT_EQ(Extract(ev.event(), "jevt.time.iso8601"), V({"1969-12-31T23:59:59.500000000Z"}));

  // Falco rules use `jevt.rawtime exists` as "always true": it must be available.
  ParsedEvent bare(R"({"auditID":"x","stage":"ResponseComplete"})");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(Extract(bare.event(), "jevt.rawtime"), V({"0"}));
  EXPECT_EQ(Extract(bare.event(), "json.rawtime"), V({"0"}));
  EXPECT_EQ(Extract(bare.event(), "jevt.time.iso8601"), V({"1970-01-01T00:00:00.000000000Z"}));
}

TEST(KaFieldsTest, NonStringScalarsRenderAsJson) {
  ParsedEvent ev(R"({"auditID":"x","stage":"ResponseComplete","verb":null,)"
                 R"("user":{"username":7,"groups":"not-a-list"},)"
                 R"("objectRef":{"resource":"pods"},"responseObject":{"metadata":{"name":"p"}},)"
                 R"("requestObject":{"subjects":[{"kind":"ServiceAccount","name":"sa",)"
                 R"("namespace":"kube-system"},{"kind":"ServiceAccount","name":"nons"},)"
                 R"({"kind":"Group","name":"system:masters"},{"name":"nokind"}],)"
                 R"("rules":[{"verbs":["get"]},{"resources":["pods"]}]}})");
  ASSERT_TRUE(ev.ok());
  const auto& e = ev.event();
  EXPECT_EQ(Extract(e, "ka.verb"), V({"null"}));
  EXPECT_EQ(Extract(e, "ka.user.name"), V({"7"}));
  EXPECT_EQ(Extract(e, "ka.user.groups"), std::nullopt);  // not an array: wrong type
  EXPECT_EQ(Extract(e, "ka.target.pod.name"), V({"p"}));
  EXPECT_EQ(Extract(e, "ka.resp.name"), V({"p"}));
  EXPECT_EQ(Extract(e, "ka.req.binding.subjects.serviceaccount_names"), V({"sa", "nons"}));
  EXPECT_EQ(Extract(e, "ka.req.binding.subjects.serviceaccount_ns_names"),
            V({"kube-system:sa"}));
  EXPECT_EQ(Extract(e, "ka.req.binding.subjects.group_names"), V({"system:masters"}));
  EXPECT_EQ(Extract(e, "ka.req.binding.subject.has_name[anything]"), V({"true"}));
  EXPECT_EQ(Extract(e, "ka.req.role.rules.verbs"), V({"get"}));
  EXPECT_EQ(Extract(e, "ka.req.role.rules.verbs[1]"), std::nullopt);  // rule 1 has no verbs
  EXPECT_EQ(Extract(e, "ka.req.role.rules.resources[1]"), V({"pods"}));
  EXPECT_EQ(Extract(e, "ka.req.role.rules.apiGroups"), V({}));
  EXPECT_EQ(Extract(e, "ka.req.role.rules"), V({R"({"verbs":["get"]})", R"({"resources":["pods"]})"}));
}

TEST(VigilFieldsTest, NotAvailableWithoutContext) {
  ParsedEvent ev(kEvent);
  ASSERT_TRUE(ev.ok());
  for (const char* f : {"vigil.cluster", "vigil.caller.ip", "vigil.threat.lists",
                        "vigil.threat.custom", "vigil.threat.tor", "vigil.threat.ip",
                        "vigil.threat.verified"}) {
    EXPECT_EQ(Extract(ev.event(), f), std::nullopt) << f;
  }
}

TEST(VigilFieldsTest, ReadsTheContext) {
  ParsedEvent ev(kEvent);
  ASSERT_TRUE(ev.ok());
  const ThreatMatch matches[] = {
      {"tor", "1.2.3.4", false},
      {"blocklist", "1.2.3.4", false},
      {"blocklist", "5.6.7.8", true},
      {"scanners", "5.6.7.8", true, "mass-scanner"},
  };
  EventContext ctx{"prod-eu", "5.6.7.8", matches, "DE", "64500", "Example Hosting GmbH"};
  const auto& e = ev.event();
  EXPECT_EQ(Extract(e, "vigil.cluster", &ctx), V({"prod-eu"}));
  EXPECT_EQ(Extract(e, "vigil.caller.ip", &ctx), V({"5.6.7.8"}));
  EXPECT_EQ(Extract(e, "vigil.threat.lists", &ctx), V({"tor", "blocklist", "scanners"}));
  EXPECT_EQ(Extract(e, "vigil.threat.custom", &ctx), V({"blocklist", "scanners"}));
  EXPECT_EQ(Extract(e, "vigil.threat.tor", &ctx), V({"true"}));
  EXPECT_EQ(Extract(e, "vigil.threat.ip", &ctx), V({"1.2.3.4", "5.6.7.8"}));
  EXPECT_EQ(Extract(e, "vigil.threat.verified", &ctx), V({"true"}));
  EXPECT_EQ(Extract(e, "vigil.threat.label", &ctx), V({"mass-scanner"}));
  EXPECT_EQ(Extract(e, "vigil.geo.country", &ctx), V({"DE"}));
  EXPECT_EQ(Extract(e, "vigil.geo.asn", &ctx), V({"64500"}));
  EXPECT_EQ(Extract(e, "vigil.geo.as_org", &ctx), V({"Example Hosting GmbH"}));

  EventContext clean{"", "", {}, "", "", ""};
  EXPECT_EQ(Extract(e, "vigil.cluster", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.caller.ip", &clean), std::nullopt);
  // No match: the list fields are not available (so `exists` means "on some list").
  EXPECT_EQ(Extract(e, "vigil.threat.lists", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.threat.custom", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.threat.ip", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.threat.tor", &clean), V({"false"}));
  EXPECT_EQ(Extract(e, "vigil.threat.verified", &clean), V({"false"}));
  EXPECT_EQ(Extract(e, "vigil.threat.label", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.geo.country", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.geo.asn", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.geo.as_org", &clean), std::nullopt);
  EXPECT_EQ(Extract(e, "vigil.geo.country", nullptr), std::nullopt);
  const ThreatMatch unverified[] = {{"tor", "1.2.3.4", false}};
  EventContext spoofable{"c", "5.6.7.8", unverified, "", "", ""};
  EXPECT_EQ(Extract(e, "vigil.threat.verified", &spoofable), V({"false"}));
  EXPECT_EQ(Extract(e, "vigil.threat.custom", &spoofable), std::nullopt);
}

TEST(ImageRepositoryTest, CutsTagAndDigestKeepsPort) {
  using fields::ImageRepository;
  EXPECT_EQ(ImageRepository("nginx"), "nginx");
  EXPECT_EQ(ImageRepository("nginx:1.7"), "nginx");
  EXPECT_EQ(ImageRepository("docker.io/falcosecurity/falco:0.36"), "docker.io/falcosecurity/falco");
  EXPECT_EQ(ImageRepository("gcr.io/a/b@sha256:0123"), "gcr.io/a/b");
  EXPECT_EQ(ImageRepository("gcr.io/a/b:v1@sha256:0123"), "gcr.io/a/b");
  EXPECT_EQ(ImageRepository("localhost:5000/x"), "localhost:5000/x");
  EXPECT_EQ(ImageRepository("localhost:5000/x:tag"), "localhost:5000/x");
  EXPECT_EQ(ImageRepository(""), "");
}

TEST(CleanPathTest, CleansLikeGo) {
  Scratch s;
  using fields::CleanPath;
  for (auto [in, want] : std::initializer_list<std::pair<const char*, const char*>>{
           {"/etc", "/etc"}, {"/etc/", "/etc"}, {"//etc", "/etc"}, {"/etc/.", "/etc"},
           {"/./etc//kubernetes/", "/etc/kubernetes"}, {"/x/../etc", "/etc"}, {"/..", "/"},
           {"/../../etc", "/etc"}, {"/", "/"}, {"//", "/"}, {"", "."}, {"a/b/..", "a"},
           {"../a", "../a"}, {"a/../..", ".."}, {"../../x/..", "../.."}, {"/var/run/docker.sock",
           "/var/run/docker.sock"}}) {
    EXPECT_EQ(CleanPath(in, s), want) << in;
  }
}

TEST(QueryParamTest, DecodesLikeGo) {
  Scratch s;
  using fields::QueryParam;
  EXPECT_EQ(QueryParam("/x?a=1&a=2", "a", s), "1");
  EXPECT_EQ(QueryParam("/x?command=%2Fbin%2Fsh+-c", "command", s), "/bin/sh -c");
  EXPECT_EQ(QueryParam("/x?com%6Dand=ls", "command", s), "ls");
  EXPECT_EQ(QueryParam("/x?a", "a", s), "");
  EXPECT_EQ(QueryParam("/x?a=&b=2", "a", s), "");
  EXPECT_EQ(QueryParam("/x?a=1#b=2", "b", s), std::nullopt);
  EXPECT_EQ(QueryParam("/x", "a", s), std::nullopt);
  EXPECT_EQ(QueryParam("/x?a=%zz&a=ok", "a", s), "ok");  // a bad escape skips only that pair
  EXPECT_EQ(QueryParam("/x?a=1;b=2&a=3", "a", s), "3");  // Go rejects ';' pairs
  EXPECT_EQ(QueryParam("/x?a=%4", "a", s), std::nullopt);
  EXPECT_EQ(QueryParam("/x?%=1&a=2", "a", s), "2");
  EXPECT_EQ(QueryParam("/x?&&a=2", "a", s), "2");
}

TEST(ScratchTest, KeepsValuesUntilReset) {
  Scratch s;
  std::string big(100 * 1024, 'x');
  std::vector<std::string_view> views;
  for (int i = 0; i < 5000; ++i) views.push_back(s.Store(std::to_string(i) + "-value-text"));
  std::string_view large = s.Store(big);
  EXPECT_EQ(s.Store(""), "");
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(views[i], std::to_string(i) + "-value-text");
  EXPECT_EQ(large, big);
  s.Reset();
  EXPECT_EQ(s.Store("again"), "again");
}

TEST(ExtractAllocationTest, SteadyStateDoesNotAllocate) {
  ParsedEvent ev(kEvent);
  ASSERT_TRUE(ev.ok());
  std::vector<std::unique_ptr<Field>> fields;
  for (const FieldInfo& info : AllFields()) {
    std::optional<std::string_view> arg;
    if (info.arg == FieldArg::kKeyRequired) arg = "/";
    if (info.arg == FieldArg::kPointer) arg = "/requestObject/metadata";
    auto f = ResolveField(info.name, arg);
    ASSERT_TRUE(f.has_value());
    fields.push_back(std::move(*f));
  }
  const ThreatMatch matches[] = {{"tor", "1.2.3.4", false}, {"x", "5.6.7.8", true}};
  EventContext ctx{"c", "5.6.7.8", matches, "", "", ""};
  Scratch scratch;
  FieldValues values;
  auto run = [&] {
    scratch.Reset();
    for (const auto& f : fields) {
      values.clear();
      f->Extract(ev.event(), &ctx, scratch, values);
    }
  };
  run();  // warm: scratch chunks, value capacity, the text buffer
  run();
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 10; ++i) run();
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);

  // The counter itself works.
  g_counting = true;
  auto probe = std::make_unique<std::string>(64, 'x');
  g_counting = false;
  EXPECT_GE(g_allocations.load(), 1);
}

}  // namespace
}  // namespace vigil::rules
