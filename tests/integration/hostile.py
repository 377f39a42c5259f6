#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile control-channel peers for xfr serve (bad-input catalogue 3.1, 3.3, 3.4).

    hostile.py [--log SERVER_STDERR] [--parallel] HOST PORT CASE|GROUP...

Each case opens its own connection(s), misbehaves, and checks what the server
does: an {"type":"error",...} line where the channel allows one, then close,
within a bound. With --log, it also checks that the server's stderr gained a
line matching the case's keyword. Prints one line per case, "ok CASE ..." or
"FAIL CASE: why"; exits 1 if any case failed. Sockets only, no dependencies.

Group "udp" (3.3 N7/N8) sends datagrams to the server's UDP port (the same
number as its TCP port): random, short, wrong-token hellos, XFRF feedback
shapes; none may be answered. n7_udp_session runs its own UDP test: a wrong
token or stream index gets no ack, the right hello does (the positive
control), and junk among the flow's valid datagrams still ends in a result.
"""

import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import uuid

HELLO = {"type": "hello", "version": "1.1", "client": "hostile/0.1",
         "capabilities": ["tcp", "multistream", "single_port_tcp"]}


def line(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def test_start(**over):
    msg = {"type": "test_start", "id": str(uuid.uuid4()), "protocol": "tcp",
           "streams": 1, "duration_secs": 1, "direction": "upload"}
    for k, v in over.items():
        if v is DROP:
            msg.pop(k, None)
        else:
            msg[k] = v
    return msg


DROP = object()


class Peer:
    """One control connection with line reading and close detection."""

    def __init__(self, host, port, timeout=3.0):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect((host, port))
        self.buf = b""
        self.closed = False
        self.reset = False
        self.t0 = time.monotonic()

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return False

    def readline(self, timeout):
        """Next line (decoded JSON or raw bytes), None at close or timeout."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                self.closed = self.reset = True
                return None
            if not chunk:
                self.closed = True
                if self.buf:
                    break
                return None
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\n")
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def wait_close(self, timeout):
        """True if the server closed the connection within timeout."""
        end = time.monotonic() + timeout
        while not self.closed:
            msg = self.readline(max(0.0, end - time.monotonic()))
            if msg is None and not self.closed:
                return False
        return True

    def hello(self):
        self.send(line(HELLO))
        msg = self.readline(3)
        if not (isinstance(msg, dict) and msg.get("type") == "hello"):
            raise CaseError("no hello reply to a valid hello: %r" % (msg,))

    def close(self, rst=False):
        if rst:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.s.close()


class CaseError(Exception):
    pass


def expect_error(p, words=(), optional=False, close_within=3.0):
    """An error line (mentioning every word, case-insensitive), then close."""
    msg = p.readline(close_within)
    if isinstance(msg, dict) and msg.get("type") == "error":
        text = str(msg.get("message", ""))
        for w in words:
            if w.lower() not in text.lower():
                raise CaseError("error message %r does not mention %r" % (text, w))
        if not p.wait_close(close_within):
            raise CaseError("error sent but connection left open")
        return "error: " + text[:80]
    if msg is not None:
        raise CaseError("expected an error line, got %r" % (msg if isinstance(msg, bytes) else json.dumps(msg))[:120])
    if not p.closed:
        raise CaseError("no error and not closed within %.1f s" % close_within)
    if optional:
        return "closed (%s) without an error line" % ("RST" if p.reset else "FIN")
    raise CaseError("closed without an error line")


# ------------------------------------------------------------------- cases
# Each: (function(host, port) -> detail, log keyword regex or None)

def raw_first_line(data, words=(), optional=False):
    def run(h, port):
        p = Peer(h, port)
        p.send(data)
        try:
            return expect_error(p, words, optional)
        finally:
            p.close()
    return run


def after_hello(msg, words=(), optional=False):
    def run(h, port):
        p = Peer(h, port)
        try:
            p.hello()
            p.send(msg if isinstance(msg, bytes) else line(msg))
            return expect_error(p, words)
        finally:
            p.close()
    return run


def bad_version(v):
    hello = dict(HELLO)
    if v is DROP:
        del hello["version"]
    else:
        hello["version"] = v
    return raw_first_line(line(hello), ("version",))


