// Reader: turns the bytes of an audit log (a file, stdin, a webhook body) into AuditEvents.
//
// Formats, detected by content (never by file name), per input:
//   - gzip: an input starting with 1f 8b is inflated as a stream (zlib, in chunks; several
//     members in a row are one stream). What follows applies to the inflated bytes.
//   - JSON lines: one value per line. A line may hold an audit Event (audit.k8s.io/v1 or
//     v1beta1, with or without apiVersion), an EventList, a JSON array of events, a CloudWatch
//     record {"timestamp","message","logStreamName",...}, `aws logs filter-log-events` output
//     {"events":[...]}, a subscription-filter payload {"messageType","logEvents":[...]}, a Lambda
//     event {"awslogs":{"data":"<base64>"}}, a Firehose-style {"records":[{"data":"<base64>"}]},
//     or a bare base64 line holding gzip (or plain JSON) of any of these. A line
//     "<RFC 3339 time> <json>" (CloudWatch's export-to-S3 text form) is read as the JSON.
//   - JSON documents (pretty-printed or concatenated): used when the first non-blank line opens
//     a value that it does not close and the lines after it continue that value as valid JSON
//     (checked up to the value's end, 16 lines or 64 KiB past the first line, or the end of the
//     input). A JSON-lines file whose first line was cut stays JSON lines, whatever follows the
//     cut line. The same shapes as above, framed by a string-aware depth tracker instead of by
//     newlines.
//   - A CloudWatch `message` is itself JSON text: an Event, or an EventList.
//
// Framing and recovery:
//   - JSON lines: every line is one record; blank lines are skipped. A bad line is rejected and
//     reading resumes at the next line. A line longer than max_document_size is not buffered
//     whole: it is framed by structure, so a huge one-line EventList or array still streams item
//     by item (see "Streaming" below); anything else on it is rejected as too large and skipped
//     to the next newline.
//   - JSON documents: a top-level value ends where its brackets balance. A document that breaks
//     its own framing (a raw line break inside a string, a member that does not start with a
//     name, the input ending inside it, more than max_document_size bytes) is rejected and
//     reading resumes at the next line, after the document's first line, that starts in column 0
//     with '{' or '[' (pretty-printers indent everything nested, so that is the next top-level
//     document); an array element that breaks (or that the input ends inside) does the same from
//     its own first line. A document found that way that breaks again resyncs from where it broke
//     (bytes are rescanned at most once), so one that the input also ends inside loses what
//     follows it. A document that frames but does not parse is rejected
//     and skipped whole.
//     Stray ',' ']' '}' between documents are ignored (they carry no data); any other text
//     between documents is rejected one line at a time.
//   - Streaming: in both modes a top-level array, and the `items`, `events`, `logEvents` and
//     `records` array of a top-level object, are framed element by element, so a 5 GB EventList
//     or merged `aws logs` output needs only one element in memory. The object's members before
//     the array are parsed for context (messageType, logGroup, logStream); members after it are
//     skipped. An element that does not parse is rejected alone; an element larger than
//     max_document_size is rejected and skipped by structure.
//   - Inside a parsed document, each item of an EventList, array, events[], logEvents[] or
//     records[] is decoded on its own: a bad item is rejected and the others still arrive.
//   - gzip: a truncated or corrupt stream is one kBadGzip rejection, reported after every record
//     inflated before the damage (a final partial line is rejected as malformed first), with
//     line 0 and the count of bytes inflated as its offset. Bytes after a gzip member that are
//     neither another member nor zero padding are one kBadGzip rejection too.
//   - Every rule above is decided on the bytes alone: the same input gives the same events and
//     rejections whatever the chunk size or however a pipe splits its reads (the event_decoder
//     fuzz target checks this).
//   - CloudWatch: a message ending in "[Truncated...]" is one kTruncated rejection, with the
//     auditID if the prefix shows one. A CONTROL_MESSAGE payload is counted, not rejected.
//
// Memory: one chunk buffer (ReaderOptions::chunk_size, reused), grown only while a single record
// or element needs it, never beyond max(chunk_size, max_document_size + 1); one simdjson parser per
// envelope level, each sized by the largest document it has parsed; a 256 KiB gzip input buffer.
// Nothing depends on the size of the input.
//
// Thread-safety: a Reader is not thread-safe; use one per thread. It may read many inputs in turn
// and reuses its buffers between them.
#ifndef VIGIL_INGEST_READER_H_
#define VIGIL_INGEST_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "ingest/event_sink.h"

