// The hot path (Reset + Matches + Values) must not allocate once warmed up (STYLE.md: "The hot
// path does not throw and does not allocate per event in steady state"). This file replaces the
// global operator new for the rules_test binary with one that counts allocations while a scope
// asks it to.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>
#include <cstdlib>
#include <new>
#include <string>

#include "rules/rules_test_util.h"

// Sanitizers bring their own operator new; replacing it there mixes allocators across shared
// libraries, so the count is only taken in plain builds.
#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef VIGIL_COUNT_ALLOCATIONS
#define VIGIL_COUNT_ALLOCATIONS 1
#endif

namespace {
thread_local bool g_counting = false;
thread_local long g_allocations = 0;
}  // namespace

#if VIGIL_COUNT_ALLOCATIONS

// The replacements pair malloc with free; GCC cannot see that operator new is malloc here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif  // VIGIL_COUNT_ALLOCATIONS

namespace vigil::rules {
namespace {

class CountAllocations {
 public:
  CountAllocations() {
    g_allocations = 0;
    g_counting = true;
  }
  ~CountAllocations() { g_counting = false; }
  long count() const { return g_allocations; }
};

TEST(HotPathTest, EvaluatingFalcoRulesDoesNotAllocateInSteadyState) {
  if (!VIGIL_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocations are not counted under sanitizers";
  if (!std::filesystem::exists(testing::FalcoRulesDir())) {
    GTEST_SKIP() << "shared datasets not found at " << testing::FalcoRulesDir();
  }
  auto set = LoadRuleFiles({testing::FalcoRulesDir() + "/k8s_audit_rules.yaml"});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  std::vector<std::unique_ptr<testing::TestEvent>> events;
  for (const auto& entry : std::filesystem::directory_iterator(testing::TraceDir())) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      auto ev = std::make_unique<testing::TestEvent>(line);
      if (ev->ok()) events.push_back(std::move(ev));
    }
  }
  ASSERT_GT(events.size(), 40u);
  EvalContext ctx(set->fields());
  std::string output;
  output.reserve(4096);
  auto run_all = [&] {
    long matches = 0;
    for (const auto& ev : events) {
      ctx.Reset(ev->event());
      for (const Rule& r : set->rules()) {
        if (r.enabled && r.Matches(ctx)) {
          ++matches;
          r.output_format.Render(ctx, output);
        }
      }
    }
    return matches;
  };
  const long warm = run_all();  // grows value vectors and scratch to their working size
  ASSERT_GT(warm, 0);
  CountAllocations counter;
  const long again = run_all();
  const long allocations = counter.count();
  EXPECT_EQ(again, warm);
  EXPECT_EQ(allocations, 0) << "allocations while evaluating " << events.size() << " events";
}

}  // namespace
}  // namespace vigil::rules
