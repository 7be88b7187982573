"""Old message formats (issue 13): Produce v0-2 with magic 0/1 message sets
up-converted on append, Fetch v0-3 answered with down-converted messages,
with the clients that speak them (kafka-python with an old api_version,
kcat/librdkafka with api.version.request=false) and raw requests for what a
client would not send.

Imported by suite.py; the tests register themselves with harness.test.
"""
import socket
import struct
import subprocess
import zlib

from harness import ModuleCluster, check, frame, kstr, recv_frame, test
from suite_conn import create_topic
from suite_ident import CODECS, compressed_batch, segment

CORRUPT_MESSAGE, UNSUPPORTED_VERSION, UNSUPPORTED_COMPRESSION_TYPE = 2, 35, 76
OLD_APIS = [(0, 8, 2), (0, 9), (0, 10)]

# One broker for this suite (closed at exit).
cluster = ModuleCluster(brokers=1, name="oldfmt")


def vname(v):
    return ".".join(str(x) for x in v)


def produce_kp(c, topic, records, api_version=None, codec=None):
    """kafka-python produces (key, value, ts) records in order, acks=1;
    returns their offsets."""
    from kafka import KafkaProducer
    kw = {"api_version": api_version} if api_version else {}
    p = KafkaProducer(bootstrap_servers=c.bootstrap, acks=1, compression_type=codec,
                      linger_ms=50, **kw)
    futs = [p.send(topic, key=k, value=v, partition=0, timestamp_ms=ts) for k, v, ts in records]
    p.flush()
    offs = [f.get(timeout=30).offset for f in futs]
    p.close()
    return offs


def consume_kp(c, topic, n, api_version=None):
    """kafka-python reads n records of partition 0 from the beginning, with
    an assignment (no group); returns ConsumerRecords."""
    from kafka import KafkaConsumer, TopicPartition
    kw = {"api_version": api_version} if api_version else {}
    cons = KafkaConsumer(bootstrap_servers=c.bootstrap, consumer_timeout_ms=5000,
                         enable_auto_commit=False, **kw)
    tp = TopicPartition(topic, 0)
    cons.assign([tp])
    cons.seek_to_beginning(tp)
    got = []
    for m in cons:
        got.append(m)
        if len(got) >= n:
            break
    cons.close()
    return got


def sample(n, ts0=1700000000000):
    return [(b"k%d" % i if i % 3 else None, (b"v%d-" % i) * (1 + i % 5) if i % 7 else b"",
             ts0 + 1000 * i) for i in range(n)]


def check_read(got, records, ts_expected, what, none=-1):
    """got are records (key, value, ts) read back from offset 0; ts_expected:
    the format kept the timestamps, else the reader shows none (kafka-python
    shows -1 for a v2 record without one, None for a magic 0 message)."""
    check(len(got) == len(records), "%s: read %d of %d" % (what, len(got), len(records)))
    for i, (m, (k, v, ts)) in enumerate(zip(got, records)):
        check(m.offset == i and m.key == k and m.value == v,
              "%s: record %d is (%s, %r, %r), sent (%r, %r)" % (what, i, m.offset, m.key,
                                                                m.value, k, v))
        want = ts if ts_expected else none
        check(m.timestamp == want, "%s: record %d timestamp %s, want %s" % (what, i, m.timestamp,
                                                                            want))


@test
def oldfmt_kafka_python_each_version():
    """kafka-python with api_version 0.8.2, 0.9 and 0.10 (Produce v0/v1/v2
    with magic 0/0/1, Fetch v0/v1/v2) produces and reads back its records byte
    for byte and in order, keys and (0.10) timestamps included; a current
    kafka-python consumer (Fetch v4+, the stored v2 batches) reads the same."""
    c = cluster()
    for v in OLD_APIS:
        topic = "old-kp-%s" % vname(v)
        create_topic(c, topic)
        recs = sample(40)
        offs = produce_kp(c, topic, recs, api_version=v)
        check(offs == list(range(40)), "%s: offsets %s" % (topic, offs[:5]))
        has_ts = v >= (0, 10)
        check_read(consume_kp(c, topic, 40, api_version=v), recs, has_ts, "%s old reader" % topic,
                   none=None)
        check_read(consume_kp(c, topic, 40), recs, has_ts, "%s v2 reader" % topic)


