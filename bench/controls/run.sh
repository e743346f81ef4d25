#!/usr/bin/env bash
# Question: how long does `vigil controls check` take, and how much memory does it use, on an
# organisation-sized snapshot — a delegated GuardDuty administrator with many members, plus many
# accounts with EKS clusters — and does it give the expected results?
#
# usage: bench/controls/run.sh VIGIL_BINARY [ACCOUNTS] [MEMBERS] [CLUSTERS_PER_ACCOUNT]
# The snapshot is generated in a temporary folder from examples/snapshots/demo (deterministic).
# Before timing, it checks the result: the administrator's GuardDuty.5 must FAIL naming the one
# member that has EKS audit logs off, and there must be one EKS.8 result per cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
VIGIL=${1:?usage: bench/controls/run.sh VIGIL_BINARY [ACCOUNTS] [MEMBERS] [CLUSTERS]}
ACCOUNTS=${2:-200}
MEMBERS=${3:-5000}
CLUSTERS=${4:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
demo=examples/snapshots/demo/111122223333/us-east-1
snap="$work/snap"

python3 - "$snap" "$demo" "$ACCOUNTS" "$MEMBERS" "$CLUSTERS" <<'PY'
import json, os, sys
snap, demo, accounts, members, clusters = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
detector = json.load(open(f"{demo}/guardduty/get-detector-12abc34d567e8fa901bc2d34e56789f0.json"))
for f in detector["Features"]:
    f["Status"] = "ENABLED"
cluster = json.load(open(f"{demo}/eks/describe-cluster-staging.json"))
def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        json.dump(doc, out, indent=4)
admin = "500000000000"
ids = [f"{600000000000 + i}" for i in range(members)]
for account in [admin] + [f"{700000000000 + i}" for i in range(accounts)]:
    base = f"{snap}/{account}/us-east-1"
    write(f"{base}/guardduty/list-detectors.json", {"DetectorIds": ["d" * 32]})
    write(f"{base}/guardduty/get-detector-{'d' * 32}.json", detector)
    names = [f"c{i}" for i in range(clusters)]
    write(f"{base}/eks/list-clusters.json", {"clusters": names})
    for n in names:
        c = json.loads(json.dumps(cluster))
        c["cluster"]["name"] = n
        c["cluster"]["arn"] = f"arn:aws:eks:us-east-1:{account}:cluster/{n}"
        write(f"{base}/eks/describe-cluster-{n}.json", c)
base = f"{snap}/{admin}/us-east-1/guardduty"
write(f"{base}/list-members.json", {"Members": [{"AccountId": a, "RelationshipStatus": "Enabled"} for a in ids]})
configs = []
for i, a in enumerate(ids):
    features = [dict(f) for f in detector["Features"]]
    if i == members // 2:
        for f in features:
            if f["Name"] == "EKS_AUDIT_LOGS": f["Status"] = "DISABLED"
    configs.append({"AccountId": a, "Features": features})
write(f"{base}/get-member-detectors.json", {"MemberDataSourceConfigurations": configs, "UnprocessedAccounts": []})
PY

bytes=$(du -sb "$snap" | cut -f1)
files=$(find "$snap" -type f | wc -l)
"$VIGIL" controls check --snapshot "$snap" --format json > "$work/out.jsonl" 2>/dev/null
python3 - "$work/out.jsonl" "$MEMBERS" "$ACCOUNTS" "$CLUSTERS" <<'PY'
import json, sys
path, members, accounts, clusters = sys.argv[1], *map(int, sys.argv[2:])
rows = [json.loads(l) for l in open(path)]
gd5 = [r for r in rows if r["control"] == "GuardDuty.5" and r["account"] == "500000000000"]
assert len(gd5) == 1 and gd5[0]["status"] == "FAILED", gd5
assert f"member {600000000000 + members // 2} " in gd5[0]["reasons"][0], gd5[0]["reasons"]
eks8 = [r for r in rows if r["control"] == "EKS.8"]
assert len(eks8) == (accounts + 1) * clusters, len(eks8)
print(f"check: ok ({len(rows)} results)")
PY
for rep in 1 2 3; do
  /usr/bin/time -f "%e s elapsed, %U s user, %S s system, %M KB peak RSS" \
    "$VIGIL" controls check --snapshot "$snap" --format json -o /dev/null 2>&1 | tail -1
done
echo "snapshot: $((ACCOUNTS + 1)) accounts, $MEMBERS members, $CLUSTERS clusters each, $files files, $((bytes / 1024 / 1024)) MB"
