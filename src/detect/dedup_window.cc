#include "detect/dedup_window.h"

#include <algorithm>

#include "base/hash.h"

namespace vigil::detect {

DedupWindow::DedupWindow(std::int64_t window_seconds, size_t max_entries)
    : window_nanos_(window_seconds * 1000000000LL) {
  max_entries = std::max<size_t>(max_entries, 1);
  size_t cap = 16;
  while (cap < max_entries * 2) cap <<= 1;
  table_.resize(cap);
  mask_ = cap - 1;
  ring_.resize(max_entries);
}

size_t DedupWindow::Find(std::uint64_t key) const {
  size_t i = static_cast<size_t>(key) & mask_;
  while (table_[i].key != 0 && table_[i].key != key) i = (i + 1) & mask_;
  return i;
}

void DedupWindow::Erase(std::uint64_t key) {
  size_t i = Find(key);
  if (table_[i].key == 0) return;
  // Backward-shift deletion keeps linear probing correct without tombstones.
  size_t j = i;
  while (true) {
    j = (j + 1) & mask_;
    if (table_[j].key == 0) break;
    size_t home = static_cast<size_t>(table_[j].key) & mask_;
    bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
    if (!between) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i].key = 0;
}

void DedupWindow::EvictOldest() {
  Erase(ring_[head_].key);
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

bool DedupWindow::SeenBefore(std::string_view audit_id, std::string_view stage, UnixNanos time) {
  std::uint64_t key = FastHash64(audit_id, FastHash64(stage));
  if (key == 0) key = 1;
  if (time > newest_) newest_ = time;
  while (count_ > 0 && newest_ != 0 && ring_[head_].time != 0 &&
         ring_[head_].time < newest_ - window_nanos_) {
    EvictOldest();
  }
  size_t slot = Find(key);
  if (table_[slot].key == key) return true;
  if (count_ == ring_.size()) {
    EvictOldest();
    ++evicted_early_;
    slot = Find(key);
  }
  table_[slot].key = key;
  ring_[(head_ + count_) % ring_.size()] = Entry{key, time};
  ++count_;
  return false;
}

}  // namespace vigil::detect