@test
def oldfmt_kafka_python_compressed():
    """Compressed wrapper messages of each codec kafka-python writes with an
    old api_version (gzip, xerial snappy, lz4 frames for magic 1) come back
    whole, to old and new readers, and are stored as batches of the
    producer's codec."""
    c = cluster()
    # kafka-python writes 0.8's lz4 only with python3-xxhash, which gregor's
    # machines lack: oldfmt_raw_lz4_magic0 sends that framing itself.
    for v, codecs in [((0, 8, 2), ["gzip", "snappy"]), ((0, 10), ["gzip", "snappy", "lz4"])]:
        for codec in codecs:
            topic = "old-z-%s-%s" % (codec, vname(v))
            create_topic(c, topic)
            recs = sample(60)
            offs = produce_kp(c, topic, recs, api_version=v, codec=codec)
            check(offs[-1] == 59, "%s: offsets %s" % (topic, offs[-3:]))
            has_ts = v >= (0, 10)
            check_read(consume_kp(c, topic, 60, api_version=v), recs, has_ts, topic + " old",
                       none=None)
            check_read(consume_kp(c, topic, 60), recs, has_ts, topic + " v2")
            check(compressed_batch(segment(c, topic), CODECS[codec]) is not None,
                  "%s: no batch stored with the producer's codec" % topic)


