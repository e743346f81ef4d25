// Snapshot: a folder of the JSON that the AWS CLI prints, one folder per account and region
// (docs/controls.md "Snapshots"):
//
//   SNAP/<account-id>/<region>/guardduty/list-detectors.json
//   SNAP/<account-id>/<region>/guardduty/get-detector-<detector-id>.json
//   SNAP/<account-id>/<region>/guardduty/describe-organization-configuration.json  (admin only)
//   SNAP/<account-id>/<region>/guardduty/list-members.json                         (admin only)
//   SNAP/<account-id>/<region>/guardduty/get-member-detectors.json                 (admin only)
//   SNAP/<account-id>/<region>/guardduty/get-administrator-account.json            (optional)
//   SNAP/<account-id>/<region>/eks/list-clusters.json
//   SNAP/<account-id>/<region>/eks/describe-cluster-<cluster-name>.json
//
// Keys are matched without regard to the case of their first letter, so both the CLI's
// PascalCase ("DetectorIds") and the REST API's camelCase ("detectorIds") are accepted.
//
// Not thread-safe to mutate; reading is const and may be shared.
#ifndef VIGIL_CONTROLS_SNAPSHOT_H_
#define VIGIL_CONTROLS_SNAPSHOT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vigil::controls {

// The largest snapshot file read; a bigger one is refused (kParse) rather than loaded.
inline constexpr size_t kMaxSnapshotFileBytes = 64u << 20;

// A JSON document read from a snapshot, with the path it came from (for evidence and errors).
struct SnapshotDoc {
  std::string path;
  nlohmann::json json;
};

class Snapshot {
 public:
  // A snapshot rooted at `root` (not read until asked).
  explicit Snapshot(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // The account folders (names of 12 digits), sorted. kIo when the root is not a readable
  // folder; folders with other names are ignored.
  Result<std::vector<std::string>> Accounts() const;
  // The region folders of an account, sorted (empty when there are none).
  Result<std::vector<std::string>> Regions(std::string_view account) const;

  // The path of a file in an account/region folder ("guardduty/list-detectors.json").
  std::string PathOf(std::string_view account,
                     std::string_view region,
                     std::string_view relative) const;
  // True when the account/region folder has a sub-folder `name` ("guardduty", "eks"). A region
  // without one was not collected for that service and gets no results for it.
  bool HasFolder(std::string_view account, std::string_view region, std::string_view name) const;
  // Reads and parses a file. kNotFound when it does not exist, kIo when it cannot be read,
  // kParse when it is not JSON (the message names the file and, for JSON, the byte offset).
  Result<SnapshotDoc> Read(std::string_view account,
                           std::string_view region,
                           std::string_view relative) const;

 private:
  std::string root_;
};

// Reads and parses one JSON file, errors as Snapshot::Read.
Result<SnapshotDoc> ReadJsonFile(const std::string& path);
// Parses JSON text that came from `path` (errors name it).
Result<SnapshotDoc> ParseJsonText(std::string_view text, const std::string& path);

// The member `name` of an object, matching "DetectorIds" and "detectorIds" alike (the first
// letter's case is ignored); nullptr when `j` is not an object or has no such member.
const nlohmann::json* Field(const nlohmann::json& j, std::string_view name);
// Field() as a string; "" when absent or not a string.
std::string StringField(const nlohmann::json& j, std::string_view name);

// True when `name` is 12 ASCII digits.
bool IsAccountId(std::string_view name);

}  // namespace vigil::controls

#endif  // VIGIL_CONTROLS_SNAPSHOT_H_
