#include "controls/collect.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controls/snapshot.h"

namespace vigil::controls {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxPages = 10000;  // a NextToken loop that never ends is a broken CLI

bool Unauthorised(std::string_view err) {
  for (std::string_view marker :
       {"AccessDenied", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
        "Unable to locate credentials", "AuthFailure", "security token included in the request",
        "UnauthorizedOperation", "SignatureDoesNotMatch"}) {
    if (err.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

std::string FirstLine(std::string_view text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ' || text.front() == '\r')) {
    text.remove_prefix(1);
  }
  std::string line(text.substr(0, text.find('\n')));
  if (line.size() > 300) line = line.substr(0, 300) + "…";
  return line.empty() ? std::string("(no message)") : line;
}

class AwsCli {
 public:
  AwsCli(CommandRunner& runner, const CollectOptions& options, CollectSummary& summary)
      : runner_(runner), options_(options), summary_(summary) {}

  // Runs `aws <args> --output json [--region R] [--profile P]` and parses the output.
  // `optional`: a failure (other than a missing or unauthorised CLI) gives a null document.
  Result<json> Call(std::vector<std::string> args, std::string_view region, bool optional = false) {
    const std::string label = fmt::format("{}", fmt::join(args, " "));
    std::vector<std::string> argv = {options_.aws};
    for (std::string& a : args) argv.push_back(std::move(a));
    argv.insert(argv.end(), {"--output", "json"});
    if (!region.empty()) argv.insert(argv.end(), {"--region", std::string(region)});
    if (!options_.profile.empty()) argv.insert(argv.end(), {"--profile", options_.profile});
    if (options_.progress) {
      options_.progress(region.empty() ? label : fmt::format("{} ({})", label, region));
    }
    ++summary_.calls;
    auto result = runner_.Run(argv);
    if (!result) {
      if (result.error().code == ErrorCode::kNotFound) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("the AWS CLI ('{}') was not found on PATH: install AWS CLI v2 "
                                     "or pass --aws PATH",
                                     options_.aws));
      }
      return std::move(result).error();
    }
    const std::string where = region.empty() ? label : fmt::format("{} in {}", label, region);
    if (result->exit_code != 0) {
      if (Unauthorised(result->err)) {
        return MakeError(ErrorCode::kConfig,
                         fmt::format("aws is not authorised for '{}': {} (check --profile and "
                                     "the credentials)",
                                     where, FirstLine(result->err)));
      }
      if (optional) return json();
      return MakeError(ErrorCode::kIo, fmt::format("'aws {}' failed (exit {}): {}", where,
                                                   result->exit_code, FirstLine(result->err)));
    }
    const std::string_view text = result->out;
    if (text.find_first_not_of(" \n\r\t") == std::string_view::npos) return json::object();
    auto parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("'aws {}' printed something that is not JSON", where));
    }
    return parsed;
  }

  // A paginated list call: follows NextToken, concatenating the `list_key` arrays.
  Result<json> Paginated(std::vector<std::string> args,
                         std::string_view region,
                         std::string_view list_key,
                         bool optional = false) {
    json merged = json::object();
    merged[std::string(list_key)] = json::array();
    std::string token;
    for (size_t page = 0; page < kMaxPages; ++page) {
      std::vector<std::string> call = args;
      call.insert(call.end(), {"--max-items", std::to_string(options_.page_size)});
      if (!token.empty()) call.insert(call.end(), {"--starting-token", token});
      VIGIL_TRY(json doc, Call(std::move(call), region, optional));
      if (doc.is_null()) return json();
      const json* items = Field(doc, list_key);
      if (items != nullptr && items->is_array()) {
        for (const json& item : *items) merged[std::string(list_key)].push_back(item);
      }
      token = StringField(doc, "NextToken");
      if (token.empty()) return merged;
    }
    return MakeError(ErrorCode::kIo,
                     fmt::format("'aws {}' kept returning NextToken", fmt::join(args, " ")));
  }

 private:
  CommandRunner& runner_;
  const CollectOptions& options_;
  CollectSummary& summary_;
};

Status WriteJson(const fs::path& path, const json& doc, CollectSummary& summary) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, fmt::format("{}: cannot create: {}",
                                                 path.parent_path().string(), ec.message()));
  }
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  out << doc.dump(4, ' ', false, json::error_handler_t::replace) << '\n';
  out.close();
  if (!out) return MakeError(ErrorCode::kIo, fmt::format("{}: cannot write", path.string()));
  ++summary.files;
  return Ok();
}

