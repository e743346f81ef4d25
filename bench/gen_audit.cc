// vigil_gen_audit: writes deterministic, realistic kube-apiserver audit traffic for benchmarks and
// tests. Answers: "what does a day of audit log from a busy EKS cluster look like, byte for byte
// the same on every machine?" See bench/README.md.
//
//   vigil_gen_audit (--events N | --megabytes M) [--seed S] [--attack-rate R] [--rate EV_PER_S]
//                   [--format jsonl|eventlist|cloudwatch-export] [-o FILE] [--stats]

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gen/json_writer.h"
#include "gen/random.h"
#include "gen/traffic.h"

namespace vigil::bench {
namespace {

constexpr std::size_t kEventListBatch = 400;  // --audit-webhook-batch-max-size default
constexpr std::size_t kFlushBytes = 1 << 20;

enum class Format { kJsonl, kEventList, kCloudWatch };

struct Args {
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;
  TrafficOptions traffic;
  Format format = Format::kJsonl;
  std::string output;  // empty: stdout
  bool stats = false;
};

[[noreturn]] void Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "vigil_gen_audit: %s\n", error);
  std::fprintf(stderr,
               "usage: vigil_gen_audit (--events N | --megabytes M) [--seed S] [--attack-rate R]\n"
               "                       [--rate EVENTS_PER_SECOND] [--format jsonl|eventlist|"
               "cloudwatch-export]\n"
               "                       [-o FILE] [--stats]\n"
               "  --events N        write N audit events\n"
               "  --megabytes M     write events until the output holds at least M*10^6 bytes\n"
               "  --seed S          PRNG seed (default 42); the same seed gives the same bytes\n"
               "  --attack-rate R   share of requests that are attacks, 0..1 (default 0.001)\n"
               "  --rate E          events per second of simulated time (default 1000)\n"
               "  --format F        jsonl: one Event per line (default); eventlist: one\n"
               "                    EventList of up to 400 events per line (the webhook body);\n"
               "                    cloudwatch-export: one CloudWatch Logs record per line\n"
               "  -o FILE           write to FILE instead of stdout\n"
               "  --stats           also print the measured mix and size percentiles on stderr\n");
  std::exit(2);
}

std::uint64_t ParseUint(std::string_view s, const char* flag) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    std::string msg =
        std::string(flag) + " needs a non-negative integer, got '" + std::string(s) + "'";
    Usage(msg.c_str());
  }
  return v;
}

// Parses a decimal fraction in [0, 1] into parts per million, exactly (no floating point).
std::uint32_t ParsePpm(std::string_view s) {
  std::uint64_t whole = 0;
  std::uint64_t frac = 0;
  int digits = 0;
  std::size_t i = 0;
  bool any = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, any = true)
    whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, any = true) {
      if (digits < 6) {
        frac = frac * 10 + static_cast<std::uint64_t>(s[i] - '0');
        ++digits;
      }
    }
  }
  for (; digits < 6; ++digits) frac *= 10;
  const std::uint64_t ppm = whole * 1'000'000 + frac;
  if (!any || i != s.size() || ppm > 1'000'000)
    Usage("--attack-rate needs a number between 0 and 1");
  return static_cast<std::uint32_t>(ppm);
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) {
        std::string msg = std::string(arg) + " needs a value";
        Usage(msg.c_str());
      }
      return argv[++i];
    };
    if (arg == "--events") {
      a.events = ParseUint(value(), "--events");
    } else if (arg == "--megabytes") {
      a.bytes = ParseUint(value(), "--megabytes") * 1'000'000;
    } else if (arg == "--seed") {
      a.traffic.seed = ParseUint(value(), "--seed");
    } else if (arg == "--attack-rate") {
      a.traffic.attack_ppm = ParsePpm(value());
    } else if (arg == "--rate") {
      const std::uint64_t rate = ParseUint(value(), "--rate");
      if (rate == 0 || rate > 1'000'000) Usage("--rate must be between 1 and 1000000");
      a.traffic.rate = static_cast<std::uint32_t>(rate);
    } else if (arg == "--format") {
      const std::string_view f = value();
      if (f == "jsonl") {
        a.format = Format::kJsonl;
      } else if (f == "eventlist") {
        a.format = Format::kEventList;
      } else if (f == "cloudwatch-export") {
        a.format = Format::kCloudWatch;
      } else {
        Usage("--format must be jsonl, eventlist or cloudwatch-export");
      }
    } else if (arg == "-o" || arg == "--output") {
      a.output = std::string(value());
    } else if (arg == "--stats") {
      a.stats = true;
    } else if (arg == "-h" || arg == "--help") {
      Usage(nullptr);
    } else {
      std::string msg = "unknown argument '" + std::string(arg) + "'";
      Usage(msg.c_str());
    }
  }
  if ((a.events == 0) == (a.bytes == 0))
    Usage("give exactly one of --events N or --megabytes M (> 0)");
  return a;
}

