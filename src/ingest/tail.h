// Tailer: follows Kubernetes audit log files as they grow, across rotation and restarts, and hands
// whole lines to a callback that commits their findings. An offset is saved only after the
// callback said the lines' findings are committed, so a restart resumes exactly where the last
// committed chunk ended: nothing is skipped, and what is read twice (a crash between the commit
// and the save) is made harmless by the store's event ledger (store/finding_store.h).
//
// What is followed. Each configured path ("source") is the live file a writer appends to. The
// Tailer keeps an open descriptor on the file it reads, so a file renamed or deleted under it is
// still read to its end. Rotation is recognised by the path naming another file (device, inode)
// or none:
//   - rename + create (kube-apiserver's lumberjack: `--audit-log-path=/var/log/audit.log` rotates
//     to /var/log/audit-2006-01-02T15-04-05.000.log, UTC, optionally gzip-compressed later to
//     `…log.gz` with --audit-log-compress, and old ones deleted by --audit-log-maxbackup;
//     logrotate's `create`: audit.log.1, audit.log-20240102, ...): the old file is read to its
//     end, then any rotated file that is newer than it (a second rotation within one poll, or
//     while vigil was down), oldest first, then the new live file from 0.
//   - delete + create: the deleted file is read to its end through the open descriptor; the new
//     file is read from 0 once it appears.
//   - copytruncate (logrotate): the file shrinks below the saved offset, or its first bytes no
//     longer match the fingerprint. Reading restarts at 0. If a rotated sibling has the same first
//     bytes and at least `offset` bytes (the copy), its bytes after `offset` are read first, so
//     only what the writer wrote between logrotate's copy and its truncate can be missed (a limit
//     of copytruncate itself).
// "Rotated siblings" are regular files in the source's directory named
// `<stem>-YYYY-MM-DDTHH-MM-SS.mmm<ext>[.gz]` (lumberjack; <stem><ext> is the source's name, e.g.
// audit + .log) or `<name>.<anything>` / `<name>-<anything>` (logrotate: audit.log.1,
// audit.log.2.gz, audit.log-20240102). They are ordered by the time in a lumberjack name, else by
// modification time. A `.gz` sibling is inflated as it is read; its offsets count inflated bytes.
//
// Restart. The checkpoint of a source names the file being read by (device, inode) and by a
// fingerprint of its first bytes (up to TailOptions::fingerprint_bytes, as many as the file had
// when saved), which guards against a reused inode. At start the Tailer looks for that file among
// the live path and its rotated siblings:
//   1. same (device, inode), same fingerprint, size >= offset: reading resumes there;
//   2. else any candidate with the same fingerprint and enough bytes (logrotate's copy, or
//      lumberjack's .gz of it): reading resumes there at the same offset (inflated);
//   3. else the file is gone (deleted by maxbackup while vigil was down): counted in
//      checkpoints_lost, reported through on_skip, and the live file is read from 0.
// After a resumed rotated file come the rotated siblings newer than it, then the live file.
// Without a checkpoint the live file is read from its start (or its end, see TailOptions); rotated
// siblings present at first start are not read.
//
// Lines and chunks. Only whole lines (ending in '\n') are handed on. A chunk is at most
// max_chunk_bytes, except that one line longer than that (up to max_line_bytes) is a chunk of its
// own. A line longer than max_line_bytes is never held whole: it is skipped to its newline,
// counted in oversize_lines and reported through on_skip. A partial last line is held until its
// newline arrives; if the file is rotated away (or truncated) first, it is dropped and counted in
// partial_lines_dropped. Memory per source is bounded by max_line_bytes + max_chunk_bytes,
// whatever the file size or line length.
//
// Commit protocol. For each chunk the Tailer calls `callback(lines, origin)`. The callback must
// return OK only once everything the lines produce is durable (for vigil: ingest::Reader::
// ReadBuffer → detect::ScanPipeline → FindingAggregator::TakeAll → FindingStore::Upsert, all done
// before returning). Then, and only then, the Tailer saves origin.end as the source's checkpoint.
// A callback error is counted (callback_failures) and the same chunk is offered again at the next
// poll; nothing after it is read meanwhile. A failed checkpoint save is counted
// (checkpoint_failures) and does not stop tailing: the next successful save supersedes it, and a
// crash before that re-reads lines whose findings are already stored (harmless, see above).
// The callback runs on the thread that calls Run()/PollOnce(), one chunk at a time, in file order.
// A callback that feeds vigil's engine must also keep the findings of a failed Upsert for its
// next call (the engine will not produce them again from the re-offered lines) and, after a
// restart, ask the ledger before counting a once-per-request rule's later stage: see
// docs/tailing.md, "The commit contract", and tests/tail/tail_commit.h which does both.
//
// Threading: Run()/PollOnce() must be called from one thread at a time. Stop(), status() and
// totals() may be called from any thread at any time.
#ifndef VIGIL_INGEST_TAIL_H_
#define VIGIL_INGEST_TAIL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::ingest {

