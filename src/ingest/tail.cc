#include "ingest/tail.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "ingest/tail_files.h"

namespace vigil::ingest {

using internal::FileId;
using internal::kFnvOffsetBasis;
using internal::Sibling;
using internal::TailFile;

std::string_view TailSkipKindName(TailSkip::Kind kind) {
  switch (kind) {
    case TailSkip::Kind::kOversizeLine:
      return "oversize-line";
    case TailSkip::Kind::kPartialLine:
      return "partial-line";
    case TailSkip::Kind::kCheckpointLost:
      return "checkpoint-lost";
    case TailSkip::Kind::kTruncated:
      return "truncated";
  }
  return "unknown";
}

Result<std::optional<TailCheckpoint>> MemoryTailCheckpointStore::Load(std::string_view source) {
  auto it = saved_.find(source);
  if (it == saved_.end()) return std::optional<TailCheckpoint>();
  return std::optional<TailCheckpoint>(it->second);
}

Status MemoryTailCheckpointStore::Save(const TailCheckpoint& checkpoint) {
  saved_[checkpoint.source] = checkpoint;
  ++saves_;
  return Ok();
}

TailCounters& TailCounters::operator+=(const TailCounters& o) {
  bytes += o.bytes;
  lines += o.lines;
  chunks += o.chunks;
  rotations += o.rotations;
  truncations += o.truncations;
  oversize_lines += o.oversize_lines;
  partial_lines_dropped += o.partial_lines_dropped;
  callback_failures += o.callback_failures;
  checkpoint_failures += o.checkpoint_failures;
  checkpoints_lost += o.checkpoints_lost;
  io_errors += o.io_errors;
  return *this;
}

Status ValidateTailOptions(const TailOptions& o) {
  auto bad = [](std::string what) {
    return MakeError(ErrorCode::kInvalidArgument, std::move(what));
  };
  if (o.paths.empty()) return bad("tail: no file to follow");
  for (const auto& p : o.paths) {
    if (p.empty() || p.back() == '/') return bad(fmt::format("tail: '{}' is not a file path", p));
  }
  for (size_t i = 0; i < o.paths.size(); ++i) {
    for (size_t j = i + 1; j < o.paths.size(); ++j) {
      if (o.paths[i] == o.paths[j]) return bad(fmt::format("tail: '{}' given twice", o.paths[i]));
    }
  }
  if (o.poll_interval.count() < 1) return bad("tail: poll interval must be at least 1 ms");
  if (o.max_chunk_bytes < 1) return bad("tail: max chunk bytes must be at least 1");
  if (o.max_line_bytes < 1) return bad("tail: max line bytes must be at least 1");
  if (o.fingerprint_bytes < 1 || o.fingerprint_bytes > 65536) {
    return bad("tail: fingerprint bytes must be within 1..65536");
  }
  return Ok();
}

namespace internal {

// One followed path and everything known about where its reading stands.
struct TailSource {
  struct Queued {
    Sibling file;
    std::uint64_t start = 0;  // resume offset (a copytruncate copy or a checkpoint)
    std::uint64_t fingerprint = kFnvOffsetBasis;
    std::uint64_t fingerprint_length = 0;
  };

  std::string path;
  std::size_t index = 0;
  std::optional<TailCheckpoint> pending;  // loaded, not resolved to a file yet
  bool first_open = true;                 // no checkpoint: the live file is opened fresh
  std::unique_ptr<TailFile> file;         // the file being read
  bool live = false;                      // `file` was opened at `path`
  bool draining = false;                  // `path` moved on: read `file` to its end, then finish
  std::deque<Queued> queue;               // rotated files to read before the live file
  std::uint64_t offset = 0;               // committed bytes of `file`
  std::uint64_t fingerprint = kFnvOffsetBasis;
  std::uint64_t fingerprint_length = 0;
  std::string buf;            // bytes [offset, offset + buf.size()) not delivered
  bool skipping = false;      // inside an oversize line: bytes are dropped
  std::uint64_t skipped = 0;  // bytes of that line dropped so far
  bool skip_partial = false;  // the skipped line is the tail of one begun earlier
  TailCounters counters;
  std::string last_error;
};

}  // namespace internal

Tailer::Tailer(TailOptions options, TailCallback callback, TailCheckpointStore& checkpoints)
    : options_(std::move(options)), callback_(std::move(callback)), checkpoints_(checkpoints) {}

Tailer::~Tailer() = default;

namespace internal {
namespace {

bool IsMissing(const Error& e) { return e.code == ErrorCode::kNotFound; }

}  // namespace

// The pass over one source, as free-standing helpers on the Tailer's private state. Kept in one
// class so the source's invariants are in one place:
//   file->pos() == offset + buf.size() + skipped   (while a file is open)
class TailerPass {
 public:
  TailerPass(const TailOptions& options,
             const TailCallback& callback,
             TailCheckpointStore& checkpoints,
             const std::atomic<bool>& stop)
      : o_(options), callback_(callback), checkpoints_(checkpoints), stop_(stop) {}

