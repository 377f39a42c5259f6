#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A PSK peer written from the reference's source (xfr 0.9.25: src/auth.rs,
src/control_crypto.rs, the handshakes in src/client.rs and src/serve.rs), to
check xfr's protected control channel byte for byte from the other side.

    psk_peer.py client HOST PORT PSK CASE     against xfr serve --psk
    psk_peer.py serve PORT PSK CASE           one connection from xfr --psk

Client cases: ok (a whole 2 s TCP upload through the protected channel, data
connection with data_hello, the result read from a frame), wrong (wrong key:
"authentication failed" within 1 s), nocap (no protected_control_v1), nonce
(no client_nonce), replay (test_start sent twice with the same sequence
number), flip (one bit of test_start's ciphertext flipped), big (a 2 MiB
length prefix), plain (a plaintext test_start after auth_success), reorder
(test_start with sequence 1), silent (the challenge never answered: closed
after 5 s). Each bad case expects the server to end the
connection within 2 s, and an error (plaintext line before the switch, a
frame the server sealed after it).

Serve cases (the client must refuse): noauth (a hello without the challenge:
a downgrade), nocap (the challenge without protected_control_v1), noproof
(auth_success without server_proof), badproof (a proof over other bytes),
replay (a good session whose test_ack frame is sent twice).

Prints "ok CASE ..." or "FAIL CASE: why"; exit 0 or 1. Needs the
cryptography package (ChaCha20Poly1305); HMAC and HKDF use hmac/hashlib.
"""

import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time
import uuid

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

CAPS = ["tcp", "udp", "quic", "multistream", "single_port_tcp", "pause_resume",
        "udp_feedback_v1", "zerocopy_v1", "mtu_probe_v1", "single_port_udp_v1",
        "protected_control_v1", "byte_budget_v1"]


def ser(obj):
    """serde_json's compact form, fields in the order given."""
    return json.dumps(obj, separators=(",", ":"))


def nonce():
    return os.urandom(32).hex()


def response(psk, server_nonce):
    return hmac.new(psk, server_nonce.encode(), hashlib.sha256).hexdigest()


def hkdf(salt, ikm, info, n=32):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def keys(psk, cn, sn):
    salt = (cn + sn).encode()
    return (hkdf(salt, psk, b"xfr-protected-control-c2s"),
            hkdf(salt, psk, b"xfr-protected-control-s2c"),
            hkdf(salt, psk, b"xfr-protected-control-s2c-auth"))


def proof(kauth, client_hello, server_hello):
    return hmac.new(kauth, client_hello.encode() + server_hello.encode(),
                    hashlib.sha256).hexdigest()


class Codec:
    """ControlCodec: one direction's key and sequence number."""

    def __init__(self, key, direction):
        self.aead, self.dir, self.seq = ChaCha20Poly1305(key), direction, 0

    def _n(self, seq):
        return seq.to_bytes(8, "little") + b"\0" * 4, seq.to_bytes(8, "little") + bytes([self.dir])

    def seal(self, text, seq=None):
        seq = self.seq if seq is None else seq
        n, aad = self._n(seq)
        payload = seq.to_bytes(8, "little") + self.aead.encrypt(n, text.encode(), aad)
        self.seq = seq + 1
        return struct.pack(">I", len(payload)) + payload

    def open(self, payload):
        seq = int.from_bytes(payload[:8], "little")
        if seq != self.seq:
            raise ValueError("sequence mismatch: expected %d, got %d" % (self.seq, seq))
        n, aad = self._n(seq)
        pt = self.aead.decrypt(n, payload[8:], aad)
        self.seq += 1
        return pt.decode()


class Conn:
    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def _more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        while b"\n" not in self.buf:
            self._more()
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode().strip()

    def frame(self):
        while len(self.buf) < 4:
            self._more()
        n = struct.unpack(">I", self.buf[:4])[0]
        if n > 1 << 20:
            raise ValueError("frame too large")
        while len(self.buf) < 4 + n:
            self._more()
        f, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return f

    def send(self, b):
        self.s.sendall(b)


