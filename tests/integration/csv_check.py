#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check an xfr --csv stream against the -o FILE JSON document of the same run.

usage: csv_check.py CSV JSON

One header, every row as wide as it; per-stream rows add up to the sum rows
of their direction and period; interval rows equal the JSON intervals (bytes
exact), summary rows equal the JSON totals per direction and per stream.
Prints the first problem and exits 1, or prints a one-line digest and exits 0.
"""
import csv
import json
import sys

SUMMED = ("bytes", "sender_bytes", "receiver_bytes", "retransmits", "lost",
          "packets_sent", "packets_received", "out_of_order", "duplicates",
          "rcvbuf_drops")
TCP_COLS = ("retransmits", "rtt_us", "rtt_var_us", "cwnd", "cwnd_bytes")
UDP_COLS = ("jitter_ms", "lost", "lost_percent", "packets_received", "packet_size")


class Bad(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Bad(msg)


def num(v):
    return int(v) if v != "" else None


def read_rows(path):
    with open(path, newline="") as f:
        lines = list(csv.reader(f))
    need(lines, "empty CSV")
    hdr = lines[0]
    need(hdr[0] == "type" and len(set(hdr)) == len(hdr), "bad header: %s" % hdr[:4])
    for i, row in enumerate(lines[1:], 2):
        need(len(row) == len(hdr), "line %d has %d cells, header %d" % (i, len(row), len(hdr)))
    return [dict(zip(hdr, row)) for row in lines[1:]]


def check_sums(rows, kind):
    """stream-KIND rows of a (direction, period) add up to its KIND row."""
    sums = {}
    for r in rows:
        key = (r["direction"], r["start_secs"], r["elapsed_secs"])
        if r["type"] == kind:
            need(key not in sums or "row" not in sums[key], "two %s rows for %s" % (kind, key))
            sums.setdefault(key, {})["row"] = r
        elif r["type"] == "stream-" + kind:
            acc = sums.setdefault(key, {})
            acc["n"] = acc.get("n", 0) + 1
            for c in SUMMED:
                if r[c] != "":
                    acc[c] = acc.get(c, 0) + int(r[c])
    for key, acc in sums.items():
        need("row" in acc, "stream-%s rows without a %s row at %s" % (kind, kind, key))
        for c in SUMMED:
            if c in acc:
                need(num(acc["row"][c]) == acc[c],
                     "%s %s: streams add up to %s, the sum row says %s"
                     % (kind, key, acc[c], acc["row"][c]))
    return sums


def json_flow_rows(rows, kind, streams):
    """(direction, stream) -> row of one flow: stream rows, or the sum row of one stream."""
    out = {}
    for r in rows:
        if streams > 1 and r["type"] == "stream-" + kind:
            out[(r["direction"], int(r["stream"]), r["elapsed_secs"])] = r
        elif streams == 1 and r["type"] == kind:
            out[(r["direction"], 0, r["elapsed_secs"])] = r
    return out


def check_intervals(rows, doc, streams):
    flows = json_flow_rows(rows, "interval", streams)
    ivs = [iv for iv in doc["intervals"] if not iv["omitted"]]
    need(ivs, "the JSON document has no intervals")
    for iv in ivs:
        for s in iv["streams"]:
            key = (s["direction"], s["id"], "%.3f" % iv["end"])
            need(key in flows, "no CSV row for interval flow %s" % (key,))
            need(int(flows[key]["bytes"]) == s["bytes"],
                 "interval %s: CSV bytes %s, JSON %s" % (key, flows[key]["bytes"], s["bytes"]))
    need(len(flows) == sum(len(iv["streams"]) for iv in ivs),
         "%d CSV interval flow rows, JSON has %d" % (len(flows), sum(len(iv["streams"]) for iv in ivs)))


def check_summary_dir(r, d, doc):
    need(int(r["bytes"]) == d["bytes"], "summary %s bytes %s, JSON %s"
         % (r["direction"], r["bytes"], d["bytes"]))
    for side in ("sender", "receiver"):
        if side in d:
            need(num(r[side + "_bytes"]) == d[side]["bytes"], "summary %s %s_bytes %s, JSON %s"
                 % (r["direction"], side, r[side + "_bytes"], d[side]["bytes"]))
    need(abs(float(r["throughput_mbps"]) - d["throughput_mbps"]) < 0.0015,
         "summary throughput %s, JSON %s" % (r["throughput_mbps"], d["throughput_mbps"]))
    need(abs(float(r["elapsed_secs"]) - doc["duration_ms"] / 1000) < 0.0015,
         "summary elapsed %s, JSON duration %s ms" % (r["elapsed_secs"], doc["duration_ms"]))
    need(r["engine"] == doc["engine"], "summary engine %s, JSON %s" % (r["engine"], doc["engine"]))
    if "udp_stats" in d:
        for c in ("lost", "packets_received", "packet_size", "rcvbuf_drops"):
            need(num(r[c]) == d["udp_stats"][c], "summary %s %s, JSON %s" % (c, r[c], d["udp_stats"][c]))
    if "tcp_info" in d:
        for c, j in (("retransmits", "retransmits"), ("rtt_us", "rtt_us"), ("cwnd", "cwnd_segments"),
                     ("pmtu", "pmtu"), ("min_rtt_us", "min_rtt_us"),
                     ("bytes_in_flight", "bytes_in_flight"), ("handshake_us", "quic_handshake_us")):
            if d["tcp_info"].get(j, 0) == 0 and c in ("pmtu", "min_rtt_us", "handshake_us"):
                need(r[c] == "", "summary %s %s, JSON has none" % (c, r[c]))
                continue
            if j not in d["tcp_info"]:  # QUIC's own figures in a TCP test
                need(r[c] == "", "summary %s %s, JSON has none" % (c, r[c]))
                continue
            need(num(r[c]) == d["tcp_info"][j], "summary %s %s, JSON %s" % (c, r[c], d["tcp_info"][j]))


def check_summary(rows, doc, streams):
    sums = [r for r in rows if r["type"] == "summary"]
    dirs = sorted(k for k in ("upload", "download") if k in doc)
    need(sorted(r["direction"] for r in sums) == dirs,
         "summary rows for %s, JSON directions %s" % ([r["direction"] for r in sums], dirs))
    for r in sums:
        check_summary_dir(r, doc[r["direction"]], doc)
    flows = json_flow_rows(rows, "summary", streams)
    for s in doc["streams"]:
        r = flows.get((s["direction"], s["id"], "%.3f" % (doc["duration_ms"] / 1000)))
        if r is None:
            r = next((v for k, v in flows.items() if k[:2] == (s["direction"], s["id"])), None)
        need(r is not None, "no CSV summary row for stream %s %s" % (s["direction"], s["id"]))
        need(int(r["bytes"]) == s["bytes"], "stream %s %s bytes %s, JSON %s"
             % (s["direction"], s["id"], r["bytes"], s["bytes"]))
        if "tcp_info" in s:
            need(num(r["retransmits"]) == s["tcp_info"]["retransmits"], "stream retransmits")
        if "udp" in s:
            need(num(r["lost"]) == s["udp"]["lost"], "stream %s lost %s, JSON %s"
                 % (s["id"], r["lost"], s["udp"]["lost"]))


def check_protocol(rows, doc):
    udp = doc["protocol"] == "udp"
    for r in rows:
        absent, present = (TCP_COLS, UDP_COLS) if udp else (UDP_COLS, TCP_COLS)
        for c in absent:
            need(r[c] == "", "%s row %s: %s = '%s' in a %s test" % (r["type"], r["elapsed_secs"], c, r[c], doc["protocol"]))
        if r["type"].endswith("summary"):
            for c in present:
                need(r[c] != "", "%s row: %s is empty" % (r["type"], c))
        need(r["test_id"] == doc["id"], "test_id %s, JSON id %s" % (r["test_id"], doc["id"]))


def main():
    rows = read_rows(sys.argv[1])
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    streams = doc["num_streams"]
    types = {r["type"] for r in rows}
    want = {"interval", "summary"} | ({"stream-interval", "stream-summary"} if streams > 1 else set())
    need(types == want, "row types %s, want %s" % (sorted(types), sorted(want)))
    check_sums(rows, "interval")
    check_sums(rows, "summary")
    check_intervals(rows, doc, streams)
    check_summary(rows, doc, streams)
    check_protocol(rows, doc)
    print("ok: %d rows, %d columns, %s %s -P %d" % (len(rows), len(rows[0]), doc["protocol"],
                                                   doc["direction"], streams))


if __name__ == "__main__":
    try:
        main()
    except (Bad, KeyError, ValueError, IndexError) as e:
        print("%s: %s" % (type(e).__name__, e))
        sys.exit(1)
