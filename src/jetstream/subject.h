// Subjects and names for the audit stream: one subject per cluster, `<prefix>.<token>`, where the
// token is the cluster name with the characters NATS gives a meaning to escaped, so that any valid
// cluster name (auth.h IsValidClusterName: A-Z a-z 0-9 . _ -) is exactly one subject token, and
// the worker gets the cluster name back from the subject.
#ifndef VIGIL_JETSTREAM_SUBJECT_H_
#define VIGIL_JETSTREAM_SUBJECT_H_

#include <optional>
#include <string>
#include <string_view>

namespace vigil::jetstream {

// "prod.eu-1" → "prod%2Eeu-1". Every byte outside A-Z a-z 0-9 _ - becomes %XX (upper-case hex),
// so the token never holds '.', '*', '>', whitespace or a control character.
std::string ClusterToken(std::string_view cluster);

// The inverse of ClusterToken; nullopt when `token` is not one ClusterToken makes (a bad escape,
// a byte it would have escaped, empty).
std::optional<std::string> ClusterFromToken(std::string_view token);

// "<prefix>.<ClusterToken(cluster)>".
std::string SubjectFor(std::string_view prefix, std::string_view cluster);

// The cluster of a subject "<prefix>.<token>"; nullopt when it is not of that shape.
std::optional<std::string> ClusterOfSubject(std::string_view prefix, std::string_view subject);

// A name usable as a durable consumer name and KV key for the cluster: "vigil-" + token with '%'
// replaced by '='.
std::string ConsumerNameFor(std::string_view cluster);

// True for a valid subject prefix: tokens of A-Z a-z 0-9 _ - separated by single dots.
bool IsValidSubjectPrefix(std::string_view prefix);

// True for a valid stream or bucket name: 1-64 of A-Z a-z 0-9 _ -.
bool IsValidStreamName(std::string_view name);

}  // namespace vigil::jetstream

#endif  // VIGIL_JETSTREAM_SUBJECT_H_
