// The console's API latency with many findings (bench/README.md "Console"): a benchmark, never a
// timed test.
//
//   vigil_console_bench fill DB N        writes N synthetic findings into the SQLite store DB
//   vigil_console_bench query PORT TOKEN times the console's requests against a running
//                                        `vigil serve` (p50/p95/max of 20 runs each), and the
//                                        console's load: the page, every script and style it
//                                        names, whoami and the first page of findings
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "store/finding_store.h"

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

vigil::findings::Finding Synthetic(int i, std::int64_t base) {
  vigil::findings::Finding f;
  f.id = fmt::format("00000000-0000-4000-8000-{:012x}", i);
  static const char* kTypes[] = {"Execution:Kubernetes/ExecInKubeSystemPod",
                                 "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
                                 "Discovery:Kubernetes/SuccessfulAnonymousAccess",
                                 "Persistence:Kubernetes/ContainerWithSensitiveMount",
                                 "Policy:Kubernetes/ExposedDashboard",
                                 "Impact:Kubernetes/MaliciousIPCaller",
                                 "CredentialAccess:Kubernetes/SecretsAccess"};
  f.type = kTypes[i % 7];
  f.rule = f.type;
  f.severity = static_cast<vigil::findings::Severity>((i / 7) % 5);
  f.title = fmt::format("synthetic finding {}", i);
  f.description = fmt::format("user{} did something in ns{} from 203.0.{}.{}", i % 500, i % 80,
                              (i / 256) % 256, i % 256);
  f.cluster = fmt::format("cluster-{}", i % 4);
  f.resource.ns = fmt::format("ns{}", i % 80);
  f.resource.resource = "pods";
  f.resource.name = fmt::format("pod-{}", i);
  f.principal.username = fmt::format("user{}", i % 500);
  f.source_ips = {fmt::format("203.0.{}.{}", (i / 256) % 256, i % 256)};
  f.count = static_cast<std::uint64_t>((i * 7919) % 1000 + 1);
  // Spread over the last 30 days.
  f.first_seen = base - std::int64_t{30} * 86400 * kSecond + std::int64_t{i} * 25 * kSecond;
  f.last_seen = f.first_seen + (i % 600) * kSecond;
  f.created_at = f.first_seen;
  f.updated_at = f.first_seen;
  f.evidence = R"({"kind":"Event","verb":"create"})";
  return f;
}

int Fill(const std::string& db, int n) {
  auto store = vigil::store::OpenFindingStore(db);
  if (!store) {
    std::cerr << store.error().ToString() << "\n";
    return 1;
  }
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::vector<vigil::findings::Finding> batch;
  for (int i = 0; i < n; ++i) {
    batch.push_back(Synthetic(i, now));
    if (batch.size() == 10'000 || i + 1 == n) {
      if (auto r = (*store)->Upsert(batch, now); !r) {
        std::cerr << r.error().ToString() << "\n";
        return 1;
      }
      batch.clear();
    }
  }
  std::cout << "filled " << db << " with " << n << " findings\n";
  return 0;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

int Query(int port, const std::string& token) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_read_timeout(120);
  const httplib::Headers auth = {{"Authorization", "Bearer " + token}};
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"first page (default order)", "/api/v1/findings?limit=50"},
      {"filtered page (severity+cluster+status)",
       "/api/v1/findings?severity=HIGH&cluster=cluster-2&status=NEW&limit=50"},
      {"filtered page (namespace+principal)",
       "/api/v1/findings?namespace=ns7&principal=user7&limit=50"},
      {"sorted page (count asc, offset 50000)",
       "/api/v1/findings?sort=count&order=asc&limit=50&offset=50000"},
      {"sorted page (title)", "/api/v1/findings?sort=title&limit=50"},
      {"free text (q=pod-4242)", "/api/v1/findings?q=pod-4242&limit=50"},
      {"time range (since 24h)", "/api/v1/findings?since=24h&limit=50"},
      {"overview", "/api/v1/stats/overview"},
      {"timeline (30 days, 6h buckets)", "/api/v1/stats/timeline?from=720h&bucket=6h"},
  };
  fmt::print("{:<45} {:>9} {:>9} {:>9}\n", "request", "p50 ms", "p95 ms", "max ms");
  for (const auto& [name, path] : requests) {
    std::vector<double> ms;
    for (int i = 0; i < 20; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = cli.Get(path, auth);
      const auto t1 = std::chrono::steady_clock::now();
      if (!r || r->status != 200) {
        std::cerr << path << ": " << (r ? r->body : httplib::to_string(r.error())) << "\n";
        return 1;
      }
      ms.push_back(Ms(t1 - t0));
    }
    std::sort(ms.begin(), ms.end());
    fmt::print("{:<45} {:>9.2f} {:>9.2f} {:>9.2f}\n", name, ms[ms.size() / 2],
               ms[ms.size() * 95 / 100], ms.back());
  }
  // The console's load, as a browser would fetch it on loopback (no rendering time): the page,
  // then every file it and its modules name, then whoami and the first page of findings.
  std::vector<double> loads;
  for (int run = 0; run < 10; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    auto index = cli.Get("/");
    if (!index || index->status != 200) return 1;
    std::vector<std::string> todo;
    std::set<std::string> seen;
    static const std::regex kRef(R"((?:src|href)="(ui/[^"]+)\")");
    for (std::sregex_iterator it(index->body.begin(), index->body.end(), kRef), end; it != end;
         ++it) {
      todo.push_back("/" + (*it)[1].str());
    }
    static const std::regex kImport(R"(from '\.{1,2}/([^']+)')");
    while (!todo.empty()) {
      std::string url = todo.back();
      todo.pop_back();
      if (!seen.insert(url).second) continue;
      auto r = cli.Get(url);
      if (!r || r->status != 200) return 1;
      for (std::sregex_iterator it(r->body.begin(), r->body.end(), kImport), end; it != end; ++it) {
        const std::string rel = (*it)[0].str();
        std::string dir = url.substr(0, url.rfind('/') + 1);
        std::string file = (*it)[1].str();
        if (rel.find("'../") != std::string::npos)
          dir = dir.substr(0, dir.rfind('/', dir.size() - 2) + 1);
        todo.push_back(dir + file);
      }
    }
    if (!cli.Get("/api/v1/whoami", auth)) return 1;
    if (!cli.Get("/api/v1/findings?sort=last_seen&order=desc&offset=0&limit=50", auth)) return 1;
    loads.push_back(Ms(std::chrono::steady_clock::now() - t0));
  }
  std::sort(loads.begin(), loads.end());
  fmt::print("{:<45} {:>9.2f} {:>9} {:>9.2f}\n", "console load (page+modules+first page)",
             loads[loads.size() / 2], "", loads.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "fill") return Fill(args[1], std::atoi(args[2].c_str()));
  if (args.size() == 3 && args[0] == "query") return Query(std::atoi(args[1].c_str()), args[2]);
  std::cerr << "usage: vigil_console_bench fill DB N | query PORT TOKEN\n";
  return 2;
}
