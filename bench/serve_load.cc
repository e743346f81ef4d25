// vigil_serve_load: a concurrent loopback webhook client for `vigil serve`. Answers: "how many
// audit events per second does vigil commit when N API servers post EventList batches of 400,
// and how long does each batch wait for its 200?"
//
//   vigil_serve_load --port P --batches FILE [--connections N] [--seconds S] [--cluster NAME]
//                    [--token-file FILE]
//
// FILE holds one webhook body per line (vigil_gen_audit --format eventlist). The connections share
// the lines, each posted once, in order, over keep-alive connections, until the file is done or S
// seconds have passed (a batch posted twice would be skipped by vigil as a duplicate and flatter
// the rate). A batch answered 429/503 is retried after 10 ms, as the API server would. Prints one
// JSON object: events acknowledged per second, p50/p90/p99/max time to 200, and the count of each
// status. Checks its own result first: every 200 must say "committed" (or "published", from a
// JetStream front) with the batch's event count.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Args {
  int port = 0;
  std::string batches;
  int connections = 4;
  double seconds = 10;
  std::string cluster = "bench";
  std::string token_file;
};

[[noreturn]] void Usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "vigil_serve_load: %s\n", error);
  std::fprintf(stderr,
               "usage: vigil_serve_load --port P --batches FILE [--connections N] [--seconds S]\n"
               "                        [--cluster NAME] [--token-file FILE]\n");
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("a flag needs a value");
    std::string value = argv[++i];
    if (flag == "--port") {
      a.port = std::atoi(value.c_str());
    } else if (flag == "--batches") {
      a.batches = value;
    } else if (flag == "--connections") {
      a.connections = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--seconds") {
      a.seconds = std::atof(value.c_str());
    } else if (flag == "--cluster") {
      a.cluster = value;
    } else if (flag == "--token-file") {
      a.token_file = value;
    } else {
      Usage("unknown flag");
    }
  }
  if (a.port <= 0 || a.batches.empty()) Usage("--port and --batches are required");
  return a;
}

// Events in an EventList line: counts `"auditID"` keys (one per event in generated traffic).
size_t CountEvents(const std::string& body) {
  size_t n = 0;
  for (size_t at = 0; (at = body.find("\"auditID\"", at)) != std::string::npos; ++at) ++n;
  return n;
}

double Quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  std::vector<std::string> batches;
  std::vector<size_t> events;
  {
    std::ifstream in(args.batches);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      events.push_back(CountEvents(line));
      batches.push_back(std::move(line));
    }
  }
  if (batches.empty()) Usage("no batches in the file");
  std::string token;
  if (!args.token_file.empty()) {
    std::ifstream in(args.token_file);
    in >> token;  // the first token of the file
  }

  std::mutex mu;
  std::vector<double> latencies;  // seconds, 200s only
  std::map<int, std::uint64_t> statuses;
  std::atomic<std::uint64_t> acked_events{0};
  std::atomic<bool> bad{false};
  std::atomic<size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(args.seconds);
  std::vector<std::thread> workers;
  for (int c = 0; c < args.connections; ++c) {
    workers.emplace_back([&] {
      httplib::Client cli("127.0.0.1", args.port);
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      cli.set_read_timeout(60);
      httplib::Headers headers;
      if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
      const std::string path = "/k8s-audit?cluster=" + args.cluster;
      std::vector<double> mine;
      std::map<int, std::uint64_t> my_statuses;
      size_t i = next++;
      while (i < batches.size() && std::chrono::steady_clock::now() < deadline) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = cli.Post(path, headers, batches[i], "application/json");
        const double dt =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!r) {
          ++my_statuses[0];
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        ++my_statuses[r->status];
        if (r->status == 200) {
          const std::string want = "\"events\":" + std::to_string(events[i]) + ",";
          if ((r->body.find("\"committed\"") == std::string::npos &&
               r->body.find("\"published\"") == std::string::npos) ||
              r->body.find(want) == std::string::npos) {
            std::fprintf(stderr, "vigil_serve_load: unexpected 200 body: %s\n", r->body.c_str());
            bad = true;
          }
          mine.push_back(dt);
          acked_events += events[i];
          i = next++;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // retry the same batch
        }
      }
      std::lock_guard lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      for (auto [s, n] : my_statuses) statuses[s] += n;
    });
  }
  for (auto& w : workers) w.join();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (bad) return 1;
  std::printf(
      "{\"connections\":%d,\"seconds\":%.2f,\"batches_acked\":%zu,\"events_acked\":%llu,"
      "\"events_per_second\":%.0f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
      "\"max_ms\":%.2f,\"statuses\":{",
      args.connections, wall, latencies.size(),
      static_cast<unsigned long long>(acked_events.load()),
      static_cast<double>(acked_events.load()) / wall, 1000 * Quantile(latencies, 0.5),
      1000 * Quantile(latencies, 0.9), 1000 * Quantile(latencies, 0.99),
      1000 * Quantile(latencies, 1.0));
  bool first = true;
  for (auto [s, n] : statuses) {
    std::printf("%s\"%d\":%llu", first ? "" : ",", s, static_cast<unsigned long long>(n));
    first = false;
  }
  std::printf("}}\n");
  return latencies.empty() ? 1 : 0;
}
