#include "store/sqlite/tail_offsets.h"

#include <fmt/format.h>

#include "base/time.h"

namespace vigil::store {
namespace {

constexpr std::string_view kColumns =
    "source, file, device, inode, offset, fingerprint, fingerprint_length, compressed";

std::int64_t ToInt(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t ToU64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

ingest::TailCheckpoint ReadRow(const sqlite::Statement& st) {
  ingest::TailCheckpoint cp;
  cp.source = st.ColumnText(0);
  cp.file = st.ColumnText(1);
  cp.device = ToU64(st.ColumnInt(2));
  cp.inode = ToU64(st.ColumnInt(3));
  cp.offset = ToU64(st.ColumnInt(4));
  cp.fingerprint = ToU64(st.ColumnInt(5));
  cp.fingerprint_length = ToU64(st.ColumnInt(6));
  cp.compressed = st.ColumnInt(7) != 0;
  return cp;
}

}  // namespace

Result<std::unique_ptr<SqliteTailOffsets>> SqliteTailOffsets::Open(const std::string& path,
                                                                   const SqliteOptions& options) {
  VIGIL_TRY(auto db, OpenStoreDatabase(path, options));
  return std::unique_ptr<SqliteTailOffsets>(new SqliteTailOffsets(std::move(db)));
}

Result<std::optional<ingest::TailCheckpoint>> SqliteTailOffsets::Load(std::string_view source) {
  VIGIL_TRY(auto st,
            db_->Prepare(fmt::format("SELECT {} FROM tail_offsets WHERE source = ?", kColumns)));
  st->Bind(1, source);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return std::optional<ingest::TailCheckpoint>();
  return std::optional<ingest::TailCheckpoint>(ReadRow(*st));
}

Status SqliteTailOffsets::Save(const ingest::TailCheckpoint& cp) {
  VIGIL_TRY(auto st,
            db_->Prepare(fmt::format("INSERT OR REPLACE INTO tail_offsets ({}, updated_at) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                     kColumns)));
  st->Bind(1, cp.source);
  st->Bind(2, cp.file);
  st->Bind(3, ToInt(cp.device));
  st->Bind(4, ToInt(cp.inode));
  st->Bind(5, ToInt(cp.offset));
  st->Bind(6, ToInt(cp.fingerprint));
  st->Bind(7, ToInt(cp.fingerprint_length));
  st->Bind(8, std::int64_t{cp.compressed ? 1 : 0});
  st->Bind(9, std::int64_t{NowNanos()});
  return st->Run();
}

Result<std::vector<ingest::TailCheckpoint>> SqliteTailOffsets::List() {
  VIGIL_TRY(auto st,
            db_->Prepare(fmt::format("SELECT {} FROM tail_offsets ORDER BY source", kColumns)));
  std::vector<ingest::TailCheckpoint> out;
  while (true) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadRow(*st));
  }
  return out;
}

Status SqliteTailOffsets::Forget(std::string_view source) {
  VIGIL_TRY(auto st, db_->Prepare("DELETE FROM tail_offsets WHERE source = ?"));
  st->Bind(1, source);
  return st->Run();
}

Result<bool> SqliteTailOffsets::RuleCountedAnyEvent(std::string_view rule,
                                                    std::span<const findings::EventRef> events) {
  // finding_events' primary key is (finding_seq, digest): one lookup per finding of the rule.
  VIGIL_TRY(auto st, db_->Prepare("SELECT 1 FROM findings f JOIN finding_events e "
                                  "ON e.finding_seq = f.seq AND e.digest = ? WHERE f.rule = ? "
                                  "LIMIT 1"));
  for (const auto& ref : events) {
    st->BindBlob(1, ref.digest);
    st->Bind(2, rule);
    VIGIL_TRY(bool row, st->Step());
    st->Reset();
    if (row) return true;
  }
  return false;
}

}  // namespace vigil::store
