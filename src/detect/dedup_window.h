// DedupWindow: remembers which (auditID, stage) pairs were evaluated recently so a retried webhook
// batch or two overlapping log files do not evaluate the same event twice.
//
// Bounded twice: entries older than `window` (event time, relative to the newest event seen) are
// forgotten, and at most `max_entries` are held (the oldest go first). Memory is fixed at
// construction; inserting does not allocate. Keys are 64-bit hashes: two different pairs collide
// with probability ~max_entries/2^64 per lookup.
// Thread-safety: none; one per pipeline.
#ifndef VIGIL_DETECT_DEDUP_WINDOW_H_
#define VIGIL_DETECT_DEDUP_WINDOW_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace vigil::detect {

class DedupWindow {
 public:
  DedupWindow(std::int64_t window_seconds, size_t max_entries);

  // True if (audit_id, stage) was seen within the window (the event should be skipped); otherwise
  // records it and returns false. `time` is the event's time (0 when unknown: then only the entry
  // cap bounds the window).
  bool SeenBefore(std::string_view audit_id, std::string_view stage, UnixNanos time);

  size_t size() const { return count_; }
  std::uint64_t evicted_early() const { return evicted_early_; }  // dropped by the cap, not age

 private:
  struct Slot {
    std::uint64_t key = 0;  // 0 = empty
  };
  struct Entry {
    std::uint64_t key;
    UnixNanos time;
  };
  size_t Find(std::uint64_t key) const;  // slot index holding key, or the empty slot to use
  void Erase(std::uint64_t key);
  void EvictOldest();

  std::int64_t window_nanos_;
  std::vector<Slot> table_;  // open addressing, linear probing, power-of-two size
  size_t mask_;
  std::vector<Entry> ring_;  // insertion order, capacity max_entries
  size_t head_ = 0;          // oldest entry
  size_t count_ = 0;
  UnixNanos newest_ = 0;
  std::uint64_t evicted_early_ = 0;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_DEDUP_WINDOW_H_
