#!/usr/bin/python3
"""W6 without a client library: many connections, each producing at a pace.

    tests/bench/produce_many.py HOST:PORT TOPIC CONNECTIONS RATE_EACH SECONDS

Opens CONNECTIONS sockets; each sends one Produce v3 request (acks=1, one
1 KiB record, partitions 0..15 in turn) every 1/RATE_EACH seconds, on a
shared absolute schedule, and times each answer. One thread drives them all
with non-blocking sockets, so its own delays are included in the figures
(they overstate the broker's share, never understate it). Prints how many
requests were answered out of how many were sent, and the percentiles.
Uses kafka-python (python3-kafka) only to build one valid batch; the broker
rewrites its BaseOffset, which lies outside the CRC, so it is reused.
"""
import heapq
import selectors
import socket
import struct
import sys
import time

from kafka.record.default_records import DefaultRecordBatchBuilder

if len(sys.argv) != 6:
    sys.exit(__doc__)
host, port = sys.argv[1].split(":")
topic = sys.argv[2].encode()
nconn, rate, secs = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                              producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
b.append(0, timestamp=int(time.time() * 1000), key=None, value=b"x" * 1024, headers=[])
batch = bytes(b.build())


def request(corr, part):
    body = struct.pack(">h", -1) + struct.pack(">hi", 1, 30000)
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
    body += struct.pack(">ii", 1, part) + struct.pack(">i", len(batch)) + batch
    p = struct.pack(">hhih", 0, 3, corr, 2) + b"pm" + body
    return struct.pack(">i", len(p)) + p


msgs = [request(i, i % 16) for i in range(16)]
sel = selectors.DefaultSelector()
conns = []
for i in range(nconn):
    s = socket.create_connection((host, int(port)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    c = {"s": s, "buf": b"", "sent": [], "i": i}
    conns.append(c)
    sel.register(s, selectors.EVENT_READ, c)
lat, sent = [], 0
t0 = time.perf_counter() + 0.2
period = 1.0 / rate
# Connection i sends at t0 + i*period/nconn + k*period: spread evenly.
nxt = [(t0 + i * period / nconn, i) for i in range(nconn)]
heapq.heapify(nxt)
end = t0 + secs
while True:
    now = time.perf_counter()
    while nxt and nxt[0][0] <= now:
        due, i = heapq.heappop(nxt)
        c = conns[i]
        c["s"].sendall(msgs[sent % 16])  # 1.1 KiB: fits the socket buffer
        c["sent"].append(time.perf_counter())
        sent += 1
        if due + period < end:
            heapq.heappush(nxt, (due + period, i))
    if not nxt and all(not c["sent"] for c in conns):
        break
    timeout = max(0.0, (nxt[0][0] - time.perf_counter())) if nxt else 0.05
    for key, _ in sel.select(timeout):
        c = key.data
        c["buf"] += c["s"].recv(65536)
        while len(c["buf"]) >= 4:
            n = struct.unpack(">i", c["buf"][:4])[0]
            if len(c["buf"]) < 4 + n:
                break
            c["buf"] = c["buf"][4 + n:]
            lat.append(time.perf_counter() - c["sent"].pop(0))
    if time.perf_counter() > end + 10:
        break
lat.sort()


def q(x):
    return lat[min(len(lat) - 1, int(len(lat) * x))] * 1000 if lat else float("nan")


print("%d connections x %.0f/s: %d of %d answered; p50 %.3f p99 %.3f p99.9 %.3f max %.3f ms" % (
    nconn, rate, len(lat), sent, q(.5), q(.99), q(.999), lat[-1] * 1000 if lat else 0))
