#!/usr/bin/python3
"""Produce round trips on a raw socket: the broker's share of produce latency.

    tests/bench/produce_rtt.py HOST:PORT TOPIC RATE COUNT

Sends COUNT Produce v3 requests (acks=1, one 1 KiB record, partitions 0..15
in turn) at RATE per second on one connection, one at a time, and prints the
round-trip percentiles. No client library sits in between, so beside
gregor-raw-limits rtt (the machine's loopback floor) it shows what the broker
itself adds; the gap to gregor-producer-perf-test's figures is the client's.
The same batch is sent every time: the broker rewrites its BaseOffset, which
lies outside the CRC. The topic must exist with 16 partitions.
Uses kafka-python (python3-kafka) only to build that one batch.
"""
import socket
import struct
import sys
import time

from kafka.record.default_records import DefaultRecordBatchBuilder

if len(sys.argv) != 5:
    sys.exit(__doc__)
b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                              producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
b.append(0, timestamp=int(time.time()*1000), key=None, value=b"x"*1024, headers=[])
batch = bytes(b.build())
topic = sys.argv[2].encode(); rate = int(sys.argv[3]); n = int(sys.argv[4])


def req(corr, part):
    body = struct.pack(">h", -1)  # transactional id null
    body += struct.pack(">hi", 1, 30000)  # acks, timeout
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    body += struct.pack(">i", 1) + struct.pack(">i", part) + struct.pack(">i", len(batch)) + batch
    hdr = struct.pack(">hhih", 0, 3, corr, 2) + b"rp"
    p = hdr + body
    return struct.pack(">i", len(p)) + p

host, port = sys.argv[1].split(":")
s = socket.create_connection((host, int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
msgs = [req(i, i % 16) for i in range(64)]
lat = []
t0 = time.perf_counter()
for i in range(n):
    due = t0 + i / rate
    while time.perf_counter() < due:
        pass
    m = msgs[i % 64]
    st = time.perf_counter()
    s.sendall(m)
    hdr = s.recv(4, socket.MSG_WAITALL)
    ln = struct.unpack(">i", hdr)[0]
    s.recv(ln, socket.MSG_WAITALL)
    lat.append(time.perf_counter() - st)
lat.sort()


def f(q):
    return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000


print("produce round trips (raw socket, acks=1, 1 KiB): n %d p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms" % (n, f(.5), f(.99), f(.999), lat[-1]*1000))
