// Output lines handed to a stream in large writes.
#ifndef VIGIL_FINDINGS_ENCODE_LINE_BATCH_H_
#define VIGIL_FINDINGS_ENCODE_LINE_BATCH_H_

#include <cstddef>
#include <ostream>
#include <string>

namespace vigil::findings {

// std::ofstream passes any write of 1 KiB or more straight to the kernel, whatever its buffer, so
// writing a finding line at a time (evidence makes most lines longer) cost a system call per
// finding. Lines appended here reach the stream a few hundred KiB at a time instead.
class LineBatch {
 public:
  explicit LineBatch(std::ostream& out) : out_(out) {}
  LineBatch(const LineBatch&) = delete;
  LineBatch& operator=(const LineBatch&) = delete;
  ~LineBatch() { Flush(); }

  // Append one line's text here, then call EndLine().
  std::string& text() { return text_; }
  void EndLine() {
    text_ += '\n';
    if (text_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (text_.empty()) return;
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    text_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = std::size_t{256} << 10;
  std::ostream& out_;
  std::string text_;
};

}  // namespace vigil::findings

#endif  // VIGIL_FINDINGS_ENCODE_LINE_BATCH_H_
