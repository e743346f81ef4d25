// Fuzz target: arbitrary bytes as the query string of `vigil serve`'s finding list (the filters,
// sort, free text and paging the console sends), then that query run against a small in-memory
// SQLite store (List, Stats, Timeline). Checks: never crashes, never throws; an accepted query has
// a limit in 1..1000 and at most 200 characters of free text; an error says what was wrong; the
// store answers every accepted query and a page never holds more than its limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "server/http_context.h"
#include "store/finding_store.h"

namespace {

vigil::store::FindingStore& Store() {
  static std::unique_ptr<vigil::store::FindingStore> store = [] {
    auto s = vigil::store::OpenFindingStore(":memory:");
    VIGIL_FUZZ_CHECK(s.has_value());
    std::vector<vigil::findings::Finding> some;
    for (int i = 0; i < 8; ++i) {
      vigil::findings::Finding f;
      f.id = "00000000-0000-4000-8000-00000000000" + std::to_string(i);
      f.type = i % 2 ? "Execution:Kubernetes/X" : "Control:AWS/GuardDuty.5";
      f.severity = static_cast<vigil::findings::Severity>(i % 5);
      f.title = "t" + std::to_string(i);
      f.cluster = "c";
      f.principal.username = "u" + std::to_string(i % 3);
      f.source_ips = {"203.0.113." + std::to_string(i)};
      f.first_seen = 1'700'000'000'000'000'000 + i;
      f.last_seen = f.first_seen + 10;
      some.push_back(f);
    }
    VIGIL_FUZZ_CHECK((*s)->Upsert(some, 1'700'000'000'000'000'000).has_value());
    return std::move(*s);
  }();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  httplib::Request req;
  httplib::detail::parse_query_text(text, req.params);
  auto q = vigil::server::ParseQuery(req, 1000);
  if (!q) {
    VIGIL_FUZZ_CHECK(!q.error().message.empty());
    return 0;
  }
  VIGIL_FUZZ_CHECK(q->limit >= 1 && q->limit <= 1000);
  VIGIL_FUZZ_CHECK(q->text.size() <= 200);
  auto page = Store().List(*q);
  VIGIL_FUZZ_CHECK(page.has_value());
  VIGIL_FUZZ_CHECK(page->findings.size() <= q->limit);
  VIGIL_FUZZ_CHECK(Store().Stats(*q, 10).has_value());
  VIGIL_FUZZ_CHECK(
      Store().Timeline(*q, 1'700'000'000'000'000'000, 1'700'000'000'000'001'000, 100).has_value());
  return 0;
}
