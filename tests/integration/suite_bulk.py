"""Bulk records (issue 14): large records through the write-behind and
drop-behind of the page cache, and consumers' responses that grow with the
record size.

One broker started with gregor.log.writeback.bytes=1 MiB and
gregor.log.page.cache.behind.bytes=4 MiB, so a few tens of megabytes show
what the defaults (4 MiB, never dropped) do at scale. Records are produced
with confluent-kafka (librdkafka) at acks=all and read back whole.
"""
import os
import socket
import struct
import subprocess

from harness import ModuleCluster, check, frame, kstr, recv_frame, test, wait_for

BEHIND = 4 << 20
cluster = ModuleCluster(brokers=1, name="bulk", overrides=[
    "gregor.log.writeback.bytes=1048576",
    "gregor.log.page.cache.behind.bytes=%d" % BEHIND,
    "message.max.bytes=2000000",
])


def value(i, size):
    stamp = b"%08d" % i
    return (stamp * (size // len(stamp) + 1))[:size]


def produce(c, topic, n, size):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 5,
                  "batch.size": 1000000, "message.max.bytes": 1000000,
                  "enable.idempotence": False})
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))
    for i in range(n):
        while True:
            try:
                p.produce(topic, value(i, size), partition=0, on_delivery=report)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    check(p.flush(60) == 0, "records of %s not acknowledged in 60 s" % topic)
    check(not failed, "%d records of %s failed: %s" % (len(failed), topic, failed[:1]))


def consume_all(c, topic, n):
    from confluent_kafka import Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "bulk-reader",
                     "enable.auto.commit": False, "fetch.max.bytes": 52428800,
                     "max.partition.fetch.bytes": 10485760})
    cons.assign([TopicPartition(topic, 0, 0)])
    got = []
    idle = 0
    while len(got) < n and idle < 20:
        m = cons.poll(1.0)
        if m is None:
            idle += 1
            continue
        check(m.error() is None, "consuming %s: %s" % (topic, m.error()))
        got.append((m.offset(), m.value()))
    cons.close()
    return got


def resident_bytes(path):
    """Bytes of path in the page cache (util-linux fincore)."""
    p = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "fincore %s: %s" % (path, p.stderr))
    return int(p.stdout.split()[0])


def segment(c, topic):
    return os.path.join(c.dir, "broker-0", "logs", "%s-0" % topic, "%020d.log" % 0)


@test
def bulk_drop_behind_keeps_every_record():
    """30 MB of 100 KB records: once written to disk, everything more than
    gregor.log.page.cache.behind.bytes behind the log end leaves the page
    cache (fincore), and a consumer reading from the beginning, through the
    broker's cold-read path, gets every record intact and in order."""
    c = cluster()
    n, size = 300, 100000
    produce(c, "bulkdrop", n, size)
    path = segment(c, "bulkdrop")
    total = os.path.getsize(path)
    check(total >= n * size, "the segment holds %d bytes" % total)
    # The last writeback job dropped what lay BEHIND behind the end as it
    # was then, in 2 MiB-aligned pieces; with the 1 MiB writeback step and
    # a ~1 MB batch after it, what stays is under BEHIND + 4 MiB.
    res = wait_for(lambda: (lambda r: r if r <= BEHIND + (4 << 20) else None)(
        resident_bytes(path)), 20, "written data to leave the page cache")
    check(res is not None, "%d of %d bytes still in the page cache" % (resident_bytes(path), total))
    got = consume_all(c, "bulkdrop", n)
    check(len(got) == n, "read back %d of %d records" % (len(got), n))
    for i, (off, v) in enumerate(got):
        check(off == i and v == value(i, size), "record %d (offset %d) differs" % (i, off))


def fetch_size(c, topic):
    """Bytes of records a consumer's Fetch v4 from offset 0 gets when it asks
    for 50 MB in all and 50 MB for the partition."""
    body = struct.pack(">iiiib", -1, 500, 1, 52428800, 0)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", 0, 0, 52428800)
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    s.sendall(frame(1, 4, 7, body))
    r = recv_frame(s, timeout=30)
    s.close()
    check(r is not None, "no Fetch answer for %s" % topic)
    # corr, throttle, topics, name, partitions, partition, error, hw, lso,
    # log start... v4: no log start offset; aborted transactions count.
    off = 4 + 4 + 4
    ln = struct.unpack(">h", r[off:off + 2])[0]
    off += 2 + ln + 4
    _p, err, _hw, _lso, naborted = struct.unpack(">ihqqi", r[off:off + 26])
    check(err == 0, "Fetch of %s: error %d" % (topic, err))
    off += 26 + max(naborted, 0) * 16
    return struct.unpack(">i", r[off:off + 4])[0]


@test
def bulk_consumer_responses_grow_with_record_size():
    """gregor.fetch.response.max.bytes (1 MiB) keeps a consumer's responses
    of 100-byte records short; for 100 KB records they grow to 4 times it,
    and never to the 50 MB the consumer asked for."""
    c = cluster()
    produce(c, "bulkbig", 100, 100000)
    produce(c, "bulksmall", 40000, 100)
    big, small = fetch_size(c, "bulkbig"), fetch_size(c, "bulksmall")
    check(2 << 20 < big <= (4 << 20) + 1024,
          "a response of 100 KB records holds %d bytes (want more than 2 MiB, at most 4 MiB)"
          % big)
    check(0 < small <= (1 << 20) + 1024,
          "a response of 100 B records holds %d bytes (want at most 1 MiB)" % small)
