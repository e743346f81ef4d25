#include "ingest/tail_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace vigil::ingest::internal {
namespace {

std::string_view BaseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string DirName(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

bool ParseDigits(std::string_view s, int& out) {
  out = 0;
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

std::int64_t MtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::uint64_t Fnv1a(std::uint64_t hash, std::string_view data) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::optional<std::int64_t> LumberjackBackupTime(std::string_view name,
                                                 std::string_view live_name) {
  // lumberjack v2 backupName(): prefix = name without its extension, then "-", the time in
  // "2006-01-02T15-04-05.000", then the extension; compressed backups add ".gz".
  const auto dot = live_name.rfind('.');
  const std::string_view ext =
      dot == std::string_view::npos || dot == 0 ? std::string_view() : live_name.substr(dot);
  const std::string_view stem = live_name.substr(0, live_name.size() - ext.size());
  constexpr std::size_t kTimeLen = 23;  // 2006-01-02T15-04-05.000
  if (name.size() >= 3 && name.substr(name.size() - 3) == ".gz") name.remove_suffix(3);
  if (name.size() != stem.size() + 1 + kTimeLen + ext.size()) return std::nullopt;
  if (name.substr(0, stem.size()) != stem || name[stem.size()] != '-') return std::nullopt;
  if (name.substr(name.size() - ext.size()) != ext) return std::nullopt;
  const std::string_view t = name.substr(stem.size() + 1, kTimeLen);
  if (t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != '-' || t[16] != '-' || t[19] != '.') {
    return std::nullopt;
  }
  int year, month, day, hour, minute, second, millis;
  if (!ParseDigits(t.substr(0, 4), year) || !ParseDigits(t.substr(5, 2), month) ||
      !ParseDigits(t.substr(8, 2), day) || !ParseDigits(t.substr(11, 2), hour) ||
      !ParseDigits(t.substr(14, 2), minute) || !ParseDigits(t.substr(17, 2), second) ||
      !ParseDigits(t.substr(20, 3), millis)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  const std::int64_t secs =
      DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return secs * 1000000000 + static_cast<std::int64_t>(millis) * 1000000;
}

bool IsRotatedSibling(std::string_view name, std::string_view live_name) {
  if (name == live_name || live_name.empty()) return false;
  if (LumberjackBackupTime(name, live_name)) return true;
  return name.size() > live_name.size() + 1 && name.substr(0, live_name.size()) == live_name &&
         (name[live_name.size()] == '.' || name[live_name.size()] == '-');
}

Result<std::vector<Sibling>> ListRotatedSiblings(const std::string& source_path) {
  std::vector<Sibling> out;
  const std::string dir = DirName(source_path);
  const std::string_view live = BaseName(source_path);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot list directory: {}", dir, std::strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (IsRotatedSibling(name, live)) names.emplace_back(name);
  }
  closedir(d);
  for (const auto& name : names) {
    if (name.size() > 3 && name.ends_with(".gz")) {
      const std::string_view twin = std::string_view(name).substr(0, name.size() - 3);
      if (std::find(names.begin(), names.end(), twin) != names.end()) continue;
    }
    Sibling s;
    s.path = dir == "/" ? "/" + name : dir + "/" + name;
    struct stat st {};
    if (stat(s.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone meanwhile
    s.id = IdOf(st);
    s.gz_name = name.ends_with(".gz");
    s.size = static_cast<std::uint64_t>(st.st_size);
    s.order = LumberjackBackupTime(name, live).value_or(MtimeNs(st));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Sibling& a, const Sibling& b) {
    return a.order != b.order ? a.order < b.order : a.path < b.path;
  });
  return out;
}

TailFile::TailFile(int fd, std::string path, FileId id, bool compressed)
    : fd_(fd), path_(std::move(path)), id_(id), compressed_(compressed) {}

TailFile::~TailFile() {
  gzip_.reset();
  fd_source_.reset();
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<TailFile>> TailFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                     fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return MakeError(ErrorCode::kIo, fmt::format("{}: cannot stat: {}", path, std::strerror(err)));
  }
  char magic[2] = {0, 0};
  const ssize_t got = pread(fd, magic, 2, 0);
  const bool gz = got == 2 && HasGzipMagic(magic, 2);
  std::unique_ptr<TailFile> f(new TailFile(fd, path, IdOf(st), gz));
  if (gz) {
    f->fd_source_ = std::make_unique<FdSource>(fd, f->path_);
    f->gzip_ = std::make_unique<GzipSource>();
    f->gzip_->Reset(f->fd_source_.get(), {});
  }
  return f;
}

Result<std::size_t> TailFile::Read(char* dst, std::size_t n) {
  if (compressed_) {
    VIGIL_TRY(std::size_t got, gzip_->Read(dst, n));
    pos_ += got;
    return got;
  }
  while (true) {
    const ssize_t got = pread(fd_, dst, n, static_cast<off_t>(pos_));
    if (got >= 0) {
      pos_ += static_cast<std::uint64_t>(got);
      return static_cast<std::size_t>(got);
    }
    if (errno == EINTR) continue;
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: read failed: {}", path_, std::strerror(errno)));
  }
}

Status TailFile::Seek(std::uint64_t offset) {
  if (!compressed_) {
    pos_ = offset;
    return Ok();
  }
  if (offset < pos_) {
    return MakeError(ErrorCode::kInternal, fmt::format("{}: cannot seek back in gzip", path_));
  }
  char scratch[64 * 1024];
  while (pos_ < offset) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof scratch, offset - pos_));
    VIGIL_TRY(std::size_t got, Read(scratch, want));
    if (got == 0) {
      return MakeError(
          ErrorCode::kIo,
          fmt::format("{}: gzip stream ends at {} bytes, before offset {}", path_, pos_, offset));
    }
  }
  return Ok();
}

Result<std::optional<std::uint64_t>> TailFile::Fingerprint(std::uint64_t n) {
  if (compressed_) return FingerprintOfPath(path_, n);
  std::string buf(static_cast<std::size_t>(n), '\0');
  std::size_t have = 0;
  while (have < buf.size()) {
    const ssize_t got = pread(fd_, buf.data() + have, buf.size() - have, static_cast<off_t>(have));
    if (got < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo,
                       fmt::format("{}: read failed: {}", path_, std::strerror(errno)));
    }
    if (got == 0) return std::optional<std::uint64_t>();
    have += static_cast<std::size_t>(got);
  }
  return std::optional<std::uint64_t>(Fnv1a(kFnvOffsetBasis, buf));
}

Result<struct stat> TailFile::Stat() const {
  struct stat st {};
  if (fstat(fd_, &st) != 0) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("{}: cannot stat: {}", path_, std::strerror(errno)));
  }
  return st;
}

std::string_view TailFile::damage() const { return gzip_ ? gzip_->damage() : std::string_view(); }

std::uint64_t TailFile::raw_consumed() const { return gzip_ ? gzip_->compressed_consumed() : pos_; }

std::optional<std::uint64_t> FingerprintOfPath(const std::string& path, std::uint64_t n) {
  auto file = TailFile::Open(path);
  if (!file) return std::nullopt;
  if (!(*file)->compressed()) {
    auto fp = (*file)->Fingerprint(n);
    return fp ? *fp : std::nullopt;
  }
  std::string buf(static_cast<std::size_t>(n), '\0');
  std::size_t have = 0;
  while (have < buf.size()) {
    auto got = (*file)->Read(buf.data() + have, buf.size() - have);
    if (!got || *got == 0) return std::nullopt;
    have += *got;
  }
  return Fnv1a(kFnvOffsetBasis, buf);
}

}  // namespace vigil::ingest::internal
