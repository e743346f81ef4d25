// PaddedBuffer: a growable byte buffer that keeps SIMDJSON_PADDING readable bytes past its
// capacity, so simdjson can parse any range of it in place (parse(ptr, len, false)).
// Internal to the ingest module.
#ifndef VIGIL_INGEST_PADDED_BUFFER_H_
#define VIGIL_INGEST_PADDED_BUFFER_H_

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

namespace vigil::ingest::internal {

class PaddedBuffer {
 public:
  PaddedBuffer() = default;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

  // Ensures capacity() >= n, keeping the first size() bytes. Grows at least geometrically.
  void Reserve(std::size_t n) {
    if (n <= capacity_) return;
    std::size_t cap = std::max(n, capacity_ + capacity_ / 2);
    // Value-initialised, so the padding (and any byte simdjson may look at) is defined.
    auto fresh = std::make_unique<char[]>(cap + simdjson::SIMDJSON_PADDING);
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = cap;
  }

  // Ensures capacity() >= n exactly (no geometric slack), keeping the first size() bytes.
  void ReserveExact(std::size_t n) {
    if (n <= capacity_) return;
    auto fresh = std::make_unique<char[]>(n + simdjson::SIMDJSON_PADDING);
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = n;
  }

  // Sets the size; n must be <= capacity().
  void Resize(std::size_t n) { size_ = n; }
  void Clear() { size_ = 0; }

  void Assign(const char* p, std::size_t n) {
    size_ = 0;
    Append(p, n);
  }
  void Append(const char* p, std::size_t n) {
    Reserve(size_ + n);
    if (n > 0) std::memcpy(data_.get() + size_, p, n);
    size_ += n;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_PADDED_BUFFER_H_
