// Metrics: the counters, gauges and histograms `vigil serve` exposes on /metrics, rendered in the
// Prometheus text exposition format (version 0.0.4).
//
// A family is declared once with its type and help text; samples are keyed by their label values
// in declaration order. Label values are escaped on output, so a hostile cluster name cannot
// break the format.
//
// Thread-safe: every method takes one mutex; updates are a map lookup and an add.
#ifndef VIGIL_SERVER_METRICS_H_
#define VIGIL_SERVER_METRICS_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::server {

enum class MetricType { kCounter, kGauge, kHistogram };

class Metrics {
 public:
  // Declares a family. `labels` are the label names every sample of it carries; histograms get
  // `buckets` (upper bounds, ascending) and add the `le` label themselves.
  void Declare(std::string name,
               MetricType type,
               std::string help,
               std::vector<std::string> labels = {},
               std::vector<double> buckets = {});

  // Adds `value` to a counter (or gauge). Unknown families are ignored: metrics never stop
  // ingestion.
  void Add(std::string_view name, const std::vector<std::string>& label_values, double value = 1);
  // Sets a gauge.
  void Set(std::string_view name, const std::vector<std::string>& label_values, double value);
  // Replaces every sample of a gauge family (for values read from the store at scrape time).
  void ReplaceAll(std::string_view name,
                  const std::vector<std::pair<std::vector<std::string>, double>>& samples);
  // Records one observation in a histogram.
  void Observe(std::string_view name, const std::vector<std::string>& label_values, double value);

  // The current value of a counter or gauge sample; 0 when absent. For tests and /readyz.
  double Value(std::string_view name, const std::vector<std::string>& label_values) const;

  // Every sample of a counter or gauge family: label values → value (the console's overview).
  std::vector<std::pair<std::vector<std::string>, double>> Samples(std::string_view name) const;

  // Every family in declaration order, Prometheus text format.
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::string> labels;
    std::vector<double> buckets;
    std::map<std::vector<std::string>, double> values;
    std::map<std::vector<std::string>, Histogram> histograms;
  };
  Family* Find(std::string_view name);
  const Family* Find(std::string_view name) const;

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

// "a=\"x\",b=\"y\"" with Prometheus escaping of \, " and newlines.
std::string RenderLabels(const std::vector<std::string>& names,
                         const std::vector<std::string>& values);

}  // namespace vigil::server

#endif  // VIGIL_SERVER_METRICS_H_
