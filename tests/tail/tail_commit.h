// TailChunkCommitter: the Tailer callback that vigil uses — each chunk of lines goes through
// ingest::Reader::ReadBuffer → detect::Engine → detect::ScanPipeline → FindingAggregator →
// FindingStore::Upsert, and the callback returns OK only when that Upsert committed. Lives with the
// tail driver until `vigil serve --tail` wires it (then it belongs in src/server/).
//
// Two things make a restarted tail store exactly what one uninterrupted run (or `vigil scan` of
// the same events) stores:
//   - Lines read again (a crash between the findings' commit and the offset's save) are absorbed
//     by the store's event ledger: their (auditID, stage) digests are already counted.
//   - Once-per-request rules (vigil's built-in catalog) fire on the first matching stage of a
//     request and the engine holds later stages back — from memory. After a restart that memory is
//     empty, so for every once-per-request observation the committer asks the ledger whether a
//     finding of that rule already counted another stage of the same auditID, and drops the
//     observation if so (what the engine would have done had it not restarted).
// A failed Upsert keeps its findings and commits them first on the next call: the engine remembers
// the (auditID, stage) pairs it evaluated, so the re-offered lines would not produce them again.
//
// Not thread-safe; one per Tailer thread.
#ifndef VIGIL_TESTS_TAIL_TAIL_COMMIT_H_
#define VIGIL_TESTS_TAIL_TAIL_COMMIT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "detect/engine.h"
#include "detect/pipeline.h"
#include "findings/aggregator.h"
#include "ingest/reader.h"
#include "ingest/tail.h"
#include "store/finding_store.h"
#include "store/sqlite/tail_offsets.h"

namespace vigil::tail {

class TailChunkCommitter final : public ingest::EventSink, public detect::ObservationSink {
 public:
  // All references must outlive the committer. `ledger` is the same database as `store`.
  TailChunkCommitter(detect::Engine& engine,
                     store::FindingStore& store,
                     store::SqliteTailOffsets& ledger);

  // The Tailer callback: decodes `lines`, evaluates, commits. OK only after the commit; the error
  // of the failed Upsert (or ledger lookup) otherwise.
  Status Commit(std::string_view lines, const ingest::TailOrigin& origin);

  const ingest::Stats& reader_stats() const { return reader_.stats(); }
  // Once-per-request observations dropped because the ledger had another stage of the request.
  std::uint64_t held_back_after_restart() const { return held_back_; }

  // EventSink / ObservationSink (the engine and reader call these).
  void OnEvent(const event::AuditEvent& event, const ingest::Origin& origin) override;
  void OnRejected(const ingest::Rejection& rejection) override;
  bool WantsDetail(const findings::Observation& brief) override;
  void OnObservation(const findings::Observation& observation) override;

 private:
  void Flush();

  detect::Engine& engine_;
  store::FindingStore& store_;
  store::SqliteTailOffsets& ledger_;
  std::unordered_set<std::string> once_per_request_;  // rule names
  findings::FindingAggregator aggregator_;
  detect::ScanPipeline pipeline_;
  ingest::Reader reader_;
  std::vector<findings::Finding> unsaved_;
  Status status_;
  std::uint64_t held_back_ = 0;
};

}  // namespace vigil::tail

#endif  // VIGIL_TESTS_TAIL_TAIL_COMMIT_H_
