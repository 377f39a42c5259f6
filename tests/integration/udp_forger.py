#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A third party on the path of a PSK session (test_psk.sh, test_psk_forged_udp).

  udp_forger.py sniff IFACE PORT OUT SECONDS
      On-path: the first single-port hello ("\\0XFR", 24 or 40 bytes) sent to
      UDP PORT seen on IFACE, written to OUT as hex (OUT.ready appears once it
      listens). Exit 1 if none came.
  udp_forger.py feedback SRC SPORT DST DPORT STREAM SECONDS
      XFRF receiver progress claiming that nearly everything was lost, as the
      36 bytes of the reference and as 52 bytes with a made-up tag, every 10 ms.
  udp_forger.py hello SRC SPORT DST DPORT HELLOHEX STREAM SECONDS
      Hellos for STREAM with the token of the stolen hello HELLOHEX: the plain
      24 bytes, 40 with the stolen tag (wrong for STREAM), and the stolen hello
      itself replayed as it is, every 20 ms.
  udp_forger.py ack SRC SPORT DST DPORT HELLOHEX STREAM SECONDS
      Acks for STREAM with the stolen token: 24 bytes and 40 with a made-up tag.

SRC is somebody else's address (the server's or the client's): the socket is
IP_TRANSPARENT, so the datagrams leave with it as their source. They carry
TTL 100, which lets nft tell them from the real peers' (TTL 64) on arrival.
Prints what it sent on stdout.
"""
import os
import socket
import struct
import sys
import time

IP_TRANSPARENT = 19
ETH_P_ALL = 3
FORGED_TTL = 100


def sniff(iface, port, out, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    open(out + ".ready", "w").close()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            frame = s.recv(65535)
        except socket.timeout:
            break
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        payload = udp[8:struct.unpack("!H", udp[4:6])[0]]
        if (struct.unpack("!H", udp[2:4])[0] == port and len(payload) in (24, 40)
                and payload[:4] == b"\0XFR" and payload[5] == 1):
            with open(out, "w") as f:
                f.write(payload.hex() + "\n")
            print("stole a %d-byte hello of stream %d" % (len(payload), payload[7]))
            return 0
    print("no hello seen on %s" % iface)
    return 1


def sender(src, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, FORGED_TTL)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    return s


def xfrf(stream, elapsed_ms):
    """Receiver progress: 10 received, 10 million lost."""
    return b"XFRF" + struct.pack("!BBHHHQQQ", 1, 1, 0, stream, 0, elapsed_ms, 10, 10000000)


def hello(kind, stream, token):
    return b"\0XFR" + struct.pack("!BBH", 1, kind, stream) + token


def flood(s, dst, packets, seconds, every):
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for p in packets():
            try:
                s.sendto(p, dst)
                sent += 1
            except OSError:  # ICMP unreachable from an earlier one: go on
                pass
        time.sleep(every)
    return sent


def main(argv):
    if len(argv) == 6 and argv[1] == "sniff":
        return sniff(argv[2], int(argv[3]), argv[4], float(argv[5]))
    if len(argv) < 8:
        print(__doc__, file=sys.stderr)
        return 2
    mode, src, sport, dst, dport = argv[1], argv[2], int(argv[3]), argv[4], int(argv[5])
    s = sender(src, sport)
    if mode == "feedback" and len(argv) == 8:
        stream, seconds = int(argv[6]), float(argv[7])
        t0 = time.monotonic()

        def packets():
            fb = xfrf(stream, int((time.monotonic() - t0) * 1000) + 500)
            return [fb, fb + os.urandom(16)]
        n = flood(s, (dst, dport), packets, seconds, 0.01)
    elif mode in ("hello", "ack") and len(argv) == 9:
        stolen = bytes.fromhex(argv[6])
        stream, seconds = int(argv[7]), float(argv[8])
        token, tag = stolen[8:24], stolen[24:40] or os.urandom(16)
        if mode == "hello":
            forged = [hello(1, stream, token), hello(1, stream, token) + tag, stolen]
        else:
            forged = [hello(2, stream, token), hello(2, stream, token) + os.urandom(16)]
        n = flood(s, (dst, dport), lambda: forged, seconds, 0.02)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print("sent %d forged %s datagrams from %s:%d to %s:%d" % (n, mode, src, sport, dst, dport))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
