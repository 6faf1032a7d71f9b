"""Run a command in a new pseudo-terminal, wait for it to print `ready`,
press Ctrl-C once, and print its exit code.

Used by ssocred's end-to-end tests: Ctrl-C at a terminal signals the whole
foreground process group, so `ssocred exec` must not forward a second copy.
Arguments: the command and its arguments.
"""
import os
import pty
import sys
import time


def main() -> int:
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], sys.argv[1:])
    seen = b""
    deadline = time.monotonic() + 30
    while b"ready" not in seen:
        if time.monotonic() > deadline:
            print("timeout; output so far:", seen)
            return 1
        seen += os.read(fd, 1024)
    os.write(fd, b"\x03")
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status))
    return 0


if __name__ == "__main__":
    sys.exit(main())
