"""gregor-dump-log (issue 12): Kafka 2.8's kafka-dump-log on the segment files
a real broker wrote. Records with keys, headers and set timestamps, and a
gzip batch, are produced with confluent-kafka; the broker is stopped; the
tool's output on the .log, .index and .timeindex is compared line for line
with what Kafka's tool prints, the numbers (positions, sizes, checksums,
index entries) taken from the files themselves by the small independent
reader below. Then copies of the files are cut short or damaged, and the
usage errors are checked.

Imported by suite.py; the tests register themselves with harness.test.
"""
import contextlib
import os
import shutil
import struct
import subprocess
import tempfile

import harness
from harness import Cluster, check, test

TS = 1700000000000
SEG = "00000000000000000000"


def tool(*args):
    """Runs gregor-dump-log: (exit status, stdout lines, stderr lines)."""
    p = subprocess.run([os.path.join(harness.BUILD, "tools", "gregor-dump-log")] + list(args),
                       capture_output=True, timeout=60)
    return (p.returncode, p.stdout.decode("utf-8", "replace").splitlines(),
            p.stderr.decode("utf-8", "replace").splitlines())


def batches(data):
    """(position, size, base offset, last offset, crc, attributes, max
    timestamp, count) of each whole batch in a segment's bytes."""
    out, pos = [], 0
    while pos + 61 <= len(data):
        base, length = struct.unpack(">qi", data[pos:pos + 12])
        if pos + 12 + length > len(data):
            break
        crc, attrs, delta = struct.unpack(">Ihi", data[pos + 17:pos + 27])
        maxts = struct.unpack(">q", data[pos + 35:pos + 43])[0]
        count = struct.unpack(">i", data[pos + 57:pos + 61])[0]
        out.append((pos, 12 + length, base, base + delta, crc, attrs, maxts, count))
        pos += 12 + length
    return out


def batch_line(b):
    pos, size, base, last, crc, attrs, maxts, count = b
    codec = ["NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"][attrs & 7]
    return ("baseOffset: %d lastOffset: %d count: %d baseSequence: -1 lastSequence: -1 "
            "producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false "
            "isControl: false position: %d CreateTime: %d size: %d magic: 2 compresscodec: %s "
            "crc: %d isvalid: true" % (base, last, count, pos, maxts, size, codec, crc))


def record_line(b, offset, ts, key, value, header_keys):
    pos, size, base, last, crc, attrs, maxts, count = b
    codec = ["NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"][attrs & 7]
    line = ("| offset: %d isValid: true crc: null keySize: %d valueSize: %d CreateTime: %d "
            "baseOffset: %d lastOffset: %d baseSequence: -1 lastSequence: -1 producerEpoch: -1 "
            "partitionLeaderEpoch: 0 batchSize: %d magic: 2 compressType: %s position: %d "
            "sequence: -1 headerKeys: [%s]" % (
                offset, -1 if key is None else len(key.encode()),
                -1 if value is None else len(value.encode()), ts, base, last, size, codec, pos,
                ",".join(header_keys)))
    if key is not None:
        line += " key: " + key
    if value is not None:
        line += " payload: " + value
    return line


_files = None


