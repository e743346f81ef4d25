#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace vigil::server {
namespace {

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace

std::string RenderLabels(const std::vector<std::string>& names,
                         const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ',';
    out += names[i];
    out += "=\"";
    for (char c : values[i]) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"') {
        out += "\\\"";
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out;
}

void Metrics::Declare(std::string name,
                      MetricType type,
                      std::string help,
                      std::vector<std::string> labels,
                      std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  families_.push_back(Family{
      std::move(name), type, std::move(help), std::move(labels), std::move(buckets), {}, {}});
}

Metrics::Family* Metrics::Find(std::string_view name) {
  for (auto& f : families_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Metrics::Family* Metrics::Find(std::string_view name) const {
  for (const auto& f : families_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void Metrics::Add(std::string_view name,
                  const std::vector<std::string>& label_values,
                  double value) {
  std::lock_guard lock(mu_);
  if (Family* f = Find(name)) f->values[label_values] += value;
}

void Metrics::Set(std::string_view name,
                  const std::vector<std::string>& label_values,
                  double value) {
  std::lock_guard lock(mu_);
  if (Family* f = Find(name)) f->values[label_values] = value;
}

void Metrics::ReplaceAll(std::string_view name,
                         const std::vector<std::pair<std::vector<std::string>, double>>& samples) {
  std::lock_guard lock(mu_);
  Family* f = Find(name);
  if (f == nullptr) return;
  f->values.clear();
  for (const auto& [labels, v] : samples) f->values[labels] = v;
}

void Metrics::Observe(std::string_view name,
                      const std::vector<std::string>& label_values,
                      double value) {
  std::lock_guard lock(mu_);
  Family* f = Find(name);
  if (f == nullptr) return;
  Histogram& h = f->histograms[label_values];
  if (h.counts.empty()) h.counts.assign(f->buckets.size(), 0);
  auto it = std::lower_bound(f->buckets.begin(), f->buckets.end(), value);
  if (it != f->buckets.end()) ++h.counts[static_cast<size_t>(it - f->buckets.begin())];
  ++h.count;
  h.sum += value;
}

double Metrics::Value(std::string_view name, const std::vector<std::string>& label_values) const {
  std::lock_guard lock(mu_);
  const Family* f = Find(name);
  if (f == nullptr) return 0;
  auto it = f->values.find(label_values);
  return it == f->values.end() ? 0 : it->second;
}

std::vector<std::pair<std::vector<std::string>, double>> Metrics::Samples(
    std::string_view name) const {
  std::lock_guard lock(mu_);
  const Family* f = Find(name);
  if (f == nullptr) return {};
  return {f->values.begin(), f->values.end()};
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const Family& f : families_) {
    const char* type = f.type == MetricType::kCounter ? "counter"
                       : f.type == MetricType::kGauge ? "gauge"
                                                      : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, type);
    for (const auto& [labels, v] : f.values) {
      std::string l = RenderLabels(f.labels, labels);
      out += l.empty() ? fmt::format("{} {}\n", f.name, Number(v))
                       : fmt::format("{}{{{}}} {}\n", f.name, l, Number(v));
    }
    for (const auto& [labels, h] : f.histograms) {
      std::string l = RenderLabels(f.labels, labels);
      std::string sep = l.empty() ? "" : ",";
      std::uint64_t cumulative = 0;
      for (size_t i = 0; i < f.buckets.size(); ++i) {
        cumulative += h.counts[i];
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", f.name, l, sep, Number(f.buckets[i]),
                           cumulative);
      }
      out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", f.name, l, sep, h.count);
      std::string braces = l.empty() ? "" : "{" + l + "}";
      out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", f.name, braces, Number(h.sum), f.name,
                         braces, h.count);
    }
  }
  return out;
}

}  // namespace vigil::server
