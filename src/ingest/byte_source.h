// Byte sources for the Reader: a file descriptor, a memory range, and a streaming gzip inflater
// over either. Internal to the ingest module.
#ifndef VIGIL_INGEST_BYTE_SOURCE_H_
#define VIGIL_INGEST_BYTE_SOURCE_H_

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::ingest::internal {

// A sequential byte stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` (> 0) bytes into `dst`; returns how many, 0 only at the end of the input.
  // Fails with kIo when the underlying read fails.
  virtual Result<std::size_t> Read(char* dst, std::size_t n) = 0;
  // Bytes handed out so far.
  std::uint64_t bytes_read() const { return bytes_read_; }

 protected:
  std::uint64_t bytes_read_ = 0;
};

// Reads a descriptor it does not own. Retries EINTR; waits with poll() on EAGAIN.
class FdSource final : public ByteSource {
 public:
  FdSource(int fd, std::string_view name) : fd_(fd), name_(name) {}
  Result<std::size_t> Read(char* dst, std::size_t n) override;

 private:
  int fd_;
  std::string_view name_;  // for error messages; outlives this source
};

// Hands out a memory range it does not own.
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  Result<std::size_t> Read(char* dst, std::size_t n) override;

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

inline bool HasGzipMagic(const char* p, std::size_t n) {
  return n >= 2 && static_cast<unsigned char>(p[0]) == 0x1f &&
         static_cast<unsigned char>(p[1]) == 0x8b;
}

// Inflates a gzip stream (one or more members) in chunks. Damage in the stream (truncation,
// corrupt data, non-gzip bytes after a member) ends the output early and is reported by damage()
// rather than as an error, because it is bad content, not a failed read. Runs of zero bytes after
// the last member are ignored, as gzip(1) does.
class GzipSource final : public ByteSource {
 public:
  GzipSource();
  ~GzipSource() override;
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  // Starts a new stream read from `inner`, whose first bytes were already read into `prefix`.
  // `inner` must outlive the reads.
  void Reset(ByteSource* inner, std::string_view prefix);
  // Starts a new stream over `data`, which must outlive the reads (no copy).
  void ResetMemory(std::string_view data);

  Result<std::size_t> Read(char* dst, std::size_t n) override;

  // Empty while the stream is intact; otherwise why it ended early.
  std::string_view damage() const { return damage_; }
  std::uint64_t members() const { return members_; }
  // Compressed bytes consumed by the inflater so far.
  std::uint64_t compressed_consumed() const { return consumed_; }

 private:
  void Start();
  void SetDamage(std::string_view what);

  z_stream strm_{};
  bool initialized_ = false;
  ByteSource* inner_ = nullptr;
  std::vector<char> in_;
  bool in_eof_ = false;
  bool member_done_ = false;
  bool skipping_zeros_ = false;
  bool done_ = false;
  std::uint64_t members_ = 0;
  std::uint64_t consumed_ = 0;
  std::string damage_;
};

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_BYTE_SOURCE_H_
