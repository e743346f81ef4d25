// DedupWindow: remembers which (auditID, stage) pairs were evaluated recently so a retried webhook
// batch or two overlapping log files do not evaluate the same event twice.
//
// Two generations of an open-addressing hash set: new pairs go into the current generation. When
// it holds max_entries/2 pairs, or its oldest pair is older than `window` (event time, relative to
// the newest event seen) while the previous generation is empty, it becomes the previous
// generation; the previous generation is dropped when it is replaced or when even its newest pair
// has left the window. So a pair is remembered for at least max_entries/2 later events and at least `window`
// of event time (whichever bound is hit first), and at most max_entries pairs are held. A
// generation's table starts small and doubles when it would be more than 3/4 full, so it costs 11
// to 21 bytes per pair it holds (a 3/4 bound rather than 1/2 took 0.4 MB off the peak RSS of a
// 300 MB scan), never more than the power of two that holds max_entries/2 pairs at 3/4; a quiet
// cluster's window costs kilobytes, not the cap's megabytes (`vigil serve` holds one per cluster).
// Nothing is allocated per event but those doublings, and a lookup probes a few neighbouring
// slots of each generation (8 per cache line). Keys are 64-bit hashes: two different
// pairs collide with probability ~max_entries/2^64 per lookup.
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

  // Pairs currently remembered.
  size_t size() const { return current_.count + previous_.count; }
  // Generations dropped because they were full (rather than old): a high number means the window
  // is bounded by the entry cap, not by time.
  std::uint64_t rotations_by_size() const { return rotations_by_size_; }

 private:
  struct Generation {
    std::vector<std::uint64_t> slots;  // 0 = empty; linear probing; power-of-two size
    size_t mask = 0;
    size_t count = 0;
    UnixNanos oldest = 0;  // event time of the oldest pair (0 = none known)
    UnixNanos newest = 0;  // event time of the newest pair (0 = none known)
    bool Contains(std::uint64_t key) const;
    // Doubles the table first when it would be more than 3/4 full (up to max_slots).
    void Insert(std::uint64_t key, size_t max_slots);
    void Clear();
    void Resize(size_t n);
  };
  void Rotate();

  std::int64_t window_nanos_;
  size_t generation_capacity_;  // pairs per generation
  size_t max_slots_;            // a generation's largest table
  Generation current_;
  Generation previous_;
  UnixNanos newest_ = 0;
  std::uint64_t rotations_by_size_ = 0;
};

}  // namespace vigil::detect

#endif  // VIGIL_DETECT_DEDUP_WINDOW_H_
