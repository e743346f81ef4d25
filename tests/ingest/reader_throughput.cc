// ingest_throughput: how fast is the Reader alone, next to a bare simdjson loop over the same
// bytes? Answers "does framing + envelope dispatch + AuditEvent::FromElement keep us near the
// parse floor" (requirement: JSON lines stay close to a raw DOM parse per line).
//
//   ingest_throughput generate FILE MB     write ~MB of synthetic ~1 KB audit events (seed 42)
//   ingest_throughput FILE [RUNS]          best-of-RUNS for each variant, in MB/s and events/s
//                                          of thread CPU time (page cache warm)
//
// Variants: (1) memchr + DOM parse per line, no event view (the floor the Reader is held to);
// (2) memchr + On-Demand per line reading 6 fields (F_OD in performance-anchors.md);
// (3) memchr + DOM parse + AuditEvent::FromElement (the least any reader must do per event);
// (4) Reader::ReadBuffer over the file held in memory (includes copying it into the chunk
// buffer); (5) Reader::ReadFile (read() in 1 MiB chunks, page cache warm);
// (6) Reader::ReadFile over a gzip copy if FILE.gz exists. Each variant checks its event count
// against variant (1) before its time is printed.
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "event/audit_event.h"
#include "ingest/reader.h"

namespace {

std::string Generate(std::size_t bytes) {
  std::mt19937_64 rng(42);
  const char* verbs[] = {"get",    "get",    "get",    "list",  "watch",
                         "update", "update", "create", "patch", "delete"};
  const char* resources[] = {"pods",        "leases", "configmaps", "secrets",
                             "deployments", "nodes",  "endpoints",  "events"};
  const char* users[] = {
      "system:node:ip-10-0-1-23.ec2.internal", "system:serviceaccount:kube-system:coredns",
      "system:kube-controller-manager", "arn:aws:sts::123456789012:assumed-role/admin/alice"};
  std::string out;
  out.reserve(bytes + 4096);
  std::uint64_t n = 0;
  while (out.size() < bytes) {
    auto r = rng();
    const char* verb = verbs[r % 10];
    const char* res = resources[(r >> 8) % 8];
    const char* user = users[(r >> 16) % 4];
    char id[40];
    std::snprintf(id, sizeof id, "%08llx-7bf4-4c85-81a8-%012llx",
                  static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(r & 0xffffffffffffULL));
    out += R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")";
    out += id;
    out += R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/)";
    out += res;
    out += "/obj-" + std::to_string(r % 977) + R"(","verb":")";
    out += verb;
    out += R"(","user":{"username":")";
    out += user;
    out +=
        R"(","uid":"aws-iam-authenticator:123456789012:AROAEXAMPLE","groups":["system:authenticated","system:nodes"],"extra":{"accessKeyId":["ASIAEXAMPLE"],"sessionName":["i-0abc"]}},)";
    out +=
        R"("sourceIPs":["10.0.1.23"],"userAgent":"kubelet/v1.29.0 (linux/amd64) kubernetes/3f7a50f",)";
    out += R"("objectRef":{"resource":")";
    out += res;
    out += R"(","namespace":"kube-system","name":"obj-)" + std::to_string(r % 977) +
           R"(","apiVersion":"v1"},)";
    out +=
        R"("responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z",)";
    out +=
        R"("stageTimestamp":"2024-05-01T10:00:00.010000Z","annotations":{"authorization.k8s.io/decision":"allow",)";
    out +=
        R"("authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:node\" of ClusterRole \"system:node\" to Group \"system:nodes\""}})";
    out += '\n';
    ++n;
  }
  return out;
}

struct Result {
  double seconds = 1e9;
  std::uint64_t events = 0;
};

// CPU time of this thread (user + system, so read() is counted): on a shared machine it is far
// steadier than wall time, and every variant is single-threaded.
double ThreadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename F>
Result Best(int runs, F&& f) {
  Result best;
  for (int i = 0; i < runs; ++i) {
    double t0 = ThreadSeconds();
    std::uint64_t events = f();
    double s = ThreadSeconds() - t0;
    if (s < best.seconds) best = {s, events};
  }
  return best;
}