namespace internal {
struct TailSource;
}  // namespace internal

// Where a source stands: the file being read and how much of it is committed.
struct TailCheckpoint {
  std::string source;  // the configured path; the key under which the checkpoint is saved
  std::string file;    // the file's name when saved (a rotated name while draining); informative
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;  // bytes committed (inflated bytes for a .gz file); a line boundary
  // FNV-1a 64 of the file's first fingerprint_length bytes (0 bytes: no fingerprint yet).
  std::uint64_t fingerprint = 0;
  std::uint64_t fingerprint_length = 0;
  bool compressed = false;  // the file is gzip (a lumberjack/logrotate .gz sibling)

  bool operator==(const TailCheckpoint&) const = default;
};

// Persists checkpoints. The SQLite implementation (store/sqlite/tail_offsets.h) keeps them in the
// findings database. Used from the Tailer's thread only.
class TailCheckpointStore {
 public:
  virtual ~TailCheckpointStore() = default;
  // The checkpoint saved for `source`, or nullopt if none. kIo when the store fails.
  virtual Result<std::optional<TailCheckpoint>> Load(std::string_view source) = 0;
  // Replaces the checkpoint of checkpoint.source, durably before returning. kIo on failure.
  virtual Status Save(const TailCheckpoint& checkpoint) = 0;
};

// In-memory checkpoints, for tests and for `--no-db` style runs. Thread-compatible.
class MemoryTailCheckpointStore final : public TailCheckpointStore {
 public:
  Result<std::optional<TailCheckpoint>> Load(std::string_view source) override;
  Status Save(const TailCheckpoint& checkpoint) override;
  std::uint64_t saves() const { return saves_; }

 private:
  std::map<std::string, TailCheckpoint, std::less<>> saved_;
  std::uint64_t saves_ = 0;
};

// Where a chunk of lines comes from. Views are valid during the callback only.
struct TailOrigin {
  std::string_view source;  // the configured path
  std::string_view file;    // the file read: the source, or a rotated sibling's path
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t begin = 0;  // offset of the chunk's first byte in `file` (inflated for .gz)
  std::uint64_t end = 0;    // offset after its last '\n': saved once the callback returns OK
  bool compressed = false;
};

// Something the Tailer skipped, for logs. Views valid during the call only.
struct TailSkip {
  enum class Kind : std::uint8_t {
    kOversizeLine,    // a line longer than max_line_bytes
    kPartialLine,     // a last line without '\n' in a file rotated away or truncated
    kCheckpointLost,  // the checkpointed file was not found at start
    kTruncated,       // the file shrank (copytruncate) or its first bytes changed
  };
  Kind kind;
  std::string_view source;
  std::string_view file;
  std::uint64_t offset = 0;  // where the skipped bytes start
  std::uint64_t length = 0;  // how many bytes were skipped (0 when unknown)
  std::string_view reason;
};

// "oversize-line", "partial-line", "checkpoint-lost", "truncated".
std::string_view TailSkipKindName(TailSkip::Kind kind);

using TailCallback = std::function<Status(std::string_view lines, const TailOrigin& origin)>;

