"""Run a command with stdin and stderr on a pseudo-terminal, answering its
prompts, and print {"code", "stdout", "screen"} as JSON.

Usage: pty_run.py STEPS_JSON -- COMMAND...
STEPS_JSON is a list of [expected text, keys to send]: each time the
terminal output (after the previous match) contains the text, the keys are
typed. stdout stays a pipe, as with `eval "$(ssocred ...)"`.
"""
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
import time

TIMEOUT = 20.0


def main() -> int:
    steps = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    master, slave = os.openpty()
    # A real size: a 0x0 terminal makes line editors misbehave.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(command, stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    screen = b""
    seen = 0
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                # Every copy of the terminal's other end is closed: the
                # command has exited.
                break
            screen += chunk
            # Answer cursor-position queries as a terminal would.
            if b"\x1b[6n" in chunk:
                os.write(master, b"\x1b[1;1R")
        if steps and steps[0][0].encode() in screen[seen:]:
            seen = screen.index(steps[0][0].encode(), seen) + len(steps[0][0])
            time.sleep(0.1)
            os.write(master, steps.pop(0)[1].encode())
        if proc.poll() is not None and not ready:
            break
    if proc.poll() is None:
        proc.kill()
    stdout = proc.stdout.read().decode()
    print(json.dumps({"code": proc.wait(), "stdout": stdout, "left": steps,
                      "screen": screen.decode(errors="replace")[-3000:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
