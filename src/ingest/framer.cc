#include "ingest/framer.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace vigil::ingest::internal {
namespace {

// Bytes that end a run of ordinary string content.
constexpr std::array<bool, 256> MakeStringStops() {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>('"')] = true;
  t[static_cast<unsigned char>('\\')] = true;
  t[static_cast<unsigned char>('\n')] = true;
  return t;
}
constexpr std::array<bool, 256> kStringStops = MakeStringStops();

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool EndsScalar(char c) {
  return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

void DocumentFramer::Start(std::uint64_t pos,
                           std::uint64_t line,
                           bool line_mode,
                           std::size_t max_document_size) {
  *this = DocumentFramer();
  pos_ = pos;
  line_ = line;
  line_mode_ = line_mode;
  max_ = max_document_size;
}

std::uint64_t DocumentFramer::keep_from() const {
  switch (state_) {
    case State::kGarbage:
      return value_start_;
    case State::kObject:
      if (!streamed_) return value_start_;
      if (key_state_ == KeyState::kInKey) return std::min(key_start_, pos_);
      return pos_;
    case State::kElement:
      return elem_skip_ ? pos_ : elem_start_;
    default:
      return pos_;
  }
}

std::uint64_t DocumentFramer::ScanEnd() const {
  std::uint64_t keep = keep_from();
  // Only states that keep bytes are bounded; they stop exactly max + 1 bytes after their start,
  // whatever the window, so "too large" is decided at the same byte for every chunking.
  if (keep == pos_ && state_ != State::kElement && state_ != State::kObject) return end_;
  return std::min(end_, keep + max_ + 1);
}

bool DocumentFramer::OverLimit() const {
  switch (state_) {
    case State::kObject:
      if (!streamed_) return pos_ - value_start_ > max_;
      if (key_state_ == KeyState::kInKey) return pos_ - key_start_ > max_;
      return false;
    case State::kElement:
      return !elem_skip_ && pos_ - elem_start_ > max_;
    default:
      return false;
  }
}

bool DocumentFramer::ScanString(std::uint64_t scan_end) {
  while (pos_ < scan_end) {
    if (escape_) {
      escape_ = false;
      ++pos_;
      continue;
    }
    const char* p = data_ + (pos_ - base_);
    const char* e = data_ + (scan_end - base_);
    while (p < e && !kStringStops[static_cast<unsigned char>(*p)]) ++p;
    pos_ = base_ + static_cast<std::uint64_t>(p - data_);
    if (p == e) return true;
    char c = *p;
    if (c == '\n') return false;
    ++pos_;
    if (c == '\\') {
      escape_ = true;
    } else {  // closing quote
      in_string_ = false;
      return true;
    }
  }
  return true;
}

Frame DocumentFramer::Reject(RejectKind kind,
                             std::string_view reason,
                             std::uint64_t start,
                             std::uint64_t start_line,
                             std::int64_t index) {
  Frame f;
  f.kind = Frame::Kind::kReject;
  f.reject = kind;
  f.reason = reason;
  // The excerpt runs from the record's start to where scanning stopped (never past the window):
  // it depends on the bytes, not on how they were chunked.
  f.begin = std::max(start, base_);
  f.end = std::min<std::uint64_t>(
      {std::max(pos_, f.begin), end_, f.begin + std::min<std::uint64_t>(kMaxExcerptBytes, max_)});
  f.line = start_line;
  f.index = index;
  f.container = index >= 0 ? container_ : Container::kNone;
  return f;
}

Frame DocumentFramer::Broken(std::string_view reason) {
  std::uint64_t start = pos_;
  std::uint64_t start_line = line_;
  std::int64_t index = -1;
  if (state_ == State::kObject && !streamed_) {
    start = value_start_;
    start_line = value_line_;
  } else if (state_ == State::kElement && !elem_skip_) {
    start = elem_start_;
    start_line = elem_line_;
    index = elem_index_++;
  }
  Frame f = Reject(RejectKind::kMalformed, reason, start, start_line, index);
  in_string_ = false;
  escape_ = false;
  if (line_mode_) {
    state_ = State::kSkipLine;  // pos_ is at or before the line break
  } else {
    // Rewind to just after the start: a document that merged with the ones after it (a cut
    // line) gives them back, because they begin at column 0 after its first line.
    state_ = State::kResync;
    Rewind(start, start_line);
  }
  return f;
}

void DocumentFramer::Rewind(std::uint64_t start, std::uint64_t start_line) {
  // A document that starts inside a stretch already given back by an earlier rewind does not
  // rewind again: it resyncs from where it broke. Every byte is then scanned at most twice, so
  // nested broken documents cannot make recovery quadratic.
  if (start >= pos_ || start < rewind_end_) return;
  rewind_end_ = pos_;
  pos_ = start + 1;
  line_ = start_line;
}

Frame DocumentFramer::TooLarge() {
  if (state_ == State::kObject && !streamed_) {
    Frame f = Reject(RejectKind::kTooLarge, "document is larger than the maximum document size",
                     value_start_, value_line_, -1);
    in_string_ = false;
    escape_ = false;
    if (line_mode_) {
      state_ = State::kSkipLine;
    } else {
      state_ = State::kResync;
      Rewind(value_start_, value_line_);
    }
    return f;
  }
  if (state_ == State::kElement && !elem_skip_) {
    Frame f =
        Reject(RejectKind::kTooLarge, "array element is larger than the maximum document size",
               elem_start_, elem_line_, elem_index_++);
    elem_skip_ = true;  // keep scanning its structure, without keeping its bytes
    return f;
  }
  return Broken("member name is larger than the maximum document size");
}

Frame DocumentFramer::AtEof() {
  Frame f;
  switch (state_) {
    case State::kTop:
    case State::kSkipLine:
    case State::kResync:
    case State::kFinished:
      f.kind = line_mode_ ? Frame::Kind::kDone : Frame::Kind::kEnd;
      f.begin = f.end = pos_;
      state_ = line_mode_ ? State::kFinished : State::kTop;
      return f;
    case State::kGarbage:
      return f;  // handled by the kGarbage case itself
    case State::kObject:
    case State::kElements:
    case State::kElement:
      break;
  }
  if (state_ == State::kElement && !elem_skip_) {
    f = Reject(RejectKind::kMalformed, "input ends inside a JSON value", elem_start_, elem_line_,
               elem_index_++);
  } else if (state_ == State::kObject && !streamed_) {
    f = Reject(RejectKind::kMalformed, "input ends inside a JSON document", value_start_,
               value_line_, -1);
  } else {
    f = Reject(RejectKind::kMalformed, "input ends before the enclosing array or object closes",
               pos_, line_, -1);
  }
  in_string_ = false;
  escape_ = false;
  if (line_mode_) {
    pos_ = end_;
    state_ = State::kFinished;
  } else if (f.index < 0 && streamed_) {
    pos_ = end_;  // an array left open: its elements were delivered, nothing was swallowed
    state_ = State::kTop;
  } else {
    // A document (or element) the input ended in may have swallowed the documents after it (a
    // cut line): resume at the next line after its start that starts with '{' or '['.
    std::uint64_t start = f.index >= 0 ? elem_start_ : value_start_;
    std::uint64_t start_line = f.index >= 0 ? elem_line_ : value_line_;
    state_ = State::kResync;
    Rewind(start, start_line);  // a no-op inside a stretch already given back: pos_ stays at end_
  }
  return f;
}

Frame DocumentFramer::EmitElement() {
  if (pos_ - elem_start_ > max_) {
    // Complete but too large: the same rejection as when it outgrows the window.
    Frame f =
        Reject(RejectKind::kTooLarge, "array element is larger than the maximum document size",
               elem_start_, elem_line_, elem_index_++);
    state_ = State::kElements;
    return f;
  }
  Frame f;
  f.kind = Frame::Kind::kValue;
  f.begin = elem_start_;
  f.end = pos_;
  f.line = elem_line_;
  f.container = container_;
  f.index = elem_index_++;
  state_ = State::kElements;
  return f;
}

void DocumentFramer::FinishTopValue() { state_ = line_mode_ ? State::kFinished : State::kTop; }

Container DocumentFramer::ClassifyKey() const {
  std::uint64_t n = key_end_ - key_start_;
  auto is = [&](std::string_view name) {
    if (n != name.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (At(key_start_ + i) != name[i]) return false;
    }
    return true;
  };
  if (is("items")) return Container::kItems;
  if (is("events")) return Container::kEvents;
  if (is("logEvents")) return Container::kLogEvents;
  if (is("records")) return Container::kRecords;
  return Container::kNone;
}

Frame DocumentFramer::Next(const char* data, std::uint64_t base, std::uint64_t end, bool eof) {
  data_ = data;
  base_ = base;
  end_ = end;
  while (true) {
    if (pos_ >= end_ && state_ != State::kGarbage) {
      if (eof) return AtEof();
      if (end_ - keep_from() > max_) return TooLarge();
      return Frame{};  // kNeedMore
    }
    switch (state_) {
      case State::kFinished: {
        Frame f;
        f.kind = Frame::Kind::kDone;
        f.begin = f.end = pos_;
        return f;
      }

      case State::kTop: {
        char c = At(pos_);
        if (c == '\n') {
          if (line_mode_) {
            state_ = State::kFinished;
            continue;
          }
          ++line_;
          ++pos_;
          continue;
        }
        if (IsBlank(c) || (!line_mode_ && (c == ',' || c == ']' || c == '}'))) {
          ++pos_;
          continue;
        }
        value_start_ = pos_;
        value_line_ = line_;
        in_string_ = false;
        escape_ = false;
        if (c == '{') {
          state_ = State::kObject;
          streamed_ = false;
          depth_ = 1;
          key_state_ = KeyState::kExpectKey;
          last_sep_ = pos_ + 1;
          ++pos_;
          continue;
        }
        if (c == '[') {
          state_ = State::kElements;
          streamed_ = true;
          depth_ = 1;
          container_ = Container::kArray;
          elem_index_ = 0;
          ++pos_;
          continue;
        }
        state_ = State::kGarbage;
        continue;
      }

      case State::kGarbage: {
        std::uint64_t limit = std::min<std::uint64_t>(kMaxExcerptBytes, max_);
        const void* nl =
            pos_ < end_ ? std::memchr(data_ + (pos_ - base_), '\n', end_ - pos_) : nullptr;
        if (nl == nullptr && end_ - value_start_ < limit && !eof) {
          pos_ = end_;
          return Frame{};  // kNeedMore, keeping value_start_
        }
        std::uint64_t stop =
            nl != nullptr ? base_ + static_cast<std::uint64_t>(static_cast<const char*>(nl) - data_)
                          : end_;
        pos_ = std::max(pos_, std::min(stop, value_start_ + limit));
        // In line mode this is a line too long to hold that is not JSON (a huge base64 blob).
        Frame f = line_mode_ ? Reject(RejectKind::kTooLarge,
                                      "line is larger than the maximum document size", value_start_,
                                      value_line_, -1)
                             : Reject(RejectKind::kMalformed, "text outside a JSON document",
                                      value_start_, value_line_, -1);
        f.end = std::min(f.end, stop);
        state_ = State::kSkipLine;
        return f;
      }

      case State::kSkipLine: {
        const void* nl = std::memchr(data_ + (pos_ - base_), '\n', end_ - pos_);
        if (nl == nullptr) {
          pos_ = end_;
          continue;
        }
        pos_ = base_ + static_cast<std::uint64_t>(static_cast<const char*>(nl) - data_);
        if (line_mode_) {
          state_ = State::kFinished;
        } else {
          ++pos_;
          ++line_;
          state_ = State::kTop;
        }
        continue;
      }

      case State::kResync: {
        const void* nl = std::memchr(data_ + (pos_ - base_), '\n', end_ - pos_);
        if (nl == nullptr) {
          pos_ = end_;
          continue;
        }
        std::uint64_t at = base_ + static_cast<std::uint64_t>(static_cast<const char*>(nl) - data_);
        if (at + 1 >= end_ && !eof) {
          pos_ = at;  // keep the newline until the byte after it is known
          if (end_ - keep_from() > max_) return TooLarge();
          return Frame{};
        }
        ++line_;
        pos_ = at + 1;
        if (pos_ < end_ && (At(pos_) == '{' || At(pos_) == '[')) state_ = State::kTop;
        continue;
      }

      case State::kObject: {
        while (true) {
          std::uint64_t scan_end = ScanEnd();
          if (pos_ >= scan_end) break;
          if (in_string_) {
            if (!ScanString(scan_end)) return Broken("line break inside a JSON string");
            if (!in_string_ && key_state_ == KeyState::kInKey) {
              key_end_ = pos_ - 1;
              key_state_ = KeyState::kAfterKey;
              key_container_ = ClassifyKey();  // the key's bytes need not be kept past here
            }
            continue;
          }
          char c = At(pos_);
          if (IsBlank(c)) {
            ++pos_;
            continue;
          }
          if (c == '\n') {
            if (line_mode_) return Broken("document continues past the end of its line");
            ++line_;
            ++pos_;
            continue;
          }
          if (depth_ == 1) {
            switch (key_state_) {
              case KeyState::kExpectKey:
                if (c == '"') {
                  key_state_ = KeyState::kInKey;
                  key_start_ = pos_ + 1;
                  in_string_ = true;
                  ++pos_;
                  continue;
                }
                if (c != '}') return Broken("expected a member name in a JSON object");
                break;
              case KeyState::kAfterKey:
                if (c != ':') return Broken("expected ':' after a member name");
                key_state_ = KeyState::kAfterColon;
                ++pos_;
                continue;
              case KeyState::kAfterColon:
                key_state_ = KeyState::kInValue;
                if (c == '[') {
                  Container k = key_container_;
                  if (k != Container::kNone) {
                    Frame header;
                    bool emit = !streamed_;
                    header.kind = Frame::Kind::kHeader;
                    header.begin = value_start_;
                    header.end = last_sep_;
                    header.line = value_line_;
                    header.container = k;
                    streamed_ = true;
                    container_ = k;
                    elem_index_ = 0;
                    depth_ = 2;
                    ++pos_;
                    state_ = State::kElements;
                    if (emit) return header;
                    break;
                  }
                }
                break;
              case KeyState::kInValue:
                if (c == ',') {
                  key_state_ = KeyState::kExpectKey;
                  last_sep_ = pos_;
                  ++pos_;
                  continue;
                }
                break;
              case KeyState::kInKey:
                break;  // unreachable: keys are strings
            }
            if (state_ != State::kObject) break;
          }
          ++pos_;
          if (c == '"') {
            in_string_ = true;
          } else if (c == '{' || c == '[') {
            ++depth_;
          } else if (c == '}' || c == ']') {
            if (--depth_ == 0) {
              bool whole = !streamed_;
              if (whole && pos_ - value_start_ > max_) return TooLarge();
              FinishTopValue();
              if (whole) {
                Frame f;
                f.kind = Frame::Kind::kValue;
                f.begin = value_start_;
                f.end = pos_;
                f.line = value_line_;
                return f;
              }
              break;
            }
          }
        }
        if (state_ == State::kObject && OverLimit()) return TooLarge();
        continue;
      }

      case State::kElements: {
        char c = At(pos_);
        if (IsBlank(c) || c == ',') {
          ++pos_;
          continue;
        }
        if (c == '\n') {
          if (line_mode_) return Broken("array continues past the end of its line");
          ++line_;
          ++pos_;
          continue;
        }
        if (c == ']') {
          ++pos_;
          if (--depth_ == 0) {
            FinishTopValue();
          } else {
            state_ = State::kObject;
            key_state_ = KeyState::kInValue;
          }
          continue;
        }
        if (c == '}') return Broken("'}' closes an array");
        elem_start_ = pos_;
        elem_line_ = line_;
        elem_base_depth_ = depth_;
        elem_skip_ = false;
        elem_scalar_ = false;
        state_ = State::kElement;
        if (c == '{' || c == '[') {
          ++depth_;
          ++pos_;
        } else if (c == '"') {
          in_string_ = true;
          ++pos_;
        } else {
          elem_scalar_ = true;
        }
        continue;
      }

      case State::kElement: {
        while (true) {
          std::uint64_t scan_end = ScanEnd();
          if (pos_ >= scan_end) break;
          if (elem_scalar_) {
            if (EndsScalar(At(pos_))) {
              state_ = State::kElements;
              if (elem_skip_) break;
              return EmitElement();
            }
            ++pos_;
            continue;
          }
          if (in_string_) {
            if (!ScanString(scan_end)) return Broken("line break inside a JSON string");
            if (!in_string_ && depth_ == elem_base_depth_) {
              state_ = State::kElements;
              if (elem_skip_) break;
              return EmitElement();
            }
            continue;
          }
          char c = At(pos_);
          if (c == '\n') {
            if (line_mode_) return Broken("array element continues past the end of its line");
            ++line_;
          }
          ++pos_;
          if (c == '"') {
            in_string_ = true;
          } else if (c == '{' || c == '[') {
            ++depth_;
          } else if ((c == '}' || c == ']') && --depth_ == elem_base_depth_) {
            state_ = State::kElements;
            if (elem_skip_) break;
            return EmitElement();
          }
        }
        if (state_ == State::kElement && OverLimit()) return TooLarge();
        continue;
      }
    }
  }
}

}  // namespace vigil::ingest::internal
