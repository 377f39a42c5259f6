# SPDX-License-Identifier: MIT
"""Wire pieces shared by the conformance peers (ref_server.py, ref_client.py).

Everything here is written from the reference xfr's source, lance0/xfr at
24e0db7 (v0.9.25): src/protocol.rs (message shapes, serde field order and
omissions), src/udp.rs (datagram layouts, PacketTracker, RFC 3550 jitter,
pacing), src/tcp.rs (128 KiB buffers, 200 ms uncounted drain after cancel),
src/stats.rs (interval and result arithmetic). Python dicts keep insertion
order, so building each message in the Rust struct's field order reproduces
serde's output byte for byte; optional fields are only added when set.
"""

import json
import os
import socket
import struct
import time

VERSION = "1.1"
PEER_NAME = "xfr/0.9.25"
CAPABILITIES = ["tcp", "udp", "quic", "multistream", "single_port_tcp", "pause_resume",
                "udp_feedback_v1", "zerocopy_v1", "mtu_probe_v1", "single_port_udp_v1",
                "protected_control_v1", "byte_budget_v1"]

TCP_BUF = 128 * 1024                  # tcp.rs: 128 KiB application buffer
UDP_PAYLOAD_SIZE = 1400               # udp.rs UDP_PAYLOAD_SIZE (whole datagram)
UDP_HEADER_SIZE = 16                  # seq u64 BE + timestamp_us u64 BE
HIGH_PPS_THRESHOLD = 100_000          # udp.rs: bursts of 100 above this
DRAIN_GRACE = 0.2                     # tcp.rs RECEIVE_CANCEL_DRAIN_GRACE
HELLO_MAGIC = b"\x00XFR"              # single-port UDP hello/ack, 24 bytes
FEEDBACK_MAGIC = b"XFRF"              # udp_feedback_v1, 36 bytes


def line(obj):
    """One control message: compact JSON (serde_json) + newline."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


class LineReader:
    """Newline-delimited JSON off a socket, capped at 64 KiB a line."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read(self, timeout=None):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            if len(self.buf) > 65536:
                raise ValueError("control line exceeds 64 KiB")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("control connection closed")
            self.buf += chunk
        raw, _, self.buf = self.buf.partition(b"\n")
        return json.loads(raw)


def read_first_line(sock, timeout=5.0):
    """serve.rs reads the first line of a connection one byte at a time so
    that no data after a data_hello is swallowed."""
    sock.settimeout(timeout)
    out = b""
    while len(out) < 65536:
        b = sock.recv(1)
        if not b:
            raise EOFError("closed before the first line")
        if b == b"\n":
            return json.loads(out)
        out += b
    raise ValueError("first line exceeds 64 KiB")


def tcp_info(sock):
    """TcpInfoSnapshot from getsockopt(TCP_INFO) (tcp_info.rs): retransmits
    = tcpi_total_retrans, rtt_us, rtt_var_us, cwnd in segments, bytes_acked."""
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    except OSError:
        return None
    if len(raw) < 128:
        return None
    rtt, rttvar = struct.unpack_from("=II", raw, 68)
    cwnd, = struct.unpack_from("=I", raw, 80)
    total_retrans, = struct.unpack_from("=I", raw, 100)
    acked, = struct.unpack_from("=Q", raw, 120)
    return {"retransmits": total_retrans, "rtt_us": rtt, "rtt_var_us": rttvar,
            "cwnd": cwnd, "bytes_acked": acked}


def mbps(nbytes, ms):
    return nbytes * 8.0 / (ms / 1000.0) / 1e6 if ms > 0 else 0.0


