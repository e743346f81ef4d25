// File-level pieces of the Tailer (ingest/tail.h): file identity and fingerprints, finding a
// source's rotated siblings (lumberjack and logrotate names), and a file opened for reading that
// may be plain or gzip. Internal to the ingest module; exposed for tests.
#ifndef VIGIL_INGEST_TAIL_FILES_H_
#define VIGIL_INGEST_TAIL_FILES_H_

#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ingest/byte_source.h"

namespace vigil::ingest::internal {

inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;

// FNV-1a 64 over `data`, continuing from `hash` (start with kFnvOffsetBasis). Incremental: the
// hash of a+b is Fnv1a(Fnv1a(basis, a), b). Persisted in checkpoints, so it must never change.
std::uint64_t Fnv1a(std::uint64_t hash, std::string_view data);

struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileId&) const = default;
};

inline FileId IdOf(const struct stat& st) {
  return FileId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

// The time (Unix ns, UTC) in a lumberjack backup name `<stem>-YYYY-MM-DDTHH-MM-SS.mmm<ext>` or
// the same followed by ".gz", where `<stem><ext>` is the live file's name (ext from its last '.',
// possibly empty). nullopt when `name` is not such a backup of `live_name`.
std::optional<std::int64_t> LumberjackBackupTime(std::string_view name, std::string_view live_name);

// Whether `name` is a rotated sibling of `live_name` in the same directory: a lumberjack backup
// (above), or logrotate's `<live_name>.<suffix>` / `<live_name>-<suffix>` (audit.log.1,
// audit.log.2.gz, audit.log-20240102).
bool IsRotatedSibling(std::string_view name, std::string_view live_name);

// A rotated sibling found on disk.
struct Sibling {
  std::string path;
  FileId id;
  bool gz_name = false;  // name ends in ".gz"
  std::uint64_t size = 0;
  std::int64_t order = 0;  // lumberjack name time if any, else mtime (ns): oldest first
};

// The regular-file rotated siblings of `source_path`, oldest first (ties by name). A `.gz` whose
// plain twin (same name without .gz) also exists is left out: it is that file being compressed.
// Errors reading the directory are kIo (a missing directory gives an empty list).
Result<std::vector<Sibling>> ListRotatedSiblings(const std::string& source_path);

// A file opened for reading from a position; plain files are read with pread (so the file may
// keep growing), gzip files (by content) are inflated sequentially.
class TailFile {
 public:
  // Opens `path` read-only. kNotFound when it does not exist, kIo otherwise.
  static Result<std::unique_ptr<TailFile>> Open(const std::string& path);
  ~TailFile();
  TailFile(const TailFile&) = delete;
  TailFile& operator=(const TailFile&) = delete;

  // Reads up to `n` bytes at pos(), advancing it; 0 at the current end. kIo on a failed read. A
  // damaged gzip stream ends early (damage() says why).
  Result<std::size_t> Read(char* dst, std::size_t n);
  // Moves pos() forward to `offset` (or back, for plain files). For gzip, inflates and discards;
  // kIo when the stream ends before `offset`.
  Status Seek(std::uint64_t offset);
  std::uint64_t pos() const { return pos_; }

  // FNV-1a of the first `n` bytes, or nullopt when the file has fewer. Plain files use pread (pos()
  // is untouched); gzip files are inflated again from the start through a second descriptor.
  Result<std::optional<std::uint64_t>> Fingerprint(std::uint64_t n);

  // fstat of the open descriptor. kIo on failure.
  Result<struct stat> Stat() const;

  const std::string& path() const { return path_; }
  FileId id() const { return id_; }
  bool compressed() const { return compressed_; }
  std::string_view damage() const;
  // Compressed bytes consumed (gzip) or pos() (plain): for lag.
  std::uint64_t raw_consumed() const;

 private:
  TailFile(int fd, std::string path, FileId id, bool compressed);

  int fd_;
  std::string path_;
  FileId id_;
  bool compressed_;
  std::uint64_t pos_ = 0;
  std::unique_ptr<FdSource> fd_source_;
  std::unique_ptr<GzipSource> gzip_;
};

// Opens `path` and hashes its first `n` bytes (inflated for gzip); nullopt when it has fewer bytes
// or cannot be opened.
std::optional<std::uint64_t> FingerprintOfPath(const std::string& path, std::uint64_t n);

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_TAIL_FILES_H_
