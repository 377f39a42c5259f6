#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance peer: the reference xfr server (lance0/xfr 0.9.25, serve.rs).

    ref_server.py PORT [--tests N] [--no-single-port-udp] [--no-feedback]
                       [--log FILE]

Serves N tests (default 1) on TCP and UDP PORT, then exits. Behaviour that
matters to a client, as serve.rs does it:
  * hello reply "xfr/0.9.25" with the reference's capability list;
  * single-port TCP (data_hello on the control port) unless the client lacks
    single_port_tcp; single-port UDP (24-byte hello/ack, 16-byte token) when
    the client has single_port_udp_v1, else one ephemeral port per stream;
  * the interval timer ticks at once: an interval with elapsed_ms 0 follows
    test_ack immediately, then one every second (missed ticks skipped);
  * at the first tick with elapsed >= duration the test ends without an
    interval; receivers drain 200 ms uncounted; duration_ms is taken after
    the data tasks are joined;
  * cancel -> cancelled, then the result; finish (-n) -> drain until EOF;
  * result: tcp_info = the server's own sockets, udp_stats = what the server
    received (None in download), bidir split in the client's view.
Each finished test appends one JSON line to --log: what the server counted
(its result) so a test can compare it with what the client printed.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refwire as w  # noqa: E402


class Test:
    def __init__(self, msg, caps, peer_ip):
        self.id = msg["id"]
        self.proto = msg["protocol"]
        self.nstreams = msg["streams"]
        # serve.rs: 0 = until cancelled (no --max-duration here), else at most 3600 s
        self.duration = min(msg["duration_secs"], 3600)
        self.direction = msg["direction"]
        self.bitrate = msg.get("bitrate")
        self.budget = msg.get("byte_budget")
        self.caps = caps
        self.peer_ip = peer_ip
        self.streams = [w.Stream(i) for i in range(self.nstreams)]
        self.stop = threading.Event()
        self.threads = []
        self.token = None
        self.send_done = threading.Event()
        self.nsend_left = 0
        self.rx_ended = 0
        self.lock = threading.Lock()

    def receives(self):
        return self.direction in ("upload", "bidir")

    def sends(self):
        return self.direction in ("download", "bidir")

    def share(self, i, total):
        """budget.rs: one shared budget split over the streams."""
        base, extra = divmod(total, self.nstreams)
        return base + (1 if i < extra else 0)

    def spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def sender_done(self):
        with self.lock:
            self.nsend_left -= 1
            if self.nsend_left == 0:
                self.send_done.set()