// Names used in file names must not walk out of the snapshot folder.
bool SafeName(std::string_view name) {
  return !name.empty() && name.size() <= 256 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Status CollectGuardDuty(AwsCli& aws,
                        const fs::path& dir,
                        const std::string& region,
                        const CollectOptions& options,
                        CollectSummary& summary) {
  const fs::path gd = dir / "guardduty";
  VIGIL_TRY(json detectors, aws.Paginated({"guardduty", "list-detectors"}, region, "DetectorIds"));
  VIGIL_TRY_STATUS(WriteJson(gd / "list-detectors.json", detectors, summary));
  const json& ids = detectors["DetectorIds"];
  if (ids.empty()) return Ok();
  if (!ids[0].is_string() || !SafeName(ids[0].get<std::string>())) {
    return MakeError(ErrorCode::kIo, fmt::format("guardduty list-detectors in {} returned a bad "
                                                 "detector id",
                                                 region));
  }
  const std::string id = ids[0].get<std::string>();
  VIGIL_TRY(json detector, aws.Call({"guardduty", "get-detector", "--detector-id", id}, region));
  VIGIL_TRY_STATUS(WriteJson(gd / fmt::format("get-detector-{}.json", id), detector, summary));

  VIGIL_TRY(json admin, aws.Call({"guardduty", "get-administrator-account", "--detector-id", id},
                                 region, true));
  if (Field(admin, "Administrator") != nullptr) {
    VIGIL_TRY_STATUS(WriteJson(gd / "get-administrator-account.json", admin, summary));
  }
  VIGIL_TRY(json org,
            aws.Call({"guardduty", "describe-organization-configuration", "--detector-id", id},
                     region, true));
  if (org.is_object() && !org.empty()) {
    VIGIL_TRY_STATUS(WriteJson(gd / "describe-organization-configuration.json", org, summary));
  }
  VIGIL_TRY(json members, aws.Paginated({"guardduty", "list-members", "--detector-id", id,
                                         "--only-associated", "true"},
                                        region, "Members", true));
  if (members.is_null() || members["Members"].empty()) return Ok();
  VIGIL_TRY_STATUS(WriteJson(gd / "list-members.json", members, summary));

  std::vector<std::string> accounts;
  for (const json& m : members["Members"]) {
    std::string account = StringField(m, "AccountId");
    if (!account.empty()) accounts.push_back(std::move(account));
  }
  json combined = {{"MemberDataSourceConfigurations", json::array()},
                   {"UnprocessedAccounts", json::array()}};
  const size_t batch = std::clamp<size_t>(options.member_batch, 1, 50);
  for (size_t i = 0; i < accounts.size(); i += batch) {
    std::vector<std::string> call = {"guardduty", "get-member-detectors", "--detector-id", id,
                                     "--account-ids"};
    for (size_t j = i; j < std::min(accounts.size(), i + batch); ++j) call.push_back(accounts[j]);
    VIGIL_TRY(json part, aws.Call(std::move(call), region));
    for (const char* key : {"MemberDataSourceConfigurations", "UnprocessedAccounts"}) {
      const json* items = Field(part, key);
      if (items == nullptr || !items->is_array()) continue;
      for (const json& item : *items) combined[key].push_back(item);
    }
  }
  return WriteJson(gd / "get-member-detectors.json", combined, summary);
}

Status CollectEks(AwsCli& aws,
                  const fs::path& dir,
                  const std::string& region,
                  CollectSummary& summary) {
  const fs::path eks = dir / "eks";
  VIGIL_TRY(json clusters, aws.Paginated({"eks", "list-clusters"}, region, "clusters"));
  VIGIL_TRY_STATUS(WriteJson(eks / "list-clusters.json", clusters, summary));
  for (const json& c : clusters["clusters"]) {
    if (!c.is_string() || !SafeName(c.get<std::string>())) continue;
    const std::string name = c.get<std::string>();
    VIGIL_TRY(json described, aws.Call({"eks", "describe-cluster", "--name", name}, region));
    VIGIL_TRY_STATUS(
        WriteJson(eks / fmt::format("describe-cluster-{}.json", name), described, summary));
  }
  return Ok();
}

}  // namespace

Result<CollectSummary> Collect(CommandRunner& runner, const CollectOptions& options) {
  if (options.out.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no output folder (--out) for the snapshot");
  }
  CollectSummary summary;
  AwsCli aws(runner, options, summary);
  VIGIL_TRY(json identity, aws.Call({"sts", "get-caller-identity"}, ""));
  summary.account = StringField(identity, "Account");
  if (!IsAccountId(summary.account)) {
    return MakeError(ErrorCode::kIo, "sts get-caller-identity did not return a 12-digit Account");
  }
  summary.regions = options.regions;
  if (summary.regions.empty()) {
    VIGIL_TRY(json regions, aws.Call({"ec2", "describe-regions"}, ""));
    const json* list = Field(regions, "Regions");
    if (list != nullptr && list->is_array()) {
      for (const json& r : *list) {
        std::string name = StringField(r, "RegionName");
        if (SafeName(name)) summary.regions.push_back(std::move(name));
      }
    }
    if (summary.regions.empty()) {
      return MakeError(ErrorCode::kIo, "ec2 describe-regions listed no region; pass --regions");
    }
  }
  for (const std::string& region : summary.regions) {
    if (!SafeName(region)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("'{}' is not a region name", region));
    }
    const fs::path dir = fs::path(options.out) / summary.account / region;
    VIGIL_TRY_STATUS(CollectGuardDuty(aws, dir, region, options, summary));
    VIGIL_TRY_STATUS(CollectEks(aws, dir, region, summary));
  }
  return summary;
}

}  // namespace vigil::controls
