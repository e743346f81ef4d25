#include "rules/eval_context.h"

#include <utility>

namespace vigil::rules {

Result<std::uint32_t> FieldTable::Intern(std::string_view name,
                                         std::optional<std::string_view> arg) {
  VIGIL_TRY(std::unique_ptr<Field> field, ResolveField(name, arg));
  std::string canonical = field->ToString();
  if (auto it = by_name_.find(canonical); it != by_name_.end()) return it->second;
  const auto slot = static_cast<std::uint32_t>(fields_.size());
  fields_.push_back(std::move(field));
  names_.push_back(canonical);
  by_name_.emplace(std::move(canonical), slot);
  return slot;
}

std::optional<std::uint32_t> FieldTable::Find(std::string_view canonical) const {
  auto it = by_name_.find(std::string(canonical));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

EvalContext::EvalContext(const FieldTable& fields)
    : fields_(&fields),
      generations_(fields.size(), 0),
      slots_(fields.size()),
      slot_count_(fields.size()) {
  text_buffer_.reserve(256);
}

void EvalContext::Reset(const event::AuditEvent& event, const EventContext* context) {
  event_ = &event;
  context_ = context;
  ++generation_;
  scratch_.Reset();
}

const FieldValues* EvalContext::Extract(std::uint32_t slot) {
  if (slot >= fields_->size() || event_ == nullptr) return nullptr;
  // Only when the table grew after this context was made (never in steady state).
  if (slot >= slot_count_) {
    generations_.resize(fields_->size(), 0);
    slots_.resize(fields_->size());
    slot_count_ = fields_->size();
  }
  Slot& s = slots_[slot];
  generations_[slot] = generation_;
  s.values.clear();
  s.available = fields_->field(slot).Extract(*event_, context_, scratch_, s.values);
  return s.available ? &s.values : nullptr;
}

}  // namespace vigil::rules