def segment_files():
    """Produces the records once into a real broker, stops it and keeps
    copies of topic dl's segment files: {suffix: bytes}, and the records
    as (offset, timestamp, key, value, header keys)."""
    global _files
    if _files is not None:
        return _files
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    with Cluster(brokers=1, name="dumplog") as c:
        a = AdminClient({"bootstrap.servers": c.bootstrap})
        # Every batch after the first gets an offset index entry.
        topic = NewTopic("dl", 1, 1, config={"index.interval.bytes": "1"})
        a.create_topics([topic])["dl"].result(30)
        records = []

        def send(conf, recs):
            p = Producer(dict({"bootstrap.servers": c.bootstrap, "linger.ms": 5000,
                               "enable.idempotence": False, "acks": "all",
                               "log_level": 2}, **conf))
            # Metadata first, so that flush() sends what is queued as one
            # batch (records queued before it may leave one by one).
            p.list_topics("dl", timeout=30)
            errs = []
            for key, value, ts, headers in recs:
                p.produce("dl", key=key, value=value, timestamp=ts, headers=headers,
                          on_delivery=lambda e, m: errs.append(e) if e else None)
            check(p.flush(30) == 0 and not errs, "produce failed: %s" % errs)

        # Batch 1: keys, headers (one with a null value), no key, no value.
        b1 = [("k0", "v0", TS, None), ("k1", "v1", TS + 5, [("h1", b"x"), ("h2", None)]),
              (None, "v2", TS + 3, None), ("k3", None, TS + 9, None)]
        send({}, b1)
        # Batch 2: gzip from kafka-python (librdkafka 2.0 sends gzip to gregor
        # uncompressed, see suite_ident.py), read back with --deep-iteration.
        b2 = [("z%d" % i, "gz-%d-" % i + "a" * 300, TS + 20 + i, [("g", b"1")]) for i in range(3)]
        from kafka import KafkaProducer
        kp = KafkaProducer(bootstrap_servers=c.bootstrap, compression_type="gzip", linger_ms=5000)
        futures = [kp.send("dl", value=v.encode(), key=k.encode(), headers=h, partition=0,
                           timestamp_ms=ts) for k, v, ts, h in b2]
        kp.flush(30)
        for f in futures:
            f.get(timeout=30)
        kp.close()
        # Batch 3: zstd from confluent-kafka.
        b3 = [("y%d" % i, "zs-%d-" % i + "b" * 300, TS + 25 + i, None) for i in range(2)]
        send({"compression.type": "zstd"}, b3)
        # Batch 4: one more plain record, so that batches 2 to 4 are indexed.
        b4 = [("last", "é-utf8", TS + 30, None)]
        send({}, b4)
        off = 0
        for key, value, ts, headers in b1 + b2 + b3 + b4:
            records.append((off, ts, key, value, [h[0] for h in headers or []]))
            off += 1
        c.stop(0)
        d = os.path.join(c.log_dir(0), "dl-0")
        files = {}
        for sfx in (".log", ".index", ".timeindex"):
            with open(os.path.join(d, SEG + sfx), "rb") as f:
                files[sfx] = f.read()
        check(os.path.exists(os.path.join(d, "leader-epoch-checkpoint")),
              "no leader-epoch-checkpoint in %s" % os.listdir(d))
    _files = (files, records)
    return _files


@contextlib.contextmanager
def scratch(files, **changes):
    """A directory with the segment's files (changes: suffix -> bytes),
    removed afterwards."""
    d = tempfile.mkdtemp(prefix="gregor-dumplog-")
    try:
        for sfx, data in files.items():
            with open(os.path.join(d, SEG + sfx), "wb") as f:
                f.write(changes.get(sfx.lstrip("."), data))
        yield d
    finally:
        shutil.rmtree(d)


def corrupt_record(path, size):
    """Kafka's message for a batch length below its minimum."""
    return ['Exception in thread "main" org.apache.kafka.common.errors.CorruptRecordException: '
            "Found record size %d smaller than minimum record overhead (14) in file %s." % (
                size, path)]


def expect(got, want, what):
    if got != want:
        diff = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w][:3]
        raise AssertionError("%s: got %d lines, expected %d; first differences %s" % (
            what, len(got), len(want), diff or (got[len(want):] or want[len(got):])[:3]))