  // Reads, delivers and checkpoints what `s` has now. Returns whether anything moved.
  bool Run(TailSource& s);

  std::uint64_t Lag(TailSource& s);

 private:
  void Resolve(TailSource& s);
  bool OpenNext(TailSource& s);
  bool CheckTruncation(TailSource& s);
  void Finish(TailSource& s);
  bool Deliver(TailSource& s);
  void Save(TailSource& s);
  void Skip(TailSource& s,
            TailSkip::Kind kind,
            std::uint64_t at,
            std::uint64_t length,
            std::string_view reason);
  void IoError(TailSource& s, const Error& e);
  std::deque<TailSource::Queued> QueueAfter(TailSource& s,
                                            std::int64_t order,
                                            FileId done,
                                            std::uint64_t fingerprint,
                                            std::uint64_t fingerprint_length);

  const TailOptions& o_;
  const TailCallback& callback_;
  TailCheckpointStore& checkpoints_;
  const std::atomic<bool>& stop_;
};

void TailerPass::IoError(TailSource& s, const Error& e) {
  ++s.counters.io_errors;
  s.last_error = e.ToString();
}

void TailerPass::Skip(TailSource& s,
                      TailSkip::Kind kind,
                      std::uint64_t at,
                      std::uint64_t length,
                      std::string_view reason) {
  if (!o_.on_skip) return;
  TailSkip skip{kind, s.path, s.file ? std::string_view(s.file->path()) : std::string_view(s.path),
                at,   length, reason};
  o_.on_skip(skip);
}

void TailerPass::Save(TailSource& s) {
  if (!s.file->compressed()) {
    // The fingerprint covers the first min(fingerprint_bytes, size) bytes, also beyond the offset:
    // an append-only file never changes them, and a checkpoint at offset 0 of a file that is then
    // compressed (lumberjack) must still find the .gz by its first bytes.
    auto st = s.file->Stat();
    const std::uint64_t size = st ? static_cast<std::uint64_t>(st->st_size) : s.offset;
    const std::uint64_t want = std::min<std::uint64_t>(o_.fingerprint_bytes, size);
    if (s.fingerprint_length < want) {
      auto fp = s.file->Fingerprint(want);
      if (fp && *fp) {
        s.fingerprint = **fp;
        s.fingerprint_length = want;
      }
    }
  }
  TailCheckpoint cp;
  cp.source = s.path;
  cp.file = s.file->path();
  cp.device = s.file->id().device;
  cp.inode = s.file->id().inode;
  cp.offset = s.offset;
  cp.fingerprint = s.fingerprint;
  cp.fingerprint_length = s.fingerprint_length;
  cp.compressed = s.file->compressed();
  if (Status st = checkpoints_.Save(cp); !st) {
    ++s.counters.checkpoint_failures;
    s.last_error = st.error().ToString();
  }
}

// Rotated siblings after `order`, leaving out the finished file itself (by inode, or by its first
// bytes: lumberjack's .gz of it has another inode).
std::deque<TailSource::Queued> TailerPass::QueueAfter(TailSource& s,
                                                      std::int64_t order,
                                                      FileId done,
                                                      std::uint64_t fingerprint,
                                                      std::uint64_t fingerprint_length) {
  std::deque<TailSource::Queued> out;
  auto siblings = internal::ListRotatedSiblings(s.path);
  if (!siblings) {
    IoError(s, siblings.error());
    return out;
  }
  for (auto& sib : *siblings) {
    if (sib.order <= order || sib.id == done) continue;
    if (fingerprint_length > 0 &&
        internal::FingerprintOfPath(sib.path, fingerprint_length) == fingerprint) {
      continue;
    }
    out.push_back({std::move(sib), 0, kFnvOffsetBasis, 0});
  }
  return out;
}

void TailerPass::Resolve(TailSource& s) {
  const TailCheckpoint cp = *s.pending;
  const FileId want{cp.device, cp.inode};
  auto siblings = internal::ListRotatedSiblings(s.path);
  if (!siblings) {
    IoError(s, siblings.error());
    return;  // tried again at the next poll
  }
  auto matches = [&](const std::string& path) {
    return cp.fingerprint_length == 0 ||
           internal::FingerprintOfPath(path, cp.fingerprint_length) == cp.fingerprint;
  };
  struct stat live_st {};
  const bool live_exists = stat(s.path.c_str(), &live_st) == 0 && S_ISREG(live_st.st_mode);
  // The live path, then rotated siblings newest first (the file is most likely recent).
  struct Candidate {
    std::string path;
    FileId id;
    std::uint64_t size;
    bool gz;
    const Sibling* sibling;
  };
  std::vector<Candidate> candidates;
  if (live_exists) {
    candidates.push_back({s.path, internal::IdOf(live_st),
                          static_cast<std::uint64_t>(live_st.st_size), false, nullptr});
  }
  for (auto it = siblings->rbegin(); it != siblings->rend(); ++it) {
    candidates.push_back({it->path, it->id, it->size, it->gz_name, &*it});
  }
  const Candidate* chosen = nullptr;
  for (const auto& c : candidates) {  // 1. the same file
    if (c.id == want && (c.gz || c.size >= cp.offset) && matches(c.path)) {
      chosen = &c;
      break;
    }
  }
  if (chosen == nullptr && cp.fingerprint_length > 0) {  // 2. a copy of it (logrotate, .gz)
    for (const auto& c : candidates) {
      if ((c.gz || c.size >= cp.offset) && matches(c.path)) {
        chosen = &c;
        break;
      }
    }
  }
  s.pending.reset();
  s.first_open = false;
  if (chosen == nullptr) {
    ++s.counters.checkpoints_lost;
    s.last_error = fmt::format("{}: checkpointed file {} (inode {}) at offset {} was not found",
                               s.path, cp.file, cp.inode, cp.offset);
    Skip(s, TailSkip::Kind::kCheckpointLost, cp.offset, 0,
         "the checkpointed file is gone; reading the live file from its start");
    return;  // OpenNext opens the live file at 0
  }
  TailSource::Queued q;
  q.file.path = chosen->path;
  q.file.id = chosen->id;
  q.file.gz_name = chosen->gz;
  q.start = cp.offset;
  q.fingerprint = cp.fingerprint;
  q.fingerprint_length = cp.fingerprint_length;
  if (chosen->sibling == nullptr) {
    // The live file itself: open it and go on from the offset.
    auto f = TailFile::Open(s.path);
    if (!f) {
      IoError(s, f.error());
      s.pending = cp;
      return;
    }
    if (Status st = (*f)->Seek(cp.offset); !st) {
      IoError(s, st.error());
      s.pending = cp;
      return;
    }
    s.file = std::move(*f);
    s.live = true;
    s.offset = cp.offset;
    s.fingerprint = cp.fingerprint;
    s.fingerprint_length = cp.fingerprint_length;
    return;
  }
  s.queue =
      QueueAfter(s, chosen->sibling->order, chosen->id, cp.fingerprint, cp.fingerprint_length);
  s.queue.push_front(std::move(q));
}

bool TailerPass::OpenNext(TailSource& s) {
  while (!s.queue.empty()) {
    auto q = std::move(s.queue.front());
    s.queue.pop_front();
    auto f = TailFile::Open(q.file.path);
    if (!f && IsMissing(f.error()) && !q.file.gz_name) {
      f = TailFile::Open(q.file.path + ".gz");  // compressed since it was listed
    }
    if (!f) {
      IoError(s, f.error());
      continue;  // deleted before it could be read (maxbackup): nothing else to do
    }
    if (Status st = (*f)->Seek(q.start); !st) {
      IoError(s, st.error());
      continue;
    }
    s.file = std::move(*f);
    s.live = false;
    s.draining = false;
    s.offset = q.start;
    s.fingerprint = q.fingerprint;
    s.fingerprint_length = q.fingerprint_length;
    if (s.file->compressed() && q.start == 0) {
      // A .gz is complete: fingerprint it now, from its inflated first bytes.
      for (std::uint64_t n = o_.fingerprint_bytes; n > 0; n /= 2) {
        if (auto fp = internal::FingerprintOfPath(s.file->path(), n)) {
          s.fingerprint = *fp;
          s.fingerprint_length = n;
          break;
        }
      }
    }
    Save(s);
    return true;
  }
  auto f = TailFile::Open(s.path);
  if (!f) {
    if (!IsMissing(f.error())) IoError(s, f.error());
    return false;  // not there (yet): looked at again at the next poll
  }
  s.file = std::move(*f);
  s.live = true;
  s.draining = false;
  s.offset = 0;
  s.fingerprint = kFnvOffsetBasis;
  s.fingerprint_length = 0;
  if (s.first_open && o_.start_at_end && !s.file->compressed()) {
    auto st = s.file->Stat();
    const std::uint64_t size = st ? static_cast<std::uint64_t>(st->st_size) : 0;
    char last = '\n';
    if (size > 0 && s.file->Seek(size - 1) && s.file->Read(&last, 1)) {
      s.offset = size;
      // The rest of a line begun before vigil started is not a line of its own: drop it.
      s.skipping = last != '\n';
      s.skip_partial = s.skipping;
      s.skipped = 0;
    }
  }
  s.first_open = false;
  Save(s);
  return true;
}

// Copytruncate (or a rewrite in place) of the live file: it is shorter than what was read, or its
// first bytes changed. Returns whether it was.
bool TailerPass::CheckTruncation(TailSource& s) {
  auto st = s.file->Stat();
  if (!st) {
    IoError(s, st.error());
    return false;
  }
  bool truncated = static_cast<std::uint64_t>(st->st_size) < s.file->pos();
  if (!truncated && s.fingerprint_length > 0) {
    auto fp = s.file->Fingerprint(s.fingerprint_length);
    if (!fp) {
      IoError(s, fp.error());
      return false;
    }
    truncated = !*fp || **fp != s.fingerprint;
  }
  if (!truncated) return false;
  ++s.counters.truncations;
  Skip(s, TailSkip::Kind::kTruncated, s.offset, 0, "the file shrank or its first bytes changed");
  const bool partial = !s.buf.empty() || s.skipping;
  const std::uint64_t partial_length = s.buf.size() + s.skipped;
  const std::uint64_t old_offset = s.offset;
  const std::uint64_t fp = s.fingerprint;
  const std::uint64_t fp_len = s.fingerprint_length;
  const FileId id = s.file->id();
  s.buf.clear();
  s.skipping = false;
  s.skipped = 0;
  // logrotate's copy has the same first bytes and at least old_offset bytes: read its rest first.
  if (old_offset > 0 && fp_len > 0) {
    auto siblings = internal::ListRotatedSiblings(s.path);
    if (siblings) {
      for (auto it = siblings->rbegin(); it != siblings->rend(); ++it) {
        if (it->id == id || (!it->gz_name && it->size < old_offset)) continue;
        if (internal::FingerprintOfPath(it->path, fp_len) != fp) continue;
        // The copy holds the partial line whole, if the writer finished it before the copy.
        // Then the rotated files newer than the copy (another copytruncate since).
        s.queue = QueueAfter(s, it->order, it->id, fp, fp_len);
        s.queue.push_front({*it, old_offset, fp, fp_len});
        s.file.reset();
        return true;
      }
    }
  }
  if (partial) {
    ++s.counters.partial_lines_dropped;
    Skip(s, TailSkip::Kind::kPartialLine, old_offset, partial_length,
         "a line without its newline when the file was truncated");
  }
  (void)s.file->Seek(0);
  s.offset = 0;
  s.fingerprint = kFnvOffsetBasis;
  s.fingerprint_length = 0;
  Save(s);
  return true;
}

// The open file is done (rotated away and read to its end, or a rotated file read to its end).
void TailerPass::Finish(TailSource& s) {
  if (!s.file->damage().empty()) {  // a damaged .gz: what it held after the damage is lost
    ++s.counters.io_errors;
    s.last_error = fmt::format("{}: {}", s.file->path(), s.file->damage());
  }
  if (!s.buf.empty() || s.skipping) {
    ++s.counters.partial_lines_dropped;
    Skip(s, TailSkip::Kind::kPartialLine, s.offset, s.buf.size() + s.skipped,
         s.file->damage().empty() ? std::string_view("the file ended without a newline")
                                  : s.file->damage());
    if (s.skipping && !s.skip_partial) ++s.counters.oversize_lines;
  }
  if (s.live) {
    ++s.counters.rotations;
    // The rotated siblings newer than this file (a second rotation within one poll).
    std::int64_t order = 0;
    bool found = false;
    auto siblings = internal::ListRotatedSiblings(s.path);
    if (siblings) {
      for (const auto& sib : *siblings) {
        if (sib.id == s.file->id()) {
          order = sib.order;
          found = true;
        }
      }
    }
    if (!found) {  // deleted (or compressed to another inode): its last write time
      auto st = s.file->Stat();
      if (st)
        order = static_cast<std::int64_t>(st->st_mtim.tv_sec) * 1000000000 + st->st_mtim.tv_nsec;
    }
    s.queue = QueueAfter(s, order, s.file->id(), s.fingerprint, s.fingerprint_length);
  }
  s.file.reset();
  s.buf.clear();
  s.skipping = false;
  s.skip_partial = false;
  s.skipped = 0;
  s.draining = false;
}

// Hands the whole lines in `buf` to the callback, chunk by chunk, saving after each. Returns false
// when the callback failed or Stop() was asked (the rest waits for the next poll).
bool TailerPass::Deliver(TailSource& s) {
  while (!s.buf.empty()) {
    if (stop_.load(std::memory_order_relaxed)) return false;
    if (s.skipping) {
      const auto nl = s.buf.find('\n');
      if (nl == std::string::npos) {
        s.skipped += s.buf.size();
        s.buf.clear();
        return true;
      }
      const std::uint64_t length = s.skipped + nl + 1;
      const std::uint64_t at = s.offset;
      s.buf.erase(0, nl + 1);
      s.skipping = false;
      s.skipped = 0;
      s.offset += length;
      if (s.skip_partial) {
        s.skip_partial = false;
        ++s.counters.partial_lines_dropped;
        Skip(s, TailSkip::Kind::kPartialLine, at, length, "the end of a line written before start");
      } else {
        ++s.counters.oversize_lines;
        Skip(s, TailSkip::Kind::kOversizeLine, at, length,
             "line longer than the maximum line size");
      }
      Save(s);
      continue;
    }
    const std::size_t limit = std::min(s.buf.size(), o_.max_chunk_bytes);
    std::size_t take = 0;
    const auto last_nl = s.buf.rfind('\n', limit - 1);
    if (last_nl != std::string::npos) {
      take = last_nl + 1;
    } else {
      const auto nl = s.buf.find('\n', limit);
      if (nl == std::string::npos) {
        if (s.buf.size() > o_.max_line_bytes) {  // no newline in sight: drop as we go
          s.skipping = true;
          s.skipped = s.buf.size();
          s.buf.clear();
        }
        return true;  // wait for the rest of the line
      }
      take = nl + 1;  // one line longer than a chunk
    }
    // A line longer than max_line_bytes inside what would be delivered: deliver what is before it
    // and skip it.
    if (o_.max_line_bytes < take) {
      std::size_t line_start = 0;
      while (line_start < take) {
        const auto nl = s.buf.find('\n', line_start);
        if (nl - line_start > o_.max_line_bytes) break;
        line_start = nl + 1;
      }
      if (line_start < take) {
        if (line_start == 0) {
          const auto nl = s.buf.find('\n');
          const std::uint64_t at = s.offset;
          s.buf.erase(0, nl + 1);
          s.offset += nl + 1;
          ++s.counters.oversize_lines;
          Skip(s, TailSkip::Kind::kOversizeLine, at, nl + 1,
               "line longer than the maximum line size");
          Save(s);
          continue;
        }
        take = line_start;
      }
    }
    const std::string_view lines(s.buf.data(), take);
    TailOrigin origin;
    origin.source = s.path;
    origin.file = s.file->path();
    origin.device = s.file->id().device;
    origin.inode = s.file->id().inode;
    origin.begin = s.offset;
    origin.end = s.offset + take;
    origin.compressed = s.file->compressed();
    Status st = callback_(lines, origin);
    if (!st) {
      ++s.counters.callback_failures;
      s.last_error = st.error().ToString();
      return false;
    }
    s.counters.lines += static_cast<std::uint64_t>(std::count(lines.begin(), lines.end(), '\n'));
    s.counters.bytes += take;
    ++s.counters.chunks;
    s.offset += take;
    s.buf.erase(0, take);
    Save(s);
  }
  return true;
}

bool TailerPass::Run(TailSource& s) {
  bool moved = false;
  if (s.pending) Resolve(s);
  if (s.pending) return false;
  // Bounded work per pass, so several sources take turns and Stop() is seen.
  for (int reads = 0; reads < 64; ++reads) {
    if (stop_.load(std::memory_order_relaxed)) return moved;
    if (!s.file) {
      if (!OpenNext(s)) return moved;
      moved = true;
    }
    if (!Deliver(s)) return moved;  // a callback failure: the same lines again next time
    if (s.live && !s.draining && !s.file->compressed() && reads == 0 && CheckTruncation(s)) {
      moved = true;
      continue;
    }
    const std::size_t before = s.buf.size();
    s.buf.resize(before + o_.max_chunk_bytes);
    auto got = s.file->Read(s.buf.data() + before, o_.max_chunk_bytes);
    s.buf.resize(before + (got ? *got : 0));
    if (!got) {
      IoError(s, got.error());
      return moved;
    }
    if (*got > 0) {
      moved = true;
      continue;
    }
    // At the end of the file.
    if (!s.live) {
      Finish(s);
      moved = true;
      continue;
    }
    struct stat st {};
    const bool exists = stat(s.path.c_str(), &st) == 0;
    if (exists && internal::IdOf(st) == s.file->id()) return moved;  // nothing new yet
    if (!exists && errno != ENOENT) {
      IoError(s, MakeError(ErrorCode::kIo,
                           fmt::format("{}: cannot stat: {}", s.path, std::strerror(errno))));
      return moved;
    }
    // The path moved on. Read once more to the end (the writer may have appended between our
    // last read and its rename), then finish this file.
    if (!s.draining) {
      s.draining = true;
      continue;
    }
    Finish(s);
    moved = true;
  }
  return moved;
}

std::uint64_t TailerPass::Lag(TailSource& s) {
  std::uint64_t lag = 0;
  if (s.file) {
    if (auto st = s.file->Stat()) {
      const auto size = static_cast<std::uint64_t>(st->st_size);
      const std::uint64_t done = s.file->compressed() ? s.file->raw_consumed() : s.offset;
      if (size > done) lag += size - done;
    }
  }
  for (const auto& q : s.queue) lag += q.file.size;
  if (!s.file || !s.live) {
    struct stat st {};
    if (stat(s.path.c_str(), &st) == 0) lag += static_cast<std::uint64_t>(st.st_size);
  }
  return lag;
}

}  // namespace internal

Status Tailer::Init() {
  if (initialized_) return Ok();
  VIGIL_TRY_STATUS(ValidateTailOptions(options_));
  for (std::size_t i = 0; i < options_.paths.size(); ++i) {
    auto s = std::make_unique<internal::TailSource>();
    s->path = options_.paths[i];
    s->index = i;
    VIGIL_TRY(s->pending, checkpoints_.Load(s->path));
    if (s->pending) s->first_open = false;
    sources_.push_back(std::move(s));
  }
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.resize(sources_.size());
    for (std::size_t i = 0; i < sources_.size(); ++i) status_[i].source = sources_[i]->path;
  }
  initialized_ = true;
  return Ok();
}

