#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile QUIC peers for xfr serve (issue 12, item 5).

    hostile_quic.py SERVER_STDERR HOST PORT CASE...

Each case starts a -Q test on a TCP control channel (the per-stream layout of
xfr clients before the reference layout, still served), opens its stream with the
single-port UDP hello/ack (the socket the server then runs QUIC on), and
misbehaves there: silence, or datagrams that are not QUIC. The server must
close the test with an error or a result within its 10 s handshake timeout
(bound: 15 s), say why in one log line, and stay up. Prints "ok CASE ..." or
"FAIL CASE: why" per case; exits 1 if any failed.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import (HELLO, UDP_HELLO_CAPS, CaseError, Peer, line, test_start,  # noqa: E402
                     udp_hello, udp_replies, udp_socket)

QUIC_CAPS = UDP_HELLO_CAPS + ["quic"]
BOUND = 15.0


def quic_stream(h, port):
    """A -Q test through test_ack and the stream's hello/ack: (peer, udp socket)."""
    p = Peer(h, port)
    p.send(line(dict(HELLO, capabilities=QUIC_CAPS)))
    msg = p.readline(3)
    if not (isinstance(msg, dict) and msg.get("type") == "hello"):
        raise CaseError("no hello reply: %r" % (msg,))
    if "quic" not in msg.get("capabilities", []):
        raise CaseError("server does not offer quic: %r" % (msg,))
    p.send(line(test_start(protocol="quic", duration_secs=30)))
    ack = p.readline(3)
    if not (isinstance(ack, dict) and ack.get("type") == "test_ack" and ack.get("udp_token")):
        raise CaseError("QUIC test_start not acknowledged with a token: %r" % (ack,))
    tok = bytes.fromhex(ack["udp_token"])
    u = udp_socket(h)
    u.connect((h, port))
    for _ in range(20):
        u.send(udp_hello(token=tok))
        if [g for g in udp_replies(u, 0.1) if len(g) == 24]:
            return p, u
    raise CaseError("no ack to the stream's hello")


def ends(p, t0):
    """The server's last word on the control channel within BOUND."""
    while time.monotonic() - t0 < BOUND:
        msg = p.readline(max(0.05, BOUND - (time.monotonic() - t0)))
        if isinstance(msg, dict) and msg.get("type") in ("error", "result"):
            return "%s after %.1f s" % (msg.get("type"), time.monotonic() - t0)
        if msg is None and p.closed:
            return "close after %.1f s" % (time.monotonic() - t0)
    raise CaseError("the test was still open %.0f s after the stream opened" % BOUND)


def silent(h, port):
    """The stream is opened and then nothing: no Initial ever comes."""
    p, u = quic_stream(h, port)
    try:
        return ends(p, time.monotonic())
    finally:
        u.close()
        p.close()


def garbage(h, port):
    """Datagrams shaped like QUIC (long and short headers) but not QUIC, and
    Initials with lying lengths; none may be answered with more than a
    Version Negotiation, and the test still ends."""
    p, u = quic_stream(h, port)
    rnd = random.Random(12)
    try:
        t0 = time.monotonic()
        for i in range(400):
            first = rnd.choice([0xc0, 0xc3, 0xf0, 0x40, 0x5f, 0x80]) | rnd.randrange(16)
            body = bytes(rnd.randrange(256) for _ in range(rnd.choice([1, 5, 20, 1199, 1200, 1400])))
            if i % 50 == 0:  # an Initial of version 1 with a length past the datagram
                body = b"\x00\x00\x00\x01\x08" + bytes(8) + b"\x00\x00\x7f\xff" + body
            u.send(bytes([first]) + body)
        return "400 datagrams; " + ends(p, t0)
    finally:
        u.close()
        p.close()


CASES = {"q_silent": (silent, "no QUIC handshake"), "q_garbage": (garbage, "no QUIC handshake")}


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    log, host, port = argv[1], argv[2], int(argv[3])
    bad = 0
    for name in argv[4:]:
        fn, kw = CASES[name]
        off = os.path.getsize(log)
        t0 = time.monotonic()
        try:
            what = fn(host, port)
            time.sleep(0.3)
            with open(log, errors="replace") as f:
                f.seek(off)
                if kw not in f.read():
                    raise CaseError("no server log line with %r" % kw)
            print("ok %s (%.2f s): %s" % (name, time.monotonic() - t0, what))
        except (CaseError, OSError) as e:
            print("FAIL %s (%.2f s): %s" % (name, time.monotonic() - t0, e))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