@test
def dumplog_log_shallow_and_deep():
    files, records = segment_files()
    bs = batches(files[".log"])
    # The expected lines below follow whatever batches the clients made;
    # what matters is one gzip batch (offsets 4-6) and one zstd batch (7-8).
    codecs = {(b[2], b[3]): b[5] & 7 for b in bs}
    check(codecs.get((4, 6)) == 1 and codecs.get((7, 8)) == 4 and
          all(c == 0 for r, c in codecs.items() if r not in ((4, 6), (7, 8))),
          "expected a gzip batch 4-6 and a zstd batch 7-8 among plain ones, found %s" % bs)
    with scratch(files) as d:
        path = os.path.join(d, SEG + ".log")
        rc, out, err = tool("--files", path)
        check(rc == 0 and not err, "shallow dump failed (%d): %s" % (rc, err))
        expect(out, ["Dumping " + path, "Starting offset: 0"] + [batch_line(b) for b in bs],
               "shallow dump")

        rc, out, err = tool("--files", path, "--print-data-log")
        check(rc == 0 and not err, "deep dump failed (%d): %s" % (rc, err))
        want = ["Dumping " + path, "Starting offset: 0"]
        for b in bs:
            want.append(batch_line(b))
            for off, ts, key, value, hk in records:
                if b[2] <= off <= b[3]:
                    want.append(record_line(b, off, ts, key, value, hk))
        expect(out, want, "--print-data-log")

        # --deep-iteration alone: the record metadata without key and payload.
        rc, out, err = tool("--files", path, "--deep-iteration")
        rec = [line for line in out if line.startswith("| ")]
        check(rc == 0 and len(rec) == 10 and all(" key: " not in r and " payload: " not in r
                                                for r in rec),
              "--deep-iteration: %d record lines %s" % (len(rec), rec[:2]))
        # --skip-record-metadata: Kafka's "| key: k payload: v" lines.
        rc, out, err = tool("--files", path, "--print-data-log", "--skip-record-metadata")
        rec = [line for line in out if not line.startswith(("Dumping", "Starting", "baseOffset"))]
        check(rec[:4] == ["| key: k0 payload: v0", "| key: k1 payload: v1", " payload: v2",
                          "| key: k3"], "--skip-record-metadata: %s" % rec[:4])
        # --offsets-decoder on records that are not __consumer_offsets
        # records: Kafka's decoder fails on the key's "version".
        rc, out, err = tool("--files", path, "--offsets-decoder")
        check(rc == 1 and err == ['Exception in thread "main" java.lang.IllegalStateException: '
                                  "Unknown group metadata message version: %d" % 0x6b30],
              "--offsets-decoder on plain records: %d %s" % (rc, err))


@test
def dumplog_index_and_timeindex():
    files, records = segment_files()
    bs = batches(files[".log"])
    with scratch(files) as d:
        idx = files[".index"]
        entries = [struct.unpack(">iI", idx[i:i + 8]) for i in range(0, len(idx) - 7, 8)]
        check(len(entries) >= 2, "expected index entries for batches 2 and 3, found %s" % entries)
        for rel, pos in entries:
            check(any(b[0] == pos and b[3] == rel for b in bs),
                  "index entry (%d, %d) is not a batch's (last offset, position)" % (rel, pos))
        path = os.path.join(d, SEG + ".index")
        rc, out, err = tool("--files", path)
        check(rc == 0 and not err, "index dump failed (%d): %s" % (rc, err))
        expect(out, ["Dumping " + path] + ["offset: %d position: %d" % e for e in entries],
               ".index")
        rc, out, err = tool("--files", path, "--verify-index-only")
        check(rc == 0 and out == ["Dumping " + path] and not err,
              "--verify-index-only: %d %s %s" % (rc, out, err))
        rc, out, err = tool("--files", path, "--index-sanity-check")
        check(rc == 0 and out == ["Dumping " + path, "%s passed sanity check." % path],
              "--index-sanity-check: %d %s %s" % (rc, out, err))

        tix = files[".timeindex"]
        tentries = [struct.unpack(">qi", tix[i:i + 12]) for i in range(0, len(tix) - 11, 12)]
        check(tentries and tentries[-1] == (TS + 30, 9),
              "the time index ends with %s, expected (%d, 9)" % (tentries[-1:], TS + 30))
        tpath = os.path.join(d, SEG + ".timeindex")
        rc, out, err = tool("--files", tpath)
        check(rc == 0 and not err, "timeindex dump failed (%d): %s" % (rc, err))
        expect(out, ["Dumping " + tpath] + ["timestamp: %d offset: %d" % e for e in tentries],
               ".timeindex")
        rc, out, err = tool("--files", tpath, "--index-sanity-check")
        check(rc == 0 and out == ["Dumping " + tpath, "%s passed sanity check." % tpath],
              "timeindex --index-sanity-check: %d %s %s" % (rc, out, err))

        # All three at once, and a file that is not a segment.
        lec = os.path.join(d, "leader-epoch-checkpoint")
        open(lec, "w").write("0\n1\n0 0\n")
        rc, out, err = tool("--files", ",".join([os.path.join(d, SEG + ".log"), path, tpath, lec]))
        check(rc == 0 and out.count("Dumping " + lec) == 1 and
              err == ["Ignoring unknown file " + lec], "several files: %d %s" % (rc, err))


