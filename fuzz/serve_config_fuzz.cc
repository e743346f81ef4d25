// Fuzz target: arbitrary bytes as `vigil serve`'s outside text inputs — the YAML config, the API
// and webhook token files, and the listen address / size strings. Besides "never crashes, never
// leaks, never hangs" it checks that a rejected config says where (file name and a position), and
// that a token-file error never quotes the file's content. Also the JetStream subject tokens a
// worker decodes back into cluster names (jetstream/subject.h): decoding and encoding round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "jetstream/subject.h"
#include "server/auth.h"
#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = vigil::server::ParseServeConfig(text, "fuzz.yaml");
  if (config) {
    (void)vigil::server::ValidateServeConfig(*config);
  } else {
    VIGIL_FUZZ_CHECK(!config.error().message.empty());
    VIGIL_FUZZ_CHECK(config.error().ToString().find("fuzz.yaml") != std::string::npos);
  }
  auto api = vigil::server::TokenSet::ParseApiTokens(text, "api.tokens");
  if (!api) {
    VIGIL_FUZZ_CHECK(api.error().ToString().find("api.tokens") != std::string::npos);
  }
  auto hook = vigil::server::TokenSet::ParseWebhookTokens(text, "hook.tokens");
  if (!hook) {
    VIGIL_FUZZ_CHECK(hook.error().ToString().find("hook.tokens") != std::string::npos);
  }
  (void)vigil::server::ParseListenAddress(text);
  (void)vigil::server::ParseByteSize(text);
  (void)vigil::server::BearerToken(text);
  if (auto cluster = vigil::jetstream::ClusterFromToken(text)) {
    VIGIL_FUZZ_CHECK(vigil::jetstream::ClusterToken(*cluster) == text);
  }
  auto back = vigil::jetstream::ClusterFromToken(vigil::jetstream::ClusterToken(text));
  VIGIL_FUZZ_CHECK(text.empty() ? !back.has_value() : back.has_value() && *back == text);
  (void)vigil::jetstream::IsValidSubjectPrefix(text);
  return 0;
}