def hold_then_closed(first, every=None, byte=b"{", limit=7.0):
    """Send `first`, then optionally one byte every `every` s; the server must
    close within `limit` s from connect."""
    def run(h, port):
        p = Peer(h, port, timeout=limit + 2)
        p.send(first)
        end = p.t0 + limit
        nxt = time.monotonic() + (every or limit)
        while time.monotonic() < end:
            if p.wait_close(min(end, nxt) - time.monotonic()):
                took = time.monotonic() - p.t0
                p.close()
                return "closed after %.1f s" % took
            if every and time.monotonic() >= nxt:
                if not p.send(byte):
                    return "closed after %.1f s (send failed)" % (time.monotonic() - p.t0)
                nxt += every
        p.close()
        raise CaseError("still open after %.1f s" % limit)
    return run


def idle_flood(n=200, limit=8.0):
    """n idle connections: a valid hello still gets an answer during the flood,
    and the server closes all idle ones within limit s."""
    def run(h, port):
        socks = []
        try:
            for _ in range(n):
                socks.append(Peer(h, port, timeout=limit + 2))
            t0 = time.monotonic()
            p = Peer(h, port)
            p.hello()
            answered = time.monotonic() - t0
            p.close()
            end = socks[0].t0 + limit
            for s in socks:
                if not s.wait_close(max(0.05, end - time.monotonic())):
                    raise CaseError("idle connection still open after %.1f s" % limit)
            return "%d idle closed; hello answered in %.2f s during the flood" % (n, answered)
        finally:
            for s in socks:
                s.close()
    return run


def data_hello_unknown(h, port):
    p = Peer(h, port)
    p.send(line({"type": "data_hello", "test_id": "00000000-dead-beef-0000-000000000000",
                 "stream_index": 0}))
    try:
        msg = p.readline(2)
        if msg is not None and not (isinstance(msg, dict) and msg.get("type") == "error"):
            raise CaseError("unexpected reply %r" % (msg,))
        if not p.wait_close(2):
            raise CaseError("data connection with unknown test_id kept open")
        return "dropped"
    finally:
        p.close()


def unknown_fields(h, port):
    p = Peer(h, port)
    hello = dict(HELLO, zzz_future=1, nested={"a": [1, 2]})
    p.send(line(hello))
    msg = p.readline(3)
    p.close()
    if isinstance(msg, dict) and msg.get("type") == "hello":
        return "hello accepted"
    raise CaseError("hello with unknown fields refused: %r" % (msg,))


def pipeline(h, port):
    p = Peer(h, port)
    p.send(line(HELLO) + b"".join(line(test_start(streams=0)) for _ in range(1000)))
    try:
        msg = p.readline(3)  # hello reply
        return expect_error(p, optional=True) if msg else "closed"
    finally:
        p.close()


def rst_after_hello(h, port):
    p = Peer(h, port)
    p.send(line(HELLO))
    p.close(rst=True)
    return "reset"


def close_after_test_start(h, port):
    p = Peer(h, port)
    p.hello()
    p.send(line(test_start(duration_secs=2)))
    p.readline(2)  # test_ack (or error)
    p.close(rst=True)
    return "reset after test_start"


def deadline_batch(n=300, rounds=4, line_kb=60):
    """Defect 1 of the server-safety issue: n connections each hold a ~60 KB
    partial first line and trickle a byte every 20 ms across the 5 s first-line
    deadline, so that the server's housekeeping tick (which drops them) and
    their reads land in the same batch of events, under load (each read peeks
    a 60 KB buffer). The old server freed them inside the batch: heap use after
    free, double free. Each round must end with every connection closed by the
    server, which must answer a hello afterwards."""
    def run(h, port):
        chunk = b'{"type":"hello","version":"1.1","client":"' + b"a" * (line_kb * 1024)
        for r in range(rounds):
            socks = []
            try:
                for _ in range(n):
                    try:
                        p = Peer(h, port, timeout=10)
                    except OSError:
                        break  # the pending gate may refuse some: fine
                    p.s.setblocking(False)
                    try:
                        p.s.send(chunk)
                    except OSError:
                        pass
                    socks.append(p)
                end = time.monotonic() + 6.5
                while time.monotonic() < end:
                    for p in socks:
                        if p.closed:
                            continue
                        try:
                            p.s.send(b"a")
                        except BlockingIOError:
                            pass
                        except OSError:
                            p.closed = True
                    time.sleep(0.02)
                for p in socks:
                    p.s.setblocking(True)
                    if not p.closed and not p.wait_close(3.0):
                        raise CaseError("round %d: a trickling connection was still open 9.5 s in" % r)
            finally:
                for p in socks:
                    p.close()
        q = Peer(h, port)
        q.hello()
        q.close()
        return "%d rounds of %d trickling 60 KB lines across the deadline; hello answered" % (rounds, n)
    return run


