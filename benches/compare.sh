#!/usr/bin/env bash
# End-to-end benchmark: keyfence against git's own floor on the shared history corpus.
#
#   benches/compare.sh [--commits N] [--scale N] [--repo NAME=DIR]... [--runs N] [--repo-runs N]
#                      [--fast-runs N] | tee benches/runs/compare-$(date -u +%F).md
#
# Builds keyfence (profile `profiling`: release with symbols, --locked), builds or reuses the corpus made by
# ../shared/bench/make-history-corpus.py, and prints one markdown report on stdout:
#   1. scan --history                vs git cat-file --batch-all-objects --batch --unordered  (target <= 0.35x, issue 14)
#   2. scan --staged, 6 staged files vs git diff --cached --name-only                          (target <= 1.5x)
#   3. peak anonymous memory (RssAnon sampled from /proc/PID/status) of scan --history         (target <= 150 MB)
#   4. start-up: keyfence --version, scan --staged with nothing staged
#   5. FOUND x/y: every planted value of OUT.truth.json among the history findings
#   6. scale: with --scale N a second corpus of N commits, and with --repo NAME=DIR a real
#      repository (a mirror or a snapshot; --skip-missing, since snapshots are partial clones),
#      each timed against its own git floor, with its object count and peak anonymous memory
# Peers (gitleaks, kingfisher, git-secrets) are timed on the same history when on PATH.
# Progress goes to stderr. Exit status: 0 if every planted secret was found, 1 if any was
# missing, 2 on a setup error. Missed speed targets are reported, not turned into a failure.
#
# Environment: KEYFENCE_SHARED (default: ../shared beside the repository root),
# KEYFENCE_BENCH_DIR (scratch dir, default: target/compare), CARGO_TARGET_DIR.
set -euo pipefail

commits=3000
runs=5
fast_runs=21
scale=
repo_runs=3
repos=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "compare.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --commits) commits=${2:?--commits needs a number}; shift 2 ;;
        --commits=*) commits=${1#*=}; shift ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        --fast-runs) fast_runs=${2:?--fast-runs needs a number}; shift 2 ;;
        --scale) scale=${2:?--scale needs a number}; shift 2 ;;
        --repo-runs) repo_runs=${2:?--repo-runs needs a number}; shift 2 ;;
        --repo) repos+=("${2:?--repo needs NAME=DIR}"); shift 2 ;;
        --fast-runs=*) fast_runs=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for n in "$commits" "$runs" "$fast_runs" "$repo_runs" ${scale:+"$scale"}; do
    case "$n" in ''|*[!0-9]*|0) die "not a positive number: $n" ;; esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shared=${KEYFENCE_SHARED:-$root/../shared}
generator=$shared/bench/make-history-corpus.py
[ -f "$generator" ] || die "corpus generator not found: $generator (set KEYFENCE_SHARED)"
scratch=${KEYFENCE_BENCH_DIR:-$root/target/compare}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
command -v python3 >/dev/null || die "python3 is needed"
command -v git >/dev/null || die "git is needed"

log() { echo "compare.sh: $*" >&2; }

