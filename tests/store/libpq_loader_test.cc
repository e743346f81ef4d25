// libpq is loaded at run time (store/postgres/libpq_loader.h): a library that is missing or is
// not libpq is a clear error, and the real one resolves every function and can be called through
// the table. This binary does not link libpq, so these calls go through dlopen. Connections
// through the table against a real server: pg_store_test and store_conformance_test.
#include "store/postgres/libpq_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace vigil::store::pg {
namespace {

using ::testing::HasSubstr;

TEST(LibpqLoaderTest, AMissingLibraryIsAnErrorThatSaysWhatToInstall) {
  auto lib = internal::LoadLibpq("libpq-does-not-exist.so.9");
  ASSERT_FALSE(lib.has_value());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnsupported);
  EXPECT_THAT(lib.error().message,
              HasSubstr("PostgreSQL store needs libpq (libpq-does-not-exist.so.9): "));
  EXPECT_THAT(lib.error().message, HasSubstr("cannot open shared object file"));  // dlerror()
  EXPECT_THAT(lib.error().message, HasSubstr("install Debian's libpq5"));
}

TEST(LibpqLoaderTest, ALibraryThatIsNotLibpqIsAnErrorNamingTheMissingFunction) {
  auto lib = internal::LoadLibpq("libc.so.6");
  ASSERT_FALSE(lib.has_value());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnsupported);
  EXPECT_THAT(lib.error().message, HasSubstr("PostgreSQL store needs libpq (libc.so.6): "));
  EXPECT_THAT(lib.error().message, HasSubstr("PQclear"));  // the first function it looks for
}

TEST(LibpqLoaderTest, TheInstalledLibpqResolvesEveryFunctionAndCanBeCalled) {
  auto lib = LoadedLibpq();
  ASSERT_TRUE(lib.has_value()) << lib.error().message;
#define VIGIL_EXPECT_RESOLVED(name) EXPECT_NE((*lib)->name, nullptr) << #name;
  VIGIL_LIBPQ_FUNCTIONS(VIGIL_EXPECT_RESOLVED)
#undef VIGIL_EXPECT_RESOLVED

  // No server needed: libpq's URL parser, through the table, percent-decodes the password.
  char* err = nullptr;
  PQconninfoOption* options = (*lib)->PQconninfoParse("postgres://u:p%40ss@localhost/db", &err);
  ASSERT_NE(options, nullptr) << (err != nullptr ? err : "");
  std::string password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "password" && o->val != nullptr) password = o->val;
  }
  (*lib)->PQconninfoFree(options);
  EXPECT_EQ(password, "p@ss");
}

TEST(LibpqLoaderTest, TheProcessLoadsLibpqOnce) {
  auto first = LoadedLibpq();
  auto second = LoadedLibpq();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*first, *second);
}

}  // namespace
}  // namespace vigil::store::pg
