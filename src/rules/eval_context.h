// FieldTable: the fields a rule set reads, each resolved once and given a slot number. Identical
// fields (same canonical text, e.g. two rules both reading `ka.user.name`) share one slot, so an
// event's value for it is extracted once however many rules read it.
//
// EvalContext: per-event, per-thread cache of extracted field values, indexed by slot. Reset() it
// for each event; the first read of a slot extracts, later reads of the same slot return the cached
// values. A generation counter marks stale slots, so Reset() is O(1) and, once every slot's value
// vector has grown to its working size, evaluation allocates nothing.
#ifndef VIGIL_RULES_EVAL_CONTEXT_H_
#define VIGIL_RULES_EVAL_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "event/audit_event.h"
#include "rules/field.h"

namespace vigil::rules {

// Owns resolved fields. Not thread-safe while fields are being added; immutable (and shareable
// across threads) afterwards.
class FieldTable {
 public:
  FieldTable() = default;
  FieldTable(FieldTable&&) noexcept = default;
  FieldTable& operator=(FieldTable&&) noexcept = default;

  // The slot of field `name` with optional bracket argument, resolving it on first use. Errors are
  // ResolveField's (kConfig: unknown field with a suggestion, missing or unexpected argument...).
  Result<std::uint32_t> Intern(std::string_view name, std::optional<std::string_view> arg);

  // The slot of an already interned field by canonical text ("ka.uri.param[command]").
  std::optional<std::uint32_t> Find(std::string_view canonical) const;

  std::uint32_t size() const { return static_cast<std::uint32_t>(fields_.size()); }
  const Field& field(std::uint32_t slot) const { return *fields_[slot]; }
  // Canonical text of the field in `slot`.
  const std::string& name(std::uint32_t slot) const { return names_[slot]; }

 private:
  std::vector<std::unique_ptr<Field>> fields_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> by_name_;
};

// Not thread-safe: one per thread. Holds a pointer to the FieldTable (which must outlive it) and,
// between Reset() calls, to the event and its EventContext (which must stay alive until the next
// Reset() or until the context is no longer used).
class EvalContext {
 public:
  explicit EvalContext(const FieldTable& fields);

  EvalContext(const EvalContext&) = delete;
  EvalContext& operator=(const EvalContext&) = delete;

  // Starts a new event. Values read for the previous event become invalid.
  void Reset(const event::AuditEvent& event, const EventContext* context = nullptr);

  // The values of the field in `slot` for the current event, extracting them on first use; null
  // when the field is not available for this event (Falco's <NA>). The pointer and the views in it
  // are valid until the next Reset().
  const FieldValues* Values(std::uint32_t slot) {
    if (slot < slot_count_ && generations_[slot] == generation_) {
      const Slot& s = slots_[slot];
      return s.available ? &s.values : nullptr;
    }
    return Extract(slot);
  }

  const FieldTable& fields() const { return *fields_; }
  const event::AuditEvent* event() const { return event_; }

  // A reusable buffer for operators that need a NUL-terminated copy of a value (glob). Internal
  // to the evaluator.
  std::string& scratch_text() { return text_buffer_; }

 private:
  struct Slot {
    bool available = false;
    FieldValues values;
  };

  const FieldValues* Extract(std::uint32_t slot);

  const FieldTable* fields_;
  // Which event each slot's values belong to, apart from the values so that the check on the
  // hot path reads one dense array.
  std::vector<std::uint64_t> generations_;
  std::vector<Slot> slots_;
  std::uint32_t slot_count_ = 0;
  std::uint64_t generation_ = 1;
  const event::AuditEvent* event_ = nullptr;
  const EventContext* context_ = nullptr;
  Scratch scratch_;
  std::string text_buffer_;
};

}  // namespace vigil::rules

#endif  // VIGIL_RULES_EVAL_CONTEXT_H_
