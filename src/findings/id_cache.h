// FindingIdCache: (rule, dedup key) → finding id, plus a pointer the owner attaches to the key
// (the aggregator attaches the finding it holds for that id).
//
// A finding id is a SHA-256 of (rule, dedup key) and most matches repeat a finding already
// held, so the aggregator asks this cache twice per match (NeedsDetail() and Add()). One answer
// costs one 64-bit hash (FastHash64) of the two strings and a probe of a flat open-addressing
// table, verified by comparing the stored rule and dedup key (so a hash collision only costs a
// second probe, never a wrong id).
//
// Attached values are tied to a generation: Invalidate() forgets every one of them at once (in
// O(1)), for when the owner hands its findings out. A slot whose value is not attached answers
// nullptr, which means "unknown", not "absent": the owner looks the id up itself.
//
// Bounded: when a new key would make more than max_entries keys, every key is dropped first
// (dropping costs nothing but the time to recompute ids). Not thread-safe.
#ifndef VIGIL_FINDINGS_ID_CACHE_H_
#define VIGIL_FINDINGS_ID_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "findings/finding.h"

namespace vigil::findings {

template <typename Value>
class FindingIdCache {
 public:
  // The hash of (rule, dedup key); replaceable so tests can force collisions.
  using HashFn = std::uint64_t (*)(std::string_view rule, std::string_view dedup_key);

  static constexpr size_t kDefaultMaxEntries = 100000;

  // One cached key. References stay valid until the next Lookup() or Clear().
  struct Item {
    std::string key;         // rule followed by the dedup key
    size_t rule_size = 0;    // where the rule ends in `key`
    std::string id;          // FindingId(rule, dedup key)
    Value* value = nullptr;  // attached by the owner; meaningful in `generation` only
    std::uint64_t generation = 0;
  };

  explicit FindingIdCache(size_t max_entries = kDefaultMaxEntries, HashFn hash = &DefaultHash)
      : max_entries_(max_entries == 0 ? 1 : max_entries), hash_(hash) {}

  // The item for (rule, dedup_key), computing the id when the key is new.
  Item& Lookup(std::string_view rule, std::string_view dedup_key) {
    // The aggregator asks for the same key twice in a row (NeedsDetail(), then Add()): the last
    // answer is checked first, against a key still in cache, without hashing.
    if (last_ != 0 && Holds(items_[last_ - 1], rule, dedup_key)) return items_[last_ - 1];
    const std::uint64_t h = hash_(rule, dedup_key);
    if (!slots_.empty()) {
      for (size_t i = static_cast<size_t>(h) & mask_;; i = (i + 1) & mask_) {
        const Slot& slot = slots_[i];
        if (slot.item == 0) break;
        if (slot.hash != h) continue;
        Item& item = items_[slot.item - 1];
        if (Holds(item, rule, dedup_key)) {
          last_ = slot.item;
          return item;
        }
      }
    }
    if (items_.size() >= max_entries_) Clear();
    if (2 * (items_.size() + 1) > slots_.size()) Grow();
    Item& item = items_.emplace_back();
    item.key.reserve(rule.size() + dedup_key.size());
    item.key.append(rule);
    item.key.append(dedup_key);
    item.rule_size = rule.size();
    item.id = FindingId(rule, dedup_key);
    Place(h, static_cast<std::uint32_t>(items_.size()));
    last_ = static_cast<std::uint32_t>(items_.size());
    return item;
  }

  // The value attached to `item` in the current generation, or nullptr.
  Value* ValueOf(const Item& item) const {
    return item.generation == generation_ ? item.value : nullptr;
  }
  void Attach(Item& item, Value* value) {
    item.value = value;
    item.generation = generation_;
  }

  // Forgets every attached value; keys and ids stay.
  void Invalidate() { ++generation_; }

  // Drops every key.
  void Clear() {
    items_.clear();
    last_ = 0;
    std::fill(slots_.begin(), slots_.end(), Slot{});
  }

  size_t size() const { return items_.size(); }

  static std::uint64_t DefaultHash(std::string_view rule, std::string_view dedup_key) {
    return FastHash64(dedup_key, FastHash64(rule));
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t item = 0;  // index into items_ plus one; 0: empty
  };

  static bool Holds(const Item& item, std::string_view rule, std::string_view dedup_key) {
    const std::string_view key = item.key;
    return item.rule_size == rule.size() && key.size() == rule.size() + dedup_key.size() &&
           key.substr(0, rule.size()) == rule && key.substr(rule.size()) == dedup_key;
  }

  void Grow() {
    size_t capacity = slots_.empty() ? 16 : 2 * slots_.size();
    while (capacity < 2 * (items_.size() + 1)) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (size_t i = 0; i < items_.size(); ++i) {
      const Item& item = items_[i];
      const std::string_view key = item.key;
      Place(hash_(key.substr(0, item.rule_size), key.substr(item.rule_size)),
            static_cast<std::uint32_t>(i + 1));
    }
  }

  void Place(std::uint64_t h, std::uint32_t item) {
    size_t i = static_cast<size_t>(h) & mask_;
    while (slots_[i].item != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{h, item};
  }

  size_t max_entries_;
  HashFn hash_;
  std::vector<Item> items_;
  std::vector<Slot> slots_;  // power-of-two size, at most half full
  size_t mask_ = 0;
  std::uint64_t generation_ = 1;  // items start at generation 0: nothing attached
  std::uint32_t last_ = 0;  // the item Lookup() returned last, plus one; 0: none
};

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ID_CACHE_H_