@test
def dumplog_damaged_files():
    files, records = segment_files()
    log = files[".log"]
    bs = batches(log)
    last = bs[-1]

    # Cut short inside the last batch: Kafka's "invalid bytes" line.
    with scratch(files, log=log[:-10]) as d:
        path = os.path.join(d, SEG + ".log")
        rc, out, err = tool("--files", path)
        check(rc == 0 and out[-1] == "Found %d invalid bytes at the end of %s.log" % (
            last[1] - 10, SEG) and out[-2] == batch_line(bs[-2]),
              "truncated: %d %s %s" % (rc, out[-2:], err))

    # Garbage after the last batch whose "length" reaches past the file's
    # end: the end of the batches, as in Kafka.
    with scratch(files, log=log + b"\x7f" * 23) as d:
        rc, out, err = tool("--files", os.path.join(d, SEG + ".log"), "--deep-iteration")
        check(rc == 0 and out[-1] == "Found 23 invalid bytes at the end of %s.log" % SEG,
              "garbage appended: %d %s %s" % (rc, out[-1:], err))
    # Garbage whose "length" is negative: Kafka's CorruptRecordException.
    with scratch(files, log=log + b"\xff" * 23) as d:
        path = os.path.join(d, SEG + ".log")
        rc, out, err = tool("--files", path)
        check(rc == 1 and out[-1] == batch_line(bs[-1]) and err == corrupt_record(path, -1),
              "negative garbage length: %d %s %s" % (rc, out[-1:], err))

    # A zero length field in the second batch: Kafka's CorruptRecordException
    # after the first batch's line, status 1.
    bad = bytearray(log)
    bad[bs[1][0] + 8:bs[1][0] + 12] = b"\0\0\0\0"
    with scratch(files, log=bytes(bad)) as d:
        path = os.path.join(d, SEG + ".log")
        rc, out, err = tool("--files", path)
        check(rc == 1 and out[-1] == batch_line(bs[0]) and err == corrupt_record(path, 0),
              "zero batch length: %d %s %s" % (rc, out[-1:], err))

    # A flipped byte in the first batch's records: isvalid false, and the
    # record shows what is there now.
    bad = bytearray(log)
    at = log.index(b"v0", bs[0][0])
    bad[at + 1] = ord("9")
    with scratch(files, log=bytes(bad)) as d:
        rc, out, err = tool("--files", os.path.join(d, SEG + ".log"), "--print-data-log")
        check(rc == 0 and out[2].endswith("isvalid: false") and out[3].endswith("payload: v9"),
              "flipped byte: %d %s %s" % (rc, out[2:4], err))

    # Garbage inside the gzip payload: Kafka's decompression failure, the
    # batch line printed first.
    bad = bytearray(log)
    p = [b for b in bs if b[2] == 4][0][0] + 61
    bad[p + 10:p + 30] = b"\xa5" * 20
    with scratch(files, log=bytes(bad)) as d:
        rc, out, err = tool("--files", os.path.join(d, SEG + ".log"), "--deep-iteration")
        check(rc == 1 and out[-1].startswith("baseOffset: 4 lastOffset: 6 ") and
              out[-1].endswith("isvalid: false") and err and
              err[0].startswith('Exception in thread "main" '),
              "damaged gzip: %d %s %s" % (rc, out[-1:], err))

    # An index entry pointing at the wrong batch: Kafka's mismatch report.
    idx = bytearray(files[".index"])
    rel, pos = struct.unpack(">iI", idx[0:8])
    idx[0:4] = struct.pack(">i", rel + 1)
    with scratch(files, index=bytes(idx)) as d:
        path = os.path.join(d, SEG + ".index")
        rc, out, err = tool("--files", path, "--verify-index-only")
        check(rc == 0 and out == ["Dumping " + path] and err == [
            "Mismatches in :" + path, "  Index offset: %d, log offset: %d" % (rel + 1, rel)],
            "index mismatch: %d %s %s" % (rc, out, err))
        # A partial entry: the sanity check fails as Kafka's does.
        open(path, "ab").write(b"\1\2\3")
        rc, out, err = tool("--files", path, "--index-sanity-check")
        check(rc == 1 and err[:1] == [
            'Exception in thread "main" kafka.log.CorruptIndexException: Index file %s is '
            "corrupt, found %d bytes which is neither positive nor a multiple of 8." % (
                path, len(idx) + 3)], "partial index entry: %d %s" % (rc, err))

    # A time index entry whose timestamp is not its batch's.
    tix = bytearray(files[".timeindex"])
    ts, rel = struct.unpack(">qi", tix[-12:])
    tix[-12:-4] = struct.pack(">q", ts + 1)
    with scratch(files, timeindex=bytes(tix)) as d:
        path = os.path.join(d, SEG + ".timeindex")
        rc, out, err = tool("--files", path, "--verify-index-only")
        check(rc == 0 and err == ["Found timestamp mismatch in :" + path,
                                  "  Index timestamp: %d, log timestamp: %d" % (ts + 1, ts)],
              "time index mismatch: %d %s" % (rc, err))


