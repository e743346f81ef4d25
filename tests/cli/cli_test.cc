// End-to-end tests of the `vigil` command line: each test runs the real binary as a subprocess
// (fork/execv with an argument vector, never a shell) on files written to a per-test temporary
// directory, and checks its exit code, stdout, stderr and the files it writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "mmdb_writer.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunResult {
  int exit_code = -1;  // the exit status, or -signal when the process was killed
  std::string out;
  std::string err;
};

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  for (const auto& line : Lines(text)) out.push_back(json::parse(line));
  return out;
}

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Realistic audit.k8s.io/v1 events.

std::string Time(int second) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2024-05-01T10:%02d:%02d.000000Z", second / 60, second % 60);
  return buf;
}

// A human creates a privileged pod in `default`: PrivilegeEscalation:Kubernetes/PrivilegedContainer
// (MEDIUM).
std::string PrivilegedPodEvent(const std::string& audit_id, int second = 0) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":")" +
         audit_id +
         R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply","verb":"create","user":{"username":"alice@example.com","uid":"u-alice","groups":["developers","system:authenticated"]},"sourceIPs":["203.0.113.7"],"userAgent":"kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f","objectRef":{"resource":"pods","namespace":"default","name":"debug-shell","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"debug-shell","namespace":"default"},"spec":{"containers":[{"name":"shell","image":"busybox:1.36","command":["sleep","3600"],"securityContext":{"privileged":true}}]}},"requestReceivedTimestamp":")" +
         Time(second) + R"(","stageTimestamp":")" + Time(second) +
         R"(","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"dev/default\""}})";
}

// An anonymous, successful `list secrets` in kube-system:
// CredentialAccess:Kubernetes/SuccessfulAnonymousAccess (HIGH).
std::string AnonymousListSecretsEvent(const std::string& audit_id, int second = 0) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")" +
         audit_id +
         R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/secrets","verb":"list","user":{"username":"system:anonymous","groups":["system:unauthenticated"]},"sourceIPs":["198.51.100.23"],"userAgent":"curl/8.5.0","objectRef":{"resource":"secrets","namespace":"kube-system","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":")" +
         Time(second) + R"(","stageTimestamp":")" + Time(second) +
         R"(","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"anon-read\" of ClusterRole \"view-secrets\" to User \"system:anonymous\""}})";
}

// An ordinary read by a human: no finding.
std::string BenignGetPodsEvent(const std::string& audit_id, int second = 0) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":")" +
         audit_id +
         R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"alice@example.com","groups":["system:authenticated"]},"sourceIPs":["203.0.113.7"],"userAgent":"kubectl/v1.29.0","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":")" +
         Time(second) + R"(","stageTimestamp":")" + Time(second) +
         R"(","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}})";
}

// Exec into a kube-system pod: Execution:Kubernetes/ExecInKubeSystemPod.
std::string ExecInKubeSystemEvent(const std::string& audit_id) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":")" +
         audit_id +
         R"(","stage":"ResponseStarted","requestURI":"/api/v1/namespaces/kube-system/pods/coredns-5d78c9869d-abcde/exec?command=sh&container=coredns&stdin=true&stdout=true&tty=true","verb":"create","user":{"username":"alice@example.com","groups":["system:authenticated"]},"sourceIPs":["203.0.113.7"],"userAgent":"kubectl/v1.29.0","objectRef":{"resource":"pods","namespace":"kube-system","name":"coredns-5d78c9869d-abcde","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":101},"requestReceivedTimestamp":"2024-05-01T10:00:00.000000Z","stageTimestamp":"2024-05-01T10:00:00.100000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}})";
}

constexpr char kPrivilegedType[] = "PrivilegeEscalation:Kubernetes/PrivilegedContainer";
constexpr char kAnonymousType[] = "CredentialAccess:Kubernetes/SuccessfulAnonymousAccess";

// ---------------------------------------------------------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "vigil_cli_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << "mkdtemp " << tmpl;
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path Path(const std::string& name) const { return dir_ / name; }

  std::string Write(const std::string& name, const std::string& data) {
    WriteAll(Path(name), data);
    return Path(name).string();
  }

  std::string WriteGzip(const std::string& name, const std::string& data) {
    std::string path = Path(name).string();
    gzFile gz = ::gzopen(path.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    if (gz == nullptr) return path;
    EXPECT_EQ(::gzwrite(gz, data.data(), static_cast<unsigned>(data.size())),
              static_cast<int>(data.size()));
    EXPECT_EQ(::gzclose(gz), Z_OK);
    return path;
  }

  // Runs `vigil args...` with `stdin_data` on its standard input; stdout and stderr go to files
  // in the test directory (so neither can block the child) and are returned.
  RunResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    ++runs_;
    fs::path in = Path("stdin." + std::to_string(runs_));
    fs::path out = Path("stdout." + std::to_string(runs_));
    fs::path err = Path("stderr." + std::to_string(runs_));
    WriteAll(in, stdin_data);
    std::vector<std::string> argv_store = {VIGIL_BINARY};
    argv_store.insert(argv_store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);

    RunResult r;
    pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork failed";
      return r;
    }
    if (pid == 0) {
      int in_fd = ::open(in.c_str(), O_RDONLY);
      int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in_fd < 0 || out_fd < 0 || err_fd < 0) ::_exit(126);
      ::dup2(in_fd, STDIN_FILENO);
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  fs::path dir_;
  int runs_ = 0;
};

std::string Describe(const RunResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout:\n" + r.out.substr(0, 4000) +
         "\n--- stderr:\n" + r.err.substr(0, 4000);
}