def kcat(*args, input=None):
    p = subprocess.run(["kcat"] + list(args), input=input, capture_output=True, timeout=120)
    check(p.returncode == 0, "kcat %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                         p.stderr.decode(errors="replace")))
    return p.stdout


@test
def oldfmt_kcat_fallback_versions():
    """kcat (librdkafka) with api.version.request=false and
    broker.version.fallback 0.8.2, 0.9.0 and 0.10.0 produces keyed records
    and reads them back in order (0.10.0: with their CreateTime timestamps,
    which librdkafka sets)."""
    c = cluster()
    for fb in ["0.8.2", "0.9.0", "0.10.0"]:
        topic = "old-kcat-%s" % fb
        create_topic(c, topic)
        opts = ["-X", "api.version.request=false", "-X", "broker.version.fallback=" + fb]
        lines = b"".join(b"key%d:value-%d-%s\n" % (i, i, b"x" * (i % 13)) for i in range(100))
        kcat("-b", c.bootstrap, "-P", "-t", topic, "-p", "0", "-K:", *opts, input=lines)
        out = kcat("-b", c.bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
                   "-q", "-f", "%o %k:%s %T\n", *opts)
        rows = out.decode().splitlines()
        check(len(rows) == 100, "%s: read %d of 100" % (fb, len(rows)))
        for i, row in enumerate(rows):
            off, kv, ts = row.split(" ")
            check(off == str(i) and kv == "key%d:value-%d-%s" % (i, i, "x" * (i % 13)),
                  "%s: row %d is %r" % (fb, i, row))
            if fb == "0.10.0":
                check(int(ts) > 1600000000000, "%s: row %d timestamp %s" % (fb, i, ts))
            else:
                # librdkafka shows a magic 0 message's missing timestamp as 0
                check(int(ts) == 0, "%s: row %d timestamp %s (magic 0 has none)" % (fb, i, ts))


@test
def oldfmt_headers_across_formats():
    """A v2 producer's records with headers are read by a 0.8.2 consumer
    (the headers dropped, key, value and order kept), and a 0.8.2 producer's
    records by a current consumer (no headers, no timestamp)."""
    from confluent_kafka import Producer
    c = cluster()
    create_topic(c, "old-hdr-v2")
    p = Producer({"bootstrap.servers": c.bootstrap})
    recs = sample(30)
    for k, v, ts in recs:
        p.produce("old-hdr-v2", key=k, value=v, partition=0, timestamp=ts,
                  headers=[("h1", b"one"), ("h2", None)])
    check(p.flush(30) == 0, "confluent-kafka did not deliver everything")
    check_read(consume_kp(c, "old-hdr-v2", 30, api_version=(0, 8, 2)), recs, False,
               "v2 records, 0.8.2 reader", none=None)
    check_read(consume_kp(c, "old-hdr-v2", 30, api_version=(0, 10)), recs, True,
               "v2 records, 0.10 reader")
    create_topic(c, "old-hdr-v0")
    produce_kp(c, "old-hdr-v0", recs, api_version=(0, 8, 2))
    got = consume_kp(c, "old-hdr-v0", 30)
    check_read(got, recs, False, "0.8.2 records, v2 reader")
    check(all(not m.headers for m in got), "headers appeared: %s" % [m.headers for m in got][:3])


# --- raw requests ------------------------------------------------------------------

def msg(magic, key, value, attr=0, ts=0, offset=0, crc=None):
    """One magic 0/1 message with its offset and size."""
    def b(x):
        return struct.pack(">i", -1) if x is None else struct.pack(">i", len(x)) + x
    body = struct.pack(">bb", magic, attr) + (struct.pack(">q", ts) if magic == 1 else b"")
    body += b(key) + b(value)
    m = struct.pack(">I", zlib.crc32(body) & 0xffffffff if crc is None else crc) + body
    return struct.pack(">qi", offset, len(m)) + m


def gzip_bytes(data):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    return z.compress(data) + z.flush()


def roundtrip(c, api, version, body):
    """One request on a new connection; returns the response after its
    correlation id was checked."""
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(frame(api, version, 5, body))
        r = recv_frame(s, timeout=10)
    finally:
        s.close()
    check(r is not None, "the broker closed the connection on API %d v%d" % (api, version))
    check(struct.unpack(">i", r[:4])[0] == 5, "correlation id")
    return r


def produce_raw(c, topic, msgset, version=0):
    """Produce v<version> (0-2) of one message set to partition 0, acks=1;
    returns (error_code, base_offset)."""
    body = struct.pack(">hi", 1, 10000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">ii", 0, len(msgset)) + msgset
    r = roundtrip(c, 0, version, body)
    pos = 4 + 4  # correlation id, topics count
    (tlen,) = struct.unpack(">h", r[pos:pos + 2])
    pos += 2 + tlen + 4
    part, err, base = struct.unpack(">ihq", r[pos:pos + 14])
    return err, base


def fetch_raw(c, topic, version, offset=0, max_bytes=1 << 20):
    """Fetch v<version> (0-3) of partition 0; returns (error_code, records bytes)."""
    body = struct.pack(">iii", -1, 100, 1)
    if version >= 3:
        body += struct.pack(">i", max_bytes)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", 0, offset, max_bytes)
    r = roundtrip(c, 1, version, body)
    pos = 4 + (4 if version >= 1 else 0) + 4
    (tlen,) = struct.unpack(">h", r[pos:pos + 2])
    pos += 2 + tlen + 4
    part, err, hw, size = struct.unpack(">ihqi", r[pos:pos + 18])
    return err, r[pos + 18:pos + 18 + size]


def parse_msgs(data):
    """The magic 0/1 messages of a message set: (offset, magic, attr, ts, key, value)."""
    out, pos = [], 0
    while pos + 12 <= len(data):
        off, size = struct.unpack(">qi", data[pos:pos + 12])
        if pos + 12 + size > len(data):
            break  # partial message at the end
        m = data[pos + 12:pos + 12 + size]
        crc, magic, attr = struct.unpack(">Ibb", m[:6])
        check(zlib.crc32(m[4:]) & 0xffffffff == crc, "bad CRC in a fetched message")
        q, ts = 6, None
        if magic == 1:
            (ts,) = struct.unpack(">q", m[6:14])
            q = 14

        def rd(q):
            (n,) = struct.unpack(">i", m[q:q + 4])
            return (None, q + 4) if n < 0 else (m[q + 4:q + 4 + n], q + 4 + n)
        key, q = rd(q)
        value, q = rd(q)
        out.append((off, magic, attr, ts, key, value))
        pos += 12 + size
    return out


def end_offset(c, topic):
    from kafka import KafkaConsumer, TopicPartition
    cons = KafkaConsumer(bootstrap_servers=c.bootstrap)
    tp = TopicPartition(topic, 0)
    try:
        return cons.end_offsets([tp])[tp]
    finally:
        cons.close()


@test
def oldfmt_raw_produce_and_fetch():
    """Raw Produce v0/v1/v2 (magic 0, 0, 1; a gzip wrapper included) and
    Fetch v0-3: offsets are the log's, a v1 message keeps its timestamp and
    a LogAppendTime wrapper gives its inner messages its own, v0-1 readers
    get magic 0 and v2-3 readers magic 1, from any offset inside a batch."""
    c = cluster()
    create_topic(c, "old-raw")
    err, base = produce_raw(c, "old-raw", msg(0, b"a", b"1") + msg(0, None, b"2"), version=0)
    check((err, base) == (0, 0), "Produce v0: %s" % ((err, base),))
    err, base = produce_raw(c, "old-raw", msg(0, b"b", None, offset=7), version=1)
    check((err, base) == (0, 2), "Produce v1: %s" % ((err, base),))
    inner = msg(1, b"c", b"3", ts=111, offset=0) + msg(1, b"d", b"4", ts=222, offset=1)
    wrapper = msg(1, None, gzip_bytes(inner), attr=1, ts=999, offset=1)
    err, base = produce_raw(c, "old-raw", msg(1, b"e", b"5", ts=555) + wrapper, version=2)
    check((err, base) == (0, 3), "Produce v2: %s" % ((err, base),))
    inner = msg(1, b"f", b"6", ts=1, offset=0)
    wrapper = msg(1, None, gzip_bytes(inner), attr=1 | 8, ts=777, offset=0)
    err, base = produce_raw(c, "old-raw", wrapper, version=2)
    check((err, base) == (0, 6), "Produce v2 LogAppendTime wrapper: %s" % ((err, base),))
    want = [(0, b"a", b"1", -1), (1, None, b"2", -1), (2, b"b", None, -1), (3, b"e", b"5", 555),
            (4, b"c", b"3", 111), (5, b"d", b"4", 222), (6, b"f", b"6", 777)]
    for version in range(4):
        magic = 0 if version < 2 else 1
        err, data = fetch_raw(c, "old-raw", version)
        got = parse_msgs(data)
        check(err == 0, "Fetch v%d error %d" % (version, err))
        check([(o, k, v) for o, _, _, _, k, v in got] == [(o, k, v) for o, k, v, _ in want],
              "Fetch v%d: %s" % (version, got))
        check(all(m == magic and a == 0 for _, m, a, _, _, _ in got),
              "Fetch v%d magics %s" % (version, [(m, a) for _, m, a, _, _, _ in got]))
        if magic == 1:
            check([t for _, _, _, t, _, _ in got] == [t for _, _, _, t in want],
                  "Fetch v%d timestamps %s" % (version, [t for _, _, _, t, _, _ in got]))
        err, data = fetch_raw(c, "old-raw", version, offset=5)
        got = parse_msgs(data)
        check([o for o, *_ in got] == [5, 6], "Fetch v%d from 5: %s" % (version, got))
    # A small partition_max_bytes: at least the first message, never a
    # partial one, and the rest on the next fetch.
    err, data = fetch_raw(c, "old-raw", 0, offset=0, max_bytes=40)
    check(err == 0 and [o for o, *_ in parse_msgs(data)] == [0] and len(data) <= 40,
          "Fetch v0 with 40 bytes: %d bytes, %s" % (len(data), parse_msgs(data)))


def xxh32(data, seed=0):
    """xxHash32, for the LZ4 frame descriptor checksum."""
    P1, P2, P3, P4, P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
    M = 0xffffffff

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & M
    n, i = len(data), 0
    if n >= 16:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed & M, (seed - P1) & M]
        while i + 16 <= n:
            for j in range(4):
                w = struct.unpack("<I", data[i + 4 * j:i + 4 * j + 4])[0]
                v[j] = (rotl((v[j] + w * P2) & M, 13) * P1) & M
            i += 16
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 4 <= n:
        h = (rotl((h + struct.unpack("<I", data[i:i + 4])[0] * P3) & M, 17) * P4) & M
        i += 4
    while i < n:
        h = (rotl((h + data[i] * P5) & M, 11) * P1) & M
        i += 1
    h ^= h >> 15
    h = (h * P2) & M
    h ^= h >> 13
    h = (h * P3) & M
    h ^= h >> 16
    return h


