"""What scripts/bench-process and scripts/bench-cache share for `--compare REV`:
a release binary of an earlier revision, interleaved timing of two binaries,
and the before/after table.

The earlier revision is exported with `git archive` (no worktree is
registered in the repository) to target/bench-compare/<commit>/src and built
with this checkout's target directory, so the dependencies both revisions
share are compiled once and stored once; its `ssocred` is then copied to
target/bench-compare/<commit>/ssocred and reused by later runs. The caller
builds the current revision afterwards, which puts the current binary back
in target/release: the revision's build ends by forgetting what cargo knows
of the workspace's own crates (forget_workspace_builds says why).
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_revision(rev):
    """Returns (commit, path of the release `ssocred` built from it)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()
    out = ROOT / "target" / "bench-compare" / commit
    binary = out / "ssocred"
    if binary.exists():
        return commit, binary
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    # -m: the files get the time of extraction. With the archive's commit
    # times, cargo would take another revision's outputs in the shared target
    # directory (same unit hash, older sources) as fresh and link them.
    subprocess.run(["tar", "-x", "-m", "-C", src], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    print(f"building {rev} ({commit[:12]}) in {src} (release, several minutes the first time)", flush=True)
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--locked", "-p", "ssocred"],
        cwd=src, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")},
    )
    forget_workspace_builds()
    # Copy, then rename: an interrupted copy never passes for a finished build.
    partial = out / "ssocred.partial"
    shutil.copy2(ROOT / "target" / "release" / "ssocred", partial)
    partial.rename(binary)
    return commit, binary


def forget_workspace_builds():
    """Removes the release fingerprints of the workspace's own crates, so the
    next build of them recompiles from its sources. Cargo gives a workspace
    crate the same unit hash wherever its sources lie, and the revision's
    files are newer than the working tree's: without this, a working tree
    built before the comparison counted as fresh afterwards and target/release
    kept the revision's binary (seen 2026-12-07: "identical: nothing to
    compare", and a plain `cargo build --release` left the old binary). The
    dependencies' fingerprints stay: they are the revision's and ours alike."""
    members = json.loads(subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--locked"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout)["packages"]
    fingerprints = ROOT / "target" / "release" / ".fingerprint"
    for member in members:
        for unit in fingerprints.glob(f"{member['name']}-*"):
            # `ssocred-*` would also match `ssocred-core-*`: only this
            # member's own units (name, dash, hash without a dash).
            if "-" not in unit.name[len(member["name"]) + 1:]:
                shutil.rmtree(unit)


def staged(binary, name):
    """A fresh copy of `binary` for this run (target/bench-compare/run/NAME).
    Both binaries of a comparison are copied so, each time: how a file came
    into the page cache changes how fast it starts. Measured 2026-12-04:
    the same bytes ran 7 % slower where the linker wrote them than in a copy
    (ratio 0.93), and 12 % slower from a copy made hours earlier than from a
    fresh one (ratio 0.88); between fresh copies of two builds the ratio
    was 0.99. Those are the file's doing, not the code's."""
    out = ROOT / "target" / "bench-compare" / "run"
    out.mkdir(parents=True, exist_ok=True)
    copy = out / name
    partial = out / f"{name}.partial"
    shutil.copy2(binary, partial)
    partial.rename(copy)
    return copy


def label(rev, commit):
    """REV as typed, with its commit when REV is a name such as a branch."""
    return rev if commit.startswith(rev) else f"{rev} ({commit[:7]})"


def check_distinct(old, new):
    """Stops when the two binaries are the same file content: a comparison
    of a build with itself would report "no slower" whatever the code does."""
    if Path(old).read_bytes() == Path(new).read_bytes():
        raise SystemExit(f"{old} and {new} are identical: nothing to compare")


def timed(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000


def interleaved(pairs, env, runs, warmup=10, envs=None):
    """Times every (old argv, new argv) pair `runs` times, old and new back to
    back, the order flipping each round (A B, B A, ...), so load drift and
    whichever of the two runs second is favoured by warm caches hit both
    equally. Returns {name: (old samples, new samples)}, sample i of old and
    new from the same round.

    Optional: `envs` maps a name to the environment of that command (default:
    `env`), and an old argv of None (a command the old revision lacks) times
    the new one alone, leaving its old samples empty."""
    samples = {name: ([], []) for name in pairs}
    envs = envs or {}
    for round_ in range(warmup + runs):
        for name, (old, new) in pairs.items():
            order = [(0, old), (1, new)] if round_ % 2 == 0 else [(1, new), (0, old)]
            for side, argv in order:
                if argv is None:
                    continue
                ms = timed(argv, envs.get(name, env))
                if round_ >= warmup:
                    samples[name][side].append(ms)
    return samples


def summary(samples):
    q = statistics.quantiles(sorted(samples), n=10)
    return statistics.median(samples), q[0], q[-1]


def ratio_interval(old, new, resamples=2000, seed=1):
    """95% bootstrap interval of median(new) / median(old), resampling whole
    rounds so each old sample stays with the new one timed next to it."""
    rng = random.Random(seed)
    n = len(old)
    ratios = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        ratios.append(statistics.median(new[i] for i in idx) / statistics.median(old[i] for i in idx))
    ratios.sort()
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def print_comparison(samples, old_label, new_label):
    """The before/after table, one row per command, with a verdict: "within
    noise" when the 95% interval of the ratio holds 1."""
    print(f"| command | {old_label} median / p10 / p90 ms | {new_label} median / p10 / p90 ms "
          f"| new / old (95% interval) | verdict |")
    print("|---|---|---|---|---|")
    for name, (old, new) in samples.items():
        om, o10, o90 = summary(old)
        nm, n10, n90 = summary(new)
        low, high = ratio_interval(old, new)
        verdict = "slower" if low > 1 else "faster" if high < 1 else "within noise"
        print(f"| `{name}` | {om:.2f} / {o10:.2f} / {o90:.2f} | {nm:.2f} / {n10:.2f} / {n90:.2f} "
              f"| {nm / om:.3f} ({low:.3f}-{high:.3f}) | {verdict} |")
