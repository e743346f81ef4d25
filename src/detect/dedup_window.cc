#include "detect/dedup_window.h"

#include <algorithm>
#include <utility>

#include "base/hash.h"

namespace vigil::detect {

DedupWindow::DedupWindow(std::int64_t window_seconds, size_t max_entries)
    : window_nanos_(window_seconds * 1000000000LL),
      generation_capacity_(std::max<size_t>(max_entries / 2, 1)) {
  max_slots_ = 16;
  while (max_slots_ * 3 < generation_capacity_ * 4) max_slots_ <<= 1;  // at most 3/4 full
  const size_t initial = std::min<size_t>(max_slots_, 1024);
  current_.Resize(initial);
  previous_.Resize(initial);
}

void DedupWindow::Generation::Resize(size_t n) {
  std::vector<std::uint64_t> old = std::exchange(slots, std::vector<std::uint64_t>(n, 0));
  mask = n - 1;
  for (std::uint64_t key : old) {
    if (key == 0) continue;
    size_t i = static_cast<size_t>(key) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = key;
  }
}

bool DedupWindow::Generation::Contains(std::uint64_t key) const {
  if (count == 0) return false;
  for (size_t i = static_cast<size_t>(key) & mask;; i = (i + 1) & mask) {
    if (slots[i] == key) return true;
    if (slots[i] == 0) return false;
  }
}

void DedupWindow::Generation::Insert(std::uint64_t key, size_t max_slots) {
  if ((count + 1) * 4 > slots.size() * 3 && slots.size() < max_slots) Resize(slots.size() * 2);
  size_t i = static_cast<size_t>(key) & mask;
  while (slots[i] != 0) i = (i + 1) & mask;
  slots[i] = key;
  ++count;
}

void DedupWindow::Generation::Clear() {
  if (count > 0) std::fill(slots.begin(), slots.end(), 0);
  count = 0;
  oldest = 0;
  newest = 0;
}

void DedupWindow::Rotate() {
  std::swap(previous_, current_);
  current_.Clear();
}

bool DedupWindow::SeenBefore(std::string_view audit_id, std::string_view stage, UnixNanos time) {
  std::uint64_t key = FastHash64(audit_id, FastHash64(stage));
  if (key == 0) key = 1;
  if (time > newest_) newest_ = time;
  if (current_.Contains(key) || previous_.Contains(key)) return true;

  // Age, in event time: the previous generation goes once even its newest pair left the window;
  // the current one becomes the previous once its oldest pair left it.
  if (newest_ != 0) {
    const UnixNanos horizon = newest_ - window_nanos_;
    if (previous_.count > 0 && previous_.newest != 0 && previous_.newest < horizon) {
      previous_.Clear();
    }
    if (previous_.count == 0 && current_.oldest != 0 && current_.oldest < horizon) Rotate();
  }
  if (current_.count >= generation_capacity_) {
    Rotate();
    ++rotations_by_size_;
  }
  current_.Insert(key, max_slots_);
  if (time != 0) {
    if (current_.oldest == 0 || time < current_.oldest) current_.oldest = time;
    if (time > current_.newest) current_.newest = time;
  }
  return false;
}

}  // namespace vigil::detect
