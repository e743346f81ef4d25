#include "cli/baseline_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "detect/baseline.h"
#include "store/postgres/detect_stores.h"

namespace vigil::cli {
namespace {

struct BaselineOptions {
  std::string db;
  std::string cluster;
  std::string file;
  std::int64_t learning_seconds = 7 * 24 * 3600;
};

Result<std::unique_ptr<detect::BaselineStore>> Open(const BaselineOptions& o) {
  return store::OpenBaselineStore(o.db);
}

int Fail(std::string_view what, const Error& e) {
  std::cerr << "vigil baseline " << what << ": " << e.ToString() << "\n";
  return ExitCodeFor(e);
}

// One line per cluster (or the one asked for): principals, values per dimension, since when.
int Show(const BaselineOptions& o) {
  auto store = Open(o);
  if (!store) return Fail("show", store.error());
  std::vector<std::string> clusters;
  if (!o.cluster.empty()) {
    clusters.push_back(o.cluster);
  } else {
    auto list = (*store)->ListBaselines();
    if (!list) return Fail("show", list.error());
    clusters = std::move(*list);
  }
  for (const auto& cluster : clusters) {
    auto state = (*store)->LoadBaseline(cluster);
    if (!state) return Fail("show", state.error());
    if (!*state) {
      std::cerr << "vigil baseline show: no baseline for cluster '" << cluster << "'\n";
      return kExitUsage;
    }
    const detect::BaselineState& s = **state;
    std::cout << fmt::format("cluster {}: {} principals, learning since {}\n", s.cluster,
                             s.principals.size(), s.started ? FormatRfc3339(s.started, 0) : "-");
    for (const auto& [name, p] : s.principals) {
      std::string dims;
      for (std::size_t d = 0; d < detect::kBaselineDimensions; ++d) {
        if (!dims.empty()) dims += ", ";
        dims += fmt::format("{} {}", p.values[d].size(),
                            detect::BaselineDimensionName(static_cast<detect::BaselineDimension>(d)));
      }
      std::cout << fmt::format("  {}: seen {} .. {}; {}\n", name, FormatRfc3339(p.first_seen, 0),
                               FormatRfc3339(p.last_seen, 0), dims);
    }
  }
  return kExitOk;
}

int Reset(const BaselineOptions& o) {
  auto store = Open(o);
  if (!store) return Fail("reset", store.error());
  auto removed = (*store)->ResetBaseline(o.cluster);
  if (!removed) return Fail("reset", removed.error());
  std::cerr << (*removed ? fmt::format("vigil: baseline of cluster '{}' forgotten; it learns anew\n",
                                       o.cluster)
                         : fmt::format("vigil: no baseline for cluster '{}'\n", o.cluster));
  return kExitOk;
}

int Export(const BaselineOptions& o) {
  auto store = Open(o);
  if (!store) return Fail("export", store.error());
  auto state = (*store)->LoadBaseline(o.cluster);
  if (!state) return Fail("export", state.error());
  if (!*state) {
    std::cerr << "vigil baseline export: no baseline for cluster '" << o.cluster << "'\n";
    return kExitUsage;
  }
  std::cout << detect::BaselineToJson(**state, o.learning_seconds) << "\n";
  return std::cout ? kExitOk : kExitIo;
}

int Import(const BaselineOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    std::cerr << "vigil baseline import: cannot read '" << o.file << "'\n";
    return kExitIo;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto state = detect::BaselineFromJson(text.str());
  if (!state) {
    std::cerr << "vigil baseline import: " << o.file << ": " << state.error().message << "\n";
    return kExitUsage;
  }
  if (!o.cluster.empty()) state->cluster = o.cluster;
  auto store = Open(o);
  if (!store) return Fail("import", store.error());
  Status saved = (*store)->SaveBaseline(*state, o.learning_seconds);
  if (!saved) return Fail("import", saved.error());
  std::cerr << fmt::format("vigil: baseline of cluster '{}' imported ({} principals)\n",
                           state->cluster, state->principals.size());
  return kExitOk;
}

}  // namespace

void RegisterBaselineCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<BaselineOptions>();
  CLI::App* cmd = app.add_subcommand("baseline", "Show, reset, export or import learned baselines");
  cmd->require_subcommand(1);
  auto db = [&](CLI::App* sub) {
    sub->add_option("--db", o->db, "The SQLite store")->required();
  };
  CLI::App* show = cmd->add_subcommand("show", "Summarize what each principal's baseline holds");
  db(show);
  show->add_option("--cluster", o->cluster, "Only this cluster");
  show->callback([o, &run] { run = [o] { return Show(*o); }; });

  CLI::App* reset = cmd->add_subcommand("reset", "Forget a cluster's baseline (it learns anew)");
  db(reset);
  reset->add_option("--cluster", o->cluster, "The cluster")->required();
  reset->callback([o, &run] { run = [o] { return Reset(*o); }; });

  CLI::App* exp = cmd->add_subcommand("export", "Print a cluster's baseline as JSON");
  db(exp);
  exp->add_option("--cluster", o->cluster, "The cluster")->required();
  exp->callback([o, &run] { run = [o] { return Export(*o); }; });

  CLI::App* imp = cmd->add_subcommand("import", "Store a baseline exported before");
  db(imp);
  imp->add_option("file", o->file, "The JSON file (vigil baseline export)")->required();
  imp->add_option("--cluster", o->cluster, "Store it for this cluster instead of the file's");
  imp->add_option("--learning-period", o->learning_seconds, "Learning period in seconds")
      ->capture_default_str();
  imp->callback([o, &run] { run = [o] { return Import(*o); }; });
}

}  // namespace vigil::cli
