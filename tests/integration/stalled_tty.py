#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Run a command on a terminal that stops reading, then read again.

    stalled_tty.py STALL_SECONDS COLS ROWS -- COMMAND...

The command gets a new pseudo-terminal as its controlling terminal, stdin and
stdout (stderr is inherited). After 0.5 s the terminal's output is suspended
(tcflow TCOOFF, what XOFF does) and nothing is read for STALL_SECONDS: every
write to it blocks. Then output resumes, 'q' is typed and the output is
drained until the command exits (30 s at most).
Prints "stalled BYTES" (what was waiting when reading resumed) and exits with
the command's status.
"""

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time


def main():
    stall, cols, rows = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def child():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, preexec_fn=child)
    time.sleep(0.5)
    termios.tcflow(slave, termios.TCOOFF)
    time.sleep(stall)
    termios.tcflow(slave, termios.TCOON)
    os.close(slave)
    waiting = 0
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        waiting += len(chunk)
        if waiting > (1 << 20):
            break
    print(f"stalled {waiting}", flush=True)
    os.write(master, b"q")
    deadline = time.time() + 30
    while proc.poll() is None and time.time() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            try:
                os.read(master, 65536)
            except OSError:
                pass
    if proc.poll() is None:
        proc.kill()
        print("command did not exit", flush=True)
        return 124
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
