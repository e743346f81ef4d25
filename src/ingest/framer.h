// DocumentFramer: finds JSON values in a byte stream by structure (brackets, strings, escapes)
// without parsing them, so pretty-printed documents, concatenated documents and over-long lines
// can be cut into records of bounded size. Internal to the ingest module; the rules it applies
// are the "Framing and recovery" section of ingest/reader.h.
//
// The framer never owns bytes. The caller keeps a window [base, end) of the decoded stream in a
// buffer and calls Next(); positions are absolute stream offsets. Before dropping bytes from the
// front of its window the caller must keep everything from keep_from() on.
#ifndef VIGIL_INGEST_FRAMER_H_
#define VIGIL_INGEST_FRAMER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/event_sink.h"

namespace vigil::ingest::internal {

// The array an element was streamed from.
enum class Container : std::uint8_t {
  kNone,       // not an element: a whole top-level document
  kArray,      // a top-level array
  kItems,      // "items" of a top-level object (EventList)
  kEvents,     // "events" (aws logs filter-log-events output)
  kLogEvents,  // "logEvents" (subscription-filter payload)
  kRecords,    // "records" (Firehose-style batch)
};

struct Frame {
  enum class Kind : std::uint8_t {
    kNeedMore,  // window exhausted: keep bytes from keep_from(), append more, call again
    kValue,     // [begin, end) is one complete JSON value (document or element) to decode
    kHeader,    // [begin, end) is the start of a top-level object up to (not including) the
                // separator before its streamed array `container`; append '}' to parse it
    kReject,    // a record that cannot be framed; [begin, end) is an excerpt (<= 512 bytes)
    kDone,      // line mode only: the line's value is finished; lines resume at `end`
    kEnd,       // documents mode only: end of input, nothing left
  };
  Kind kind = Kind::kNeedMore;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t line = 0;  // 1-based line where the value (or rejected record) starts
  Container container = Container::kNone;
  std::int64_t index = -1;  // element index within the container, -1 for whole documents
  RejectKind reject = RejectKind::kMalformed;
  std::string_view reason;  // static text, for kReject
};

class DocumentFramer {
 public:
  // Starts framing at stream offset `pos` (on line `line`). In line mode the framer handles one
  // line only (a line too long to buffer whole): a line break outside a string ends it, recovery
  // skips to the next newline, and kDone hands control back. In documents mode it frames values
  // until the end of the input.
  void Start(std::uint64_t pos, std::uint64_t line, bool line_mode, std::size_t max_document_size);

  // Advances over the window [base, end) (`data` points at offset `base`); `eof` says no bytes
  // follow `end`. The window must contain at least [keep_from(), end).
  Frame Next(const char* data, std::uint64_t base, std::uint64_t end, bool eof);

  std::uint64_t keep_from() const;
  std::uint64_t position() const { return pos_; }
  std::uint64_t line() const { return line_; }

 private:
  enum class State : std::uint8_t {
    kTop,       // between top-level values
    kObject,    // inside a top-level object
    kElements,  // inside a streamed array, between elements
    kElement,   // inside a streamed element
    kGarbage,   // collecting an excerpt of text found between documents
    kSkipLine,  // skipping to the next newline
    kResync,    // looking for a line that starts with '{' or '['
    kFinished,  // line mode: the value is done
  };
  enum class KeyState : std::uint8_t { kExpectKey, kInKey, kAfterKey, kAfterColon, kInValue };

  char At(std::uint64_t p) const { return data_[p - base_]; }
  // Advances pos_ within a string up to scan_end; false at a raw line break.
  bool ScanString(std::uint64_t scan_end);
  // Where scanning must pause: the window's end, or max + 1 bytes past the start of what is kept.
  std::uint64_t ScanEnd() const;
  // True when the value (or member name) being kept has grown past the maximum.
  bool OverLimit() const;
  Frame Reject(RejectKind kind,
               std::string_view reason,
               std::uint64_t start,
               std::uint64_t start_line,
               std::int64_t index);
  Frame Broken(std::string_view reason);
  // Documents mode, after a rejected document: resume scanning just after its start.
  void Rewind(std::uint64_t start, std::uint64_t start_line);
  Frame TooLarge();
  Frame AtEof();
  Frame EmitElement();
  void FinishTopValue();
  Container ClassifyKey() const;

  // Window of the current Next() call.
  const char* data_ = nullptr;
  std::uint64_t base_ = 0;
  std::uint64_t end_ = 0;

  State state_ = State::kTop;
  bool line_mode_ = false;
  std::size_t max_ = 0;
  std::uint64_t pos_ = 0;
  std::uint64_t line_ = 1;
  std::uint64_t rewind_end_ = 0;  // where the last rewind started from (see Rewind)

  // Current top-level value.
  std::uint64_t value_start_ = 0;
  std::uint64_t value_line_ = 0;
  bool streamed_ = false;  // an array of this value was streamed (the value is not kept whole)
  int depth_ = 0;          // open brackets, the top-level one included
  bool in_string_ = false;
  bool escape_ = false;
  KeyState key_state_ = KeyState::kInValue;
  std::uint64_t key_start_ = 0;
  std::uint64_t key_end_ = 0;
  std::uint64_t last_sep_ = 0;  // end of the object's head: after '{' or at the last ','
  Container key_container_ = Container::kNone;  // what the last member name would stream

  // Current streamed container and element.
  Container container_ = Container::kNone;
  std::int64_t elem_index_ = 0;
  std::uint64_t elem_start_ = 0;
  std::uint64_t elem_line_ = 0;
  int elem_base_depth_ = 0;
  bool elem_scalar_ = false;
  bool elem_skip_ = false;  // too large: scanning past it without keeping it
};

}  // namespace vigil::ingest::internal

#endif  // VIGIL_INGEST_FRAMER_H_
