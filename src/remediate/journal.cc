#include "remediate/journal.h"

#include <fmt/format.h>

#include "base/hash.h"
#include "base/time.h"

namespace vigil::remediate {
namespace {

void Field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

std::string JournalHash(const JournalEntry& e) {
  std::string buf = "vigil-journal/v1\n";
  Field(buf, e.prev_hash);
  Field(buf, std::to_string(e.seq));
  Field(buf, std::to_string(e.time));
  Field(buf, e.kind);
  Field(buf, e.finding_id);
  Field(buf, e.plan_id);
  Field(buf, e.action_id);
  Field(buf, e.detail.dump());  // nlohmann::json objects keep keys sorted: canonical
  return Sha256Hex(buf);
}

JournalCheck VerifyJournal(std::span<const JournalEntry> entries) {
  std::string prev;
  std::int64_t expected_seq = 1;
  for (const JournalEntry& e : entries) {
    JournalCheck bad{false, e.seq, ""};
    if (e.seq != expected_seq) {
      bad.why = fmt::format("entry {} follows entry {}: an entry was removed or reordered", e.seq,
                            expected_seq - 1);
      return bad;
    }
    if (e.prev_hash != prev) {
      bad.why = fmt::format("entry {}: prev_hash does not match the hash of entry {}", e.seq,
                            e.seq - 1);
      return bad;
    }
    if (JournalHash(e) != e.hash) {
      bad.why = fmt::format("entry {} ({}): its content does not match its hash (changed after "
                            "it was written)",
                            e.seq, e.kind);
      return bad;
    }
    prev = e.hash;
    ++expected_seq;
  }
  return {};
}

nlohmann::json JournalEntryJson(const JournalEntry& e) {
  return {{"seq", e.seq},
          {"time", FormatRfc3339(e.time, 6)},
          {"kind", e.kind},
          {"finding_id", e.finding_id},
          {"plan_id", e.plan_id},
          {"action_id", e.action_id},
          {"detail", e.detail},
          {"hash", e.hash},
          {"prev_hash", e.prev_hash}};
}

}  // namespace vigil::remediate