struct TailOptions {
  // The files to follow (each a source). Each is its own checkpoint key, so spell a path the same
  // way on every start. At least one.
  std::vector<std::string> paths;
  // How often sources are looked at when there was nothing to read. At least 1 ms.
  std::chrono::milliseconds poll_interval{250};
  // Largest chunk handed to the callback (see "Lines and chunks"). At least 1.
  std::size_t max_chunk_bytes = std::size_t{1} << 20;
  // Longest line, '\n' excluded, that is delivered; longer ones are skipped. At least 1.
  std::size_t max_line_bytes = std::size_t{16} << 20;
  // Bytes at the start of a file hashed to recognise it (inode reuse, copies, .gz). 1..65536.
  std::size_t fingerprint_bytes = 1024;
  // Without a checkpoint: read the live file from its start (default: nothing written before
  // vigil started is missed) or from its end (the first partial line is skipped).
  bool start_at_end = false;
  // Called for every TailSkip. Optional.
  std::function<void(const TailSkip&)> on_skip;
};

// Checks `options` (paths non-empty, bounds above). kInvalidArgument naming the option.
Status ValidateTailOptions(const TailOptions& options);

// Counters, per source and summed over sources.
struct TailCounters {
  std::uint64_t bytes = 0;        // bytes of lines committed (delivered and acknowledged)
  std::uint64_t lines = 0;        // lines committed
  std::uint64_t chunks = 0;       // callbacks that returned OK
  std::uint64_t rotations = 0;    // files finished because the path moved on (rename/delete)
  std::uint64_t truncations = 0;  // copytruncate (or rewrite) seen
  std::uint64_t oversize_lines = 0;
  std::uint64_t partial_lines_dropped = 0;
  std::uint64_t callback_failures = 0;
  std::uint64_t checkpoint_failures = 0;
  std::uint64_t checkpoints_lost = 0;
  std::uint64_t io_errors = 0;  // open/stat/read failures (retried at the next poll)

  TailCounters& operator+=(const TailCounters& other);
};

// A snapshot of one source, for metrics (`vigil_tail_lag_bytes{file=...}`) and /readyz.
struct TailSourceStatus {
  std::string source;
  std::string file;          // the file being read ("" while the source does not exist)
  std::uint64_t offset = 0;  // committed offset in `file`
  // Bytes written but not committed yet: the rest of `file`, plus the rotated files queued after
  // it and the live file when `file` is a rotated one. For a .gz file its compressed size is
  // counted, so lag is approximate while such a file is read.
  std::uint64_t lag_bytes = 0;
  std::size_t queued_files = 0;  // rotated files still to read after `file`
  TailCounters counters;
  std::string last_error;  // the latest I/O, callback or checkpoint error ("" if none)
};

class Tailer {
 public:
  // `checkpoints` must outlive the Tailer. Options are checked by Run()/PollOnce().
  Tailer(TailOptions options, TailCallback callback, TailCheckpointStore& checkpoints);
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // Polls until Stop(): reads what every source has, then sleeps poll_interval when nothing was
  // read. Returns OK after Stop(); kInvalidArgument for bad options; kIo when a checkpoint cannot
  // be loaded at start. File errors are not fatal: they are counted and retried.
  Status Run();

  // One pass over every source: reads, delivers and checkpoints what is there now (until EOF,
  // a callback failure or Stop()). Returns whether any byte was consumed or any file changed.
  // For tests and for callers with their own loop. Errors as Run().
  Result<bool> PollOnce();

  // Asks Run() to return: it does so after the callback in progress (if any) returns, without
  // sleeping. Returns immediately; safe from any thread, but not async-signal-safe (it takes a
  // mutex): call it from a thread that waits for SIGTERM (sigwait), as tail_driver does.
  void Stop();
  bool stopping() const { return stop_.load(std::memory_order_relaxed); }

  // Snapshots (thread-safe), in the order of TailOptions::paths; empty before the first poll, and
  // updated after each source's pass.
  std::vector<TailSourceStatus> status() const;
  TailCounters totals() const;

 private:
  Status Init();

  TailOptions options_;
  TailCallback callback_;
  TailCheckpointStore& checkpoints_;
  std::vector<std::unique_ptr<internal::TailSource>> sources_;
  bool initialized_ = false;
  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  mutable std::mutex status_mu_;
  std::vector<TailSourceStatus> status_;
};

}  // namespace vigil::ingest

#endif  // VIGIL_INGEST_TAIL_H_