class Stream:
    """StreamStats (stats.rs): cumulative counters plus the interval
    baselines record_interval() advances."""

    def __init__(self, sid):
        self.id = sid
        self.sent = 0
        self.received = 0
        self.last_total = 0
        self.last_sent = 0
        self.last_recv = 0
        self.last_ts = None
        self.sock = None             # TCP socket polled for TCP_INFO
        self.final_info = None
        self.last_retrans = 0
        self.retrans_total = 0
        self.tracker = None          # UDP receive side
        self.udp_stats = None
        self.packets = 0             # UDP datagrams sent

    def total(self):
        return self.sent + self.received

    def record(self, start):
        """stats.rs record_interval: deltas since the previous call, rate
        over the time since the previous record (or since start)."""
        now = time.monotonic()
        total = self.total()
        d = total - self.last_total
        self.last_total = total
        ds, dr = self.sent - self.last_sent, self.received - self.last_recv
        self.last_sent, self.last_recv = self.sent, self.received
        span = now - (self.last_ts if self.last_ts is not None else start)
        self.last_ts = now
        info = tcp_info(self.sock) if self.sock is not None else None
        rtx = 0
        if info:
            rtx = max(0, info["retransmits"] - self.last_retrans)
            self.last_retrans = info["retransmits"]
            self.retrans_total += rtx
        tr = self.tracker
        lost = 0
        if tr is not None:
            lost = tr.lost - tr.last_lost
            tr.last_lost = tr.lost
        return {"bytes": d, "mbps": d * 8.0 / (span * 1e6) if span > 0 else 0.0, "rtx": rtx,
                "jitter": tr.jitter_ms() if tr else 0.0, "lost": lost,
                "rtt": info["rtt_us"] if info else None, "cwnd": info["cwnd"] if info else None,
                "sent": ds, "recv": dr,
                "cum_rx": tr.received if tr else 0, "cum_lost": tr.lost if tr else 0}

    def to_interval(self, iv):
        """StreamInterval: retransmits always Some, jitter/lost only when
        non-zero, rtt/cwnd only when TCP_INFO was read."""
        out = {"id": self.id, "bytes": iv["bytes"], "retransmits": iv["rtx"]}
        if iv["jitter"] > 0:
            out["jitter_ms"] = iv["jitter"]
        if iv["lost"] > 0:
            out["lost"] = iv["lost"]
        if iv["rtt"] is not None:
            out["rtt_us"] = iv["rtt"]
        if iv["cwnd"] is not None:
            out["cwnd"] = iv["cwnd"]
        return out

    def to_result(self, duration_ms):
        rtx = max(self.final_info["retransmits"] if self.final_info else 0, self.retrans_total)
        return {"id": self.id, "bytes": self.total(),
                "throughput_mbps": mbps(self.total(), duration_ms), "retransmits": rtx}


def aggregate(ivs, bidir):
    """stats.rs to_aggregate_with_direction (server view flipped for bidir)."""
    total = sum(i["bytes"] for i in ivs)
    tput = sum(i["mbps"] for i in ivs)
    out = {"bytes": total, "throughput_mbps": tput,
           "retransmits": sum(i["rtx"] for i in ivs)}
    jit = [i["jitter"] for i in ivs if i["jitter"] > 0]
    if jit:
        out["jitter_ms"] = sum(jit) / len(jit)
    lost = sum(i["lost"] for i in ivs)
    if lost:
        out["lost"] = lost
    crx, clost = sum(i["cum_rx"] for i in ivs), sum(i["cum_lost"] for i in ivs)
    if crx or clost:
        out["udp_progress"] = {"packets_received": crx, "packets_lost": clost}
    rtts = [i["rtt"] for i in ivs if i["rtt"] is not None]
    if rtts:
        out["rtt_us"] = round(sum(rtts) / len(rtts))
    cw = [i["cwnd"] for i in ivs if i["cwnd"] is not None]
    if cw:
        out["cwnd"] = sum(cw)
    if bidir:
        csent, crecv = sum(i["recv"] for i in ivs), sum(i["sent"] for i in ivs)
        out["bytes_sent"] = csent
        out["bytes_received"] = crecv
        out["throughput_send_mbps"] = tput * csent / total if total else 0.0
        out["throughput_recv_mbps"] = tput * crecv / total if total else 0.0
    return out