class CountingSink : public vigil::ingest::EventSink {
 public:
  void OnEvent(const vigil::event::AuditEvent& ev, const vigil::ingest::Origin&) override {
    ++events;
    bytes += ev.audit_id().size() + ev.verb().size();
  }
  void OnRejected(const vigil::ingest::Rejection&) override { ++rejected; }
  std::uint64_t events = 0;
  std::uint64_t rejected = 0;
  std::uint64_t bytes = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "generate") == 0) {
    std::string data = Generate(static_cast<std::size_t>(std::stod(argv[3]) * 1e6));
    std::ofstream(argv[2], std::ios::binary) << data;
    std::printf("wrote %zu bytes to %s\n", data.size(), argv[2]);
    return 0;
  }
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: ingest_throughput generate FILE MB | ingest_throughput FILE [RUNS]\n");
    return 2;
  }
  std::string path = argv[1];
  int runs = argc >= 3 ? std::atoi(argv[2]) : 5;
  simdjson::padded_string file;
  if (simdjson::padded_string::load(path).get(file) != simdjson::SUCCESS) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  const char* data = file.data();
  std::size_t size = file.size();
  double mb = static_cast<double>(size) / 1e6;

  simdjson::dom::parser dom;
  Result floor = Best(runs, [&] {
    std::uint64_t n = 0;
    const char* p = data;
    const char* end = data + size;
    while (p < end) {
      const char* nl =
          static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* e = nl != nullptr ? nl : end;
      simdjson::dom::element root;
      if (e > p &&
          dom.parse(p, static_cast<std::size_t>(e - p), false).get(root) == simdjson::SUCCESS)
        ++n;
      p = e + 1;
    }
    return n;
  });

  // What any reader has to do per line: the parse plus building the AuditEvent view.
  Result with_view = Best(runs, [&] {
    std::uint64_t n = 0;
    const char* p = data;
    const char* end = data + size;
    while (p < end) {
      const char* nl =
          static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* e = nl != nullptr ? nl : end;
      simdjson::dom::element root;
      if (e > p &&
          dom.parse(p, static_cast<std::size_t>(e - p), false).get(root) == simdjson::SUCCESS) {
        auto ev = vigil::event::AuditEvent::FromElement(root);
        if (ev.has_value() && !ev->audit_id().empty()) ++n;
      }
      p = e + 1;
    }
    return n;
  });

  simdjson::ondemand::parser od;
  Result od_floor = Best(runs, [&] {
    std::uint64_t n = 0;
    std::uint64_t sink = 0;
    const char* p = data;
    const char* end = data + size;
    while (p < end) {
      const char* nl =
          static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* e = nl != nullptr ? nl : end;
      simdjson::ondemand::document doc;
      if (e > p && od.iterate(p, static_cast<std::size_t>(e - p),
                              static_cast<std::size_t>(e - p) + simdjson::SIMDJSON_PADDING)
                           .get(doc) == simdjson::SUCCESS) {
        std::string_view s;
        std::int64_t code = 0;
        if (doc["requestURI"].get_string().get(s) == simdjson::SUCCESS) sink += s.size();
        if (doc["verb"].get_string().get(s) == simdjson::SUCCESS) sink += s.size();
        if (doc["user"]["username"].get_string().get(s) == simdjson::SUCCESS) sink += s.size();
        auto ref = doc["objectRef"];
        if (ref["resource"].get_string().get(s) == simdjson::SUCCESS) sink += s.size();
        if (ref["namespace"].get_string().get(s) == simdjson::SUCCESS) sink += s.size();
        if (doc["responseStatus"]["code"].get_int64().get(code) == simdjson::SUCCESS)
          sink += static_cast<std::uint64_t>(code);
        ++n;
      }
      p = e + 1;
    }
    return sink > 0 ? n : 0;
  });

  vigil::ingest::Reader reader;
  Result buffer = Best(runs, [&] {
    CountingSink s;
    (void)reader.ReadBuffer(std::string_view(data, size), path, s);
    return s.events;
  });
  Result from_file = Best(runs, [&] {
    CountingSink s;
    (void)reader.ReadFile(path, s);
    return s.events;
  });

  auto print = [&](const char* name, const Result& r, double input_mb) {
    if (r.events != floor.events) {
      std::printf("%-44s WRONG COUNT %llu (want %llu)\n", name,
                  static_cast<unsigned long long>(r.events),
                  static_cast<unsigned long long>(floor.events));
      return;
    }
    std::printf("%-44s %8.0f MB/s %8.2f M ev/s  %5.2fx DOM floor  %5.2fx OD floor\n", name,
                input_mb / r.seconds, static_cast<double>(r.events) / r.seconds / 1e6,
                floor.seconds / r.seconds, od_floor.seconds / r.seconds);
  };
  std::printf("%s: %.1f MB, %llu events, best of %d\n", path.c_str(), mb,
              static_cast<unsigned long long>(floor.events), runs);
  print("memchr + DOM parse per line (floor)", floor, mb);
  print("memchr + On-Demand per line, 6 fields", od_floor, mb);
  print("memchr + DOM parse + AuditEvent::FromElement", with_view, mb);
  print("Reader::ReadBuffer (in memory)", buffer, mb);
  print("Reader::ReadFile (read() 1 MiB chunks)", from_file, mb);

  std::string gz = path + ".gz";
  if (std::FILE* f = std::fopen(gz.c_str(), "rb")) {
    std::fclose(f);
    Result gzr = Best(runs, [&] {
      CountingSink s;
      (void)reader.ReadFile(gz, s);
      return s.events;
    });
    print("Reader::ReadFile on FILE.gz (zlib stream)", gzr, mb);
  }
  return 0;
}
