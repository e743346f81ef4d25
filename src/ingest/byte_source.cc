#include "ingest/byte_source.h"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace vigil::ingest::internal {
namespace {

constexpr std::size_t kGzipInputChunk = std::size_t{256} << 10;

}  // namespace

Result<std::size_t> FdSource::Read(char* dst, std::size_t n) {
  while (true) {
    ssize_t got = ::read(fd_, dst, n);
    if (got >= 0) {
      bytes_read_ += static_cast<std::uint64_t>(got);
      return static_cast<std::size_t>(got);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
    }
    return MakeError(ErrorCode::kIo, fmt::format("read failed: {}", std::strerror(errno)),
                     SourcePos{std::string(name_), 0, 0});
  }
}

Result<std::size_t> MemorySource::Read(char* dst, std::size_t n) {
  std::size_t k = std::min(n, data_.size() - pos_);
  if (k > 0) std::memcpy(dst, data_.data() + pos_, k);
  pos_ += k;
  bytes_read_ += k;
  return k;
}

GzipSource::GzipSource() = default;

GzipSource::~GzipSource() {
  if (initialized_) inflateEnd(&strm_);
}

void GzipSource::Start() {
  if (!initialized_) {
    strm_ = z_stream{};
    // 16 + MAX_WBITS: gzip wrapper only.
    if (inflateInit2(&strm_, 16 + MAX_WBITS) != Z_OK) {
      done_ = true;
      damage_ = "zlib could not be initialised";
      return;
    }
    initialized_ = true;
  } else {
    inflateReset(&strm_);
  }
  in_eof_ = false;
  member_done_ = false;
  skipping_zeros_ = false;
  done_ = false;
  members_ = 0;
  consumed_ = 0;
  bytes_read_ = 0;
  damage_.clear();
}

void GzipSource::Reset(ByteSource* inner, std::string_view prefix) {
  Start();
  inner_ = inner;
  if (in_.size() < std::max(kGzipInputChunk, prefix.size())) {
    in_.resize(std::max(kGzipInputChunk, prefix.size()));
  }
  if (!prefix.empty()) std::memcpy(in_.data(), prefix.data(), prefix.size());
  strm_.next_in = reinterpret_cast<Bytef*>(in_.data());
  strm_.avail_in = static_cast<uInt>(prefix.size());
}

void GzipSource::ResetMemory(std::string_view data) {
  Start();
  inner_ = nullptr;
  in_eof_ = true;
  // zlib takes a non-const pointer but does not write through next_in.
  strm_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  strm_.avail_in =
      static_cast<uInt>(std::min<std::size_t>(data.size(), std::numeric_limits<uInt>::max()));
}

void GzipSource::SetDamage(std::string_view what) {
  damage_ = fmt::format("{} (after {} compressed bytes)", what, consumed_);
  done_ = true;
}

Result<std::size_t> GzipSource::Read(char* dst, std::size_t n) {
  std::size_t produced = 0;
  n = std::min<std::size_t>(n, std::numeric_limits<uInt>::max());
  while (produced == 0 && !done_) {
    if (strm_.avail_in == 0 && !in_eof_) {
      auto got = inner_ != nullptr ? inner_->Read(in_.data(), in_.size()) : Result<std::size_t>(0);
      if (!got.has_value()) return std::move(got).error();
      if (*got == 0) {
        in_eof_ = true;
      } else {
        strm_.next_in = reinterpret_cast<Bytef*>(in_.data());
        strm_.avail_in = static_cast<uInt>(*got);
      }
    }
    if (member_done_) {
      if (strm_.avail_in == 0) {
        if (in_eof_) done_ = true;
        continue;
      }
      if (skipping_zeros_ || strm_.next_in[0] == 0) {
        skipping_zeros_ = true;
        while (strm_.avail_in > 0 && strm_.next_in[0] == 0) {
          ++strm_.next_in;
          --strm_.avail_in;
          ++consumed_;
        }
        if (strm_.avail_in > 0)
          SetDamage("non-gzip data after zero padding at the end of the stream");
        continue;
      }
      if (strm_.next_in[0] != 0x1f || (strm_.avail_in >= 2 && strm_.next_in[1] != 0x8b)) {
        SetDamage("data after the end of the gzip stream is not another gzip member");
        continue;
      }
      inflateReset(&strm_);
      member_done_ = false;
    }
    uInt in_before = strm_.avail_in;
    strm_.next_out = reinterpret_cast<Bytef*>(dst + produced);
    strm_.avail_out = static_cast<uInt>(n - produced);
    int ret = inflate(&strm_, Z_NO_FLUSH);
    produced = n - strm_.avail_out;
    consumed_ += in_before - strm_.avail_in;
    switch (ret) {
      case Z_STREAM_END:
        ++members_;
        member_done_ = true;
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:
        if (strm_.avail_in == 0 && in_eof_) {
          SetDamage("gzip stream is truncated");
        } else if (strm_.avail_in > 0 && in_before == strm_.avail_in && produced == 0) {
          SetDamage("gzip inflater made no progress");
        }
        break;
      default:
        SetDamage(fmt::format("corrupt gzip data: {}", strm_.msg != nullptr ? strm_.msg : "error"));
        break;
    }
  }
  bytes_read_ += produced;
  return produced;
}

}  // namespace vigil::ingest::internal