# name: (runner, log keyword regex or None)
CASES = {
    "c1_not_json": (raw_first_line(b"this is not json\n"), r"malformed"),
    "c1_invalid_utf8": (raw_first_line(b'{"type":"hello","version":"1.1","client":"\xff\xfe\xfd"}\n'), r"malformed|utf"),
    "c1_nul": (raw_first_line(b'{"type":"hello",\x00"version":"1.1"}\n'), r"malformed|nul"),
    "c1_array": (raw_first_line(b'[{"type":"hello","version":"1.1"}]\n'), r"malformed"),
    "c1_string": (raw_first_line(b'"hello"\n'), r"malformed"),
    "c1_number": (raw_first_line(b"42\n"), r"malformed"),
    "c1_empty_object": (raw_first_line(b"{}\n"), r"malformed|type|unknown"),
    "c4_long_line": (raw_first_line(b'{"type":"hello","x":"' + b"a" * 65536, optional=True), r"too long|line"),
    "c5_deep_nesting": (raw_first_line(b'{"type":"hello","version":"1.1","x":' + b"[" * 30000 + b"]" * 30000 + b"}\n"),
                        r"malformed|depth|nest"),
    "c5_huge_float": (after_hello(b'{"type":"test_start","id":"a","protocol":"tcp","streams":1e999,'
                                  b'"duration_secs":1,"direction":"upload"}\n'), r"malformed|streams"),
    "c5_big_int": (after_hello(b'{"type":"test_start","id":"a","protocol":"tcp","streams":18446744073709551616,'
                               b'"duration_secs":1,"direction":"upload"}\n'), r"malformed|streams"),
    "c5_duration_2_64": (after_hello(test_start(duration_secs=2 ** 64)), r"malformed|duration"),
    "c6_streams_string": (after_hello(test_start(streams="4"), ("streams",)), r"streams.*(expected|missing)"),
    "c6_duration_string": (after_hello(test_start(duration_secs="10"), ("duration",)), r"duration.*(expected|missing)"),
    "c6_congestion_number": (after_hello(test_start(congestion=1), ("congestion",)), r"congestion.*(expected|missing)"),
    "c6_direction_number": (after_hello(test_start(direction=5), ("direction",)), r"direction.*(expected|missing)"),
    "c6_id_null": (after_hello(test_start(id=None), ("id",)), r"\bid\b.*(expected|missing)"),
    "c6_protocol_object": (after_hello(test_start(protocol={}), ("protocol",)), r"protocol.*(expected|missing)"),
    "c6_bitrate_bool": (after_hello(test_start(bitrate=True), ("bitrate",)), r"bitrate.*(expected|missing)"),
    "c6_type_number": (raw_first_line(b'{"type":7,"version":"1.1"}\n'), r"malformed|type"),
    "c6_missing_streams": (after_hello(test_start(streams=DROP), ("streams",)), r"streams.*(expected|missing)"),
    "c7_streams_0": (after_hello(test_start(streams=0), ("streams",)), r"streams.*(range|invalid)"),
    "c7_streams_129": (after_hello(test_start(streams=129), ("streams",)), r"streams.*(range|invalid)"),
    "c7_streams_negative": (after_hello(test_start(streams=-1), ("streams",)), r"streams.*(range|invalid)"),
    "c7_streams_65536": (after_hello(test_start(streams=65536), ("streams",)), r"streams.*(range|invalid)"),
    "c7_window_1g": (after_hello(test_start(window_size=1 << 30), ("window",)), r"window.*(range|invalid)"),
    "c7_dscp_256": (after_hello(test_start(dscp=256), ("dscp",)), r"dscp.*(range|invalid)"),
    "c7_congestion_path": (after_hello(test_start(congestion="../../etc"), ("congestion",)), r"congestion.*(range|invalid)"),
    "c7_congestion_long": (after_hello(test_start(congestion="x" * 10000), ("congestion",)), r"congestion.*(range|invalid)"),
    "c7_protocol_sctp": (after_hello(test_start(protocol="sctp"), ("protocol",)), r"protocol.*(range|invalid)"),
    # QUIC runs on single-port UDP: a client whose hello lacks it is told so, not crashed on.
    "c7_protocol_quic": (after_hello(test_start(protocol="quic"), ("quic", "single_port_udp_v1")),
                         r"quic: needs the single_port_udp_v1 capability"),
    "c8_test_start_before_hello": (raw_first_line(line(test_start())), r"unexpected|expected hello"),
    "c8_second_hello": (after_hello(HELLO), r"unexpected"),
    "c8_result_from_client": (after_hello({"type": "result", "id": "x", "bytes_total": 1, "duration_ms": 1,
                                           "throughput_mbps": 1.0, "streams": []}), r"unexpected"),
    "c8_unknown_type": (after_hello({"type": "bogus_message"}), r"unknown|unexpected|malformed"),
    "c8_cancel_before_start": (after_hello({"type": "cancel", "id": "x", "reason": "r"}), r"unexpected"),
    "c9_unknown_fields": (unknown_fields, None),
    "c10_version_2": (bad_version("2.0"), r"version"),
    "c10_version_empty": (bad_version(""), r"version"),
    "c10_version_1..1": (bad_version("1..1"), r"version"),
    "c10_version_x": (bad_version("x"), r"version"),
    "c10_version_1k": (bad_version("1." + "1" * 1024), r"version"),
    "c10_version_number": (bad_version(1.1), r"version"),
    "c10_version_missing": (bad_version(DROP), r"version"),
    "c12_pipeline": (pipeline, None),
    "n5_data_hello_unknown": (data_hello_unknown, r"unknown|test.?id|data_hello"),
    "f4_rst_after_hello": (rst_after_hello, None),
    "f4_rst_after_test_start": (close_after_test_start, None),
    # slow ones
    "c2_truncated_hold": (hold_then_closed(b'{"type":"hel'), r"timeout|timed out"),
    "n1_slowloris": (hold_then_closed(b"{", every=4.0, byte=b'"'), r"timeout|timed out"),
    "n2_idle_200": (idle_flood(200), None),
    "d1_deadline_batch": (deadline_batch(), r"timeout waiting for the first line"),
}