@test
def oldfmt_raw_lz4_magic0():
    """An lz4 wrapper in magic 0 as Kafka 0.8 wrote it, the frame descriptor's
    checksum taken over the magic number too (KAFKA-3160), is read as Kafka
    reads it; the same frame with the correct checksum is read too."""
    import lz4.frame
    c = cluster()
    create_topic(c, "old-lz4")
    inner = msg(0, b"k1", b"lz4-one") + msg(0, None, b"lz4-two" * 50)
    good = lz4.frame.compress(inner, content_checksum=False)
    dlen = 2 + (8 if good[4] & 0x08 else 0) + (4 if good[4] & 0x01 else 0)
    broken = bytearray(good)
    broken[4 + dlen] = (xxh32(bytes(good[:4 + dlen])) >> 8) & 0xff
    check(bytes(broken) != good, "the broken checksum equals the right one; pick another input")
    err, base = produce_raw(c, "old-lz4", msg(0, None, bytes(broken), attr=3))
    check((err, base) == (0, 0), "0.8 lz4 wrapper: %s" % ((err, base),))
    err, base = produce_raw(c, "old-lz4", msg(0, None, good, attr=3))
    check((err, base) == (0, 2), "correct lz4 wrapper: %s" % ((err, base),))
    err, data = fetch_raw(c, "old-lz4", 0)
    got = [(o, k, v) for o, _, _, _, k, v in parse_msgs(data)]
    want = [(0, b"k1", b"lz4-one"), (1, None, b"lz4-two" * 50)]
    check(err == 0 and got == want + [(o + 2, k, v) for o, k, v in want], "read back %s" % got)


