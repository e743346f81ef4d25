#include "ingest/reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include "ingest/byte_source.h"
#include "ingest/envelope_decoder.h"
#include "ingest/framer.h"
#include "ingest/padded_buffer.h"

namespace vigil::ingest {

std::string_view EnvelopeName(Envelope envelope) {
  switch (envelope) {
    case Envelope::kJsonLines:
      return "jsonl";
    case Envelope::kEventList:
      return "eventlist";
    case Envelope::kArray:
      return "array";
    case Envelope::kCloudWatchFilter:
      return "cloudwatch-filter";
    case Envelope::kCloudWatchExport:
      return "cloudwatch-export";
    case Envelope::kCloudWatchSubscription:
      return "cloudwatch-subscription";
    case Envelope::kFluentBit:
      return "fluent-bit";
  }
  return "unknown";
}

std::string_view RejectKindName(RejectKind kind) {
  switch (kind) {
    case RejectKind::kMalformed:
      return "malformed";
    case RejectKind::kInvalidUtf8:
      return "invalid-utf8";
    case RejectKind::kTooDeep:
      return "too-deep";
    case RejectKind::kTooLarge:
      return "too-large";
    case RejectKind::kNotAnEvent:
      return "not-an-event";
    case RejectKind::kTruncated:
      return "truncated";
    case RejectKind::kBadBase64:
      return "bad-base64";
    case RejectKind::kBadGzip:
      return "bad-gzip";
  }
  return "unknown";
}

std::uint64_t Stats::rejected_total() const {
  std::uint64_t total = 0;
  for (auto n : rejected) total += n;
  return total;
}

namespace {

using internal::Container;
using internal::DocumentFramer;
using internal::Frame;
using internal::RecordContext;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// How far DecideFraming looks past the first line: at most this many bytes and line breaks.
constexpr std::size_t kDetectBytes = std::size_t{64} << 10;
constexpr int kDetectLines = 16;
constexpr std::size_t kDetectDepth = 256;

// Chooses documents framing (true) or JSON lines (false) from the start of an input, or nullopt
// when `head` is not enough and more bytes may come (`complete` is false). Documents framing is
// chosen only when the first non-blank line opens a value that it does not close and the text
// after it continues that value as valid JSON: up to the value's end, for kDetectLines lines or
// kDetectBytes bytes after the first line, or to the end of `head` when `complete`. A first line
// that was cut (a JSON-lines file whose first record is truncated) is followed by text that does
// not continue it, so the input stays JSON lines and every later line is still read.
std::optional<bool> DecideFraming(std::string_view head, bool complete) {
  std::size_t q = 0;
  while (q < head.size() && IsSpace(head[q])) ++q;
  if (q == head.size()) return complete ? std::optional<bool>(false) : std::nullopt;
  if (head[q] != '{' && head[q] != '[') return false;
  const std::optional<bool> ran_out = complete ? std::optional<bool>(true) : std::nullopt;
  // A small JSON syntax checker. `stack` holds the open containers ('{' or '[').
  enum class Want : std::uint8_t {
    kValue,
    kKeyOrClose,
    kKey,
    kColon,
    kCommaOrClose,
    kValueOrClose
  };
  std::string stack;
  Want want = Want::kValue;
  int lines = 0;  // line breaks seen (outside strings)
  std::size_t first_break = 0;
  std::size_t i = q;
  while (true) {
    if (i == head.size()) return ran_out;  // the input (or what may be examined) ends in it
    if (lines > 0 && i - first_break > kDetectBytes) return true;
    char c = head[i];
    if (IsSpace(c)) {
      if (c == '\n') {
        if (lines == 0) first_break = i;
        if (++lines > kDetectLines) return true;
      }
      ++i;
      continue;
    }
    switch (want) {
      case Want::kColon:
        if (c != ':') return false;
        want = Want::kValue;
        ++i;
        continue;
      case Want::kCommaOrClose:
        if (c == ',') {
          want = stack.back() == '{' ? Want::kKey : Want::kValue;
          ++i;
          continue;
        }
        break;
      case Want::kKey:
      case Want::kKeyOrClose:
        if (c != '"' && !(want == Want::kKeyOrClose && c == '}')) return false;
        break;
      case Want::kValue:
      case Want::kValueOrClose:
        if (c == '}' || (c == ']' && want == Want::kValue)) return false;
        break;
    }
    if (c == '}' || c == ']') {
      if (stack.back() != (c == '}' ? '{' : '[')) return false;
      stack.pop_back();
      ++i;
      if (stack.empty()) return lines > 0;  // closed: on its first line it is a JSON line
      want = Want::kCommaOrClose;
      continue;
    }
    if (want == Want::kCommaOrClose) return false;
    bool key = want == Want::kKey || want == Want::kKeyOrClose;
    if (c == '{' || c == '[') {
      if (stack.size() >= kDetectDepth) return true;  // deep enough to be a document
      stack.push_back(c);
      want = c == '{' ? Want::kKeyOrClose : Want::kValueOrClose;
      ++i;
      continue;
    }
    if (c == '"') {
      bool escape = false;
      for (++i;; ++i) {
        if (i == head.size()) return ran_out;
        char s = head[i];
        if (escape) {
          escape = false;
        } else if (s == '\\') {
          escape = true;
        } else if (s == '"') {
          break;
        } else if (s == '\n') {
          return false;  // a raw line break cannot be inside a JSON string
        }
      }
      ++i;
      want = key ? Want::kColon : Want::kCommaOrClose;
      continue;
    }
    if (key) return false;
    // A number or a literal: a run of word characters.
    std::size_t w = i;
    while (w < head.size() && !IsSpace(head[w]) && head[w] != ',' && head[w] != ']' &&
           head[w] != '}' && head[w] != ':' && head[w] != '"' && head[w] != '{' && head[w] != '[') {
      ++w;
    }
    if (w == head.size()) return ran_out;
    if (w == i) return false;
    std::string_view word = head.substr(i, w - i);
    bool number = (word[0] == '-' || (word[0] >= '0' && word[0] <= '9')) &&
                  word.find_first_not_of("0123456789+-.eE") == std::string_view::npos;
    if (!number && word != "true" && word != "false" && word != "null") return false;
    i = w;
    want = Want::kCommaOrClose;
  }
}

Envelope EnvelopeFor(Container c) {
  switch (c) {
    case Container::kNone:
      return Envelope::kJsonLines;
    case Container::kArray:
      return Envelope::kArray;
    case Container::kItems:
      return Envelope::kEventList;
    case Container::kEvents:
      return Envelope::kCloudWatchFilter;
    case Container::kLogEvents:
    case Container::kRecords:
      return Envelope::kCloudWatchSubscription;
  }
  return Envelope::kJsonLines;
}

// Closes a descriptor this module opened.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

class Reader::Impl {
 public:
  explicit Impl(ReaderOptions options)
      : options_(std::move(options)),
        chunk_(std::max<std::size_t>(options_.chunk_size, 1)),
        max_doc_(std::max<std::size_t>(options_.max_document_size, 1)),
        max_buffer_(std::max(chunk_, max_doc_ + 1)),
        decoder_(max_doc_, stats_) {}

