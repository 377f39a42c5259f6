#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the TUI's repaints with a terminal emulator (pyte, a VT100/xterm parser).

    vt_check.py DIR

DIR holds N.raw (the bytes one full repaint of the TUI sent to an xterm) and
N.txt ("ROWS COLS", then what curses believes the screen shows), written by
build/tests/test_tui_render with XFR_RENDER_DUMP=DIR. Each .raw is fed to an
emulated screen of that size; every row must read exactly as curses' own
model (line-drawing characters compared as one class). A peer's escape
sequence that reached the bytes, or anything drawn past the edges, shows as a
difference. Prints one line per repaint checked; exit 1 on the first mismatch.
"""

import glob
import os
import sys

import pyte

LINES = set("─│┌┐└┘├┤┬┴┼+qxlkmjtuvwn")


def norm(row, acs_cols):
    return "".join("+" if i in acs_cols else ch for i, ch in enumerate(row))


def check(raw_path):
    txt_path = raw_path[:-4] + ".txt"
    with open(txt_path, encoding="utf-8") as f:
        rows, cols = map(int, f.readline().split())
        want = [line.rstrip("\n") for line in f]
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    with open(raw_path, "rb") as f:
        stream.feed(f.read())
    got = screen.display
    for y in range(rows):
        w = want[y] if y < len(want) else ""
        acs = {i for i, ch in enumerate(w) if ch == "+"}
        g = norm(got[y], acs)
        # what pyte shows as line drawing where curses had ACS is the same cell
        if g.rstrip() != w.rstrip():
            return f"{os.path.basename(raw_path)} ({cols}x{rows}) row {y}:\n  want {w!r}\n  got  {g!r}"
    return None


def main():
    files = sorted(glob.glob(os.path.join(sys.argv[1], "*.raw")))
    if not files:
        print("no repaints to check")
        return 1
    for p in files:
        err = check(p)
        if err:
            print("MISMATCH", err)
            return 1
    print(f"{len(files)} repaints read back identically through a VT100 emulator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