@test
def oldfmt_bad_message_sets():
    """A bad CRC, a truncated wrapper, a nested compressed set, a message
    cut short and an empty set each get CORRUPT_MESSAGE; a zstd wrapper
    UNSUPPORTED_COMPRESSION_TYPE; nothing is stored, and the broker keeps
    serving."""
    c = cluster()
    create_topic(c, "old-bad")
    err, _ = produce_raw(c, "old-bad", msg(0, b"k", b"good"))
    check(err == 0, "first produce: %d" % err)
    good = msg(0, b"k", b"v")
    inner = msg(0, b"x", b"y") + msg(0, b"z", b"w")
    cut = gzip_bytes(inner)[:-6]
    nested = msg(0, None, gzip_bytes(msg(0, None, gzip_bytes(inner), attr=1)), attr=1)
    cases = [
        ("bad CRC", good + msg(0, b"k", b"v", crc=12345), CORRUPT_MESSAGE),
        ("truncated wrapper", good + msg(0, None, cut, attr=1), CORRUPT_MESSAGE),
        ("nested compressed set", good + nested, CORRUPT_MESSAGE),
        ("message cut short", good + msg(0, b"k", b"v")[:-3], CORRUPT_MESSAGE),
        ("magic 1 wrapper of magic 0 messages", msg(1, None, gzip_bytes(inner), attr=1),
         CORRUPT_MESSAGE),
        ("zstd wrapper", msg(1, None, b"\x28\xb5\x2f\xfd" + b"\0" * 8, attr=4),
         UNSUPPORTED_COMPRESSION_TYPE),
    ]
    for what, data, code in cases:
        for version in (0, 2):
            err, base = produce_raw(c, "old-bad", data, version=version)
            check(err == code and base == -1,
                  "%s (v%d): error %d base %d, want %d" % (what, version, err, base, code))
    check(end_offset(c, "old-bad") == 1, "something was stored")
    err, base = produce_raw(c, "old-bad", good)
    check((err, base) == (0, 1), "after the bad ones: %s" % ((err, base),))


@test
def oldfmt_timestamp_checks():
    """message.timestamp.difference.max.ms: magic 0 messages (no timestamp)
    pass, as in Kafka; a magic 1 message an hour off gets INVALID_TIMESTAMP
    and is not stored; with LogAppendTime every record gets the broker's
    clock, which Fetch v2 shows."""
    import time
    c = cluster()
    create_topic(c, "old-ts", {"message.timestamp.difference.max.ms": "60000"})
    err, base = produce_raw(c, "old-ts", msg(0, b"k", b"v0"), version=0)
    check((err, base) == (0, 0), "magic 0 with a skew limit: %s" % ((err, base),))
    now = int(time.time() * 1000)
    err, base = produce_raw(c, "old-ts", msg(1, b"k", b"v1", ts=now - 3600000), version=2)
    check((err, base) == (32, -1), "magic 1 an hour off: %s" % ((err, base),))
    err, base = produce_raw(c, "old-ts", msg(1, b"k", b"v1", ts=now), version=2)
    check((err, base) == (0, 1), "magic 1 now: %s" % ((err, base),))
    create_topic(c, "old-lat", {"message.timestamp.type": "LogAppendTime"})
    t0 = int(time.time() * 1000)
    err, base = produce_raw(c, "old-lat", msg(0, b"k", b"a"), version=0)
    check((err, base) == (0, 0), "LogAppendTime produce: %s" % ((err, base),))
    err, data = fetch_raw(c, "old-lat", 2)
    got = parse_msgs(data)
    check(len(got) == 1 and got[0][2] == 8 and t0 - 5000 <= got[0][3] <= t0 + 60000,
          "LogAppendTime message: %s" % got)


@test
def oldfmt_downconversion_disabled():
    """message.downconversion.enable=false: Fetch v0-3 of the topic gets
    UNSUPPORTED_VERSION and no records; Fetch v4+ readers are not affected."""
    c = cluster()
    create_topic(c, "old-nodown", {"message.downconversion.enable": "false"})
    produce_kp(c, "old-nodown", sample(5))
    for version in range(4):
        err, data = fetch_raw(c, "old-nodown", version)
        check(err == UNSUPPORTED_VERSION and data == b"",
              "Fetch v%d: error %d, %d bytes" % (version, err, len(data)))
    check(len(consume_kp(c, "old-nodown", 5)) == 5, "a v2 reader got less")