GROUPS = {
    "fast": [c for c in CASES if not c.startswith(("c2_", "n1_", "n2_", "d1_"))],
    "slow": ["c2_truncated_hold", "n1_slowloris", "n2_idle_200"],
    "deadline": ["d1_deadline_batch"],
}


# ------------------------------------------------------------------- UDP (3.3 N7/N8)
# Datagrams to the server's UDP port (single-port UDP shares the TCP port
# number). A stray must never be answered (no reflection, no amplification)
# and a hello must be acknowledged only with the right token and stream.

UDP_HELLO_CAPS = ["tcp", "udp", "multistream", "single_port_tcp", "single_port_udp_v1",
                  "udp_feedback_v1", "byte_budget_v1"]


def udp_hello(kind=1, stream=0, token=b"\0" * 16, version=1):
    return b"\0XFR" + bytes([version, kind]) + struct.pack(">H", stream) + token


def udp_feedback(stream=0, received=2 ** 64 - 1, lost=2 ** 63):
    return b"XFRF" + bytes([1, 1]) + struct.pack(">HHHQQQ", 0, stream, 0, 1000, received, lost)


def udp_data(seq, ts=0, size=64):
    return struct.pack(">QQ", seq, ts) + b"\xa5" * (size - 16)


def udp_socket(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.socket(fam, socket.SOCK_DGRAM)


def udp_replies(s, wait):
    """Datagrams that came back on s within wait s."""
    got = []
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return got
        s.settimeout(left)
        try:
            got.append(s.recv(65536))
        except socket.timeout:
            return got
        except OSError:  # ICMP error surfaced on a connected socket
            continue


def udp_no_reply(make_packets):
    """Send every datagram make_packets() gives; nothing may come back."""
    def run(h, port):
        s = udp_socket(h)
        try:
            pkts = make_packets()
            for p in pkts:
                s.sendto(p, (h, port))
            got = udp_replies(s, 0.4)
            if got:
                raise CaseError("server answered %d stray datagram(s), first %d bytes: %r"
                                % (len(got), len(got[0]), got[0][:32]))
            return "%d datagrams, no reply" % len(pkts)
        finally:
            s.close()
    return run


def rand_datagrams():
    rnd = random.Random(7)
    return [bytes(rnd.getrandbits(8) for _ in range(rnd.choice((1, 17, 24, 36, 100, 1400, 1472))))
            for _ in range(2000)]


def short_datagrams():
    return [b"", b"\0", b"\0XFR", b"XFRF", b"\x01" * 15, b"\0" * 16, b"\0XFR\x01\x01\0"]


def odd_hellos():
    tok = os.urandom(16)
    return ([udp_hello(token=os.urandom(16)) for _ in range(20)] +   # wrong token
            [udp_hello(kind=2, token=tok), udp_hello(kind=9, token=tok), udp_hello(version=2, token=tok),
             udp_hello(token=tok) + b"x", udp_hello(token=tok)[:23], udp_hello(stream=65535, token=tok)])


def feedback_packets():
    return [udp_feedback(stream=i % 3) for i in range(50)] + [udp_feedback()[:35], udp_feedback() + b"\0"]


def udp_session(h, port):
    """Our own UDP test on the control channel: the hello lane refuses a wrong
    token and a stream index beyond the test, acknowledges the right one (the
    positive control: the other cases do reach the hello lane), then the
    acknowledged flow gets hostile datagrams among valid ones; the test still
    ends with a result."""
    p = Peer(h, port)
    u = udp_socket(h)
    try:
        p.send(line(dict(HELLO, capabilities=UDP_HELLO_CAPS)))
        msg = p.readline(3)
        if not (isinstance(msg, dict) and msg.get("type") == "hello"):
            raise CaseError("no hello reply: %r" % (msg,))
        p.send(line(test_start(protocol="udp", duration_secs=2, bitrate=1000000)))
        ack = p.readline(3)
        if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
            raise CaseError("UDP test_start not acknowledged: %r" % (ack,))
        hexok = ack.get("udp_token")
        if not isinstance(hexok, str) or len(hexok) != 32:
            raise CaseError("test_ack without a 32-hex udp_token: %r" % (ack,))
        tok = bytes.fromhex(hexok)
        u.connect((h, port))
        bad = bytes([tok[0] ^ 1]) + tok[1:]
        for pkt, what in ((udp_hello(token=bad), "a wrong token"),
                          (udp_hello(stream=5, token=tok), "stream_index 5 of a 1-stream test"),
                          (udp_hello(kind=2, token=tok), "an ack-kind packet")):
            for _ in range(3):
                u.send(pkt)
            got = udp_replies(u, 0.3)
            if got:
                raise CaseError("server answered a hello with %s: %r" % (what, got[0][:24]))
        acked = None
        for _ in range(20):
            u.send(udp_hello(token=tok))
            got = [g for g in udp_replies(u, 0.1) if len(g) == 24]
            if got:
                acked = got[0]
                break
        if acked != udp_hello(kind=2, token=tok):
            raise CaseError("no valid ack to the right hello (got %r)" % (acked,))
        junk = [b"", b"\x00" * 8, b"\x01" * 15, udp_feedback(), udp_hello(token=tok),
                udp_data(2 ** 64 - 1), udp_data(5), udp_data(5), struct.pack(">QQ", 3, 2 ** 64 - 1)]
        seq = 0
        for i in range(200):
            u.send(udp_data(seq, ts=i * 1000))
            seq += 1
            if i % 20 == 10:
                for j in junk:
                    u.send(j)
            time.sleep(0.002)
        end = time.monotonic() + 8
        while time.monotonic() < end:
            msg = p.readline(max(0.05, end - time.monotonic()))
            if isinstance(msg, dict) and msg.get("type") == "result":
                st = msg.get("udp_stats") or {}
                return "ack ok; result after junk: received %s lost %s dup %s ooo %s" % (
                    st.get("packets_received"), st.get("lost"), st.get("duplicates"), st.get("out_of_order"))
            if msg is None and p.closed:
                break
        raise CaseError("no result for the UDP test that got hostile datagrams")
    finally:
        u.close()
        p.close()


CASES.update({
    "n7_udp_random": (udp_no_reply(rand_datagrams), None),
    "n7_udp_short": (udp_no_reply(short_datagrams), None),
    "n7_udp_hello_bad": (udp_no_reply(odd_hellos), None),
    "n8_udp_feedback": (udp_no_reply(feedback_packets), None),
    "n7_udp_session": (udp_session, None),
})
GROUPS["udp"] = ["n7_udp_random", "n7_udp_short", "n7_udp_hello_bad", "n8_udp_feedback", "n7_udp_session"]


# ------------------------------------------------------------------- limits (issue 9)
# Budgets a public server enforces (test_limits.sh starts the server with the
# options each case needs and runs the case by name; HOSTILE_* variables give
# the numbers). Every refusal must be an error line that says why, then close.

def envi(name, default):
    return int(os.environ.get(name, default))


def lim_busy_line(h, port):
    """HOSTILE_N idle connections; all but HOSTILE_LIMIT hear "server busy"
    and are closed at once; the rest stay open (HOSTILE_HOLD s)."""
    n, limit = envi("HOSTILE_N", 30), envi("HOSTILE_LIMIT", 8)
    socks = [Peer(h, port) for _ in range(n)]
    try:
        busy = 0
        time.sleep(0.5)
        for p in socks:
            msg = p.readline(0.05)
            if isinstance(msg, dict) and msg.get("type") == "error":
                if "server busy" not in str(msg.get("message")):
                    raise CaseError("refusal without 'server busy': %r" % (msg,))
                if not p.wait_close(1.0):
                    raise CaseError("busy error sent but connection left open")
                busy += 1
            elif msg is not None or p.closed:
                raise CaseError("connection closed without an error line (or %r)" % (msg,))
        if busy != n - limit:
            raise CaseError("%d of %d connections refused, want %d" % (busy, n, n - limit))
        time.sleep(envi("HOSTILE_HOLD", 0))
        return "%d refused with 'server busy', %d held" % (busy, n - busy)
    finally:
        for p in socks:
            p.close()


def lim_rate_limit(h, port):
    """HOSTILE_LIMIT+1 hellos from one address: the last is refused, naming the
    address; the others stay (HOSTILE_HOLD s)."""
    limit = envi("HOSTILE_LIMIT", 2)
    socks = []
    try:
        for _ in range(limit):
            p = Peer(h, port)
            socks.append(p)
            p.hello()
        p = Peer(h, port)
        socks.append(p)
        p.send(line(HELLO))
        detail = expect_error(p, ("server busy", "address"))
        time.sleep(envi("HOSTILE_HOLD", 0))
        return detail
    finally:
        for p in socks:
            p.close()


def data_conn(h, port, tid, idx=0):
    d = Peer(h, port)
    d.send(line({"type": "data_hello", "test_id": tid, "stream_index": idx}))
    return d


def lim_pause(h, port):
    """A 3 s test paused at once: the server ends it (error naming the pauses)
    within HOSTILE_WAIT s."""
    p = Peer(h, port, timeout=30)
    d = None
    try:
        p.hello()
        msg = test_start(duration_secs=3)
        p.send(line(msg))
        ack = p.readline(3)
        if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
            raise CaseError("no test_ack: %r" % (ack,))
        d = data_conn(h, port, msg["id"])
        time.sleep(0.3)
        p.send(line({"type": "pause", "id": msg["id"]}))
        t0 = time.monotonic()
        end = t0 + envi("HOSTILE_WAIT", 12)
        while time.monotonic() < end:
            m = p.readline(end - time.monotonic())
            if isinstance(m, dict) and m.get("type") == "error":
                if "pause" not in str(m.get("message")):
                    raise CaseError("error does not mention the pauses: %r" % (m,))
                if not p.wait_close(2):
                    raise CaseError("error sent but connection left open")
                return "ended %.1f s after the pause: %s" % (time.monotonic() - t0, m["message"][:80])
            if isinstance(m, dict) and m.get("type") == "result":
                raise CaseError("a paused test came to a result: %r" % (m,))
            if m is None and p.closed:
                raise CaseError("closed without an error after %.1f s" % (time.monotonic() - t0))
        raise CaseError("paused test still held after %d s" % envi("HOSTILE_WAIT", 12))
    finally:
        if d:
            d.close()
        p.close()


def legacy_start(h, port, streams, caps=("tcp", "multistream")):
    """hello without single_port_tcp, test_start: (peer, reply)."""
    p = Peer(h, port)
    p.send(line(dict(HELLO, capabilities=list(caps))))
    if not isinstance(p.readline(3), dict):
        raise CaseError("no hello reply")
    p.send(line(test_start(streams=streams, duration_secs=10)))
    return p, p.readline(3)


def lim_fd_fill(h, port):
    """Test starts of per-stream listeners (no single_port_tcp), of
    HOSTILE_STREAMS streams each (default five of 128): those the descriptors
    cannot take are refused with the reason, the others held (HOSTILE_HOLD s)."""
    socks, refused, acked = [], 0, 0
    sizes = [int(x) for x in os.environ.get("HOSTILE_STREAMS", "128,128,128,128,128").split(",")]
    try:
        for st in sizes:
            p, msg = legacy_start(h, port, st)
            socks.append(p)
            if isinstance(msg, dict) and msg.get("type") == "test_ack":
                acked += 1
            elif isinstance(msg, dict) and msg.get("type") == "error":
                if "file descriptors" not in str(msg.get("message")):
                    raise CaseError("refusal does not say why: %r" % (msg,))
                refused += 1
            else:
                raise CaseError("no test_ack or error for %d streams: %r" % (st, msg))
        if not refused:
            raise CaseError("every test start accepted (%d)" % acked)
        time.sleep(envi("HOSTILE_HOLD", 0))
        return "%d test starts held, %d refused for descriptors" % (acked, refused)
    finally:
        for p in socks:
            p.close()


def lim_rate_liar(h, port):
    """Asks for 1 Mbit/s, sends as fast as it can: the server ends the test."""
    p = Peer(h, port, timeout=10)
    d = None
    try:
        p.hello()
        msg = test_start(duration_secs=8, bitrate=1000000)
        p.send(line(msg))
        ack = p.readline(3)
        if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
            raise CaseError("no test_ack: %r" % (ack,))
        d = data_conn(h, port, msg["id"])
        d.s.setblocking(False)
        blob = b"\xa5" * 65536
        t0 = time.monotonic()
        while time.monotonic() - t0 < 6:
            try:
                d.s.send(blob)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                break
            p.s.setblocking(False)
            try:
                chunk = p.s.recv(65536)
                if not chunk:
                    break
                p.buf += chunk
            except BlockingIOError:
                pass
            p.s.setblocking(True)
            if b'"type":"error"' in p.buf:
                break
        p.s.setblocking(True)
        while True:
            m = p.readline(3)
            if isinstance(m, dict) and m.get("type") == "error":
                if "limit" not in str(m.get("message")):
                    raise CaseError("error does not name the limit: %r" % (m,))
                return "ended after %.1f s: %s" % (time.monotonic() - t0, m["message"][:80])
            if m is None or (isinstance(m, dict) and m.get("type") == "result"):
                raise CaseError("the test ran to %r" % (m,))
    finally:
        if d:
            d.close()
        p.close()


def lim_port_range(h, port):
    """HOSTILE_PORT_RANGE=LO-HI: an older client's per-stream ports come from
    the range; a test that would need more than are free is refused."""
    lo, hi = (int(x) for x in os.environ["HOSTILE_PORT_RANGE"].split("-"))
    p1, ack = legacy_start(h, port, 2)
    try:
        if not (isinstance(ack, dict) and ack.get("type") == "test_ack"):
            raise CaseError("no test_ack: %r" % (ack,))
        ports = ack.get("data_ports") or []
        if len(ports) != 2 or not all(lo <= x <= hi for x in ports):
            raise CaseError("data_ports %r not in %d-%d" % (ports, lo, hi))
        p2, msg = legacy_start(h, port, hi - lo + 1 - 1)
        try:
            if not (isinstance(msg, dict) and msg.get("type") == "error"
                    and "no free data port" in str(msg.get("message"))):
                raise CaseError("second test not refused for ports: %r" % (msg,))
            if not p2.wait_close(2):
                raise CaseError("refused but left open")
        finally:
            p2.close()
        return "ports %r; then: %s" % (ports, msg["message"][:60])
    finally:
        p1.close()


def d7_tcp_data_hello_udp(h, port):
    """A single-port UDP test: a TCP data_hello with its id does not become
    its stream (dropped, the test does not start); the UDP hello does."""
    p = Peer(h, port)
    u = udp_socket(h)
    d = None
    try:
        p.send(line(dict(HELLO, capabilities=UDP_HELLO_CAPS)))
        if not isinstance(p.readline(3), dict):
            raise CaseError("no hello reply")
        msg = test_start(protocol="udp", duration_secs=1, bitrate=1000000)
        p.send(line(msg))
        ack = p.readline(3)
        if not (isinstance(ack, dict) and ack.get("udp_token")):
            raise CaseError("no single-port UDP test_ack: %r" % (ack,))
        d = data_conn(h, port, msg["id"])
        if not d.wait_close(2):
            raise CaseError("the TCP data connection was kept for a UDP test")
        early = p.readline(1.0)
        if early is not None:
            raise CaseError("the test went on after a TCP data_hello: %r" % (early if isinstance(early, bytes) else early.get("type"),))
        tok = bytes.fromhex(ack["udp_token"])
        u.connect((h, port))
        for _ in range(20):
            u.send(udp_hello(token=tok))
            if [g for g in udp_replies(u, 0.1) if len(g) == 24]:
                break
        else:
            raise CaseError("no ack to the UDP hello after the TCP one was dropped")
        for i in range(50):
            u.send(udp_data(i, ts=i * 1000))
        end = time.monotonic() + 6
        while time.monotonic() < end:
            m = p.readline(end - time.monotonic())
            if isinstance(m, dict) and m.get("type") == "result":
                return "TCP data_hello dropped; the UDP stream ran to a result"
            if m is None and p.closed:
                break
        raise CaseError("no result once the UDP stream joined")
    finally:
        if d:
            d.close()
        u.close()
        p.close()


def d6_trickle(h, port):
    """HOSTILE_N (8) connections each hold a HOSTILE_HELD-byte (50 000)
    partial line, then add one byte per segment for HOSTILE_WAIT (3) s,
    staying under the line cap. The server's CPU time (measured by the
    caller) must not grow with the bytes held."""
    n, secs, held = envi("HOSTILE_N", 8), envi("HOSTILE_WAIT", 3), envi("HOSTILE_HELD", 50000)
    socks = []
    try:
        for _ in range(n):
            p = Peer(h, port, timeout=10)
            p.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            p.send(b'{"type":"hello","version":"1.1","x":"' + b"a" * held)
            socks.append(p)
        t0, sent = time.monotonic(), 0
        while time.monotonic() - t0 < secs and sent < 12000:
            for p in socks:
                if not p.send(b"a"):
                    raise CaseError("closed before the first-line deadline")
            sent += 1
            time.sleep(0.0003)
        return "%d one-byte segments on each of %d connections holding %d bytes" % (sent, n, held)
    finally:
        for p in socks:
            p.close()


CASES.update({
    "lim_busy_line": (lim_busy_line, r"server busy"),
    "lim_rate_limit": (lim_rate_limit, r"server busy.*address"),
    "lim_pause": (lim_pause, r"pauses"),
    "lim_fd_fill": (lim_fd_fill, r"file descriptors"),
    "lim_rate_liar": (lim_rate_liar, r"over this server's limit"),
    "lim_port_range": (lim_port_range, r"no free data port"),
    "d7_tcp_data_hello_udp": (d7_tcp_data_hello_udp, r"TCP data connection for a UDP test"),
    "d6_trickle": (d6_trickle, None),
})


# Routine lines of a healthy server that could match a keyword by accident.
NOISE = re.compile(r"connected \(|: test [0-9a-f-]{36}: ")


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path, off):
    try:
        with open(path, "rb") as f:
            f.seek(off)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_case(name, host, port, logpath, results, wait_log=True):
    fn, kw = CASES[name]
    off = log_size(logpath) if logpath else 0
    t0 = time.monotonic()
    try:
        detail = fn(host, port)
        ok = True
    except CaseError as e:
        ok, detail = False, str(e)
    except OSError as e:
        ok, detail = False, "socket error: %s" % e
    if ok and logpath and kw and wait_log:
        end = time.monotonic() + 1.0
        while True:
            new = log_since(logpath, off)
            hits = [l for l in new.splitlines() if re.search(kw, l, re.I) and not NOISE.search(l)]
            if hits or time.monotonic() > end:
                break
            time.sleep(0.05)
        if not hits:
            ok, detail = False, "no server log line matching /%s/ (new log: %r)" % (kw, new[-200:])
        else:
            detail += " | log: " + hits[0].strip()[:100]
    results.append((name, ok, detail, time.monotonic() - t0))


