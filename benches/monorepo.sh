#!/usr/bin/env bash
# The pre-commit check in a large monorepo: keyfence scan --staged against git's own floor,
# git diff --cached --name-only, in an index of many files with a few of them staged.
#
#   benches/monorepo.sh [--files N] [--staged N] [--runs N] | tee benches/runs/monorepo-$(date -u +%F).md
#
# Builds keyfence (profile `profiling`, --locked), builds (or reuses) a repository whose HEAD and
# index hold N files (default 120,000, in directories of 100, the index written by git with its
# cache tree, as after a checkout), stages a few changed files (default 5), then times both
# commands interleaved: one warm-up round, then --runs rounds (default 31), and prints a markdown
# report with the date, the machine, the medians and the ratio (target: <= 1.3x).
# Run it on a quiet machine: the commands take milliseconds.
#
# Environment: KEYFENCE_BENCH_DIR (scratch dir, default: target/monorepo), CARGO_TARGET_DIR,
# KEYFENCE_BIN (a keyfence to time instead of building one; for checking the script itself).
set -euo pipefail

files=120000
staged=5
runs=31

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "monorepo.sh: $*" >&2; exit 2; }
log() { echo "monorepo.sh: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=${2:?--files needs a number}; shift 2 ;;
        --staged) staged=${2:?--staged needs a number}; shift 2 ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for n in "$files" "$staged" "$runs"; do
    case "$n" in ''|*[!0-9]*|0) die "not a positive number: $n" ;; esac
done
[ "$staged" -le "$files" ] || die "--staged is larger than --files"
command -v git >/dev/null || die "git is needed"
command -v python3 >/dev/null || die "python3 is needed"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scratch=${KEYFENCE_BENCH_DIR:-$root/target/monorepo}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)

if [ -n "${KEYFENCE_BIN:-}" ]; then
    keyfence=$KEYFENCE_BIN
else
    log "cargo build --profile profiling --locked"
    cargo build --profile profiling --locked >&2
    keyfence=${CARGO_TARGET_DIR:-$root/target}/profiling/keyfence
fi
[ -x "$keyfence" ] || die "no binary at $keyfence"

repo=$scratch/repo-$files
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
if [ ! -f "$repo/.git/bench-ready" ]; then
    log "building $repo: $files files"
    rm -rf "$repo"
    git init -q -b main "$repo"
    # Every file its own blob (a few bytes of text each), all written in one fast-import
    # stream; the index then comes from git read-tree, with its cache tree, as git leaves it.
    python3 - "$files" <<'PY' | git -C "$repo" fast-import --quiet
import sys
files = int(sys.argv[1])
out = sys.stdout.buffer
for n in range(files):
    data = f"// module {n}\nexport const id = {n};\n".encode()
    out.write(b"blob\nmark :%d\ndata %d\n" % (n + 1, len(data)) + data + b"\n")
out.write(b"commit refs/heads/main\ncommitter bench <bench@example.invalid> 0 +0000\ndata 5\nbase\n")
for n in range(files):
    out.write(b"M 100644 :%d src/d%04d/f%03d.ts\n" % (n + 1, n // 100, n % 100))
out.write(b"\n")
PY
    git -C "$repo" read-tree HEAD
    # What a developer stages: a few edited files, in different directories.
    for n in $(seq 1 "$staged"); do
        path=$(printf 'src/d%04d/f%03d.ts' $(( (n * 997) % (files / 100 > 0 ? files / 100 : 1) )) $(( n % 100 )))
        blob=$(printf '// edited %s\nexport const changed = %s;\n' "$n" "$n" | git -C "$repo" hash-object -w --stdin)
        git -C "$repo" update-index --cacheinfo "100644,$blob,$path"
    done
    touch "$repo/.git/bench-ready"
fi
index_bytes=$(stat -c %s "$repo/.git/index")
staged_now=$(git -C "$repo" diff --cached --name-only | wc -l)
log "index: $index_bytes bytes, $staged_now files staged"

python3 - "$repo" "$keyfence" "$runs" "$files" "$staged_now" "$index_bytes" <<'PY'
import datetime, os, platform, statistics, subprocess, sys, time
repo, keyfence, runs, files, staged, index_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
cases = {
    "git diff --cached --name-only": ["git", "diff", "--cached", "--name-only"],
    "keyfence scan --staged": [keyfence, "scan", "--staged", "--quiet"],
}
def once(argv):
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = (time.perf_counter() - start) * 1000
    if done.returncode not in (0, 1):
        sys.exit(f"monorepo.sh: {argv[0]} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return wall
for argv in cases.values():
    once(argv)
walls = {name: [] for name in cases}
for _ in range(runs):
    for name, argv in cases.items():
        walls[name].append(once(argv))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(": \t") if os.path.exists("/proc/cpuinfo") else platform.processor()
print(f"# scan --staged in a monorepo ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC)\n")
print(f"- machine: {platform.node()}, {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}")
print(f"- {files} files in the index ({int(index_bytes):,} bytes), {staged} staged; {runs} rounds after one warm-up, commands interleaved\n")
print("| command | median ms | min ms |")
print("|---|---|---|")
for name, ws in walls.items():
    print(f"| `{name}` | {statistics.median(ws):.1f} | {min(ws):.1f} |")
ratio = statistics.median(walls["keyfence scan --staged"]) / statistics.median(walls["git diff --cached --name-only"])
print(f"\nratio (medians): **{ratio:.2f}x** git (target <= 1.3x)")
PY
