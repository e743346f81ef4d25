#include "server/metrics.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

TEST(MetricsTest, RendersCountersGaugesAndHistogramsInPrometheusFormat) {
  Metrics m;
  m.Declare("vigil_events_total", MetricType::kCounter, "Events.", {"cluster", "source"});
  m.Declare("vigil_queue", MetricType::kGauge, "Queue.");
  m.Declare("vigil_latency_seconds", MetricType::kHistogram, "Latency.", {"code"}, {0.01, 0.1});
  m.Add("vigil_events_total", {"prod", "webhook"}, 400);
  m.Add("vigil_events_total", {"prod", "webhook"}, 400);
  m.Set("vigil_queue", {}, 3);
  m.Observe("vigil_latency_seconds", {"200"}, 0.005);
  m.Observe("vigil_latency_seconds", {"200"}, 0.05);
  m.Observe("vigil_latency_seconds", {"200"}, 5);
  m.Add("vigil_unknown", {}, 1);  // ignored
  const std::string text = m.Render();
  EXPECT_NE(text.find("# TYPE vigil_events_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_events_total{cluster=\"prod\",source=\"webhook\"} 800\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_queue 3\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_latency_seconds_bucket{code=\"200\",le=\"0.01\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_latency_seconds_bucket{code=\"200\",le=\"0.1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_latency_seconds_bucket{code=\"200\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_latency_seconds_count{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_EQ(m.Value("vigil_events_total", {"prod", "webhook"}), 800);
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(RenderLabels({"a"}, {"x\"y\\z\nw"}), "a=\"x\\\"y\\\\z\\nw\"");
}

}  // namespace
}  // namespace vigil::server
