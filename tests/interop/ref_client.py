#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance peer: the reference xfr client (lance0/xfr 0.9.25, client.rs).

    ref_client.py HOST PORT [-u] [-R | --bidir] [-P N] [-t SECS] [-b BITS]
                  [-n BYTES] [--cancel-after SECS] [--legacy]

Runs one test against HOST:PORT the way client.rs does and prints one JSON
object on stdout: {"result": what the reference client would show (the
server's result after client.rs's overlays), "intervals": the interval
messages as received, "local": {"sent", "received"} bytes this side moved}.
  * hello with the reference's capabilities (--legacy drops single_port_tcp
    and single_port_udp_v1, i.e. per-stream data ports);
  * test_start in serde field order, bool extensions omitted when false;
  * senders stop at the local deadline (start + duration); -n runs send the
    shared budget, shut down gracefully and send finish;
  * overlays: when sending, result.tcp_info and per-stream retransmits from
    this side's sockets; UDP download: bytes from this side's receivers and
    udp_stats only if the server sent none; UDP bidir: bytes_received from
    this side's receivers.
Exit 1 with one line on stderr if the server refuses or the test fails.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refwire as w  # noqa: E402


class Client:
    def __init__(self, a):
        self.a = a
        self.streams = [w.Stream(i) for i in range(a.P)]
        self.stop = threading.Event()
        self.threads = []
        self.tx = []                 # send threads, one per stream
        self.dir = "bidir" if a.bidir else "download" if a.R else "upload"
        self.id = str(uuid.uuid4())

    def spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)
        return t

    def caps(self):
        c = list(w.CAPABILITIES)
        if self.a.legacy:
            c.remove("single_port_tcp")
            c.remove("single_port_udp_v1")
        return c

    def share(self, i):
        base, extra = divmod(self.a.n, self.a.P)
        return base + (1 if i < extra else 0)

    def test_start(self):
        a = self.a
        m = {"type": "test_start", "id": self.id, "protocol": "udp" if a.u else "tcp",
             "streams": a.P, "duration_secs": a.t, "direction": self.dir}
        rate = a.b if a.b is not None else (1_000_000_000 if a.u else None)
        if rate is not None:
            m["bitrate"] = rate
        if not a.u:
            m["zerocopy"] = True     # on by default for TCP (ZerocopyMode::Auto)
        if a.n:
            m["byte_budget"] = a.n
        return m

    # ------------------------------------------------------------ data

    def sends(self):
        return self.dir in ("upload", "bidir")

    def receives(self):
        return self.dir in ("download", "bidir")

    def open_tcp(self, ack, deadline):
        for i, st in enumerate(self.streams):
            port = ack["data_ports"][i] if ack["data_ports"] else self.a.port
            s = socket.create_connection((self.a.host, port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pre = b""
            if not ack["data_ports"]:
                pre = w.line({"type": "data_hello", "test_id": self.id, "stream_index": i})
                s.sendall(pre)
            st.sock = s
            if self.receives():
                self.spawn(w.tcp_receive, s, st, self.stop)
            if self.sends():
                self.tx.append(self.spawn(w.tcp_send, s, st, self.stop, deadline,
                                          self.share(i) if self.a.n else None, len(pre)))

    def open_udp(self, ack, deadline):
        rate = self.a.b if self.a.b is not None else 1_000_000_000
        per = max(1, rate // self.a.P) if rate else 0
        token = bytes.fromhex(ack["udp_token"]) if ack.get("udp_token") else None
        for i, st in enumerate(self.streams):
            port = ack["data_ports"][i] if ack["data_ports"] else self.a.port
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect((self.a.host, port))
            if token:
                self.udp_handshake(s, i, token)
            elif self.receives():
                self.spawn(self.announce, s, st)
            if self.receives():
                self.spawn(w.udp_receive, s, st, self.stop)
            if self.sends():
                self.tx.append(self.spawn(w.udp_send, s, st, per, self.stop, deadline,
                                          self.share(i) if self.a.n else None))

    def udp_handshake(self, s, i, token):
        """udp.rs single_port_udp_handshake: hello every 100 ms, <= 50 tries;
        a non-hello datagram means we were routed already."""
        s.settimeout(0.1)
        for _ in range(50):
            s.send(w.udp_hello(1, i, token))
            try:
                pkt = s.recv(2048, socket.MSG_PEEK)
            except socket.timeout:
                continue
            h = w.parse_udp_hello(pkt)
            if h is None:
                return
            s.recv(2048)
            if h[0] == 2 and h[1] == i and h[2] == token:
                return
        raise RuntimeError(f"single-port UDP handshake timed out for stream {i}")

    def announce(self, s, st):
        """Legacy UDP download: 1-byte datagrams every 100 ms (<= 50) until
        data arrives, so the server learns our address."""
        for _ in range(50):
            if st.received or self.stop.is_set():
                return
            try:
                s.send(b"\0")
            except OSError:
                pass
            time.sleep(0.1)

    # ------------------------------------------------------------ control

    def run(self):
        a = self.a
        c = socket.create_connection((a.host, a.port), timeout=10)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rd = w.LineReader(c)
        c.sendall(w.line({"type": "hello", "version": w.VERSION, "client": w.PEER_NAME,
                          "capabilities": self.caps()}))
        hello = rd.read(10)
        if hello.get("type") != "hello" or str(hello.get("version", "")).split(".")[0] != "1":
            raise RuntimeError(f"bad server hello: {hello}")
        c.sendall(w.line(self.test_start()))
        ack = rd.read(30)
        if ack.get("type") == "error":
            raise RuntimeError("Server error: " + ack.get("message", ""))
        intervals = []
        while ack.get("type") == "interval":      # tolerated by client.rs's reader
            intervals.append(ack)
            ack = rd.read(30)
        if ack.get("type") != "test_ack":
            raise RuntimeError(f"expected test_ack, got {ack.get('type')}")
        start = time.monotonic()
        deadline = start + a.t if a.t else None
        (self.open_udp if a.u else self.open_tcp)(ack, deadline)
        result = self.wait_result(c, rd, intervals, start, deadline)
        self.stop.set()
        for t in self.threads:
            t.join(10)
        return self.overlay(result), intervals

    def wait_result(self, c, rd, intervals, start, deadline):
        finished = False
        cancel_at = start + self.a.cancel_after if self.a.cancel_after else None
        end = (deadline or start + 3600) + 30
        while True:
            now = time.monotonic()
            if self.a.n and not finished and self.tx and \
                    not any(t.is_alive() for t in self.tx):
                c.sendall(w.line({"type": "finish", "id": self.id}))
                finished = True
            if cancel_at and now >= cancel_at:
                c.sendall(w.line({"type": "cancel", "id": self.id,
                                  "reason": "User requested cancellation"}))
                self.stop.set()
                cancel_at = None
            if now > end:
                raise RuntimeError("timed out waiting for the result")
            try:
                m = rd.read(0.05)
            except socket.timeout:
                continue
            if m["type"] == "interval":
                intervals.append(m)
            elif m["type"] == "result":
                return m
            elif m["type"] == "error":
                raise RuntimeError("Server error: " + m.get("message", ""))

    def overlay(self, r):
        """client.rs: sender TCP_INFO overlay; UDP download / bidir receive
        overlays (overlay_udp_download_result, overlay_udp_bidir_result)."""
        if not self.a.u and self.sends():
            for s in r["streams"]:
                st = self.streams[s["id"]] if s["id"] < len(self.streams) else None
                if st is not None and st.final_info:
                    s["retransmits"] = st.final_info["retransmits"]
            info = w.final_tcp_info(self.streams)
            if info:
                r["tcp_info"] = info
        if self.a.u and self.dir == "download":
            got = sum(st.received for st in self.streams)
            r["bytes_total"] = got
            r["throughput_mbps"] = w.mbps(got, r["duration_ms"])
            for s in r["streams"]:
                if s["id"] < len(self.streams):
                    s["bytes"] = self.streams[s["id"]].received
                    s["throughput_mbps"] = w.mbps(s["bytes"], r["duration_ms"])
            if r.get("udp_stats") is None:
                r["udp_stats"] = w.aggregate_udp([st.udp_stats for st in self.streams
                                                  if st.udp_stats])
        if self.a.u and self.dir == "bidir":
            got = sum(st.received for st in self.streams)
            r["bytes_received"] = got
            r["throughput_recv_mbps"] = w.mbps(got, r["duration_ms"])
            if r.get("bytes_sent") is not None:
                r["bytes_total"] = r["bytes_sent"] + got
                r["throughput_mbps"] = w.mbps(r["bytes_total"], r["duration_ms"])
        return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("-u", action="store_true")
    ap.add_argument("-R", action="store_true")
    ap.add_argument("--bidir", action="store_true")
    ap.add_argument("-P", type=int, default=1)
    ap.add_argument("-t", type=int, default=10)
    ap.add_argument("-b", type=int)
    ap.add_argument("-n", type=int)
    ap.add_argument("--cancel-after", type=float)
    ap.add_argument("--legacy", action="store_true")
    a = ap.parse_args()
    if a.n and "-t" not in sys.argv:
        a.t = 0                      # resolve_client_duration: -n alone has no clock
    cl = Client(a)
    try:
        result, intervals = cl.run()
    except (OSError, RuntimeError, EOFError, ValueError) as e:
        print(f"ref_client: {e}", file=sys.stderr)
        return 1
    local = {"sent": sum(s.sent for s in cl.streams),
             "received": sum(s.received for s in cl.streams)}
    if a.u:
        local["packets_sent"] = sum(s.packets for s in cl.streams)
        local["udp"] = w.aggregate_udp([s.udp_stats for s in cl.streams if s.udp_stats])
    json.dump({"result": result, "intervals": intervals, "local": local}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