namespace vigil::ingest {

// Progress of the current input, for a terminal progress line.
struct Progress {
  std::string_view input;
  std::uint64_t bytes_done = 0;   // input bytes consumed so far (compressed bytes for gzip)
  std::uint64_t bytes_total = 0;  // size of the input when known (a regular file), else 0
};

struct ReaderOptions {
  // Bytes read per read() call, and the initial size of the chunk buffer. 1 MiB reads at full
  // speed; tests use tiny values to put records across chunk boundaries. Values below 1 are 1.
  std::size_t chunk_size = std::size_t{1} << 20;
  // The largest single record (a line, a document, an array element, a decoded payload, a
  // CloudWatch message) that is decoded; larger ones are rejected as kTooLarge. At least 1.
  std::size_t max_document_size = std::size_t{64} << 20;
  // Called every `progress_interval` input bytes and once at the end of each input. Optional.
  std::function<void(const Progress&)> progress;
  std::uint64_t progress_interval = std::uint64_t{16} << 20;
  // Build every event's tree, even when the sink's prefilter says it wants nothing of it: any
  // malformed JSON inside an event is then rejected, at the cost of speed (ingest/event_keys.h).
  bool validate_all = false;
};

// Counters over every input a Reader has read since construction or ResetStats().
struct Stats {
  std::uint64_t inputs = 0;
  std::uint64_t bytes_read = 0;        // bytes read from inputs (compressed bytes for gzip)
  std::uint64_t bytes_decoded = 0;     // bytes after gzip inflation (== bytes_read if not gzip)
  std::uint64_t gzip_members = 0;      // complete gzip members inflated from inputs
  std::uint64_t records = 0;           // lines, documents and streamed elements framed
  std::uint64_t events = 0;            // events: OnEvent calls plus prefiltered
  std::uint64_t prefiltered = 0;       // events counted from their keys alone (sink's prefilter)
  std::uint64_t control_messages = 0;  // CloudWatch CONTROL_MESSAGE payloads (no events)
  std::array<std::uint64_t, kRejectKindCount> rejected{};  // OnRejected calls, by RejectKind

  std::uint64_t rejected_of(RejectKind kind) const {
    return rejected[static_cast<std::size_t>(kind)];
  }
  std::uint64_t truncated() const { return rejected_of(RejectKind::kTruncated); }
  std::uint64_t rejected_total() const;
};

class Reader {
 public:
  explicit Reader(ReaderOptions options = {});
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  // Reads the file at `path` ("-" reads standard input) to its end, calling `sink` for every
  // event and rejection. Returns kIo (with the path) when the file cannot be opened or a read
  // fails; events delivered before a read error stay delivered. Bad content is never an error:
  // it reaches the sink as rejections.
  Status ReadFile(std::string_view path, EventSink& sink);

  // Reads an open descriptor (a pipe, stdin, a socket) to EOF; `name` labels origins and
  // rejections. Does not close `fd`. Errors as ReadFile. A non-blocking fd is waited on with
  // poll().
  Status ReadFd(int fd, std::string_view name, EventSink& sink);

  // Reads `data` (e.g. a webhook request body, possibly gzip) as one input. Never fails: the
  // Status is always OK, kept for symmetry. `data` is not retained after the call.
  Status ReadBuffer(std::string_view data, std::string_view name, EventSink& sink);

  const Stats& stats() const;
  void ResetStats();

  // Current capacity of the chunk buffer in bytes: at most
  // max(chunk_size, max_document_size + 1). For memory-boundedness tests.
  std::size_t buffer_capacity() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::ingest

#endif  // VIGIL_INGEST_READER_H_