class Fail(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise Fail(why)


def test_start_msg(tid, secs=2):
    return ser({"type": "test_start", "id": tid, "protocol": "tcp", "streams": 1,
                "duration_secs": secs, "direction": "upload", "zerocopy": False,
                "mtu_probe": False, "tcp_nodelay": False})


def handshake(host, port, psk, case):
    """Hello, challenge, response, proof. Returns (conn, c2s, s2c) or a reply for the bad cases."""
    s = socket.create_connection((host, port), timeout=5)
    c = Conn(s)
    hello = {"type": "hello", "version": "1.1", "client": "xfr/0.9.25",
             "capabilities": [x for x in CAPS if case != "nocap" or x != "protected_control_v1"]}
    cn = nonce()
    if case != "nonce":
        hello["client_nonce"] = cn
    ch = ser(hello)
    c.send((ch + "\n").encode())
    sh = c.line()
    msg = json.loads(sh)
    if case in ("nocap", "nonce"):
        return c, msg, None
    if case == "silent":  # the challenge is never answered
        return c, None, None
    expect(msg.get("type") == "hello", "server sent %s, expected hello" % sh[:120])
    expect("protected_control_v1" in msg.get("capabilities", []), "no protected_control_v1")
    sn = msg.get("auth", {}).get("nonce", "")
    expect(msg["auth"]["method"] == "psk" and len(sn) == 64, "no challenge: %s" % sh[:160])
    key = psk if case != "wrong" else psk + b"x"
    t0 = time.monotonic()
    c.send((ser({"type": "auth_response", "response": response(key, sn)}) + "\n").encode())
    reply = json.loads(c.line())
    if case == "wrong":
        return c, reply, time.monotonic() - t0
    expect(reply.get("type") == "auth_success", "expected auth_success: %s" % reply)
    c2s, s2c, kauth = keys(psk, cn, sn)
    expect(hmac.compare_digest(reply.get("server_proof", ""), proof(kauth, ch, sh)),
           "server_proof does not verify")
    return c, Codec(c2s, 0), Codec(s2c, 1)


def ends_soon(c, codec, within=2.0):
    """The server closes within `within` s; returns what it said last (decrypted if it can)."""
    c.s.settimeout(within)
    said = ""
    try:
        while True:
            if codec:
                said = codec.open(c.frame())
            else:
                said = c.line()
    except (EOFError, ConnectionResetError):
        return said
    except socket.timeout:
        raise Fail("server still connected after %.1f s" % within)
    except ValueError as e:
        raise Fail("server sent a frame we cannot open: %s" % e)


def run_ok(host, port, psk, c, c2s, s2c):
    tid = str(uuid.uuid4())
    c.send(c2s.seal(test_start_msg(tid)))
    ack = json.loads(s2c.open(c.frame()))
    expect(ack.get("type") == "test_ack" and ack.get("id") == tid, "expected test_ack: %s" % ack)
    d = socket.create_connection((host, port), timeout=5)
    d.sendall((ser({"type": "data_hello", "test_id": tid, "stream_index": 0}) + "\n").encode())
    d.setblocking(False)
    chunk, sent, intervals = os.urandom(65536), 0, 0
    c.s.setblocking(False)
    deadline = time.monotonic() + 10
    result = None
    while time.monotonic() < deadline and result is None:
        try:
            sent += d.send(chunk)
        except (BlockingIOError, OSError):
            time.sleep(0.001)
        try:
            c._more()
        except BlockingIOError:
            continue
        while len(c.buf) >= 4 and len(c.buf) >= 4 + struct.unpack(">I", c.buf[:4])[0]:
            m = json.loads(s2c.open(c.frame()))
            if m["type"] == "interval":
                intervals += 1
            elif m["type"] == "result":
                result = m
            elif m["type"] == "error":
                raise Fail("server error: %s" % m.get("message"))
    d.close()
    expect(result is not None, "no result frame within 10 s")
    expect(result["bytes_total"] > 0, "result with no bytes")
    return "result %d bytes, %d interval frames, %d sent" % (result["bytes_total"], intervals, sent)


def client_case(host, port, psk, case):
    c, a, b = handshake(host, port, psk, case)
    if case == "ok":
        return run_ok(host, port, psk, c, a, b)
    if case == "wrong":
        expect(a.get("type") == "error" and "authentication failed" in a.get("message", "").lower(),
               "expected an authentication error: %s" % a)
        expect(b < 1.0, "refusal took %.2f s" % b)
        ends_soon(c, None)
        return "refused in %.3f s: %s" % (b, a["message"])
    if case == "silent":
        t0 = time.monotonic()
        said = ends_soon(c, None, 8)
        expect("timeout waiting for auth_response" in said, "expected the auth timeout: %r" % said)
        return "closed after %.1f s: %s" % (time.monotonic() - t0, json.loads(said)["message"])
    if case in ("nocap", "nonce"):
        expect(a.get("type") == "error", "expected an error line: %s" % a)
        ends_soon(c, None)
        return a["message"]
    c2s, s2c = a, b
    tid = str(uuid.uuid4())
    if case == "replay":
        f = c2s.seal(test_start_msg(tid))
        c.send(f)
        ack = json.loads(s2c.open(c.frame()))
        expect(ack["type"] == "test_ack", "expected test_ack: %s" % ack)
        c.send(f)
    elif case == "flip":
        f = bytearray(c2s.seal(test_start_msg(tid)))
        f[20] ^= 0x01
        c.send(bytes(f))
    elif case == "reorder":
        c.send(c2s.seal(test_start_msg(tid), seq=1))
    elif case == "big":
        c.send(struct.pack(">I", 2 << 20) + b"\0" * 64)
    elif case == "plain":
        c.send((test_start_msg(tid) + "\n").encode())
    said = ends_soon(c, s2c)
    expect(said and json.loads(said).get("type") == "error",
           "expected a sealed error before the close, got %r" % said[:100])
    return json.loads(said)["message"]


def serve_case(port, psk, case):
    ls = socket.socket(socket.AF_INET6 if ":" in os.environ.get("PEER_BIND", "") else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((os.environ.get("PEER_BIND", "0.0.0.0"), port))
    ls.listen(1)
    ls.settimeout(10)
    s, _ = ls.accept()
    c = Conn(s)
    ch = c.line()
    hello = json.loads(ch)
    cn = hello.get("client_nonce", "")
    sn = nonce()
    caps = [x for x in CAPS if case != "nocap" or x != "protected_control_v1"]
    srv = {"type": "hello", "version": "1.1", "server": "xfr/0.9.25", "capabilities": caps}
    if case != "noauth":
        srv["auth"] = {"method": "psk", "nonce": sn}
    sh = ser(srv)
    c.send((sh + "\n").encode())
    if case in ("noauth", "nocap"):
        ends_soon(c, None, 3)
        return "client hung up"
    r = json.loads(c.line())
    expect(hmac.compare_digest(r.get("response", ""), response(psk, sn)), "bad response")
    c2s, s2c, kauth = keys(psk, cn, sn)
    ok = {"type": "auth_success"}
    if case == "badproof":
        ok["server_proof"] = proof(kauth, ch, sh.replace("protected_control_v1", "x"))
    elif case != "noproof":
        ok["server_proof"] = proof(kauth, ch, sh)
    c.send((ser(ok) + "\n").encode())
    if case == "replay":
        rx, tx = Codec(c2s, 0), Codec(s2c, 1)
        ts = json.loads(rx.open(c.frame()))
        f = tx.seal(ser({"type": "test_ack", "id": ts["id"], "data_ports": []}))
        c.send(f + f)
    ends_soon(c, None, 3)
    return "client hung up"


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "client":
        _, _, host, port, psk, case = sys.argv
        run = lambda: client_case(host, int(port), psk.encode(), case)
    elif len(sys.argv) == 5 and sys.argv[1] == "serve":
        _, _, port, psk, case = sys.argv
        run = lambda: serve_case(int(port), psk.encode(), case)
    else:
        sys.exit(__doc__)
    try:
        print("ok %s %s" % (case, run()))
        return 0
    except (Fail, EOFError, OSError, ValueError, KeyError) as e:
        print("FAIL %s: %s" % (case, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
