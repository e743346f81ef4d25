#include "store/postgres/libpq_loader.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <string>

namespace vigil::store::pg {
namespace {

Error LoadError(const char* library, const char* why) {
  return MakeError(ErrorCode::kUnsupported,
                   fmt::format("PostgreSQL store needs libpq ({}): {}; install Debian's libpq5",
                               library, why == nullptr ? "unknown error" : why));
}

// Points `*fn` at `name` in `handle`. dlsym's result is an object pointer; POSIX guarantees it
// converts to the function pointer it really is.
template <typename F>
bool Resolve(void* handle, const char* name, F* fn) {
  void* symbol = dlsym(handle, name);
  if (symbol == nullptr) return false;
  *fn = reinterpret_cast<F>(symbol);
  return true;
}

}  // namespace

namespace internal {

Result<Libpq> LoadLibpq(const char* library) {
  // RTLD_LOCAL: libpq's symbols (and its dependencies') stay out of the global namespace, so
  // they cannot interpose on anything vigil links. Never dlclosed: see the header.
  void* handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return LoadError(library, dlerror());
  Libpq lib;
#define VIGIL_LIBPQ_RESOLVE(name) \
  if (!Resolve(handle, #name, &lib.name)) return LoadError(library, dlerror());
  VIGIL_LIBPQ_FUNCTIONS(VIGIL_LIBPQ_RESOLVE)
#undef VIGIL_LIBPQ_RESOLVE
  return lib;
}

}  // namespace internal

Result<const Libpq*> LoadedLibpq() {
  // A function-local static: initialised once, even when several threads open stores at once.
  static const Result<Libpq> loaded = internal::LoadLibpq(kLibpqSoname);
  if (!loaded.has_value()) return loaded.error();
  return &loaded.value();
}

}  // namespace vigil::store::pg
