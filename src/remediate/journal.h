// The journal's hash chain: every entry's hash covers its own fields and the previous entry's
// hash, so changing, removing or reordering any entry breaks every hash after it.
#ifndef VIGIL_REMEDIATE_JOURNAL_H_
#define VIGIL_REMEDIATE_JOURNAL_H_

#include <optional>
#include <span>
#include <string>

#include "remediate/state_store.h"

namespace vigil::remediate {

// SHA-256 (hex) over prev_hash, seq, time, kind, finding_id, plan_id, action_id and the detail's
// canonical JSON (sorted keys), each length-prefixed so that no two entries share an encoding.
std::string JournalHash(const JournalEntry& entry);

struct JournalCheck {
  bool ok = true;
  std::int64_t bad_seq = 0;  // the first entry that does not verify
  std::string why;
};

// Walks `entries` (the whole journal, seq order): each prev_hash must equal the previous entry's
// hash, seq must increase by one from 1, and each hash must equal JournalHash.
JournalCheck VerifyJournal(std::span<const JournalEntry> entries);

// The API's and the CLI's journal entry: {seq, time (RFC 3339), kind, finding_id, plan_id,
// action_id, detail, hash, prev_hash}.
nlohmann::json JournalEntryJson(const JournalEntry& entry);

}  // namespace vigil::remediate

#endif  // VIGIL_REMEDIATE_JOURNAL_H_