  Status Run(internal::ByteSource& raw,
             std::string_view name,
             std::uint64_t total,
             EventSink& sink);

  Stats stats_;
  internal::PaddedBuffer buf_;

 private:
  enum class Mode { kDetect, kLines, kHandoff, kFramed, kDone };

  const char* Ptr(std::uint64_t pos) const { return buf_.data() + (pos - base_); }
  Status Fill(std::uint64_t keep);
  Status Loop();
  Status Detect();
  Status ProcessLines();
  Status ProcessFramed();
  Status Handoff();
  void HandleLine(std::uint64_t begin, std::uint64_t end);
  RecordContext Context(std::uint64_t line, std::uint64_t offset) const {
    RecordContext ctx;
    ctx.input = input_;
    ctx.line = line;
    ctx.offset = offset;
    return ctx;
  }
  void ReportProgress(bool final);

  ReaderOptions options_;
  std::size_t chunk_;
  std::size_t max_doc_;
  std::size_t max_buffer_;
  internal::EnvelopeDecoder decoder_;
  DocumentFramer framer_;
  internal::GzipSource gzip_;
  internal::HeaderInfo header_;

  // Per input.
  std::string input_;
  internal::ByteSource* raw_ = nullptr;
  internal::ByteSource* src_ = nullptr;
  bool gzip_active_ = false;
  std::uint64_t total_ = 0;
  std::uint64_t next_progress_ = 0;
  Mode mode_ = Mode::kDetect;
  std::uint64_t base_ = 0;  // stream offset of buf_.data()[0]
  std::uint64_t end_ = 0;   // stream offset one past the last byte in buf_
  bool eof_ = false;
  std::uint64_t begin_ = 0;      // lines mode: start of the current line
  std::uint64_t scan_from_ = 0;  // lines mode: where to resume looking for '\n'
  std::uint64_t line_ = 1;
};

Status Reader::Impl::Run(internal::ByteSource& raw,
                         std::string_view name,
                         std::uint64_t total,
                         EventSink& sink) {
  input_.assign(name);
  decoder_.set_sink(&sink);
  decoder_.set_prefilter(options_.validate_all || !KeyReader::Available() ? nullptr
                                                                          : sink.prefilter());
  raw_ = &raw;
  src_ = &raw;
  gzip_active_ = false;
  total_ = total;
  next_progress_ = options_.progress_interval;
  mode_ = Mode::kDetect;
  base_ = end_ = 0;
  eof_ = false;
  begin_ = scan_from_ = 0;
  line_ = 1;
  header_ = {};
  ++stats_.inputs;
  buf_.Clear();
  buf_.ReserveExact(chunk_);

  Status status = Loop();
  if (gzip_active_ && !gzip_.damage().empty()) {
    // Reported after every record inflated before the damage, whatever the chunking. Line 0:
    // the stream, not a record; offset: decoded bytes before the damage.
    decoder_.Reject(RejectKind::kBadGzip, gzip_.damage(), {}, Context(0, src_->bytes_read()));
  }

  stats_.bytes_read += raw.bytes_read();
  stats_.bytes_decoded += src_->bytes_read();
  if (gzip_active_) stats_.gzip_members += gzip_.members();
  ReportProgress(true);
  decoder_.set_sink(nullptr);
  decoder_.set_prefilter(nullptr);
  return status;
}

Status Reader::Impl::Loop() {
  // gzip is recognised by its magic bytes, whatever the name.
  while (end_ < 2 && !eof_) VIGIL_TRY_STATUS(Fill(base_));
  if (internal::HasGzipMagic(buf_.data(), end_ - base_)) {
    gzip_.Reset(raw_, std::string_view(buf_.data(), end_ - base_));
    src_ = &gzip_;
    gzip_active_ = true;
    end_ = base_;
    eof_ = false;
  }
  while (true) {
    switch (mode_) {
      case Mode::kDetect:
        VIGIL_TRY_STATUS(Detect());
        break;
      case Mode::kLines:
        VIGIL_TRY_STATUS(ProcessLines());
        break;
      case Mode::kHandoff:
      case Mode::kFramed:
        VIGIL_TRY_STATUS(ProcessFramed());
        break;
      case Mode::kDone:
        return Ok();
    }
  }
}

Status Reader::Impl::Fill(std::uint64_t keep) {
  std::size_t live = static_cast<std::size_t>(end_ - keep);
  if (keep > base_) {
    if (live > 0) std::memmove(buf_.data(), Ptr(keep), live);
    base_ = keep;
  }
  buf_.Resize(live);
  if (live == buf_.capacity()) {
    if (buf_.capacity() >= max_buffer_) {
      // Framing keeps at most max_document_size + 1 bytes; reaching this is a bug.
      return MakeError(ErrorCode::kInternal, "ingest buffer is full",
                       SourcePos{input_, static_cast<int>(line_), 0});
    }
    buf_.ReserveExact(std::min(max_buffer_, std::max(buf_.capacity() * 2, chunk_)));
  }
  std::size_t room = buf_.capacity() - live;
  auto got = src_->Read(buf_.data() + live, room);
  if (!got.has_value()) {
    Error e = std::move(got).error();
    if (e.pos.file.empty()) e.pos.file = input_;
    return e;
  }
  if (*got == 0) eof_ = true;
  end_ += *got;
  ReportProgress(false);
  return Ok();
}

void Reader::Impl::ReportProgress(bool final) {
  if (!options_.progress) return;
  std::uint64_t done = raw_->bytes_read();
  if (!final && done < next_progress_) return;
  while (next_progress_ <= done && options_.progress_interval > 0) {
    next_progress_ += options_.progress_interval;
  }
  Progress p;
  p.input = input_;
  p.bytes_done = done;
  p.bytes_total = total_;
  options_.progress(p);
}

Status Reader::Impl::Detect() {
  while (end_ - base_ < 3 && !eof_) VIGIL_TRY_STATUS(Fill(base_));
  if (begin_ == 0 && end_ >= 3 && std::memcmp(Ptr(0), "\xEF\xBB\xBF", 3) == 0) {
    begin_ = scan_from_ = 3;  // UTF-8 byte order mark (PowerShell exports)
  }
  // Decide from at most max_document_size + 1 bytes, treating that cap like the end of input,
  // so the choice depends on the bytes and never on how reads were chunked.
  while (true) {
    std::uint64_t limit = std::min<std::uint64_t>(end_, begin_ + max_doc_ + 1);
    bool complete = eof_ || limit < end_ || end_ - begin_ > max_doc_;
    std::optional<bool> framed =
        DecideFraming(std::string_view(Ptr(begin_), limit - begin_), complete);
    if (framed.has_value()) {
      if (*framed) {
        framer_.Start(begin_, line_, /*line_mode=*/false, max_doc_);
        mode_ = Mode::kFramed;
      } else {
        mode_ = Mode::kLines;
      }
      return Ok();
    }
    VIGIL_TRY_STATUS(Fill(begin_));
  }
}

void Reader::Impl::HandleLine(std::uint64_t begin, std::uint64_t end) {
  if (decoder_.DecodeLine(Ptr(begin), static_cast<std::size_t>(end - begin),
                          Context(line_, begin))) {
    ++stats_.records;
  }
}

Status Reader::Impl::ProcessLines() {
  while (true) {
    const char* nl =
        scan_from_ < end_
            ? static_cast<const char*>(std::memchr(Ptr(scan_from_), '\n', end_ - scan_from_))
            : nullptr;
    if (nl != nullptr) {
      std::uint64_t at = base_ + static_cast<std::uint64_t>(nl - buf_.data());
      if (at - begin_ > max_doc_) return Handoff();
      HandleLine(begin_, at);
      ++line_;
      begin_ = scan_from_ = at + 1;
      continue;
    }
    if (eof_) {
      if (end_ - begin_ > max_doc_) return Handoff();
      if (begin_ < end_) HandleLine(begin_, end_);
      begin_ = scan_from_ = end_;
      mode_ = Mode::kDone;
      return Ok();
    }
    if (end_ - begin_ > max_doc_) return Handoff();
    scan_from_ = end_;
    VIGIL_TRY_STATUS(Fill(begin_));
  }
}

Status Reader::Impl::Handoff() {
  // A line too long to decode whole: frame it by structure, which streams a top-level array or
  // EventList/events/logEvents/records element by element and rejects anything else.
  framer_.Start(begin_, line_, /*line_mode=*/true, max_doc_);
  mode_ = Mode::kHandoff;
  return Ok();
}

Status Reader::Impl::ProcessFramed() {
  while (true) {
    Frame f = framer_.Next(buf_.data(), base_, end_, eof_);
    switch (f.kind) {
      case Frame::Kind::kNeedMore:
        VIGIL_TRY_STATUS(Fill(framer_.keep_from()));
        break;
      case Frame::Kind::kHeader:
        header_ = decoder_.ParseHeader(
            std::string_view(Ptr(f.begin), static_cast<std::size_t>(f.end - f.begin)));
        if (f.container == Container::kLogEvents && header_.control()) ++stats_.control_messages;
        break;
      case Frame::Kind::kValue: {
        if (f.container == Container::kLogEvents && header_.control()) break;
        RecordContext ctx = Context(f.line, f.begin);
        ctx.envelope = EnvelopeFor(f.container);
        ctx.item_index = f.index;
        if (f.container == Container::kLogEvents) {
          ctx.log_group = header_.log_group;
          ctx.log_stream = header_.log_stream;
        }
        ++stats_.records;
        decoder_.DecodeJson(Ptr(f.begin), static_cast<std::size_t>(f.end - f.begin), ctx);
        break;
      }
      case Frame::Kind::kReject: {
        RecordContext ctx = Context(f.line, f.begin);
        ctx.envelope = EnvelopeFor(f.container);
        ctx.item_index = f.index;
        ++stats_.records;
        decoder_.Reject(f.reject, f.reason,
                        std::string_view(Ptr(f.begin), static_cast<std::size_t>(f.end - f.begin)),
                        ctx);
        break;
      }
      case Frame::Kind::kDone:
        begin_ = scan_from_ = f.end;
        line_ = framer_.line();
        mode_ = Mode::kLines;
        return Ok();
      case Frame::Kind::kEnd:
        mode_ = Mode::kDone;
        return Ok();
    }
  }
}

Reader::Reader(ReaderOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

Status Reader::ReadFile(std::string_view path, EventSink& sink) {
  if (path == "-") return ReadFd(STDIN_FILENO, "-", sink);
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot open: {}", std::strerror(errno)),
                     SourcePos{p, 0, 0});
  }
  FdCloser closer(fd);
  std::uint64_t total = 0;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    total = static_cast<std::uint64_t>(st.st_size);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  internal::FdSource source(fd, p);
  return impl_->Run(source, p, total, sink);
}

Status Reader::ReadFd(int fd, std::string_view name, EventSink& sink) {
  internal::FdSource source(fd, name);
  return impl_->Run(source, name, 0, sink);
}

Status Reader::ReadBuffer(std::string_view data, std::string_view name, EventSink& sink) {
  internal::MemorySource source(data);
  return impl_->Run(source, name, data.size(), sink);
}

const Stats& Reader::stats() const { return impl_->stats_; }
void Reader::ResetStats() { impl_->stats_ = Stats(); }
std::size_t Reader::buffer_capacity() const { return impl_->buf_.capacity(); }

}  // namespace vigil::ingest