std::vector<std::string> Types(const std::vector<json>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.at("type").get<std::string>());
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Exit codes

using CliExitCodeTest = CliTest;

TEST_F(CliExitCodeTest, CleanScanExitsZeroAndPrintsNoFinding) {
  std::string log = Write("clean.jsonl", BenignGetPodsEvent("b-1") + "\n" +
                                             BenignGetPodsEvent("b-2", 1) + "\n");
  RunResult r = Run({"scan", log});
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, UnknownFlagExitsTwo) {
  std::string log = Write("clean.jsonl", BenignGetPodsEvent("b-1") + "\n");
  RunResult r = Run({"scan", "--no-such-flag", log});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, BadFormatExitsTwo) {
  std::string log = Write("clean.jsonl", BenignGetPodsEvent("b-1") + "\n");
  RunResult r = Run({"scan", "--format", "xml", log});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("xml"), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, RuleFileErrorsAreAllListedBeforeAnyEventIsRead) {
  // Two distinct errors: an unknown field (line 4) and an undefined macro (line 9).
  std::string rules = Write("bad.yaml",
                            "- rule: Bad field\n"
                            "  desc: d\n"
                            "  output: o\n"
                            "  condition: ka.user.nam = alice\n"
                            "  priority: WARNING\n"
                            "- rule: Bad macro\n"
                            "  desc: d\n"
                            "  output: o\n"
                            "  condition: no_such_macro and ka.verb=create\n"
                            "  priority: WARNING\n");
  std::string log = Write("attack.jsonl", AnonymousListSecretsEvent("a-1") + "\n");
  RunResult r = Run({"scan", "--rules", rules, log});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(rules + ":4:14: rule 'Bad field'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(rules + ":9:14: rule 'Bad macro'"), std::string::npos) << r.err;
  // No event was read: no summary line.
  EXPECT_EQ(r.err.find("events from"), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, MissingRulesFileExitsTwo) {
  std::string log = Write("attack.jsonl", AnonymousListSecretsEvent("a-1") + "\n");
  std::string missing = Path("no-such-rules.yaml").string();
  RunResult r = Run({"scan", "--rules", missing, log});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, MissingInputFileExitsOne) {
  std::string missing = Path("no-such-audit.log").string();
  RunResult r = Run({"scan", missing});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(CliExitCodeTest, FailOnExitsThreeOnlyWhenAFindingReachesTheThreshold) {
  std::string log = Write("attack.jsonl", AnonymousListSecretsEvent("a-1") + "\n");
  RunResult high = Run({"scan", "--fail-on", "HIGH", log});
  EXPECT_EQ(high.exit_code, 3) << Describe(high);
  auto found = JsonLines(high.out);
  ASSERT_EQ(found.size(), 1u) << high.out;
  EXPECT_EQ(found[0]["type"], kAnonymousType);
  EXPECT_EQ(found[0]["severity"], "HIGH");

  RunResult critical = Run({"scan", "--fail-on", "CRITICAL", log});
  EXPECT_EQ(critical.exit_code, 0) << Describe(critical);
  EXPECT_EQ(JsonLines(critical.out).size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// 2. Input shapes

using CliInputTest = CliTest;

TEST_F(CliInputTest, ReadsJsonLines) {
  std::string log = Write("audit.jsonl", BenignGetPodsEvent("b-1") + "\n" +
                                             PrivilegedPodEvent("p-1", 1) + "\n" +
                                             AnonymousListSecretsEvent("a-1", 2) + "\n");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto found = JsonLines(r.out);
  std::multiset<std::string> types;
  for (const auto& t : Types(found)) types.insert(t);
  EXPECT_EQ(types, (std::multiset<std::string>{kPrivilegedType, kAnonymousType}));
  for (const auto& f : found) {
    if (f["type"] == kPrivilegedType) {
      EXPECT_EQ(f["severity"], "MEDIUM");
      EXPECT_EQ(f["audit_ids"], json::array({"p-1"}));
    }
  }
  EXPECT_NE(r.err.find("vigil: 3 events from 1 input"), std::string::npos) << r.err;
}

std::string EventList(const std::vector<std::string>& items) {
  std::string s = R"({"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[)";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

TEST_F(CliInputTest, ReadsEventListOnOneLine) {
  std::string log = Write("list.json", EventList({BenignGetPodsEvent("b-1"),
                                                  AnonymousListSecretsEvent("a-1", 1)}) +
                                           "\n");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
}

TEST_F(CliInputTest, ReadsPrettyPrintedEventList) {
  json list = json::parse(EventList({BenignGetPodsEvent("b-1"), AnonymousListSecretsEvent("a-1", 1)}));
  std::string log = Write("list.json", list.dump(4) + "\n");
  ASSERT_GT(Lines(ReadAll(log)).size(), 20u);
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
}

TEST_F(CliInputTest, ReadsGzipByContent) {
  // The name says nothing about gzip: it is detected from the bytes.
  std::string log = WriteGzip("audit.log", BenignGetPodsEvent("b-1") + "\n" +
                                               AnonymousListSecretsEvent("a-1", 1) + "\n");
  ASSERT_EQ(ReadAll(log).substr(0, 2), "\x1f\x8b");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
}

TEST_F(CliInputTest, ReadsStandardInputForDash) {
  RunResult r = Run({"scan", "-"}, BenignGetPodsEvent("b-1") + "\n" +
                                       AnonymousListSecretsEvent("a-1", 1) + "\n");
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
}

TEST_F(CliInputTest, CountsTruncatedCloudWatchMessageAndExitsZero) {
  std::string whole = AnonymousListSecretsEvent("a-1");
  std::string cut = PrivilegedPodEvent("p-1", 1).substr(0, 300) + "[Truncated...]";
  json page = {{"events",
                json::array({{{"logStreamName", "kube-apiserver-audit-0a1b2c3d4e5f"},
                              {"timestamp", 1714557600000},
                              {"message", whole},
                              {"ingestionTime", 1714557601000},
                              {"eventId", "3759000000000000000000000001"}},
                             {{"logStreamName", "kube-apiserver-audit-0a1b2c3d4e5f"},
                              {"timestamp", 1714557601000},
                              {"message", cut},
                              {"ingestionTime", 1714557602000},
                              {"eventId", "3759000000000000000000000002"}}})},
               {"searchedLogStreams", json::array()}};
  std::string log = Write("filter-log-events.json", page.dump(2) + "\n");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 1 events from 1 input"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 rejected (1 truncated)"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// 3. Bad input

using CliBadInputTest = CliTest;

// The bad records of the brief, one per line, between a good first line and the attack.
std::string BadRecords() {
  std::string missing_audit_id = BenignGetPodsEvent("x");
  missing_audit_id.replace(missing_audit_id.find(R"("auditID":"x",)"),
                           std::string(R"("auditID":"x",)").size(), "");
  std::string bad_utf8 = BenignGetPodsEvent("u-1");
  bad_utf8.replace(bad_utf8.find("alice@example.com"), 5, "al\xff\xfe" "e");
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"a":)";
  deep += "1";
  deep += std::string(5000, '}');
  std::string big = BenignGetPodsEvent("big-1", 1);
  big.replace(big.find(R"("annotations":{)") + 15, 0,
              R"("note":")" + std::string(5 << 20, 'x') + R"(",)");
  return std::string(R"({"kind":"Event","auditID":"m-1","verb":)") + "\n" +
         "this is not JSON at all <<<>>>\n" + missing_audit_id + "\n" + bad_utf8 + "\n" + deep +
         "\n" + big + "\n";
}

TEST_F(CliBadInputTest, RejectsBadRecordsAndStillReportsTheAttackAfterThem) {
  std::string log = Write("bad.jsonl", BenignGetPodsEvent("b-1") + "\n" + BadRecords() +
                                           AnonymousListSecretsEvent("a-1", 2) + "\n");
  std::string dead = Path("dead.jsonl").string();
  RunResult r = Run({"scan", "--dead-letter", dead, log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  // The benign first event, the 5 MB event and the attack are read.
  EXPECT_NE(r.err.find("vigil: 3 events from 1 input"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; 5 rejected (2 malformed, 1 invalid-utf8, 1 too-deep, 1 not-an-event)"),
            std::string::npos)
      << r.err;

  auto dead_lines = JsonLines(ReadAll(dead));
  ASSERT_EQ(dead_lines.size(), 5u) << ReadAll(dead).substr(0, 4000);
  std::vector<std::pair<int, std::string>> where_what;
  for (const auto& d : dead_lines) {
    ASSERT_TRUE(d.contains("reason")) << d.dump();
    EXPECT_FALSE(d["reason"].get<std::string>().empty()) << d.dump();
    where_what.emplace_back(d["line"].get<int>(), d["kind"].get<std::string>());
  }
  EXPECT_EQ(where_what, (std::vector<std::pair<int, std::string>>{{2, "malformed"},
                                                                  {3, "malformed"},
                                                                  {4, "not-an-event"},
                                                                  {5, "invalid-utf8"},
                                                                  {6, "too-deep"}}));
}

TEST_F(CliBadInputTest, MalformedFirstLineDoesNotHideTheEventsAfterIt) {
  std::string log = Write("bad.jsonl", BadRecords() + AnonymousListSecretsEvent("a-1", 2) + "\n");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(Types(JsonLines(r.out)), std::vector<std::string>{kAnonymousType});
  EXPECT_NE(r.err.find("vigil: 2 events from 1 input"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; 5 rejected ("), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// 4. Secrets never leak

using CliSecretsTest = CliTest;

constexpr char kPassword[] = "Tr0ub4dor-vigil-e2e-PASSWORD";
constexpr char kJwt[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6InZpZ2lsLWUyZSJ9."
    "eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpib3QifQ."
    "c2lnbmF0dXJlVmlnaWxFMmVEb05vdExlYWtaWlo";
constexpr char kJwtSignature[] = "c2lnbmF0dXJlVmlnaWxFMmVEb05vdExlYWtaWlo";
constexpr char kAwsSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYvigilE2EKEY";

std::string SecretCreateEvent() {
  std::string b64 = Base64(kPassword);
  json secret = {{"kind", "Secret"},
                 {"apiVersion", "v1"},
                 {"metadata", {{"name", "db-credentials"}, {"namespace", "default"}}},
                 {"type", "Opaque"},
                 {"data", {{"password", b64}, {"username", Base64("app")}}}};
  json with_annotation = secret;
  with_annotation["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", secret.dump() + "\n"}};
  json ev = json::parse(BenignGetPodsEvent("s-1", 10));
  ev["level"] = "RequestResponse";
  ev["verb"] = "create";
  ev["requestURI"] = "/api/v1/namespaces/default/secrets?fieldManager=kubectl-client-side-apply";
  ev["objectRef"] = {{"resource", "secrets"}, {"namespace", "default"}, {"name", "db-credentials"},
                     {"apiVersion", "v1"}};
  ev["responseStatus"] = {{"metadata", json::object()}, {"code", 201}};
  ev["requestObject"] = with_annotation;
  ev["responseObject"] = with_annotation;
  return ev.dump();
}

std::string TokenRequestEvent() {
  json ev = json::parse(BenignGetPodsEvent("t-1", 11));
  ev["level"] = "RequestResponse";
  ev["verb"] = "create";
  ev["requestURI"] = "/api/v1/namespaces/default/serviceaccounts/bot/token";
  ev["objectRef"] = {{"resource", "serviceaccounts"}, {"namespace", "default"}, {"name", "bot"},
                     {"apiVersion", "v1"}, {"subresource", "token"}};
  ev["responseStatus"] = {{"metadata", json::object()}, {"code", 201}};
  ev["requestObject"] = {{"kind", "TokenRequest"},
                         {"apiVersion", "authentication.k8s.io/v1"},
                         {"spec", {{"audiences", {"https://kubernetes.default.svc"}},
                                   {"expirationSeconds", 3600}}}};
  ev["responseObject"] = {{"kind", "TokenRequest"},
                          {"apiVersion", "authentication.k8s.io/v1"},
                          {"metadata", {{"name", "bot"}, {"namespace", "default"}}},
                          {"spec", {{"audiences", {"https://kubernetes.default.svc"}}}},
                          {"status", {{"token", kJwt},
                                      {"expirationTimestamp", "2024-05-01T11:00:11Z"}}}};
  return ev.dump();
}

std::string ConfigMapEvent() {
  json ev = json::parse(BenignGetPodsEvent("c-1", 12));
  ev["level"] = "RequestResponse";
  ev["verb"] = "create";
  ev["requestURI"] = "/api/v1/namespaces/default/configmaps";
  ev["objectRef"] = {{"resource", "configmaps"}, {"namespace", "default"}, {"name", "aws-config"},
                     {"apiVersion", "v1"}};
  ev["responseStatus"] = {{"metadata", json::object()}, {"code", 201}};
  ev["requestObject"] = {
      {"kind", "ConfigMap"},
      {"apiVersion", "v1"},
      {"metadata", {{"name", "aws-config"}, {"namespace", "default"}}},
      {"data", {{"credentials", std::string("[default]\naws_access_key_id = AKIAVIGILE2EEXAMPLE\n"
                                            "aws_secret_access_key = ") +
                                    kAwsSecret + "\n"}}}};
  return ev.dump();
}

TEST_F(CliSecretsTest, SecretValuesAppearInNoOutputStoreOrDeadLetter) {
  std::string rules = Write("leaky.yaml",
                            "- rule: E2E secret-bearing object written\n"
                            "  desc: fires on writes of secrets, token requests and configmaps\n"
                            "  condition: ka.verb=create and ka.target.resource in (secrets, "
                            "serviceaccounts, configmaps)\n"
                            "  output: \"written obj=%jevt.obj cm=%ka.req.configmap.obj\"\n"
                            "  priority: WARNING\n"
                            "  source: k8s_audit\n");
  std::string malformed = std::string(R"({"kind":"Event","auditID":"m-1","headers":"Authorization: Bearer )") +
                          kJwt + R"(","verb":)";
  std::string log = Write("secrets.jsonl", SecretCreateEvent() + "\n" + TokenRequestEvent() + "\n" +
                                               ConfigMapEvent() + "\n" + malformed + "\n");
  const std::vector<std::string> secrets = {kPassword, Base64(kPassword), kJwt, kJwtSignature,
                                            kAwsSecret};
  auto expect_clean = [&](const std::string& what, const std::string& bytes) {
    for (const auto& s : secrets) {
      EXPECT_EQ(bytes.find(s), std::string::npos) << what << " leaks '" << s << "'";
    }
  };

  std::string db = Path("findings.db").string();
  std::string dead = Path("dead.jsonl").string();
  for (const std::string format : {"json", "asff", "ocsf", "table"}) {
    std::vector<std::string> args = {"scan", "--format", format, "--rules", rules, log};
    if (format == "json") {
      args.insert(args.end() - 1, {"--db", db, "--dead-letter", dead});
    }
    RunResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    // The rule fired on all three events, so the output had the chance to leak.
    size_t fired = 0;
    for (size_t at = 0; (at = r.out.find("E2E secret-bearing object written", at)) != std::string::npos;
         ++at) {
      ++fired;
    }
    EXPECT_GE(fired, 1u) << format << "\n" << Describe(r);
    expect_clean(format + " stdout", r.out);
    expect_clean(format + " stderr", r.err);
  }
  RunResult json_run = Run({"scan", "--format", "json", "--rules", rules, log});
  std::set<std::string> audit_ids;
  for (const auto& f : JsonLines(json_run.out)) {
    if (f["rule"] != "E2E secret-bearing object written") continue;
    for (const auto& id : f["audit_ids"]) audit_ids.insert(id.get<std::string>());
  }
  EXPECT_EQ(audit_ids, (std::set<std::string>{"s-1", "t-1", "c-1"})) << json_run.out;

  std::string db_bytes = ReadAll(db);
  ASSERT_FALSE(db_bytes.empty());
  expect_clean("--db file", db_bytes);
  for (const char* suffix : {"-wal", "-journal"}) {
    if (fs::exists(db + suffix)) expect_clean(std::string("--db ") + suffix, ReadAll(db + suffix));
  }
  RunResult listed = Run({"findings", "list", "--db", db, "--format", "json"});
  ASSERT_EQ(listed.exit_code, 0) << Describe(listed);
  expect_clean("findings list", listed.out);
  for (const auto& f : JsonLines(listed.out)) {
    RunResult shown = Run({"findings", "show", f["id"].get<std::string>(), "--db", db});
    EXPECT_EQ(shown.exit_code, 0) << Describe(shown);
    expect_clean("findings show", shown.out);
  }

  std::string dead_bytes = ReadAll(dead);
  auto dead_lines = JsonLines(dead_bytes);
  ASSERT_EQ(dead_lines.size(), 1u) << dead_bytes;
  EXPECT_TRUE(dead_lines[0].contains("reason")) << dead_bytes;
  expect_clean("--dead-letter", dead_bytes);
}

// ---------------------------------------------------------------------------------------------
// 5. Dedup and the store

using CliDedupTest = CliTest;

TEST_F(CliDedupTest, SameEventTwiceInOneFileIsEvaluatedOnce) {
  std::string ev = AnonymousListSecretsEvent("a-1");
  std::string log = Write("twice.jsonl", ev + "\n" + ev + "\n");
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto found = JsonLines(r.out);
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_EQ(found[0]["count"], 1);
  EXPECT_EQ(found[0]["audit_ids"], json::array({"a-1"}));
  EXPECT_NE(r.err.find("1 duplicate (auditID, stage) skipped"), std::string::npos) << r.err;
}

TEST_F(CliDedupTest, SameEventInTwoFilesIsEvaluatedOnce) {
  std::string ev = AnonymousListSecretsEvent("a-1");
  std::string one = Write("one.jsonl", ev + "\n");
  std::string two = Write("two.jsonl", ev + "\n");
  RunResult r = Run({"scan", one, two});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto found = JsonLines(r.out);
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_EQ(found[0]["count"], 1);
  EXPECT_NE(r.err.find("vigil: 2 events from 2 inputs"), std::string::npos) << r.err;
}

TEST_F(CliDedupTest, SixDistinctEventsFromOnePrincipalAggregateToCountSix) {
  std::string log_text;
  for (int i = 1; i <= 6; ++i) log_text += AnonymousListSecretsEvent("a-" + std::to_string(i), i) + "\n";
  std::string log = Write("six.jsonl", log_text);
  RunResult r = Run({"scan", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto found = JsonLines(r.out);
  ASSERT_EQ(found.size(), 1u) << r.out;
  EXPECT_EQ(found[0]["count"], 6);
  EXPECT_EQ(found[0]["audit_ids"], json::array({"a-1", "a-2", "a-3", "a-4", "a-5", "a-6"}));
  EXPECT_EQ(found[0]["first_seen"], Time(1));
  EXPECT_EQ(found[0]["last_seen"], Time(6));
}

// id -> (count, audit_ids) of `vigil findings list --db PATH --format json`.
std::map<std::string, std::pair<int, json>> Summarize(const std::string& out) {
  std::map<std::string, std::pair<int, json>> m;
  for (const auto& f : JsonLines(out)) m[f["id"]] = {f["count"].get<int>(), f["audit_ids"]};
  return m;
}

TEST_F(CliDedupTest, RescanningTheSameFileIntoTheStoreChangesNothing) {
  std::string log_text = PrivilegedPodEvent("p-1") + "\n";
  for (int i = 1; i <= 3; ++i) log_text += AnonymousListSecretsEvent("a-" + std::to_string(i), i) + "\n";
  std::string log = Write("audit.jsonl", log_text);
  std::string db = Path("vigil.db").string();

  RunResult first = Run({"scan", "--db", db, log});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  RunResult list1 = Run({"findings", "list", "--db", db, "--format", "json"});
  ASSERT_EQ(list1.exit_code, 0) << Describe(list1);
  RunResult second = Run({"scan", "--db", db, log});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  RunResult list2 = Run({"findings", "list", "--db", db, "--format", "json"});
  ASSERT_EQ(list2.exit_code, 0) << Describe(list2);

  auto s1 = Summarize(list1.out);
  ASSERT_EQ(s1.size(), 2u) << list1.out;
  EXPECT_EQ(s1, Summarize(list2.out)) << list1.out << "\n---\n" << list2.out;
  std::multiset<int> counts;
  for (const auto& [id, v] : s1) counts.insert(v.first);
  EXPECT_EQ(counts, (std::multiset<int>{1, 3}));
}

TEST_F(CliDedupTest, FindingsShowReturnsTheFindingWithItsEvidence) {
  std::string log = Write("audit.jsonl", AnonymousListSecretsEvent("a-1") + "\n");
  std::string db = Path("vigil.db").string();
  RunResult scan = Run({"scan", "--db", db, log});
  ASSERT_EQ(scan.exit_code, 0) << Describe(scan);
  auto scanned = JsonLines(scan.out);
  ASSERT_EQ(scanned.size(), 1u) << scan.out;
  std::string id = scanned[0]["id"];

  RunResult shown = Run({"findings", "show", id, "--db", db});
  ASSERT_EQ(shown.exit_code, 0) << Describe(shown);
  json f = json::parse(shown.out);
  EXPECT_EQ(f["id"], id);
  EXPECT_EQ(f["type"], kAnonymousType);
  EXPECT_EQ(f["evidence"]["auditID"], "a-1");
  EXPECT_EQ(f["evidence"]["user"]["username"], "system:anonymous");
}

TEST_F(CliDedupTest, FindingsListFiltersBySeverity) {
  std::string log = Write("audit.jsonl", PrivilegedPodEvent("p-1") + "\n" +
                                             AnonymousListSecretsEvent("a-1", 1) + "\n");
  std::string db = Path("vigil.db").string();
  RunResult scan = Run({"scan", "--db", db, log});
  ASSERT_EQ(scan.exit_code, 0) << Describe(scan);

  RunResult all = Run({"findings", "list", "--db", db, "--format", "json"});
  ASSERT_EQ(all.exit_code, 0) << Describe(all);
  EXPECT_EQ(JsonLines(all.out).size(), 2u) << all.out;
  RunResult high = Run({"findings", "list", "--db", db, "--format", "json", "--severity", "HIGH"});
  ASSERT_EQ(high.exit_code, 0) << Describe(high);
  EXPECT_EQ(Types(JsonLines(high.out)), std::vector<std::string>{kAnonymousType});
}

// ---------------------------------------------------------------------------------------------
// 6. Formats

using CliFormatTest = CliTest;

TEST_F(CliFormatTest, AsffLinesCarrySchemaVersionAndVigilProductFields) {
  std::string log = Write("audit.jsonl", AnonymousListSecretsEvent("a-1") + "\n" +
                                             AnonymousListSecretsEvent("a-2", 1) + "\n");
  RunResult r = Run({"scan", "--format", "asff", "--account", "111122223333", "--region",
                     "us-east-2", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["SchemaVersion"], "2018-10-08");
  EXPECT_EQ(lines[0]["AwsAccountId"], "111122223333");
  EXPECT_EQ(lines[0]["ProductFields"]["vigil/FindingType"], kAnonymousType);
  EXPECT_EQ(lines[0]["ProductFields"]["vigil/AuditIDs"], "a-1,a-2");
}

TEST_F(CliFormatTest, OcsfLinesAreDetectionFindings) {
  std::string log = Write("audit.jsonl", AnonymousListSecretsEvent("a-1") + "\n" +
                                             PrivilegedPodEvent("p-1", 1) + "\n");
  RunResult r = Run({"scan", "--format", "ocsf", log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (const auto& l : lines) EXPECT_EQ(l["class_uid"], 2004) << l.dump();
}

TEST_F(CliFormatTest, OutputFlagWritesTheFileAndNothingToStdout) {
  std::string log = Write("audit.jsonl", AnonymousListSecretsEvent("a-1") + "\n");
  std::string out = Path("findings.jsonl").string();
  RunResult r = Run({"scan", "-o", out, log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Types(JsonLines(ReadAll(out))), std::vector<std::string>{kAnonymousType});
}

TEST_F(CliFormatTest, FindingIdsAreIdenticalAcrossRuns) {
  std::string log = Write("audit.jsonl", AnonymousListSecretsEvent("a-1") + "\n" +
                                             PrivilegedPodEvent("p-1", 1) + "\n");
  RunResult a = Run({"scan", "--cluster", "prod", log});
  RunResult b = Run({"scan", "--cluster", "prod", log});
  ASSERT_EQ(a.exit_code, 0) << Describe(a);
  ASSERT_EQ(b.exit_code, 0) << Describe(b);
  std::set<std::string> ids_a, ids_b;
  for (const auto& f : JsonLines(a.out)) ids_a.insert(f["id"].get<std::string>());
  for (const auto& f : JsonLines(b.out)) ids_b.insert(f["id"].get<std::string>());
  EXPECT_EQ(ids_a.size(), 2u);
  EXPECT_EQ(ids_a, ids_b);
}

// ---------------------------------------------------------------------------------------------
// 7. Rules commands

using CliRulesTest = CliTest;

TEST_F(CliRulesTest, RulesListShowsTheBuiltInCatalog) {
  RunResult r = Run({"rules", "list"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("Execution:Kubernetes/ExecInKubeSystemPod"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(kAnonymousType), std::string::npos) << r.out;
}

TEST_F(CliRulesTest, RulesTestSaysWhetherTheRuleMatchedAndShowsFieldValues) {
  std::string exec = Write("exec.json", ExecInKubeSystemEvent("e-1") + "\n");
  RunResult hit = Run({"rules", "test", "Execution:Kubernetes/ExecInKubeSystemPod", exec});
  ASSERT_EQ(hit.exit_code, 0) << Describe(hit);
  EXPECT_NE(hit.out.find("Execution:Kubernetes/ExecInKubeSystemPod: matched 1 of 1 event(s)"),
            std::string::npos)
      << hit.out;
  EXPECT_NE(hit.out.find("kube-system"), std::string::npos) << hit.out;
  EXPECT_NE(hit.out.find("alice@example.com"), std::string::npos) << hit.out;

  std::string benign = Write("benign.json", BenignGetPodsEvent("b-1") + "\n");
  RunResult miss = Run({"rules", "test", "Execution:Kubernetes/ExecInKubeSystemPod", benign});
  ASSERT_EQ(miss.exit_code, 0) << Describe(miss);
  EXPECT_NE(miss.out.find("Execution:Kubernetes/ExecInKubeSystemPod: matched 0 of 1 event(s)"),
            std::string::npos)
      << miss.out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Attack sequences (docs/anomalies.md)

using CliSequenceTest = CliTest;

const std::string kSequenceExample =
    std::string(VIGIL_SOURCE_DIR) + "/docs/examples/anomalies/attack-sequence.jsonl";

TEST_F(CliSequenceTest, TheDocumentedExampleGivesOneAttackSequence) {
  RunResult r =
      Run({"scan", kSequenceExample, "--sequences", "--cluster", "prod", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  auto lines = JsonLines(r.out);
  std::vector<std::string> types = Types(lines);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Discovery:Kubernetes/SuccessfulAnonymousAccess"), 1)
      << r.out;
  EXPECT_EQ(std::count(types.begin(), types.end(), "PrivilegeEscalation:Kubernetes/PrivilegedContainer"),
            1)
      << r.out;
  ASSERT_EQ(std::count(types.begin(), types.end(), "AttackSequence:EKS/CompromisedCluster"), 1)
      << r.out;
  for (const auto& f : lines) {
    if (f["type"] != "AttackSequence:EKS/CompromisedCluster") continue;
    EXPECT_EQ(f["severity"], "CRITICAL");
    EXPECT_EQ(f["context"]["tactics"],
              "Discovery -> CredentialAccess -> PrivilegeEscalation");
    json seq = json::parse(f["context"]["sequence"].get<std::string>());
    EXPECT_EQ(seq["signals"].size(), 4u) << seq.dump(2);
  }
  RunResult off = Run({"scan", kSequenceExample, "--no-sequences", "--format", "json"});
  ASSERT_EQ(off.exit_code, 0) << Describe(off);
  std::vector<std::string> off_types = Types(JsonLines(off.out));
  EXPECT_EQ(std::count(off_types.begin(), off_types.end(), "AttackSequence:EKS/CompromisedCluster"),
            0);
  EXPECT_EQ(off_types.size() + 1, types.size());
}

TEST_F(CliSequenceTest, AsffCarriesDetectionSequence) {
  RunResult r = Run({"scan", kSequenceExample, "--sequences", "--cluster", "prod", "--format", "asff",
                     "--account", "111122223333", "--region", "us-east-1"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  int found = 0;
  for (const auto& f : JsonLines(r.out)) {
    if (f["ProductFields"]["vigil/FindingType"] != "AttackSequence:EKS/CompromisedCluster") continue;
    ++found;
    const json& seq = f["Detection"]["Sequence"];
    ASSERT_TRUE(seq.is_object()) << f.dump(2);
    EXPECT_EQ(seq["Signals"].size(), 4u);
    EXPECT_GT(seq["Signals"][0]["FirstSeenAt"].get<std::int64_t>(), 0);
    EXPECT_EQ(seq["SequenceIndicators"][0]["Key"], "ATTACK_TACTIC");
    EXPECT_EQ(f["Severity"]["Label"], "CRITICAL");
  }
  EXPECT_EQ(found, 1);
}

TEST_F(CliSequenceTest, RescanIntoTheStoreUpdatesTheSameSequenceWithoutCountingTwice) {
  std::string db = Path("vigil.db").string();
  RunResult first =
      Run({"scan", "--db", db, kSequenceExample, "--sequences", "--cluster", "prod"});
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  RunResult list1 = Run({"findings", "list", "--db", db, "--format", "json"});
  RunResult second =
      Run({"scan", "--db", db, kSequenceExample, "--sequences", "--cluster", "prod"});
  ASSERT_EQ(second.exit_code, 0) << Describe(second);
  RunResult list2 = Run({"findings", "list", "--db", db, "--format", "json"});
  auto s1 = Summarize(list1.out);
  EXPECT_EQ(s1, Summarize(list2.out)) << list1.out << "\n---\n" << list2.out;
  int sequences = 0;
  for (const auto& f : JsonLines(list2.out)) {
    if (f["type"] == "AttackSequence:EKS/CompromisedCluster") {
      ++sequences;
      EXPECT_EQ(f["count"], 4);
    }
  }
  EXPECT_EQ(sequences, 1);
}

// ---------------------------------------------------------------------------------------------
// Baselines (docs/anomalies.md)

using CliBaselineTest = CliTest;

std::string SecretsEvent(const std::string& id, const std::string& ip, const std::string& time) {
  return R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":")" + id +
         R"(","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/secrets","verb":"list","user":{"username":"alice","groups":["system:authenticated"]},"sourceIPs":[")" +
         ip +
         R"("],"userAgent":"kubectl/v1.29.0","objectRef":{"resource":"secrets","namespace":"team-a","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":")" +
         time + R"(","annotations":{"authorization.k8s.io/decision":"allow"}})" + "\n";
}

TEST_F(CliBaselineTest, ScanLearnsIntoTheStoreAndBaselineCommandsShowExportResetImport) {
  std::string learning;
  for (int m = 0; m < 60; m += 10) {
    learning += SecretsEvent("l-" + std::to_string(m), "10.20.0.5",
                             "2026-01-01T00:" + std::string(m < 10 ? "0" : "") + std::to_string(m) +
                                 ":00Z");
  }
  std::string first = Write("first.jsonl", learning);
  std::string later = Write("later.jsonl", SecretsEvent("x-1", "203.0.113.77", "2026-01-01T03:00:00Z"));
  std::string db = Path("vigil.db").string();
  const std::string type = "CredentialAccess:Kubernetes/AnomalousBehavior.SecretsAccessed";

  RunResult learn = Run({"scan", "--baselines", "--learning-period", "1h", "--db", db,
                         "--cluster", "prod", "--format", "json", first});
  ASSERT_EQ(learn.exit_code, 0) << Describe(learn);
  EXPECT_EQ(JsonLines(learn.out).size(), 0u) << learn.out;

  RunResult show = Run({"baseline", "show", "--db", db});
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  EXPECT_NE(show.out.find("cluster prod: 1 principals"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("alice"), std::string::npos) << show.out;

  RunResult exported = Run({"baseline", "export", "--db", db, "--cluster", "prod"});
  ASSERT_EQ(exported.exit_code, 0) << Describe(exported);
  std::string file = Write("baseline.json", exported.out);
  EXPECT_NE(exported.out.find("10.20.0.0/24"), std::string::npos) << exported.out;

  // A later scan of the same store: past the learning period, a new network is an anomaly.
  RunResult detect = Run({"scan", "--baselines", "--learning-period", "1h", "--db", db,
                          "--cluster", "prod", "--format", "json", later});
  ASSERT_EQ(detect.exit_code, 0) << Describe(detect);
  auto found = JsonLines(detect.out);
  ASSERT_EQ(found.size(), 1u) << detect.out;
  EXPECT_EQ(found[0]["type"], type);
  EXPECT_NE(found[0]["context"]["unusual"].get<std::string>().find("203.0.113.0/24"),
            std::string::npos);

  RunResult reset = Run({"baseline", "reset", "--db", db, "--cluster", "prod"});
  ASSERT_EQ(reset.exit_code, 0) << Describe(reset);
  RunResult gone = Run({"baseline", "show", "--db", db, "--cluster", "prod"});
  EXPECT_NE(gone.exit_code, 0);

  std::string other = Path("other.db").string();
  RunResult imported = Run({"baseline", "import", "--db", other, file, "--cluster", "staging"});
  ASSERT_EQ(imported.exit_code, 0) << Describe(imported);
  RunResult show2 = Run({"baseline", "show", "--db", other});
  EXPECT_NE(show2.out.find("cluster staging: 1 principals"), std::string::npos) << show2.out;

  std::string bad = Write("bad.json", R"({"version":1,"cluster":"x","principals":{"a":[]}})");
  RunResult rejected = Run({"baseline", "import", "--db", other, bad});
  EXPECT_NE(rejected.exit_code, 0);
  EXPECT_NE(rejected.err.find("principals.a"), std::string::npos) << rejected.err;
}

// ---------------------------------------------------------------------------------------------
// GeoIP/ASN enrichment: --geoip-db with real .mmdb files (tests/mmdb_writer.h).

using CliGeoIpTest = CliTest;

TEST_F(CliGeoIpTest, ScanPutsCountryAndAsnInFindingsAndRules) {
  vigil::tests::WriteTestGeoDatabases(Path("country.mmdb").string(), Path("asn.mmdb").string());
  std::string rules = Write("geo.yaml", R"(
- rule: Secrets listed from abroad
  desc: A secret list from a caller outside DE
  condition: ka.verb = list and ka.target.resource = secrets and vigil.geo.country exists and vigil.geo.country != DE
  output: secrets listed from %vigil.geo.country (AS%vigil.geo.asn %vigil.geo.as_org)
  priority: WARNING
  source: k8s_audit
)");
  std::string log = Write("geo.jsonl", PrivilegedPodEvent("g-1") + "\n" +
                                           AnonymousListSecretsEvent("g-2", 1) + "\n");
  RunResult r = Run({"scan", "--format", "json", "--rules", rules, "--geoip-db",
                     Path("country.mmdb").string(), "--geoip-db", Path("asn.mmdb").string(), log});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::map<std::string, json> by_rule;
  for (const auto& f : JsonLines(r.out)) by_rule[f.at("rule").get<std::string>()] = f;
  ASSERT_TRUE(by_rule.count("Secrets listed from abroad")) << r.out;
  const json& custom = by_rule["Secrets listed from abroad"];
  EXPECT_EQ(custom["context"]["caller_country"], "US");
  EXPECT_EQ(custom["context"]["caller_asn"], "64501");
  EXPECT_EQ(custom["context"]["caller_as_org"], "Example Cloud Inc");
  EXPECT_NE(custom["description"].get<std::string>().find(
                "secrets listed from US (AS64501 Example Cloud Inc)"),
            std::string::npos)
      << custom.dump();
  // The built-in finding of the German caller carries its country too.
  bool german = false;
  for (const auto& [rule, f] : by_rule) {
    german = german || (f["context"].value("caller_ip", "") == "203.0.113.7" &&
                        f["context"].value("caller_country", "") == "DE" &&
                        f["context"].value("caller_asn", "") == "64500");
  }
  EXPECT_TRUE(german) << r.out;

  // Without the databases the rule cannot fire (the field is not available) and no geo context.
  RunResult plain = Run({"scan", "--format", "json", "--rules", rules, log});
  ASSERT_EQ(plain.exit_code, 0) << Describe(plain);
  EXPECT_EQ(plain.out.find("Secrets listed from abroad"), std::string::npos);
  EXPECT_EQ(plain.out.find("caller_country"), std::string::npos);
}

TEST_F(CliGeoIpTest, MissingOrCorruptDatabaseIsAConfigurationError) {
  std::string log = Write("clean.jsonl", BenignGetPodsEvent("b-1") + "\n");
  std::string corrupt = Write("corrupt.mmdb", std::string(1000, '\x42'));
  RunResult missing = Run({"scan", "--geoip-db", Path("nope.mmdb").string(), log});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_NE(missing.err.find("geoip database '" + Path("nope.mmdb").string() + "'"),
            std::string::npos)
      << missing.err;
  RunResult bad = Run({"scan", "--geoip-db", corrupt, log});
  EXPECT_EQ(bad.exit_code, 2) << Describe(bad);
  EXPECT_NE(bad.err.find("geoip database '" + corrupt + "'"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("not a MaxMind DB"), std::string::npos) << bad.err;
}
