#!/bin/sh
# A fake `aws` CLI for tests: records every argument vector (one line, fields separated by 0x1f)
# in $FAKE_AWS_STATE/argv.log and answers the GuardDuty and EKS calls vigil's remediation makes
# from small state files in $FAKE_AWS_STATE: detector (EKS_AUDIT_LOGS status of the account's
# detector), member-<id>, org-auto-enable, eks-audit (true/false). A file `fail` makes every
# mutating call fail as the real CLI does (exit 254, message on stderr).
set -u
S="${FAKE_AWS_STATE:?FAKE_AWS_STATE is not set}"
for a in "$@"; do printf '%s\037' "$a"; done >> "$S/argv.log"
printf '\n' >> "$S/argv.log"

arg() {  # the value after option $1
  want="$1"; shift
  while [ $# -gt 0 ]; do
    if [ "$1" = "$want" ]; then echo "$2"; return; fi
    shift
  done
}
read_or() { if [ -f "$S/$1" ]; then cat "$S/$1"; else echo "$2"; fi; }
fail_if_asked() {
  if [ -f "$S/fail" ]; then
    echo "An error occurred (BadRequestException) when calling the $1 operation: injected" >&2
    exit 254
  fi
}
status_of() { case "$1" in *ENABLED*) echo ENABLED ;; *) echo DISABLED ;; esac; }

service=""; op=""
for a in "$@"; do
  case "$a" in
    --*) ;;
    *) if [ -z "$service" ]; then service="$a"; elif [ -z "$op" ]; then op="$a"; break; fi ;;
  esac
done
# Options with values come before the service only as --profile P: skip the profile's value.
if [ "$service" = "$(arg --profile "$@")" ]; then
  service="$op"; op=""
  seen=0
  for a in "$@"; do
    case "$a" in --*) ;; *) seen=$((seen+1)); if [ $seen -eq 3 ]; then op="$a"; fi ;; esac
  done
fi

case "$service $op" in
  "guardduty get-detector")
    printf '{"Status":"ENABLED","Features":[{"Name":"EKS_AUDIT_LOGS","Status":"%s"}]}\n' \
      "$(read_or detector DISABLED)" ;;
  "guardduty update-detector")
    fail_if_asked UpdateDetector
    status_of "$(arg --features "$@")" > "$S/detector" ;;
  "guardduty describe-organization-configuration")
    printf '{"AutoEnableOrganizationMembers":"NONE","Features":[{"Name":"EKS_AUDIT_LOGS","AutoEnable":"%s"}]}\n' \
      "$(read_or org-auto-enable NONE)" ;;
  "guardduty update-organization-configuration")
    fail_if_asked UpdateOrganizationConfiguration
    case "$(arg --features "$@")" in
      *'"ALL"'*) echo ALL ;; *'"NEW"'*) echo NEW ;; *) echo NONE ;;
    esac > "$S/org-auto-enable" ;;
  "guardduty get-member-detectors")
    m="$(arg --account-ids "$@")"
    printf '{"MemberDataSourceConfigurations":[{"AccountId":"%s","Features":[{"Name":"EKS_AUDIT_LOGS","Status":"%s"}]}],"UnprocessedAccounts":[]}\n' \
      "$m" "$(read_or "member-$m" DISABLED)" ;;
  "guardduty update-member-detectors")
    fail_if_asked UpdateMemberDetectors
    m="$(arg --account-ids "$@")"
    status_of "$(arg --features "$@")" > "$S/member-$m"
    echo '{"UnprocessedAccounts":[]}' ;;
  "eks describe-cluster")
    n="$(arg --name "$@")"
    printf '{"cluster":{"name":"%s","status":"ACTIVE","logging":{"clusterLogging":[{"types":["api","authenticator"],"enabled":true},{"types":["audit"],"enabled":%s},{"types":["controllerManager","scheduler"],"enabled":false}]}}}\n' \
      "$n" "$(read_or eks-audit false)" ;;
  "eks update-cluster-config")
    fail_if_asked UpdateClusterConfig
    case "$(arg --logging "$@")" in *'"enabled":true'*) echo true ;; *) echo false ;; esac \
      > "$S/eks-audit"
    echo '{"update":{"id":"u-1","status":"InProgress","type":"LoggingUpdate"}}' ;;
  *)
    echo "fake aws: unsupported call: $*" >&2
    exit 252 ;;
esac
