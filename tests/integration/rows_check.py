#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that a client's interval rows tile the test and add up to its summary.

rows_check.py json FILE     the --json document: exact
rows_check.py stream FILE   --json-stream: the interval events against the end document, exact
rows_check.py plain FILE    plain text: within the rounding of the printed figures

Rows tile the test: the first starts at 0, each starts where the one before
ended, the last ends at the summary's duration; no empty row after the end.
Per flow (stream id, direction), the rows' sender bytes sum to the summary's
sender bytes and the rows' receiver bytes to the receiver's. Prints why and
exits 1 when not.
"""
import json
import re
import sys

UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def fail(msg):
    print(msg)
    sys.exit(1)


def check_tiling(rows, duration_s, tol):
    """rows: [(start, end, bytes)]"""
    if not rows:
        fail("no interval rows")
    if abs(rows[0][0]) > tol:
        fail(f"first row starts at {rows[0][0]}")
    for a, b in zip(rows, rows[1:]):
        if abs(a[1] - b[0]) > tol:
            fail(f"row ending {a[1]} is followed by one starting {b[0]}")
    if abs(rows[-1][1] - duration_s) > tol:
        fail(f"last row ends at {rows[-1][1]}, the summary's duration is {duration_s}")
    if len(rows) > 1 and rows[-1][2] == 0 and rows[-1][1] - rows[-1][0] < 0.5:
        fail(f"empty phantom row {rows[-1][0]}-{rows[-1][1]} after the end")


def flow_sums(intervals):
    sums = {}
    for iv in intervals:
        for s in iv["streams"]:
            k = (s["id"], s["direction"])
            e = sums.setdefault(k, {"sender": 0, "receiver": 0})
            for side in ("sender", "receiver"):
                if side in s:
                    e[side] += s[side]["bytes"]
    return sums


def check_doc(doc, intervals):
    rows = [(iv["start"], iv["end"], iv["bytes"]) for iv in intervals]
    check_tiling(rows, doc["duration_ms"] / 1000.0, 0.0015)
    sums = flow_sums(intervals)
    for s in doc["streams"]:
        k = (s["id"], s["direction"])
        for side in ("sender", "receiver"):
            if side not in s:
                continue
            got = sums.get(k, {}).get(side, 0)
            if got != s[side]["bytes"]:
                fail(f"stream {k} {side}: rows add to {got} B, the summary says {s[side]['bytes']} B")
    total = sum(iv["bytes"] for iv in intervals)
    if total != doc["bytes_total"]:
        fail(f"rows add to {total} B, bytes_total is {doc['bytes_total']} B")
    print(f"ok: {len(rows)} rows tile 0-{rows[-1][1]} s and add to {total} B")


def check_json(path):
    doc = json.load(open(path))
    check_doc(doc, doc["intervals"])


def check_stream(path):
    intervals, doc = [], None
    for line in open(path):
        ev = json.loads(line)
        if ev.get("event") == "interval":
            intervals.append(ev)
        elif ev.get("event") == "end":
            doc = ev["result"]
    if doc is None:
        fail("no end event")
    check_doc(doc, intervals)


ROW = re.compile(r"^\[ *(\d+|SUM)\](\[[A-Z-]+\])? +([\d.]+)-([\d.]+) +s +([\d.]+) ([KMGT]?B) (.*)$")


def check_plain(path):
    rows, summ = {}, {}
    for line in open(path):
        m = ROW.match(line.rstrip("\n"))
        if not m:
            continue
        key = (m.group(1), m.group(2) or "")
        val = (float(m.group(3)), float(m.group(4)), float(m.group(5)) * UNITS[m.group(6)],
               0.005 * UNITS[m.group(6)])
        tail = m.group(7).split()
        if tail and tail[-1] in ("sender", "receiver"):
            summ[(key, tail[-1])] = val
        else:
            rows.setdefault(key, []).append(val)
    if not rows:
        fail("no interval rows")
    for key, rs in rows.items():
        rec = summ.get((key, "receiver"))
        if not rec:
            fail(f"no receiver summary line for {key}")
        check_tiling([(r[0], r[1], r[2]) for r in rs], rec[1], 0.0051)
        got, tol = sum(r[2] for r in rs), sum(r[3] for r in rs) + rec[3]
        if abs(got - rec[2]) > tol:
            fail(f"{key}: rows add to {got:.0f} B, the receiver summary says {rec[2]:.0f} B (+-{tol:.0f})")
        print(f"ok: {key}: {len(rs)} rows tile 0-{rs[-1][1]} s, {got:.0f} B ~ {rec[2]:.0f} B")


if __name__ == "__main__":
    {"json": check_json, "stream": check_stream, "plain": check_plain}[sys.argv[1]](sys.argv[2])