// Counts what was written, for the stderr summary.
struct Tally {
  std::uint64_t events = 0;
  std::uint64_t event_bytes = 0;  // sum of event JSON sizes, whatever the framing
  std::vector<std::uint64_t> size_histogram = std::vector<std::uint64_t>(1 << 16);  // last: >=
  std::uint64_t max_size = 0;
  std::vector<std::pair<std::string_view, std::uint64_t>> verbs;
  std::vector<std::pair<std::string_view, std::uint64_t>> stages;
  std::uint64_t classes[kUserClassCount] = {};
  std::uint64_t attacks = 0;
  std::uint64_t bodies = 0;
  std::uint64_t impersonated = 0;

  static void Bump(std::vector<std::pair<std::string_view, std::uint64_t>>& v, std::string_view k) {
    for (auto& [name, n] : v) {
      if (name == k) {
        ++n;
        return;
      }
    }
    v.emplace_back(k, 1);
  }
  void Add(const EventInfo& info, std::size_t size) {
    ++events;
    event_bytes += size;
    ++size_histogram[std::min<std::size_t>(size, size_histogram.size() - 1)];
    if (size > max_size) max_size = size;
    Bump(verbs, info.verb);
    Bump(stages, info.stage);
    ++classes[static_cast<int>(info.user_class)];
    attacks += info.attack;
    bodies += info.has_body;
    impersonated += info.impersonated;
  }
  std::uint64_t Percentile(double p) const {
    const auto want = static_cast<std::uint64_t>(p * static_cast<double>(events));
    std::uint64_t seen = 0;
    for (std::size_t s = 0; s < size_histogram.size(); ++s) {
      seen += size_histogram[s];
      if (seen > want) return s;
    }
    return max_size;
  }
};

double Pct(std::uint64_t n, std::uint64_t total) {
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(n) / static_cast<double>(total);
}