@test
def dumplog_usage_errors():
    rc, out, err = tool("--print-data-log")
    check(rc == 1 and err[:1] == ['Missing required argument "[files]"'] and not out,
          "without --files: %d %s" % (rc, err[:2]))
    rc, out, err = tool()
    check(rc == 1 and err[:1] and err[0].startswith("This tool helps to parse a log file"),
          "without arguments: %d %s" % (rc, err[:1]))
    rc, out, err = tool("--files")
    check(rc == 1 and err[:1] == ["Option files requires an argument"],
          "--files without a value: %d %s" % (rc, err[:1]))
    rc, out, err = tool("--files", "x.log", "--max-message-size", "big")
    check(rc == 1 and err[:1] == ["Cannot parse argument 'big' of option max-message-size"],
          "bad --max-message-size: %d %s" % (rc, err[:1]))
    rc, out, err = tool("--files", "/nonexistent/00000000000000000000.log")
    check(rc == 1 and out == ["Dumping /nonexistent/00000000000000000000.log", "Starting offset: 0"]
          and err == ['Exception in thread "main" java.nio.file.NoSuchFileException: '
                      "/nonexistent/00000000000000000000.log"], "missing file: %d %s" % (rc, err))


@test
def dumplog_random_damage():
    """Bytes of the segment and its indexes overwritten at random (seeded):
    the tool never crashes; it finishes (status 0) or stops with Kafka's
    exception line (status 1)."""
    import random
    files, records = segment_files()
    rnd = random.Random(12)
    for n in range(int(os.environ.get("DUMPLOG_DAMAGE_RUNS", "120"))):
        sfx = rnd.choice([".log", ".log", ".index", ".timeindex"])
        data = bytearray(files[sfx])
        for _ in range(rnd.randint(1, 4)):
            if data:
                at = rnd.randrange(len(data))
                data[at:at + rnd.randint(1, 8)] = bytes(rnd.randrange(256) for _ in range(4))
        if rnd.random() < 0.2:
            data = data[:rnd.randrange(len(data) + 1)]
        with scratch(files, **{sfx.lstrip("."): bytes(data)}) as d:
            rc, out, err = tool("--files", os.path.join(d, SEG + sfx), "--print-data-log")
            check(rc == 0 or (rc == 1 and err and err[0].startswith('Exception in thread "main" ')),
                  "damage %d to %s: status %d, stderr %s" % (n, sfx, rc, err[:2]))