# --- keyfence ------------------------------------------------------------------------------
log "cargo build --profile profiling --locked"
cargo build --profile profiling --locked >&2
keyfence=${CARGO_TARGET_DIR:-$root/target}/profiling/keyfence
case "$keyfence" in /*) ;; *) keyfence=$root/$keyfence ;; esac
[ -x "$keyfence" ] || die "no binary at $keyfence"

# --- corpus, cached by N (and by generator + python version, so a stale cache is rebuilt) ---
build_corpus() { # build_corpus N: prints the corpus directory
    local n=$1 corpus=$scratch/corpus-$1 stamp
    stamp="$(python3 -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$generator" | cut -c1-16) $n"
    if [ ! -f "$corpus.truth.json" ] || [ ! -d "$corpus/.git" ] || [ "$(cat "$corpus.stamp" 2>/dev/null)" != "$stamp" ]; then
        log "building corpus: $generator $corpus --commits $n"
        rm -rf "$corpus" "$corpus.truth.json" "$corpus.stamp" "$corpus.tmp" "$corpus.tmp.truth.json"
        python3 "$generator" "$corpus.tmp" --commits "$n" >&2
        mv "$corpus.tmp" "$corpus"
        mv "$corpus.tmp.truth.json" "$corpus.truth.json"
        echo "$stamp" >"$corpus.stamp"
    else
        log "reusing corpus $corpus"
    fi
    echo "$corpus"
}
corpus=$(build_corpus "$commits")
truth=$corpus.truth.json
# Scale rows: NAME and directory, tab-separated, for the harness.
scale_rows=
if [ -n "$scale" ]; then
    scale_rows+="corpus --commits $scale	$(build_corpus "$scale")"$'\n'
fi
for r in "${repos[@]}"; do
    name=${r%%=*} dir=${r#*=}
    [ "$name" != "$r" ] && [ -n "$name" ] || die "--repo wants NAME=DIR (a repository or a bare git directory), not: $r"
    git -C "$dir" rev-parse --git-dir >/dev/null 2>&1 || die "--repo $name: not a git repository: $dir"
    scale_rows+="$name	$(cd "$dir" && pwd)"$'\n'
done

# --- scratch clones for the staged cases (the cached corpus itself is never written) -------
fresh_clone() {
    rm -rf "$1"
    git clone -q "$corpus" "$1"
    git -C "$1" config user.name bench
    git -C "$1" config user.email bench@example.invalid
}
staged=$scratch/staged6-$commits
clean=$scratch/clean-$commits
fresh_clone "$staged"
fresh_clone "$clean"
# Six existing files, each with one appended line that holds no key, staged.
staged_files=$(git -C "$staged" ls-files -- '*.py' | grep -v '^deploy/' | sed -n '1,6p')  # sed reads to the end: no SIGPIPE under pipefail
[ "$(printf '%s\n' "$staged_files" | wc -l)" -eq 6 ] || die "corpus has fewer than 6 .py files"
printf '%s\n' "$staged_files" | while IFS= read -r f; do
    printf '# keyfence benchmark edit\n' >>"$staged/$f"
done
printf '%s\n' "$staged_files" | (cd "$staged" && xargs git add --)
git -C "$staged" update-index -q --refresh || true
git -C "$clean" update-index -q --refresh || true
[ "$(git -C "$staged" diff --cached --name-only | wc -l)" -eq 6 ] || die "expected 6 staged files"
[ -z "$(git -C "$clean" diff --cached --name-only)" ] || die "clean clone has staged changes"

# git-secrets needs its AWS patterns registered in the repository it scans: a clone of its own.
peer_clone=
if command -v git-secrets >/dev/null; then
    peer_clone=$scratch/git-secrets-$commits
    fresh_clone "$peer_clone"
    git -C "$peer_clone" secrets --register-aws >/dev/null
fi

# --- measure and report ----------------------------------------------------------------------
export KF_BIN=$keyfence KF_CORPUS=$corpus KF_TRUTH=$truth KF_STAGED=$staged KF_CLEAN=$clean \
    KF_PEER_CLONE=$peer_clone KF_SCRATCH=$scratch KF_RUNS=$runs KF_FAST_RUNS=$fast_runs \
    KF_COMMITS=$commits KF_ROOT=$root KF_GENERATOR=$generator KF_SCALE_ROWS=$scale_rows KF_REPO_RUNS=$repo_runs
# -I: isolated mode, so the corpus's copy of the standard library (json/, ...) is never imported
# when the harness runs with the corpus as its working directory.
exec python3 -I - <<'PY'
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

env = os.environ
KF = env["KF_BIN"]
CORPUS, TRUTH = env["KF_CORPUS"], env["KF_TRUTH"]
STAGED, CLEAN, PEER_CLONE = env["KF_STAGED"], env["KF_CLEAN"], env["KF_PEER_CLONE"]
SCRATCH = env["KF_SCRATCH"]
RUNS, FAST_RUNS = int(env["KF_RUNS"]), int(env["KF_FAST_RUNS"])
OUT_JSON = os.path.join(SCRATCH, "history.json")
ERR_FILE = os.path.join(SCRATCH, "stderr.txt")


def _setup_error(kind, value, tb):
    """Any failure of the harness is a setup error (exit 2); exit 1 means a planted secret was missed."""
    sys.__excepthook__(kind, value, tb)
    sys.stderr.flush()
    os._exit(2)


sys.excepthook = _setup_error


def log(msg):
    print(f"compare.sh: {msg}", file=sys.stderr, flush=True)


def sh(*argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def loadavg():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Failed(Exception):
    pass


def run_once(argv, cwd, ok):
    """One run: wall time on the monotonic clock, CPU time and peak RSS from wait4 (the same
    numbers /usr/bin/time reports). stdin and stdout are /dev/null, stderr goes to a file."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, ERR_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    os.chdir(cwd)
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        with open(ERR_FILE, errors="replace") as f:
            raise Failed(f"{' '.join(argv)}: exit {code}: {f.read()[-2000:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss}


def anon_peak(argv, cwd, ok):
    """Peak anonymous memory in MB of one untimed run, sampled every 2 ms from /proc/PID/status.
    RssAnon leaves out the mapped pack files that dominate max RSS (a 500 MB pack is resident
    while it is read, yet it is page cache, not memory the process holds)."""
    os.chdir(cwd)
    with open(os.devnull, "r+b") as null:
        child = subprocess.Popen(argv, stdin=null, stdout=null, stderr=null)
    peak_kib = 0
    status = f"/proc/{child.pid}/status"
    while child.poll() is None:
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        peak_kib = max(peak_kib, int(line.split()[1]))
                        break
        except OSError:
            pass
        time.sleep(0.002)
    if child.returncode not in ok:
        raise Failed(f"{' '.join(argv)}: exit {child.returncode}")
    return peak_kib * 1024 / 1e6


def bench(cases, n):
    """Run every case once to warm the page cache, then n rounds, the cases interleaved in each
    round so that a burst of load from other jobs hits all of them alike."""
    samples = {c["name"]: [] for c in cases}
    live = list(cases)
    for rnd in range(n + 1):
        for c in list(live):
            try:
                s = run_once(c["argv"], c["cwd"], c["ok"])
            except Failed as e:
                if not c.get("optional"):
                    raise
                log(f"skipping {c['name']}: {e}")
                live.remove(c)
                samples.pop(c["name"])
                continue
            if rnd > 0:
                samples[c["name"]].append(s)
    out = {}
    for name, ss in samples.items():
        out[name] = {
            "wall": statistics.median(s["wall"] for s in ss),
            "min": min(s["wall"] for s in ss),
            "cpu": statistics.median(s["cpu"] for s in ss),
            "rss_mb": max(s["rss_kib"] for s in ss) * 1024 / 1e6,
            "n": len(ss),
        }
    return out


def ms(seconds):
    return f"{seconds * 1000:.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


# --- machine -------------------------------------------------------------------------------
cpu = "unknown"
try:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
except OSError:
    pass
load_start = loadavg()
kf_version = sh(KF, "--version")
root = env["KF_ROOT"]
head = sh("git", "-C", root, "rev-parse", "--short", "HEAD")
dirty = sh("git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "src", "Cargo.toml", "Cargo.lock")
n_commits = sh("git", "-C", CORPUS, "rev-list", "--count", "--all")
counts = dict(l.split(": ", 1) for l in sh("git", "-C", CORPUS, "count-objects", "-v").splitlines())
n_objects = int(counts["count"]) + int(counts["in-pack"])
pack_mb = (int(counts["size-pack"]) + int(counts["size"])) * 1024 / 1e6
with open(TRUTH) as f:
    truth = json.load(f)

# --- 1 + 3: history ------------------------------------------------------------------------
# No -q: it would suppress the --output file too. The report is a few KB either way.
history = [
    {"name": "keyfence scan --history", "cwd": CORPUS, "ok": (0, 1),
     "argv": [KF, "scan", "--history", "--format", "json", "--output", OUT_JSON]},
    {"name": "git cat-file --batch-all-objects --batch --unordered", "cwd": CORPUS, "ok": (0,),
     "argv": ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]},
]
peers = []
if shutil.which("gitleaks"):
    has_git_cmd = subprocess.run(["gitleaks", "git", "--help"], capture_output=True).returncode == 0
    argv = (["gitleaks", "git", "--no-banner", "--log-level", "error", "--report-path", os.devnull, "."]
            if has_git_cmd else
            ["gitleaks", "detect", "--no-banner", "--log-level", "error", "--report-path", os.devnull, "--source", "."])
    peers.append({"name": "gitleaks " + " ".join(argv[1:2]), "cwd": CORPUS, "ok": (0, 1), "argv": argv, "optional": True})
if shutil.which("kingfisher"):
    peers.append({"name": "kingfisher scan --no-validate", "cwd": CORPUS, "ok": (0, 1, 200, 205), "optional": True,
                  "argv": ["kingfisher", "scan", ".", "--no-validate", "--no-update-check", "--format", "json",
                           "--output", os.devnull]})
if PEER_CLONE:
    peers.append({"name": "git secrets --scan-history", "cwd": PEER_CLONE, "ok": (0, 1), "optional": True,
                  "argv": ["git", "secrets", "--scan-history"]})
log(f"history: {len(history) + len(peers)} commands, 1 warm-up + {RUNS} rounds")
hist = bench(history + peers, RUNS)

# Peak RSS, cross-checked once with /usr/bin/time -f %M when it exists.
time_rss = None
if os.path.exists("/usr/bin/time"):
    rss_file = os.path.join(SCRATCH, "rss.txt")
    run_once(["/usr/bin/time", "-f", "%M", "-o", rss_file] + history[0]["argv"], CORPUS, (0, 1))
    with open(rss_file) as f:
        time_rss = int(f.read().split()[-1]) * 1024 / 1e6

# --- 2 + 4: staged and start-up ------------------------------------------------------------
staged_cases = [
    {"name": "keyfence scan --staged (6 files)", "cwd": STAGED, "ok": (0,), "argv": [KF, "scan", "--staged"]},
    {"name": "git diff --cached --name-only (6 files)", "cwd": STAGED, "ok": (0,),
     "argv": ["git", "diff", "--cached", "--name-only"]},
    {"name": "keyfence --version", "cwd": CLEAN, "ok": (0,), "argv": [KF, "--version"]},
    {"name": "keyfence scan --staged (nothing staged)", "cwd": CLEAN, "ok": (0,), "argv": [KF, "scan", "--staged"]},
    {"name": "git diff --cached --name-only (nothing staged)", "cwd": CLEAN, "ok": (0,),
     "argv": ["git", "diff", "--cached", "--name-only"]},
    {"name": "git --version", "cwd": CLEAN, "ok": (0,), "argv": ["git", "--version"]},
]
log(f"staged and start-up: {len(staged_cases)} commands, 1 warm-up + {FAST_RUNS} rounds")
fast = bench(staged_cases, FAST_RUNS)

# --- 5: truth ------------------------------------------------------------------------------
log("truth check: scan --history --show-secrets --format json")
truth_json = os.path.join(SCRATCH, "history-secrets.json")
run_once([KF, "scan", "--history", "--show-secrets", "--format", "json", "--output", truth_json], CORPUS, (0, 1))
with open(truth_json) as f:
    report = json.load(f)
found_values = {f.get("secret") for f in report["findings"]}
missing = [t for t in truth if t["value"] not in found_values]
n_found = len(truth) - len(missing)
truth_values = {t["value"] for t in truth}
extra = [f for f in report["findings"] if f.get("secret") not in truth_values]
# --- 3 + 6: peak anonymous memory, and how time and memory grow with objects -----------------
anon_kf = anon_peak(history[0]["argv"], CORPUS, (0, 1))
anon_git = anon_peak(history[1]["argv"], CORPUS, (0,))
REPO_RUNS = int(env["KF_REPO_RUNS"])
scale = []
for row in filter(None, env["KF_SCALE_ROWS"].split("\n")):
    name, gitdir = row.split("\t")
    c = sh("git", "-C", gitdir, "count-objects", "-v")
    c = dict(l.split(": ", 1) for l in c.splitlines())
    objects = int(c["count"]) + int(c["in-pack"])
    packs = os.path.join(sh("git", "-C", gitdir, "rev-parse", "--absolute-git-dir"), "objects", "pack")
    partial = any(f.endswith(".promisor") for f in os.listdir(packs))
    kf_argv = [KF, "scan", "--history", "--format", "json", "--output", OUT_JSON] + (["--skip-missing"] if partial else [])
    cases = [
        {"name": "keyfence", "cwd": gitdir, "ok": (0, 1), "argv": kf_argv},
        {"name": "git", "cwd": gitdir, "ok": (0,), "argv": ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]},
    ]
    log(f"scale: {name} ({objects} objects): 2 commands, 1 warm-up + {REPO_RUNS} rounds")
    r = bench(cases, REPO_RUNS)
    with open(OUT_JSON) as f:
        n_findings = len(json.load(f)["findings"])
    scale.append({"name": name, "objects": objects, "partial": partial, "kf": r["keyfence"], "git": r["git"],
                  "anon_kf": anon_peak(kf_argv, gitdir, (0, 1)), "findings": n_findings,
                  "anon_git": anon_peak(cases[1]["argv"], gitdir, (0,))})
load_end = loadavg()

# --- report --------------------------------------------------------------------------------
def verdict(value, target):
    return "met" if value <= target else "**missed**"

kf_h = hist["keyfence scan --history"]
git_h = hist["git cat-file --batch-all-objects --batch --unordered"]
kf_s = fast["keyfence scan --staged (6 files)"]
git_s = fast["git diff --cached --name-only (6 files)"]
r_hist = kf_h["wall"] / git_h["wall"]
r_staged = kf_s["wall"] / git_s["wall"]
rss = max(kf_h["rss_mb"], time_rss or 0)

p = print
p(f"# keyfence compare: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
p()
p(f"- machine: {os.cpu_count()} cores (nproc {sh('nproc')}), {cpu}, {platform.system()} {platform.release()}")
p(f"- load average (1/5/15 min): {load_start} at start, {load_end} at end")
modified = ", uncommitted changes to " + ", ".join(l.split(maxsplit=1)[-1] for l in dirty.splitlines()) if dirty else ""
p(f"- {kf_version} (commit {head}{modified}), {sh('git', '--version')}, "
  f"{sh('rustc', '--version') if shutil.which('rustc') else 'rustc ?'}")
p(f"- corpus: `make-history-corpus.py --commits {env['KF_COMMITS']}`: {n_commits} commits, "
  f"{n_objects} objects, {pack_mb:.0f} MB packed, {len(truth)} planted values")
p(f"- medians of {RUNS} rounds (history) and {FAST_RUNS} rounds (staged, start-up), after one warm-up "
  f"round; commands interleaved within each round")
p()
p("| case | command | median wall ms | min ms | median CPU ms | peak RSS MB |")
p("|---|---|---:|---:|---:|---:|")
for name, r in list(hist.items()) + list(fast.items()):
    rss_cell = f"{r['rss_mb']:.1f}" if name in hist else "–"
    p(f"| {'history' if name in hist else 'staged / start-up'} | `{name}` | {ms(r['wall'])} | {ms(r['min'])} "
      f"| {ms(r['cpu'])} | {rss_cell} |")
p()
p("| target | measured | goal | |")
p("|---|---:|---:|---|")
p(f"| history: keyfence / git cat-file (wall) | {r_hist:.2f}× | ≤ 0.35× | {verdict(r_hist, 0.35)} |")
p(f"| history: keyfence / git cat-file (CPU) | {kf_h['cpu'] / git_h['cpu']:.2f}× | (info) | |")
for name in hist:
    if name not in (history[0]["name"], history[1]["name"]):
        p(f"| history: {name} / git cat-file (wall) | {hist[name]['wall'] / git_h['wall']:.2f}× | (peer) | |")
p(f"| staged, 6 files: keyfence / git diff --cached --name-only (wall) | {r_staged:.2f}× | ≤ 1.5× "
  f"| {verdict(r_staged, 1.5)} |")
p(f"| peak anonymous memory (RssAnon) of scan --history | {anon_kf:.1f} MB | ≤ 150 MB | {verdict(anon_kf, 150)} |")
p(f"| peak RSS of scan --history (mapped packs included) | {rss:.1f} MB | (info) | |")
p(f"| start-up: keyfence --version | {ms(fast['keyfence --version']['wall'])} ms | (info) | |")
p(f"| start-up: scan --staged, nothing staged | {ms(fast['keyfence scan --staged (nothing staged)']['wall'])} ms "
  f"| (info) | |")
p(f"| planted secrets found by scan --history | FOUND {n_found}/{len(truth)} | all | "
  f"{'met' if not missing else '**missed**'} |")
p()
if scale:
    p("How time and memory grow with objects (history, medians of "
      f"{REPO_RUNS} rounds after a warm-up, keyfence and the git floor interleaved; peak RssAnon of one more run each):")
    p()
    p("| repository | objects | git floor ms | keyfence ms | wall ratio | CPU ratio | keyfence RssAnon MB | git RssAnon MB | findings |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [{"name": f"corpus --commits {env['KF_COMMITS']}", "objects": n_objects, "partial": False, "kf": kf_h,
             "git": git_h, "anon_kf": anon_kf, "anon_git": anon_git, "findings": len(report["findings"])}] + scale
    for r in rows:
        name = r["name"] + (" (partial clone: --skip-missing)" if r["partial"] else "")
        p(f"| {name} | {r['objects']} | {ms(r['git']['wall'])} | {ms(r['kf']['wall'])} "
          f"| {r['kf']['wall'] / r['git']['wall']:.2f}× | {r['kf']['cpu'] / r['git']['cpu']:.2f}× "
          f"| {r['anon_kf']:.1f} | {r['anon_git']:.1f} | {r['findings']} |")
    p()
notes = [f"peak RSS is the child's ru_maxrss from wait4 (what /usr/bin/time reads); it never reads below the "
         f"harness's own {fast['git --version']['rss_mb']:.0f} MB (exec inherits the spawning address space's "
         f"high-water mark), so it is shown for the history runs only"]
if time_rss is not None:
    notes.append(f"/usr/bin/time -f %M on one more history run: {time_rss:.1f} MB")
if not peers:
    notes.append("no peer (gitleaks, kingfisher, git-secrets) on PATH: none timed")
notes.append(f"history findings: {len(report['findings'])} ({len(extra)} not in the truth file)")
for t in missing:
    notes.append(f"MISSING {t['kind']} {t['path']}:{t['line']} in {t['commit'][:12]} "
                 f"(in final tree: {t['in_final_tree']})")
for n in notes:
    p(f"- {n}")
sys.stdout.flush()
if missing:
    log(f"FOUND {n_found}/{len(truth)}: {len(missing)} planted secret(s) missing")
    sys.exit(1)
log(f"FOUND {n_found}/{len(truth)}")
PY
