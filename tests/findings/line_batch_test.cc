// LineBatch: output lines reach the stream whole and in order, a few large writes at a time.
#include "findings/encode/line_batch.h"

#include <gtest/gtest.h>

#include <sstream>
#include <streambuf>
#include <string>

namespace vigil::findings {
namespace {

// Records every write the stream makes.
class CountingBuf : public std::streambuf {
 public:
  std::string data;
  int writes = 0;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    ++writes;
    data.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) xsputn(reinterpret_cast<const char*>(&c), 1);
    return c;
  }
};

TEST(LineBatchTest, LongLinesGoOutInFewWritesAndUnchanged) {
  CountingBuf buf;
  std::ostream out(&buf);
  std::string expected;
  {
    LineBatch batch(out);
    for (int i = 0; i < 1000; ++i) {
      const std::string line = std::to_string(i) + std::string(1500, 'x');
      batch.text() += line;
      batch.EndLine();
      expected += line + "\n";
    }
    batch.Flush();
    EXPECT_EQ(buf.data, expected);
  }
  // 1.5 MB in writes of at least 256 KiB: 6 of them, not 1000.
  EXPECT_LE(buf.writes, 6);
  EXPECT_GE(buf.writes, 5);
}

TEST(LineBatchTest, WhatIsLeftIsWrittenWhenTheBatchEnds) {
  std::ostringstream out;
  {
    LineBatch batch(out);
    batch.text() += "one";
    batch.EndLine();
    EXPECT_EQ(out.str(), "");
  }
  EXPECT_EQ(out.str(), "one\n");
}

}  // namespace
}  // namespace vigil::findings