def kstr16(s):
    return struct.pack(">h", len(s)) + s.encode()


@test
def dumplog_offsets_decoder():
    """--offsets-decoder on __consumer_offsets records as Kafka writes them
    (gregor writes none: its committed offsets live in ZooKeeper): offset
    commit keys v0/v1 with values v1 and v3, tombstones, a group metadata
    tombstone, in Kafka's GroupMetadataManager format."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    recs = [
        (struct.pack(">h", 1) + kstr16("g") + kstr16("t") + struct.pack(">i", 3),
         struct.pack(">hqi", 3, 42, 0) + kstr16("") + struct.pack(">q", TS)),
        (struct.pack(">h", 0) + kstr16("g2") + kstr16("t") + struct.pack(">i", 0),
         struct.pack(">hq", 1, 7) + kstr16("m") + struct.pack(">qq", TS, TS + 1)),
        (struct.pack(">h", 1) + kstr16("g") + kstr16("t") + struct.pack(">i", 3), None),
        (struct.pack(">h", 2) + kstr16("g"), None),
    ]
    for i, (k, v) in enumerate(recs):
        b.append(i, timestamp=TS, key=k, value=v, headers=[])
    with scratch({".log": bytes(b.build())}) as d:
        rc, out, err = tool("--files", os.path.join(d, SEG + ".log"), "--offsets-decoder",
                            "--skip-record-metadata")
        check(rc == 0 and not err and out[3:] == [
            "| key: offset_commit::group=g,partition=t-3 payload: offset=42",
            "| key: offset_commit::group=g2,partition=t-0 payload: offset=7,metadata=m",
            "| key: offset_commit::group=g,partition=t-3 payload: <DELETE>",
            "| key: group_metadata::group=g payload: <DELETE>"],
            "--offsets-decoder: %d %s %s" % (rc, out, err))


@test
def dumplog_decoder_classes():
    """--key-decoder-class / --value-decoder-class with Kafka's
    IntegerDecoder and LongDecoder (big-endian, as ByteBuffer reads them);
    an unknown class is Kafka's ClassNotFoundException."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    b.append(0, timestamp=TS, key=struct.pack(">i", -2), value=struct.pack(">q", 1 << 40),
             headers=[])
    with scratch({".log": bytes(b.build())}) as d:
        path = os.path.join(d, SEG + ".log")
        rc, out, err = tool("--files", path, "--skip-record-metadata",
                            "--key-decoder-class", "kafka.serializer.IntegerDecoder",
                            "--value-decoder-class=kafka.serializer.LongDecoder")
        check(rc == 0 and out[3:] == ["| key: -2 payload: %d" % (1 << 40)],
              "Integer/LongDecoder: %d %s %s" % (rc, out, err))
        rc, out, err = tool("--files", path, "--value-decoder-class", "com.example.Mine")
        check(rc == 1 and err == ['Exception in thread "main" java.lang.ClassNotFoundException: '
                                  "com.example.Mine"], "unknown decoder: %d %s" % (rc, err))
