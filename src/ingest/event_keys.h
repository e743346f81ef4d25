// EventKeys and KeyReader: the few facts of an audit event that decide whether any rule could
// match it, read with simdjson On-Demand without building the event's tree.
//
// Most audit events match no rule: a kubelet renewing its lease, a controller listing pods. For
// those, building the full DOM tree is the largest cost of a scan. A sink that can answer "could
// anything match an event with these keys?" (EventPrefilter) lets the reader skip the tree for the
// events where the answer is no. The answer must never be "no" for an event that a rule would
// match: KeyReader gives up (returns false) on anything unusual — a member that is not a string,
// a duplicate member, an escape it cannot see through, a document that does not end where the
// object ends — and the reader then parses the event in full as before.
//
// What is not checked for a skipped event: On-Demand validates UTF-8, strings and the nesting of
// the whole line, and every value it reads, but not the literals and numbers inside values that
// it skips. A line with such an error inside a value no rule reads is counted as an event rather
// than rejected. `ReaderOptions::validate_all` turns the prefilter off.
#ifndef VIGIL_INGEST_EVENT_KEYS_H_
#define VIGIL_INGEST_EVENT_KEYS_H_

#include <simdjson.h>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace vigil::ingest {

// Absent members read as "" (a prefilter must treat "" as "absent or empty"). Views are valid
// until the KeyReader reads again. (KeyReader::Read resets each member by name: a new member
// must be reset there too.)
struct EventKeys {
  static constexpr std::size_t kMaxListItems = 16;

  std::string_view audit_id;
  std::string_view stage;
  std::string_view verb;
  std::string_view user_name;    // user.username
  std::string_view resource;     // objectRef.resource
  std::string_view subresource;  // objectRef.subresource

  // Whether the event has a time other than 0, as AuditEvent::time() reads it: the first of
  // stageTimestamp, timestamp and requestReceivedTimestamp that parses, and is not the epoch
  // itself. False (the full parse decides) when none parses: the full parse also looks further.
  // Computed on demand: only rules gated on "no timestamp" (Falco's never-true idiom, `jevt.rawtime
  // = 0`) ask, and parsing the timestamps of every event cost more than reading them.
  bool has_time() const;

  // Empty unless the reader was asked for them (KeyNeeds).
  std::span<const std::string_view> groups() const { return {groups_.data(), group_count_}; }
  std::span<const std::string_view> source_ips() const { return {ips_.data(), ip_count_}; }

 private:
  friend class KeyReader;
  friend class TimeCheck;
  std::array<std::string_view, kMaxListItems> groups_{};
  std::size_t group_count_ = 0;
  std::array<std::string_view, kMaxListItems> ips_{};
  std::size_t ip_count_ = 0;
  std::array<std::string_view, 3> times_{};  // stageTimestamp, timestamp, requestReceived...
};

// EventKeys::has_time() for a stream of events, faster: consecutive events mostly share their
// timestamp up to the second, and a prefix found valid once need not be parsed again.
class TimeCheck {
 public:
  bool HasTime(const EventKeys& keys);

 private:
  static constexpr std::size_t kPrefix = 19;  // "YYYY-MM-DDTHH:MM:SS"
  std::array<char, kPrefix> prefix_{};
  bool valid_ = false;  // prefix_ parsed, and no time with it can be 0
};

// Which of the optional keys a prefilter reads; the others are not read (and read as empty).
// The index keys (auditID, stage, verb, user name, resource, subresource) are always read.
struct KeyNeeds {
  bool groups = true;
  bool source_ips = true;
  bool times = true;
};

// Implemented by a sink that can tell from an event's keys that nothing will match it.
class EventPrefilter {
 public:
  virtual ~EventPrefilter() = default;
  // False only when no rule can match any event with these keys.
  virtual bool MayMatch(const EventKeys& keys) = 0;
  // What MayMatch reads besides the index keys; asked once, when the reader is set up.
  virtual KeyNeeds key_needs() const { return {}; }
};

class KeyReader {
 public:
  // Whether On-Demand runs natively here: with simdjson's portable fallback kernel a full DOM
  // parse (which picks the best kernel at run time) is faster, and the reader does not prefilter.
  static bool Available();

  // Reads the keys of the JSON document at [data, data + size); `capacity` bytes are readable
  // from `data` (at least size + SIMDJSON_PADDING). True when `keys` holds them; false when the
  // document is not a plain audit event this reader can vouch for (the caller parses it in full).
  bool Read(const char* data, std::size_t size, std::size_t capacity, EventKeys& keys);

  // Reads only these optional keys from now on (default: all of them).
  void set_needs(KeyNeeds needs) { needs_ = needs; }

 private:
  simdjson::ondemand::parser parser_;
  KeyNeeds needs_;
};

}  // namespace vigil::ingest

#endif  // VIGIL_INGEST_EVENT_KEYS_H_