Result<bool> Tailer::PollOnce() {
  VIGIL_TRY_STATUS(Init());
  internal::TailerPass pass(options_, callback_, checkpoints_, stop_);
  bool moved = false;
  for (auto& s : sources_) {
    if (stop_.load(std::memory_order_relaxed)) break;
    if (pass.Run(*s)) moved = true;
    TailSourceStatus st;
    st.source = s->path;
    st.file = s->file ? s->file->path() : std::string();
    st.offset = s->offset;
    st.lag_bytes = pass.Lag(*s);
    st.queued_files = s->queue.size();
    st.counters = s->counters;
    st.last_error = s->last_error;
    std::lock_guard<std::mutex> lock(status_mu_);
    status_[s->index] = std::move(st);
  }
  return moved;
}

Status Tailer::Run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    VIGIL_TRY(bool moved, PollOnce());
    if (moved) continue;
    std::unique_lock<std::mutex> lock(wait_mu_);
    wait_cv_.wait_for(lock, options_.poll_interval,
                      [this] { return stop_.load(std::memory_order_relaxed); });
  }
  return Ok();
}

void Tailer::Stop() {
  stop_.store(true, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(wait_mu_);
  wait_cv_.notify_all();
}

std::vector<TailSourceStatus> Tailer::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

TailCounters Tailer::totals() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  TailCounters sum;
  for (const auto& st : status_) sum += st.counters;
  return sum;
}

}  // namespace vigil::ingest
