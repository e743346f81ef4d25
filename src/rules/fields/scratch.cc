#include <cstring>
#include <memory>

#include "rules/field.h"

namespace vigil::rules {

// Chunks are allocated on first use, so a Scratch that only ever sees views costs nothing.
Scratch::Scratch() = default;

std::string_view Scratch::Store(std::string_view text) {
  const size_t n = text.size();
  if (n == 0) return std::string_view("");
  if (n > kChunkSize) {
    large_.push_back(std::make_unique_for_overwrite<char[]>(n));
    std::memcpy(large_.back().get(), text.data(), n);
    return std::string_view(large_.back().get(), n);
  }
  if (chunks_.empty() || used_ + n > kChunkSize) {
    if (!chunks_.empty()) ++chunk_index_;
    if (chunk_index_ == chunks_.size()) {
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunkSize));
    }
    used_ = 0;
  }
  char* dst = chunks_[chunk_index_].get() + used_;
  std::memcpy(dst, text.data(), n);
  used_ += n;
  return std::string_view(dst, n);
}

void Scratch::Reset() {
  chunk_index_ = 0;
  used_ = 0;
  large_.clear();
}

}  // namespace vigil::rules