int Run(const Args& args) {
  std::FILE* out = stdout;
  if (!args.output.empty()) {
    out = std::fopen(args.output.c_str(), "wb");
    if (out == nullptr) {
      std::fprintf(stderr, "vigil_gen_audit: cannot open %s: %s\n", args.output.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }

  TrafficGenerator gen(args.traffic);
  Tally tally;
  std::string buf;
  buf.reserve(kFlushBytes + 65536);
  std::string event;
  std::uint64_t written = 0;
  bool ok = true;
  auto flush = [&] {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) ok = false;
    written += buf.size();
    buf.clear();
  };
  auto done = [&] {
    return args.events != 0 ? tally.events >= args.events : written + buf.size() >= args.bytes;
  };
  // Two API servers, two log streams, as on EKS.
  std::string streams[2];
  {
    Rng srng(Mix64(args.traffic.seed ^ 0x7374726561ULL));
    for (auto& s : streams) {
      s = "kube-apiserver-audit-";
      AppendHex(s, srng.Next(), 16);
      AppendHex(s, srng.Next(), 16);
    }
  }

  std::size_t in_batch = 0;
  while (ok && !done()) {
    event.clear();
    EventInfo info;
    gen.Next(event, info);
    tally.Add(info, event.size());
    switch (args.format) {
      case Format::kJsonl:
        buf += event;
        buf += '\n';
        break;
      case Format::kEventList:
        buf += in_batch == 0
                   ? R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[)"
                   : ",";
        buf += event;
        if (++in_batch == kEventListBatch) {
          buf += "]}\n";
          in_batch = 0;
        }
        break;
      case Format::kCloudWatch: {
        const std::int64_t ms = info.stage_unix_us / 1000;
        const std::uint64_t h = Mix64(args.traffic.seed ^ tally.events);
        buf += "{\"timestamp\":";
        buf += std::to_string(ms);
        buf += ",\"message\":";
        AppendJsonString(buf, event);
        buf += ",\"ingestionTime\":";
        buf += std::to_string(ms + 800 + static_cast<std::int64_t>(h % 3000));
        buf += ",\"logStreamName\":\"";
        buf += streams[(h >> 32) & 1];
        buf += "\"}\n";
        break;
      }
    }
    if (buf.size() >= kFlushBytes && in_batch == 0) flush();
  }
  if (in_batch != 0) buf += "]}\n";
  flush();
  if (std::fflush(out) != 0) ok = false;
  if (out != stdout && std::fclose(out) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "vigil_gen_audit: write failed: %s\n", std::strerror(errno));
    return 1;
  }

  static constexpr const char* kFormatNames[] = {"jsonl", "eventlist", "cloudwatch-export"};
  std::fprintf(
      stderr,
      "vigil_gen_audit: events=%llu bytes=%llu mean_event_bytes=%.1f attacks=%llu "
      "format=%s seed=%llu\n",
      static_cast<unsigned long long>(tally.events), static_cast<unsigned long long>(written),
      tally.events ? static_cast<double>(tally.event_bytes) / static_cast<double>(tally.events)
                   : 0.0,
      static_cast<unsigned long long>(tally.attacks), kFormatNames[static_cast<int>(args.format)],
      static_cast<unsigned long long>(args.traffic.seed));
  if (args.stats) {
    std::fprintf(stderr, "  event size: p50=%llu p90=%llu p99=%llu max=%llu bytes\n",
                 static_cast<unsigned long long>(tally.Percentile(0.50)),
                 static_cast<unsigned long long>(tally.Percentile(0.90)),
                 static_cast<unsigned long long>(tally.Percentile(0.99)),
                 static_cast<unsigned long long>(tally.max_size));
    std::fprintf(stderr, "  verbs:");
    for (const auto& [v, n] : tally.verbs) {
      std::fprintf(stderr, " %.*s=%.1f%%", static_cast<int>(v.size()), v.data(),
                   Pct(n, tally.events));
    }
    std::fprintf(stderr, "\n  users:");
    for (int c = 0; c < kUserClassCount; ++c) {
      const auto name = UserClassName(static_cast<UserClass>(c));
      std::fprintf(stderr, " %.*s=%.1f%%", static_cast<int>(name.size()), name.data(),
                   Pct(tally.classes[c], tally.events));
    }
    std::fprintf(stderr, "\n  stages:");
    for (const auto& [s, n] : tally.stages) {
      std::fprintf(stderr, " %.*s=%.1f%%", static_cast<int>(s.size()), s.data(),
                   Pct(n, tally.events));
    }
    std::fprintf(stderr, "\n  with body=%.2f%% impersonated=%.2f%% attack=%.3f%%\n",
                 Pct(tally.bodies, tally.events), Pct(tally.impersonated, tally.events),
                 Pct(tally.attacks, tally.events));
  }
  return 0;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) { return vigil::bench::Run(vigil::bench::ParseArgs(argc, argv)); }
