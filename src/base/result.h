// vigil::Result<T>: a value or an Error, shaped like std::expected so it can become an alias for
// it once the toolchain has one. Failures that users cause (bad JSON, a rule file with a typo, a
// missing file) are values of this type, not exceptions (STYLE.md "Errors and ownership").
#ifndef VIGIL_BASE_RESULT_H_
#define VIGIL_BASE_RESULT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace vigil {

// What kind of failure this is; the CLI maps these to exit codes (2 for kInvalidArgument and
// kConfig, 1 for kIo).
enum class ErrorCode : std::uint8_t {
  kInvalidArgument,  // a caller passed something malformed (usage, a bad flag value)
  kConfig,           // a rule file, config file or snapshot is wrong
  kParse,            // outside input could not be decoded (an event, an HTTP body)
  kIo,               // reading or writing failed
  kNotFound,         // a named thing does not exist
  kUnsupported,      // well-formed input that vigil does not handle
  kInternal,         // a broken invariant inside vigil
};

std::string_view ErrorCodeName(ErrorCode code);

// A place in a named input: file:line:column, 1-based; line 0 means "the whole input".
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty() || line > 0; }
  // "file:line:column", "file:line", "file" or "" depending on what is known.
  std::string ToString() const;
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  SourcePos pos;

  // "file:line:column: message" when the position is known, else the message alone.
  std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message, SourcePos pos = {}) {
  return Error{code, std::move(message), std::move(pos)};
}

// Holds either a T or an Error. Accessing the wrong alternative is a programming error and
// aborts (std::get throws std::bad_variant_access, which nothing catches on the hot path).
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : state_(value) {}                      // NOLINT: implicit by design
  Result(T&& value) : state_(std::move(value)) {}                // NOLINT
  Result(Error error) : state_(std::move(error)) {}              // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Error> &&
                                        !std::is_same_v<std::decay_t<U>, Result<T>>>>
  Result(U&& value) : state_(T(std::forward<U>(value))) {}       // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace vigil

#define VIGIL_CONCAT_INNER_(a, b) a##b
#define VIGIL_CONCAT_(a, b) VIGIL_CONCAT_INNER_(a, b)

// VIGIL_TRY(lhs, expr): evaluates expr (a Result<T>); on error returns the error from the
// enclosing function, otherwise move-assigns the value to lhs, which may be a declaration
// ("auto x") or an existing variable. For Result<void> use VIGIL_TRY_STATUS(expr).
#define VIGIL_TRY(lhs, expr)                                          \
  auto VIGIL_CONCAT_(vigil_try_, __LINE__) = (expr);                   \
  if (!VIGIL_CONCAT_(vigil_try_, __LINE__).has_value())                \
    return std::move(VIGIL_CONCAT_(vigil_try_, __LINE__)).error();     \
  lhs = std::move(VIGIL_CONCAT_(vigil_try_, __LINE__)).value()

#define VIGIL_TRY_STATUS(expr)                                        \
  do {                                                                \
    auto vigil_try_status_ = (expr);                                  \
    if (!vigil_try_status_.has_value())                               \
      return std::move(vigil_try_status_).error();                    \
  } while (false)

#endif  // VIGIL_BASE_RESULT_H_