def final_tcp_info(streams):
    """stats.rs final_local_tcp_info: mean rtt/rttvar, summed rtx/cwnd/acked."""
    infos = [s.final_info for s in streams if s.final_info]
    if not infos:
        return None
    n = len(infos)
    return {"retransmits": sum(i["retransmits"] for i in infos),
            "rtt_us": round(sum(i["rtt_us"] for i in infos) / n),
            "rtt_var_us": round(sum(i["rtt_var_us"] for i in infos) / n),
            "cwnd": sum(i["cwnd"] for i in infos),
            "bytes_acked": sum(i["bytes_acked"] for i in infos)}


# ---------------------------------------------------------------- UDP

class Tracker:
    """udp.rs PacketTracker + JitterCalculator: seq > expected counts the gap
    as lost; seq < expected is out of order (loss not decremented); RFC 3550
    J += (|D| - J) / 16 from send timestamps and local receive times (us)."""

    def __init__(self):
        self.expected = 0
        self.received = 0
        self.lost = 0
        self.last_lost = 0
        self.ooo = 0
        self.jitter_us = 0.0
        self.jitter_max_us = 0.0
        self.prev = None
        self.t0 = time.monotonic()

    def add(self, seq, ts_us):
        self.received += 1
        if seq > self.expected:
            self.lost += seq - self.expected
            self.expected = seq + 1
        elif seq < self.expected:
            self.ooo += 1
        else:
            self.expected = seq + 1
        now_us = (time.monotonic() - self.t0) * 1e6
        if self.prev is not None:
            d = (now_us - self.prev[1]) - (ts_us - self.prev[0])
            self.jitter_us += (abs(d) - self.jitter_us) / 16.0
            self.jitter_max_us = max(self.jitter_max_us, self.jitter_us)
        self.prev = (ts_us, now_us)

    def jitter_ms(self):
        return self.jitter_us / 1000.0

    def stats(self):
        """receive_udp's UdpStats: packets_sent = received + lost."""
        sent = self.received + self.lost
        return {"packets_sent": sent, "packets_received": self.received, "lost": self.lost,
                "lost_percent": self.lost / sent * 100.0 if sent else 0.0,
                "jitter_ms": self.jitter_ms(), "out_of_order": self.ooo,
                "jitter_max_ms": self.jitter_max_us / 1000.0, "packet_size": UDP_PAYLOAD_SIZE}


def aggregate_udp(stats):
    """stats.rs aggregate_udp_stats: sums, mean jitter, max of maxima."""
    if not stats:
        return None
    t = {"packets_sent": 0, "packets_received": 0, "lost": 0, "lost_percent": 0.0,
         "jitter_ms": 0.0, "out_of_order": 0}
    for s in stats:
        for k in ("packets_sent", "packets_received", "lost", "out_of_order"):
            t[k] += s[k]
        t["jitter_ms"] += s["jitter_ms"]
    t["jitter_ms"] /= len(stats)
    t["jitter_max_ms"] = max(s["jitter_max_ms"] for s in stats)
    t["packet_size"] = stats[0]["packet_size"]
    if t["packets_sent"]:
        t["lost_percent"] = t["lost"] / t["packets_sent"] * 100.0
    return t


def udp_hello(kind, index, token):
    return HELLO_MAGIC + struct.pack(">BBH", 1, kind, index) + token


def parse_udp_hello(pkt):
    if len(pkt) != 24 or pkt[:4] != HELLO_MAGIC or pkt[4] != 1:
        return None
    return pkt[5], struct.unpack(">H", pkt[6:8])[0], pkt[8:24]


def feedback(sid, elapsed_ms, rx, lost):
    return FEEDBACK_MAGIC + struct.pack(">BBHHHQQQ", 1, 1, 0, sid, 0, elapsed_ms, rx, lost)