class Server:
    def __init__(self, port, args):
        self.port = port
        self.args = args
        self.tests = {}
        self.tokens = {}
        self.lock = threading.Lock()
        self.done = threading.Semaphore(0)
        self.ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("::", port))
        self.ls.listen(128)
        self.us = None
        if not args.no_single_port_udp:
            self.us = self.udp_socket(None)

    def udp_socket(self, peer):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("::", self.port))
        if peer:
            s.connect(peer)
        return s

    def caps(self):
        c = list(w.CAPABILITIES)
        if self.args.no_single_port_udp:
            c.remove("single_port_udp_v1")
        if self.args.no_feedback:
            c.remove("udp_feedback_v1")
        return c

    # ------------------------------------------------------------ accept

    def accept_loop(self):
        while True:
            conn, addr = self.ls.accept()
            threading.Thread(target=self.classify, args=(conn, addr), daemon=True).start()

    def classify(self, conn, addr):
        try:
            msg = w.read_first_line(conn)
        except (OSError, ValueError, EOFError):
            conn.close()
            return
        if msg.get("type") == "hello":
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.control(conn, addr, msg)
            except (OSError, EOFError, ValueError) as e:
                print(f"ref_server: control: {e}", file=sys.stderr)
            finally:
                conn.close()
                self.done.release()
        elif msg.get("type") == "data_hello":
            with self.lock:
                t = self.tests.get(msg.get("test_id"))
            idx = msg.get("stream_index", -1)
            if t is None or addr[0] != t.peer_ip or not 0 <= idx < t.nstreams:
                conn.close()
                return
            self.start_tcp_stream(t, idx, conn)
        else:
            conn.close()

    def udp_hello_loop(self):
        while True:
            pkt, peer = self.us.recvfrom(2048)
            h = w.parse_udp_hello(pkt)
            if not h or h[0] != 1:
                continue
            with self.lock:
                t = self.tokens.get(h[2])
            if t is None or h[1] >= t.nstreams or t.streams[h[1]].sock is not None:
                continue
            s = self.udp_socket(peer)
            t.streams[h[1]].sock = s
            s.send(w.udp_hello(2, h[1], h[2]))
            self.start_udp_stream(t, h[1], s)

    # ------------------------------------------------------------ data

    def start_tcp_stream(self, t, i, conn):
        st = t.streams[i]
        st.sock = conn
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if t.receives():
            t.spawn(self.tcp_rx, t, st, conn)
        if t.sends():
            budget = t.share(i, t.budget) if t.budget else None
            t.spawn(self.tcp_tx, t, st, conn, budget)

    def tcp_rx(self, t, st, conn):
        w.tcp_receive(conn, st, t.stop)
        with t.lock:
            t.rx_ended += 1
        if st.final_info is None:
            st.final_info = w.tcp_info(conn)

    def tcp_tx(self, t, st, conn, budget):
        w.tcp_send(conn, st, t.stop, budget=budget)
        if budget is not None:
            t.sender_done()

    def start_udp_stream(self, t, i, s):
        st = t.streams[i]
        rate = t.bitrate if t.bitrate is not None else 1_000_000_000
        if t.receives():
            fb = "udp_feedback_v1" in t.caps and t.direction == "upload" and not self.args.no_feedback
            t.spawn(self.udp_rx, t, st, s, fb)
        if t.sends():
            budget = t.share(i, t.budget) if t.budget else None
            t.spawn(self.udp_tx, t, st, s, max(1, rate // t.nstreams) if rate else 0, budget)

    def udp_rx(self, t, st, s, fb):
        w.udp_receive(s, st, t.stop, fb)

    def udp_tx(self, t, st, s, rate, budget):
        w.udp_send(s, st, rate, t.stop, budget=budget)
        if budget is not None:
            t.sender_done()

    def legacy_udp(self, t):
        ports = []
        for i in range(t.nstreams):
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.bind(("::", 0))
            ports.append(s.getsockname()[1])
            t.spawn(self.legacy_udp_stream, t, i, s)
        return ports

    def legacy_udp_stream(self, t, i, s):
        if t.sends():  # wait_for_client: the first datagram's source
            s.settimeout(10)
            try:
                _, peer = s.recvfrom(2048)
            except OSError:
                return
            s.connect(peer)
        self.start_udp_stream(t, i, s)

    def legacy_tcp(self, t):
        ports = []
        for i in range(t.nstreams):
            ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            ls.bind(("::", 0))
            ls.listen(1)
            ports.append(ls.getsockname()[1])
            t.spawn(self.legacy_tcp_accept, t, i, ls)
        return ports

    def legacy_tcp_accept(self, t, i, ls):
        ls.settimeout(10)
        try:
            conn, _ = ls.accept()
        except OSError:
            return
        self.start_tcp_stream(t, i, conn)

    # ------------------------------------------------------------ control

    def control(self, conn, addr, hello):
        rd = w.LineReader(conn)
        caps = hello.get("capabilities") or []
        conn.sendall(w.line({"type": "hello", "version": w.VERSION, "server": w.PEER_NAME,
                             "capabilities": self.caps()}))
        msg = rd.read(30)
        if msg.get("type") != "test_start":
            return
        if not 1 <= msg.get("streams", 0) <= 128:
            conn.sendall(w.line({"type": "error", "message": "Invalid stream count"}))
            return
        t = Test(msg, caps, addr[0])
        ack = {"type": "test_ack", "id": t.id, "data_ports": []}
        if t.proto == "tcp":
            if "single_port_tcp" not in caps:
                ack["data_ports"] = self.legacy_tcp(t)
        elif t.proto == "udp":
            if self.us is not None and "single_port_udp_v1" in caps:
                t.token = os.urandom(16)
                ack["udp_token"] = t.token.hex()
            else:
                ack["data_ports"] = self.legacy_udp(t)
        else:
            conn.sendall(w.line({"type": "error", "message": "unsupported protocol"}))
            return
        t.nsend_left = t.nstreams if t.sends() and t.budget else 0
        with self.lock:
            self.tests[t.id] = t
            if t.token:
                self.tokens[t.token] = t
        conn.sendall(w.line(ack))
        try:
            result = self.run(t, conn, rd)
        finally:
            with self.lock:
                self.tests.pop(t.id, None)
                self.tokens.pop(t.token, None)
        conn.sendall(w.line(result))
        if self.args.log:
            with open(self.args.log, "a") as f:
                f.write(json.dumps({"direction": t.direction, "protocol": t.proto,
                                    "result": result}) + "\n")

    def reader(self, rd, cmds):
        try:
            while True:
                cmds.append(rd.read(None))
        except (OSError, EOFError, ValueError):
            cmds.append(None)

    def run(self, t, conn, rd):
        """serve.rs run_test's loop: interval ticks from 0, end at the first
        tick past the duration, on cancel, on -n completion or control EOF."""
        cmds = []
        threading.Thread(target=self.reader, args=(rd, cmds), daemon=True).start()
        start = time.monotonic()
        nxt = start
        drain_until = None
        client_finished = False
        while True:
            now = time.monotonic()
            if now >= nxt:
                while nxt <= now:
                    nxt += 1.0
                el = now - start
                if t.duration and el >= t.duration:
                    break
                ivs = [s.record(start) for s in t.streams]
                conn.sendall(w.line({"type": "interval", "id": t.id,
                                     "elapsed_ms": int(el * 1000),
                                     "streams": [s.to_interval(i) for s, i in zip(t.streams, ivs)],
                                     "aggregate": w.aggregate(ivs, t.direction == "bidir")}))
            if cmds:
                c = cmds.pop(0)
                if c is None:
                    break
                if c.get("type") == "cancel":
                    conn.sendall(w.line({"type": "cancelled", "id": t.id}))
                    break
                if c.get("type") == "finish" and t.budget and drain_until is None:
                    drain_until = time.monotonic() + (0.25 if t.proto == "udp" else 10.0)
                continue
            if drain_until is not None:
                eof = t.proto == "tcp" and t.rx_ended == t.nstreams
                if eof or time.monotonic() >= drain_until:
                    client_finished = True
                    drain_until = None
            if t.budget and self.budget_complete(t, client_finished):
                break
            time.sleep(0.005)
        t.stop.set()
        for th in t.threads:
            th.join(30)
        return self.result(t, int((time.monotonic() - start) * 1000))

    def budget_complete(self, t, client_finished):
        """serve.rs budget_transfer_complete."""
        if t.direction == "upload":
            return client_finished
        if t.direction == "download":
            return t.send_done.is_set()
        return client_finished and t.send_done.is_set()

    def result(self, t, duration_ms):
        total = sum(s.total() for s in t.streams)
        res = {"type": "result", "id": t.id, "bytes_total": total, "duration_ms": duration_ms,
               "throughput_mbps": w.mbps(total, duration_ms),
               "streams": [s.to_result(duration_ms) for s in t.streams]}
        info = w.final_tcp_info(t.streams) if t.proto == "tcp" else None
        if info:
            res["tcp_info"] = info
        udp = w.aggregate_udp([s.udp_stats for s in t.streams if s.udp_stats])
        if udp:
            res["udp_stats"] = udp
        if t.direction == "bidir":
            sent = sum(s.received for s in t.streams)   # client view: sent = upload
            recv = sum(s.sent for s in t.streams)
            res["bytes_sent"] = sent
            res["bytes_received"] = recv
            res["throughput_send_mbps"] = w.mbps(sent, duration_ms)
            res["throughput_recv_mbps"] = w.mbps(recv, duration_ms)
        return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--tests", type=int, default=1)
    ap.add_argument("--no-single-port-udp", action="store_true")
    ap.add_argument("--no-feedback", action="store_true")
    ap.add_argument("--log")
    args = ap.parse_args()
    srv = Server(args.port, args)
    threading.Thread(target=srv.accept_loop, daemon=True).start()
    if srv.us is not None:
        threading.Thread(target=srv.udp_hello_loop, daemon=True).start()
    for _ in range(args.tests):
        srv.done.acquire()
    time.sleep(0.2)


if __name__ == "__main__":
    main()