def main(argv):
    args = argv[1:]
    logpath, parallel = None, False
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--log":
            logpath = args.pop(0)
        elif opt == "--parallel":
            parallel = True
        else:
            print("unknown option " + opt, file=sys.stderr)
            return 2
    if len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, port = args[0], int(args[1])
    names = []
    for a in args[2:]:
        if a in GROUPS:
            names += GROUPS[a]
        elif a in CASES:
            names.append(a)
        else:
            print("unknown case " + a, file=sys.stderr)
            return 2
    results = []
    if parallel:
        # Concurrent cases cannot tell whose log line is whose: check the log
        # once at the end for one matching line per case keyword.
        off = log_size(logpath) if logpath else 0
        threads = [threading.Thread(target=run_case, args=(n, host, port, None, results)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if logpath:
            time.sleep(0.2)
            new = log_since(logpath, off)
            for i, (n, ok, d, el) in enumerate(results):
                kw = CASES[n][1]
                if ok and kw:
                    hits = [l for l in new.splitlines() if re.search(kw, l, re.I) and not NOISE.search(l)]
                    if not hits:
                        results[i] = (n, False, "no server log line matching /%s/" % kw, el)
    else:
        for n in names:
            run_case(n, host, port, logpath, results)
    bad = 0
    for n, ok, d, el in sorted(results, key=lambda r: names.index(r[0])):
        print("%s %s (%.2f s): %s" % ("ok" if ok else "FAIL", n, el, d))
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
