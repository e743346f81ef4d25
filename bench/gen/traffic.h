// Realistic kube-apiserver audit traffic for one cluster, one event at a time.
//
// The mix follows the shared performance-anchors.md §0 (corpus shape) (verbs, user classes, share
// of events with bodies and impersonation, event sizes), and the shapes follow real events: field
// order as kube-apiserver's Go structs serialise them, "\u0026" in query strings, watch and exec
// requests logged at ResponseStarted and again at ResponseComplete under the same auditID, some
// requests also at RequestReceived. A configurable small fraction of requests are attacks by a
// fixed set of principals against a fixed set of targets.
//
// Deterministic: the same options give the same events, byte for byte, on every machine.
#ifndef VIGIL_BENCH_GEN_TRAFFIC_H_
#define VIGIL_BENCH_GEN_TRAFFIC_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::bench {

struct TrafficOptions {
  std::uint64_t seed = 42;
  // Share of requests that are attacks, in parts per million (1000 = 0.1 %).
  std::uint32_t attack_ppm = 1000;
  // Events per second of simulated time; stageTimestamp advances by 1/rate per event.
  std::uint32_t rate = 1000;
  // stageTimestamp of the first event, in microseconds since the Unix epoch
  // (default 2025-06-02T09:00:00Z).
  std::int64_t start_unix_us = 1748854800LL * 1'000'000;
};

enum class UserClass : std::uint8_t { kNode, kServiceAccount, kComponent, kHuman };
inline constexpr int kUserClassCount = 4;
std::string_view UserClassName(UserClass c);

// What the caller may want to count about the event just produced.
struct EventInfo {
  std::string_view verb;
  std::string_view stage;
  UserClass user_class = UserClass::kNode;
  bool attack = false;
  bool has_body = false;      // carries requestObject or responseObject
  bool impersonated = false;  // carries impersonatedUser
  std::int64_t stage_unix_us = 0;
};

// Not thread-safe. Owns all its state; events are appended to caller-owned strings.
class TrafficGenerator {
 public:
  explicit TrafficGenerator(const TrafficOptions& options);
  ~TrafficGenerator();
  TrafficGenerator(const TrafficGenerator&) = delete;
  TrafficGenerator& operator=(const TrafficGenerator&) = delete;

  // Appends the next event as one line of compact JSON (no trailing newline) to `out`.
  void Next(std::string& out, EventInfo& info);

  // Opaque; named here only so the implementation's free functions can refer to it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Formats Unix microseconds as RFC 3339 UTC with microseconds: 2025-06-02T09:00:00.000000Z.
void AppendRfc3339Micros(std::string& out, std::int64_t unix_us);

}  // namespace vigil::bench

#endif  // VIGIL_BENCH_GEN_TRAFFIC_H_
