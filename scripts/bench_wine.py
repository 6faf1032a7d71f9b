#!/usr/bin/env python3
"""Whole-process timing under wine of a warm `credential_process` call:
`ssocred.exe -p bench -r ARN --sink process` (release build, a role-cache
hit) against `read_file.exe` (cli/examples/read_file.rs, release), a Rust
program that copies the token file to stdout: the floor of a Windows
process that reads one small file. `cmd /c type` of the file is timed too. Under wine both pay wine's own process
start, so the ratio is only relative: it is recorded to keep it from
growing, not to compare with Linux.

Run by `scripts/cross-check --bench-wine [RUNS]` inside its chroot, after
the release ssocred.exe and the (Linux) emulator are built there. Each
command runs RUNS times after 3 warm-ups, alternately (A B, B A, ...), and
the script prints the median, p10 and p90 of each and the ratio of the
medians.
"""
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
EXE = TARGET / "x86_64-pc-windows-gnu" / "release" / "ssocred.exe"
READ_FILE = TARGET / "x86_64-pc-windows-gnu" / "release" / "examples" / "read_file.exe"
EMULATOR = TARGET / "release" / "ssocred-emulator"
ARN = "arn:aws:iam::100000000000:role/ReadOnly"
CONFIG = ("[profile bench]\nsso_session = bench\nregion = eu-west-1\n"
          "[sso-session bench]\nsso_start_url = https://d-bench.awsapps.com/start\nsso_region = us-east-1\n")


def windows(path):
    """A Unix path as wine's Z: drive shows it."""
    return "Z:" + str(path).replace("/", "\\")


def timed(argv, env):
    # stderr to a file, not a pipe: the services wine starts keep a pipe
    # they inherit open, and reading it to its end would never end.
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
        took = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            err.seek(0)
            sys.exit(f"bench-wine: {argv} exited {done.returncode}: {err.read().decode(errors='replace')}")
    return took


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    for path in (EXE, READ_FILE, EMULATOR):
        if not path.exists():
            sys.exit(f"bench-wine: {path} is missing; scripts/cross-check --bench-wine builds it")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # A wine prefix of its own: wine sets HOME and USERPROFILE for its
        # processes, so the bench's files go in that prefix's user profile.
        env = dict(os.environ, WINEPREFIX=str(tmp / "prefix"))
        (tmp / "prefix").mkdir()
        # One wine server for every run, as on a desktop session: otherwise
        # each process would pay the server's start (seconds).
        server = shutil.which("wineserver") or "/usr/lib/x86_64-linux-gnu/wine/wineserver"
        subprocess.run([server, "-p"], env=env, check=True)
        with tempfile.TemporaryFile() as out:
            subprocess.run(["wine", "cmd", "/c", "echo %USERPROFILE%"], env=env,
                           stdout=out, stderr=subprocess.DEVNULL, check=True)
            out.seek(0)
            shown = out.read().decode().strip()
        if not shown.lower().startswith("c:\\"):
            sys.exit(f"bench-wine: unexpected USERPROFILE {shown!r}")
        home = tmp / "prefix" / "drive_c" / Path(*shown[3:].split("\\"))
        cache = home / ".aws" / "sso" / "cache"
        cache.mkdir(parents=True)
        (home / ".aws" / "config").write_text(CONFIG)
        token = cache / (hashlib.sha1(b"bench").hexdigest() + ".json")
        token.write_text(json.dumps({"accessToken": "bench-token", "expiresAt": "2099-01-01T00:00:00Z"}))
        port_file = tmp / "port"
        emulator = subprocess.Popen(
            [EMULATOR, "--accounts", "1", "--roles-per-account", "3", "--token", "bench-token",
             "--port-file", port_file, "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        try:
            for _ in range(400):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.05)
            env["AWS_ENDPOINT_URL_SSO"] = f"http://127.0.0.1:{port_file.read_text().strip()}"
            cases = {
                "ssocred.exe -p bench -r ARN --sink process (role cache hit)":
                    ["wine", str(EXE), "-p", "bench", "-r", ARN, "--sink", "process"],
                "read_file.exe TOKEN-FILE (floor: a Rust program that copies the file)":
                    ["wine", str(READ_FILE), windows(token)],
                "cmd /c type TOKEN-FILE": ["wine", "cmd", "/c", "type", windows(token)],
            }
            for argv in cases.values():
                for _ in range(3):
                    timed(argv, env)
            samples = {name: [] for name in cases}
            names = list(cases)
            for i in range(runs):
                for name in (names if i % 2 == 0 else names[::-1]):
                    samples[name].append(timed(cases[name], env))
        finally:
            emulator.stdin.close()
            emulator.wait()
            subprocess.run([server, "-k"], env=env)
    print(f"under wine, {runs} alternate runs each; {os.cpu_count()} cores\n")
    print("| command | median ms | p10 ms | p90 ms |")
    print("|---|---|---|---|")
    medians = {}
    for name, got in samples.items():
        q = statistics.quantiles(sorted(got), n=10)
        medians[name] = statistics.median(got)
        print(f"| `{name}` | {medians[name]:.1f} | {q[0]:.1f} | {q[-1]:.1f} |")
    ssocred, floor, _ = medians.values()
    print(f"\nssocred.exe / read_file.exe (relative only): {ssocred / floor:.2f}")


if __name__ == "__main__":
    main()
