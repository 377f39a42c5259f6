#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A hostile xfr server for client tests (bad-input catalogue 3.5 T1-T3).

    hostile_server.py PORT MODE

Speaks enough of protocol 1.1 to get a client to run a TCP test on one port
(single_port_tcp: the data connection says data_hello on the same port), then
misbehaves as MODE says:

  flood    sends 3 000 interval messages at once, each with 128 streams the
           client never asked for (~60 MB of lines), then a normal result
  inject   answers with a version, engine note, error-free result and
           --get-server-output text full of terminal escapes: ESC sequences,
           C1 controls (U+009B CSI, U+009D OSC), a bidi override (U+202E)

Serves one test, then exits. Sockets only, no dependencies.
"""

import json
import socket
import sys
import threading

EVIL = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u009d0;title\u009c\u202ereversed"
# C0 controls never pass the client's decoder in a string field; C1 and bidi do
EVIL_UTF8 = "\u009b31m\u009d0;title\u009c\u202ereversed"


def line(obj):
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def readline(conn, buf):
    while b"\n" not in buf[0]:
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError
        buf[0] += chunk
    raw, _, buf[0] = buf[0].partition(b"\n")
    return json.loads(raw)


def drain(conn):
    try:
        while conn.recv(1 << 20):
            pass
    except OSError:
        pass


def stream(i, bytes_):
    return {"id": i, "bytes": bytes_, "throughput_mbps": 1.0, "retransmits": 0}


def interval(test_id, k, nstreams):
    streams = [stream(i, 1000) for i in range(nstreams)]
    return {"type": "interval", "id": test_id, "elapsed_ms": 100 * k, "streams": streams,
            "aggregate": {"bytes": 1000 * nstreams, "throughput_mbps": 1.0}}


def result(test_id, server_output=None):
    msg = {"type": "result", "id": test_id, "bytes_total": 1000, "duration_ms": 2000,
           "throughput_mbps": 0.004, "streams": [stream(0, 1000)]}
    if server_output is not None:
        msg["server_output"] = server_output
    return msg


def serve(port, mode):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    ctrl, _ = ls.accept()
    buf = [b""]
    readline(ctrl, buf)  # hello
    version = "xfr/0.1.0" if mode == "flood" else "evil" + EVIL_UTF8
    ctrl.sendall(line({"type": "hello", "version": "1.1", "server": version,
                       "capabilities": ["tcp", "udp", "multistream", "single_port_tcp",
                                        "byte_budget_v1", "server_output_v1", "interval_ms_v1",
                                        "xdp_v1"]}))
    start = readline(ctrl, buf)
    tid = start["id"]
    ack = {"type": "test_ack", "id": tid, "data_ports": [], "engine": "socket"}
    if mode == "inject":
        ack["engine_note"] = "note" + EVIL_UTF8
    ctrl.sendall(line(ack))
    data, _ = ls.accept()
    dbuf = [b""]
    readline(data, dbuf)  # data_hello
    threading.Thread(target=drain, args=(data,), daemon=True).start()
    if mode == "flood":
        for k in range(1, 3001):
            ctrl.sendall(line(interval(tid, k, 128)))
        ctrl.sendall(line(result(tid)))
    else:
        ctrl.sendall(line(interval(tid, 1, 1)))
        ctrl.sendall(line(result(tid, {"note": EVIL, "version": "x" + EVIL})))
    ctrl.settimeout(10)
    try:
        while ctrl.recv(65536):
            pass
    except OSError:
        pass
    data.close()
    ctrl.close()
    ls.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("flood", "inject"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    serve(int(sys.argv[1]), sys.argv[2])
