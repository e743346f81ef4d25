// libpq, loaded at run time (dlopen) the first time a PostgreSQL store is opened, instead of
// linked into vigil. Linking it costs every vigil process ~20 shared libraries (Kerberos, LDAP,
// SASL, GnuTLS, ...) and about half of its start-up time, although only postgres:// locations
// need it. libpq-fe.h still supplies the types and prototypes: each entry of the table has the
// type of the real function (decltype(&::PQexec)), so a mismatched signature does not compile.
//
// Internal to store/postgres (connection.cc) and its tests; the rest of vigil reaches PostgreSQL
// through Connection.
#ifndef VIGIL_STORE_POSTGRES_LIBPQ_LOADER_H_
#define VIGIL_STORE_POSTGRES_LIBPQ_LOADER_H_

#include <libpq-fe.h>

#include "base/result.h"

namespace vigil::store::pg {

// Every libpq function that connection.cc calls. Add a function here before calling it there
// (vigil does not link libpq, so a call that bypasses the table fails to link).
// (clang-format would stagger the list.)
// clang-format off
#define VIGIL_LIBPQ_FUNCTIONS(X)                                                               \
  X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfoFree) X(PQconninfoParse)          \
  X(PQconsumeInput) X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQfinish) X(PQfreemem)       \
  X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQntuples) X(PQreset) X(PQresultErrorField)    \
  X(PQresultErrorMessage) X(PQresultStatus) X(PQsetNoticeProcessor) X(PQstatus)                \
  X(PQtransactionStatus)
// clang-format on

// The resolved functions, named as in libpq: `lib.PQexec(conn, sql)`. Immutable once loaded, so
// any thread may call through it (libpq's own thread rules still apply per PGconn).
struct Libpq {
#define VIGIL_LIBPQ_MEMBER(name) decltype(&::name) name = nullptr;
  VIGIL_LIBPQ_FUNCTIONS(VIGIL_LIBPQ_MEMBER)
#undef VIGIL_LIBPQ_MEMBER
};

// The soname vigil loads: libpq's ABI has been 5 since PostgreSQL 8.2 (Debian: libpq5).
inline constexpr const char kLibpqSoname[] = "libpq.so.5";

// The process's libpq, loaded on the first call (thread-safe: a function-local static) and kept
// for the life of the process. A failure is remembered too: every later call returns the same
// error, kUnsupported, "PostgreSQL store needs libpq (libpq.so.5): <dlerror text>; install
// Debian's libpq5". The pointer lives as long as the process.
Result<const Libpq*> LoadedLibpq();

namespace internal {

// Loads `library` with dlopen(RTLD_NOW | RTLD_LOCAL) and resolves every function of Libpq, the
// way LoadedLibpq does but anew on each call (so tests can name a library that does not exist).
// The library is never closed: the functions stay valid for the life of the process. Errors as
// for LoadedLibpq, naming `library` and the missing symbol if one is.
Result<Libpq> LoadLibpq(const char* library);

}  // namespace internal
}  // namespace vigil::store::pg

#endif  // VIGIL_STORE_POSTGRES_LIBPQ_LOADER_H_
