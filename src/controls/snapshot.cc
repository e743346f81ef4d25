#include "controls/snapshot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vigil::controls {
namespace {

namespace fs = std::filesystem;

Result<std::vector<std::string>> SubFolders(const std::string& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot read the snapshot folder: {}", dir, ec.message()));
  }
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : it) {
    std::error_code type_ec;
    if (entry.is_directory(type_ec)) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool SameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  if (std::tolower(static_cast<unsigned char>(a[0])) !=
      std::tolower(static_cast<unsigned char>(b[0]))) {
    return false;
  }
  return a.substr(1) == b.substr(1);
}

}  // namespace

bool IsAccountId(std::string_view name) {
  return name.size() == 12 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<std::vector<std::string>> Snapshot::Accounts() const {
  VIGIL_TRY(std::vector<std::string> names, SubFolders(root_));
  std::erase_if(names, [](const std::string& n) { return !IsAccountId(n); });
  return names;
}

Result<std::vector<std::string>> Snapshot::Regions(std::string_view account) const {
  return SubFolders((fs::path(root_) / std::string(account)).string());
}

std::string Snapshot::PathOf(std::string_view account,
                             std::string_view region,
                             std::string_view relative) const {
  return (fs::path(root_) / std::string(account) / std::string(region) / std::string(relative))
      .string();
}

bool Snapshot::HasFolder(std::string_view account,
                         std::string_view region,
                         std::string_view name) const {
  std::error_code ec;
  return fs::is_directory(PathOf(account, region, name), ec);
}

Result<SnapshotDoc> Snapshot::Read(std::string_view account,
                                   std::string_view region,
                                   std::string_view relative) const {
  return ReadJsonFile(PathOf(account, region, relative));
}

Result<SnapshotDoc> ReadJsonFile(const std::string& path) {
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  if (!exists && !ec) {
    return MakeError(ErrorCode::kNotFound, fmt::format("{}: file is missing", path));
  }
  if (fs::is_directory(path, ec)) {
    return MakeError(ErrorCode::kIo, fmt::format("{}: is a folder, not a file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot be read: {}", path, std::strerror(errno)));
  }
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSnapshotFileBytes) {
      return MakeError(ErrorCode::kParse,
                       fmt::format("{}: larger than {} bytes", path, kMaxSnapshotFileBytes));
    }
  }
  if (in.bad()) return MakeError(ErrorCode::kIo, fmt::format("{}: read error", path));
  return ParseJsonText(text, path);
}

Result<SnapshotDoc> ParseJsonText(std::string_view text, const std::string& path) {
  SnapshotDoc doc;
  doc.path = path;
  try {
    doc.json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return MakeError(ErrorCode::kParse, fmt::format("{}: not valid JSON at byte {}", path, e.byte));
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kParse, fmt::format("{}: not valid JSON ({})", path, e.id));
  }
  return doc;
}

const nlohmann::json* Field(const nlohmann::json& j, std::string_view name) {
  if (!j.is_object()) return nullptr;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (SameKey(it.key(), name)) return &*it;
  }
  return nullptr;
}

std::string StringField(const nlohmann::json& j, std::string_view name) {
  const nlohmann::json* f = Field(j, name);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

}  // namespace vigil::controls