def udp_receive(sock, st, stop, feedback_on=False):
    """udp.rs receive_udp on a connected or bound socket until stop is set.
    Returns the stream's UdpStats. Feedback (XFRF, 2 Hz) when asked."""
    tr = st.tracker = Tracker()
    sock.settimeout(0.05)
    next_fb = time.monotonic() + 0.5
    start = time.monotonic()
    while not stop.is_set():
        if feedback_on and time.monotonic() >= next_fb:
            next_fb += 0.5
            try:
                sock.send(feedback(st.id, int((time.monotonic() - start) * 1000),
                                   tr.received, tr.lost))
            except OSError:
                pass
        try:
            pkt = sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            continue
        except OSError:
            break
        if len(pkt) == 36 and pkt[:4] == FEEDBACK_MAGIC:
            continue
        if len(pkt) == 24 and pkt[:4] == HELLO_MAGIC:
            continue
        if len(pkt) < UDP_HEADER_SIZE:
            continue
        seq, ts = struct.unpack_from(">QQ", pkt, 0)
        tr.add(seq, ts)
        st.received += len(pkt)
    st.udp_stats = tr.stats()
    return st.udp_stats


def udp_send(sock, st, rate, stop, deadline=None, budget=None, dest=None):
    """udp.rs send_udp_paced: 1400-byte datagrams at rate bit/s (0 =
    unlimited), one per tick or 100 per tick above 100 kpps; missed ticks are
    skipped. budget: bytes this stream may send (last datagram short)."""
    payload = bytearray(os.urandom(UDP_PAYLOAD_SIZE))
    pps = rate / (UDP_PAYLOAD_SIZE * 8) if rate else 0
    per_tick = 100 if pps > HIGH_PPS_THRESHOLD else 1
    tick = per_tick / pps if pps else 0
    t0 = time.monotonic()
    nxt = t0
    seq = 0
    while not stop.is_set():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            break
        if tick:
            if now < nxt:
                time.sleep(min(nxt - now, 0.05))
                continue
            while nxt <= now:
                nxt += tick
        for _ in range(per_tick):
            size = UDP_PAYLOAD_SIZE
            if budget is not None:
                left = budget - st.sent
                if left <= 0:
                    return seq
                size = max(UDP_HEADER_SIZE, min(size, left))
            struct.pack_into(">QQ", payload, 0, seq, int((time.monotonic() - t0) * 1e6))
            try:
                n = sock.sendto(payload[:size], dest) if dest else sock.send(payload[:size])
            except (BlockingIOError, ConnectionRefusedError):
                continue
            except OSError:
                return seq
            seq += 1
            st.packets = seq
            st.sent += n
    return seq


# ---------------------------------------------------------------- TCP

def tcp_receive(sock, st, stop):
    """tcp.rs receive loop: count until stop, then drain_after_cancel for
    200 ms without counting, then close."""
    sock.settimeout(0.05)
    buf = bytearray(TCP_BUF)
    while not stop.is_set():
        try:
            n = sock.recv_into(buf)
        except socket.timeout:
            continue
        except OSError:
            break
        if n == 0:
            break
        st.received += n
    end = time.monotonic() + DRAIN_GRACE
    while time.monotonic() < end:
        try:
            sock.settimeout(max(0.001, end - time.monotonic()))
            if sock.recv_into(buf) == 0:
                break
        except (socket.timeout, OSError):
            break


def tcp_send(sock, st, stop, deadline=None, budget=None, pre=0):
    """tcp.rs send loop: 128 KiB writes until stop/deadline; a budget run
    ends with a graceful shutdown, a timed one abortively (SO_LINGER 0)
    after clamping the count to tcpi_bytes_acked (issue #54). pre: bytes
    written on the socket before the data (a data_hello line)."""
    data = os.urandom(TCP_BUF)
    sock.settimeout(0.05)
    while not stop.is_set():
        if deadline is not None and time.monotonic() >= deadline:
            break
        n = TCP_BUF
        if budget is not None:
            n = min(n, budget - st.sent)
            if n <= 0:
                break
        try:
            st.sent += sock.send(data[:n])
        except socket.timeout:
            continue
        except OSError:
            break
    info = tcp_info(sock)
    st.final_info = info
    if budget is not None:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return
    acked = info["bytes_acked"] - 1 - pre if info else 0  # the SYN counts as one
    if info and 0 <= acked < st.sent:
        st.sent = acked
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
