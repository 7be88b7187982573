"""Requests that cost more than they say (issue 9, area "req").

Each hostile request asserts (1) the answer the attacker gets, (2) that a
second client is served promptly meanwhile (a Metadata request on another
connection answered within 2 s), (3) that nothing acknowledged is lost.
Raw requests are built by hand, as in suite.py.
"""
import atexit
import os
import socket
import struct
import subprocess
import time

from harness import Cluster, check, frame, kstr, record_batch, recv_frame, test, wait_for

_cluster = None


def cluster():
    """One broker for this file's tests, with small limits the tests reach."""
    global _cluster
    if _cluster is None:
        _cluster = Cluster(brokers=1, name="req", overrides=[] if os.environ.get("REQ_BEFORE") else [
            "gregor.metadata.response.max.bytes=200000",
            "gregor.create.partitions.max=50",
            "gregor.broker.partitions.max=400",
            "gregor.fetch.parked.max=4",
        ])
        atexit.register(_cluster.close)
    return _cluster


def kcat(*args, input=None, timeout=60):
    p = subprocess.run(["kcat"] + list(args), input=input, capture_output=True, timeout=timeout)
    check(p.returncode == 0, "kcat %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                         p.stderr.decode(errors="replace")))
    return p.stdout


def consume(c, topic):
    out = kcat("-b", c.bootstrap, "-C", "-t", topic, "-e", "-o", "beginning", "-q")
    return [v for v in out.split(b"\n") if v]


def call(c, api_key, version, body, corr=3, timeout=15):
    """One request on a fresh connection; the response body, or None if the
    broker closed the connection."""
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(frame(api_key, version, corr, body))
        r = recv_frame(s, timeout=timeout)
        if r is None:
            return None
        check(struct.unpack(">i", r[:4])[0] == corr, "API %d: wrong correlation id" % api_key)
        return r[4:]
    finally:
        s.close()


def served_promptly(c, within=2.0):
    """The bystander: Metadata v1 (all topics) on a new connection, answered
    within `within` seconds. Returns the seconds it took, or None."""
    t0 = time.time()
    try:
        s = socket.create_connection(c.broker_addr(0), timeout=within)
        try:
            s.sendall(frame(3, 1, 77, struct.pack(">i", -1)))
            r = recv_frame(s, timeout=within)
        finally:
            s.close()
    except (socket.timeout, OSError):
        return None
    if r is None or struct.unpack(">i", r[:4])[0] != 77:
        return None
    return time.time() - t0


def create_topics_v2(c, topics, timeout_ms=10000, validate_only=False):
    """CreateTopics v2 with (name, partitions, rf, assignments) tuples, where
    assignments is a list of broker-id lists (one per partition) or None.
    Returns [(name, error_code, message)]."""
    out = [struct.pack(">i", len(topics))]
    for name, parts, rf, assign in topics:
        out.append(kstr(name) if isinstance(name, str) else struct.pack(">h", len(name)) + name)
        out.append(struct.pack(">ih", parts, rf))
        assign = assign or []
        out.append(struct.pack(">i", len(assign)))
        for p, ids in enumerate(assign):
            out.append(struct.pack(">ii", p, len(ids)) + b"".join(struct.pack(">i", i) for i in ids))
        out.append(struct.pack(">i", 0))  # configs
    out.append(struct.pack(">i?", timeout_ms, validate_only))
    r = call(c, 19, 2, b"".join(out))
    check(r is not None, "CreateTopics: the broker closed the connection")
    n = struct.unpack(">i", r[4:8])[0]
    off, out = 8, []
    for _ in range(n):
        ln = struct.unpack(">h", r[off:off + 2])[0]
        name = r[off + 2:off + 2 + ln]
        off += 2 + ln
        err, ml = struct.unpack(">hh", r[off:off + 4])
        off += 4
        msg = r[off:off + ml].decode() if ml > 0 else None
        off += max(ml, 0)
        out.append((name.decode(errors="replace"), err, msg))
    return out


def create_topic(c, name, partitions=1):
    def attempt():
        res = create_topics_v2(c, [(name, partitions, 1, None)])
        return res if res[0][1] != 41 else None  # the controller is being elected
    res = wait_for(attempt, 20, "a controller to take CreateTopics")
    check(res[0][1] == 0, "creating %s: %s" % (name, res))


def log_end(c, topic, partition=0):
    body = struct.pack(">ii", -1, 1) + kstr(topic) + struct.pack(">iiq", 1, partition, -1)
    r = call(c, 2, 1, body)
    n = struct.unpack(">h", r[4:6])[0]
    err, _ts, off = struct.unpack(">hqq", r[6 + n + 8:6 + n + 26])
    check(err == 0, "ListOffsets error %d" % err)
    return off


def fetch_v4_body(topic, entries, min_bytes, max_wait_ms, max_bytes=0x7fffffff):
    """Fetch v4: one topic, entries = [(partition, offset, partition_max_bytes)]."""
    body = struct.pack(">iiiib", -1, max_wait_ms, min_bytes, max_bytes, 0)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", len(entries))
    return body + b"".join(struct.pack(">iqi", p, o, m) for p, o, m in entries)


def parse_fetch_v4(r):
    """[(topic, [(partition, error, high_watermark, record_bytes)])]"""
    out = []
    off = 4  # throttle_time_ms
    nt = struct.unpack(">i", r[off:off + 4])[0]
    off += 4
    for _ in range(nt):
        ln = struct.unpack(">h", r[off:off + 2])[0]
        topic = r[off + 2:off + 2 + ln].decode(errors="replace")
        off += 2 + ln
        np_ = struct.unpack(">i", r[off:off + 4])[0]
        off += 4
        parts = []
        for _ in range(np_):
            p, err, hw, _lso = struct.unpack(">ihqq", r[off:off + 22])
            off += 22
            na = struct.unpack(">i", r[off:off + 4])[0]
            off += 4 + max(na, 0) * 16
            nb = struct.unpack(">i", r[off:off + 4])[0]
            off += 4
            parts.append((p, err, hw, r[off:off + max(nb, 0)]))
            off += max(nb, 0)
        out.append((topic, parts))
    return out


@test
def req_duplicate_partition_fetch():
    """The reported freeze: one Fetch naming one partition 100,000 times
    (1.6 MB), min_bytes INT32_MAX, offsets at the log end, then appends. A
    second client must keep being served; the fetch is answered once, with the
    partition merged into one entry (as Kafka 2.8's LinkedHashMap does)."""
    c = cluster()
    create_topic(c, "dupfetch", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "dupfetch", "-p", "0", input=b"a\nb\nc\n")
    end = log_end(c, "dupfetch")
    body = fetch_v4_body("dupfetch", [(0, end, 1048576)] * 100000, 0x7fffffff, 6000)
    check(len(body) > 1600000, "the request is %d bytes" % len(body))
    attacker = socket.create_connection(c.broker_addr(0), timeout=10)
    t0 = time.time()
    attacker.sendall(frame(1, 4, 4242, body))
    time.sleep(0.5)  # parked by now
    producers = [subprocess.Popen(["kcat", "-b", c.bootstrap, "-P", "-t", "dupfetch", "-p", "0"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(3)]
    for i, p in enumerate(producers):
        p.stdin.write(b"late-%d\n" % i)
        p.stdin.close()
    time.sleep(0.3)
    took = served_promptly(c)
    check(took is not None, "a Metadata request on another connection got no answer within 2 s "
                            "while the duplicate-partition fetch was parked")
    for p in producers:
        check(p.wait(timeout=20) == 0, "an append (kcat -P) failed")
    r = recv_frame(attacker, timeout=30)
    attacker.close()
    check(r is not None and struct.unpack(">i", r[:4])[0] == 4242, "the fetch got no answer")
    check(time.time() - t0 < 20, "the fetch was answered after %.1f s" % (time.time() - t0))
    topics = parse_fetch_v4(r[4:])
    check(len(topics) == 1 and len(topics[0][1]) == 1,
          "the response holds %d topic(s) / %s partition entries, expected 1 merged entry" %
          (len(topics), [len(t[1]) for t in topics]))
    p, err, hw, records = topics[0][1][0]
    check(p == 0 and err == 0 and hw == end + 3, "partition %d error %d hw %d (end %d)" %
          (p, err, hw, end))
    check(b"late-0" in records and b"late-2" in records, "the appended records are not in the answer")
    got = consume(c, "dupfetch")
    check(got[:3] == [b"a", b"b", b"c"] and sorted(got[3:]) == [b"late-0", b"late-1", b"late-2"],
          "the log holds %r" % got)


def metadata_body_v4(names, auto_create):
    """Metadata v4: names are bytes or str."""
    out = [struct.pack(">i", len(names))]
    for n in names:
        b = n.encode() if isinstance(n, str) else n
        out.append(struct.pack(">h", len(b)) + b)
    return b"".join(out) + struct.pack(">?", auto_create)


def parse_metadata_v4(r):
    """[(name bytes, error, [partition ids])] of a Metadata v4 response body."""
    off = 4  # throttle
    nb = struct.unpack(">i", r[off:off + 4])[0]
    off += 4
    for _ in range(nb):
        off += 4
        hl = struct.unpack(">h", r[off:off + 2])[0]
        off += 2 + hl + 4
        rl = struct.unpack(">h", r[off:off + 2])[0]
        off += 2 + max(rl, 0)
    cl = struct.unpack(">h", r[off:off + 2])[0]
    off += 2 + max(cl, 0) + 4  # cluster id, controller
    nt = struct.unpack(">i", r[off:off + 4])[0]
    off += 4
    out = []
    for _ in range(nt):
        err, ln = struct.unpack(">hh", r[off:off + 4])
        off += 4
        name = r[off:off + ln]
        off += ln + 1
        npart = struct.unpack(">i", r[off:off + 4])[0]
        off += 4
        ids = []
        for _ in range(npart):
            _e, pid, _leader = struct.unpack(">hii", r[off:off + 10])
            off += 10
            for _arr in range(2):  # replicas, isr (offline replicas from v5)
                k = struct.unpack(">i", r[off:off + 4])[0]
                off += 4 + 4 * max(k, 0)
            ids.append(pid)
        out.append((name, err, ids))
    return out


@test
def req_duplicate_topic_metadata():
    """Metadata naming one topic 100,000 times is answered with one entry
    (Kafka makes a set of the names); one whose answer would pass
    gregor.metadata.response.max.bytes (200000 here) is refused before it is
    built, by closing that connection, with a log line."""
    c = cluster()
    create_topic(c, "dupmd", 8)
    kcat("-b", c.bootstrap, "-P", "-t", "dupmd", "-p", "3", input=b"kept\n")
    r = call(c, 3, 4, metadata_body_v4(["dupmd"] * 100000, False), timeout=30)
    check(r is not None, "the duplicate-topic Metadata got no answer")
    topics = parse_metadata_v4(r)
    check(len(topics) == 1 and topics[0][0] == b"dupmd" and topics[0][1] == 0 and
          sorted(topics[0][2]) == list(range(8)),
          "expected one entry for dupmd with 8 partitions, got %d entries (%d bytes)" %
          (len(topics), len(r)))
    check(served_promptly(c) is not None, "a second client was not served")
    # About 260 KB of distinct unknown names: the answer would be larger than
    # the limit, so it is refused before it is built.
    names = ["x%03d" % i + "y" * 245 for i in range(1000)]
    r = call(c, 3, 4, metadata_body_v4(names, False), timeout=15)
    check(r is None, "an answer over gregor.metadata.response.max.bytes was sent (%d bytes)" %
          (len(r) if r else 0))
    check("gregor.metadata.response.max.bytes" in c.log(0), "no log line names the limit")
    check(served_promptly(c) is not None, "a second client was not served after the refusal")
    check(consume(c, "dupmd") == [b"kept"], "dupmd lost its record")


def delete_topics_v1(c, names):
    body = struct.pack(">i", len(names))
    for n in names:
        body += struct.pack(">h", len(n)) + n
    r = call(c, 20, 1, body + struct.pack(">i", 10000))
    check(r is not None, "DeleteTopics: connection closed")
    off, out = 8, []
    for _ in range(struct.unpack(">i", r[4:8])[0]):
        ln = struct.unpack(">h", r[off:off + 2])[0]
        out.append((r[off + 2:off + 2 + ln], struct.unpack(">h", r[off + 2 + ln:off + 4 + ln])[0]))
        off += 4 + ln
    return out


def produce_v3_raw(c, topic, batch):
    """Produce v3 (acks=1) of one batch to partition 0 of topic (bytes):
    the partition's error code."""
    body = struct.pack(">hhi", -1, 1, 10000) + struct.pack(">i", 1) + \
        struct.pack(">h", len(topic)) + topic + struct.pack(">ii", 1, 0) + \
        struct.pack(">i", len(batch)) + batch
    r = call(c, 0, 3, body)
    check(r is not None, "Produce: connection closed")
    n = struct.unpack(">h", r[4:6])[0]
    return struct.unpack(">ih", r[6 + n + 4:6 + n + 10])[1]


def topics_now(c):
    r = call(c, 3, 4, struct.pack(">i", -1) + struct.pack(">?", False))
    return {t[0] for t in parse_metadata_v4(r)}


@test
def req_nul_topic_never_aliases():
    """A name with an embedded NUL ("nt\\0x") is its own, illegal name: Produce
    and Fetch answer UNKNOWN_TOPIC_OR_PARTITION (as Kafka answers a name its
    metadata lacks), Metadata INVALID_TOPIC_EXCEPTION, DeleteTopics
    UNKNOWN_TOPIC_OR_PARTITION; nothing lands in, describes, deletes or
    auto-creates "nt"."""
    c = cluster()
    create_topic(c, "nt", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "nt", "-p", "0", input=b"one\n")
    bad = b"nt\x00x"
    check(produce_v3_raw(c, bad, record_batch([b"evil"])) == 3,
          "Produce to nt\\0x did not get UNKNOWN_TOPIC_OR_PARTITION")
    fresh = b"fresh\x00x"
    check(produce_v3_raw(c, fresh, record_batch([b"evil"])) == 3,
          "Produce to fresh\\0x did not get UNKNOWN_TOPIC_OR_PARTITION")
    body = struct.pack(">iiiib", -1, 100, 1, 1048576, 0) + struct.pack(">i", 1) + \
        struct.pack(">h", len(bad)) + bad + struct.pack(">iiqi", 1, 0, 0, 1048576)
    f = parse_fetch_v4(call(c, 1, 4, body))
    check(f and f[0][1][0][1] == 3, "Fetch of nt\\0x: %r" % (f,))
    m = parse_metadata_v4(call(c, 3, 4, metadata_body_v4([bad, fresh], True)))
    check([(n, e) for n, e, _ in m] == [(bad, 17), (fresh, 17)],
          "Metadata of nt\\0x / fresh\\0x: %r" % m)
    d = delete_topics_v1(c, [bad])
    check(d == [(bad, 3)], "DeleteTopics of nt\\0x: %r" % d)
    time.sleep(1)  # an alias deletion or auto-creation would show by now
    names = topics_now(c)
    check(b"nt" in names and b"fresh" not in names, "topics now: %r" % sorted(names))
    check(consume(c, "nt") == [b"one"], "nt holds %r" % consume(c, "nt"))
    check(served_promptly(c) is not None, "a second client was not served")


@test
def req_create_topics_limits():
    """CreateTopics: partitions per request (gregor.create.partitions.max=50
    here) and a huge manual assignment get POLICY_VIOLATION (44) before
    anything is allocated, a replica list longer than the live brokers
    INVALID_REPLICA_ASSIGNMENT (39), a repeated name INVALID_REQUEST (42) in
    every entry, an illegal name INVALID_TOPIC_EXCEPTION (17)."""
    c = cluster()
    create_topic(c, "ctkeep", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "ctkeep", "-p", "0", input=b"safe\n")
    res = create_topics_v2(c, [("ct-big", 60, 1, None)])
    check(res[0][1] == 44 and "gregor.create.partitions.max" in (res[0][2] or ""),
          "60 partitions in one request: %r" % res)
    res = create_topics_v2(c, [("ct-a", 30, 1, None), ("ct-b", 30, 1, None)])
    check(res[0][1] == 0 and res[1][1] == 44, "30 + 30 partitions: %r" % res)
    res = create_topics_v2(c, [("ct-dup", 1, 1, None), ("ct-c", 1, 1, None), ("ct-dup", 1, 1, None)])
    check([e for _, e, _ in res] == [42, 0, 42], "a repeated name: %r" % res)
    res = create_topics_v2(c, [("ct-manual", -1, -1, [[0, 1, 2]])])
    check(res[0][1] == 39, "three replicas on one live broker: %r" % res)
    huge = [[0]] * 100000
    t0 = time.time()
    res = create_topics_v2(c, [("ct-huge", -1, -1, huge)])
    check(res[0][1] == 44, "100,000 manual partitions: %r" % res)
    res = create_topics_v2(c, [(b"ctkeep\x00x", 1, 1, None)])
    check(res[0][1] == 17, "an embedded NUL: %r" % res)
    # 100,000 names, one repeated at the end: finding the repeat and
    # checking each name must not hold the loop (it was quadratic).
    names = ["ctv%06d" % i for i in range(100000)] + ["ctv000000"]
    attacker = socket.create_connection(c.broker_addr(0), timeout=10)
    out = [struct.pack(">i", len(names))]
    out += [kstr(n) + struct.pack(">ihii", 1, 1, 0, 0) for n in names]
    attacker.sendall(frame(19, 2, 8, b"".join(out) + struct.pack(">i?", 0, True)))
    check(served_promptly(c) is not None,
          "a second client was not served while a 100,000-topic CreateTopics was handled")
    r = recv_frame(attacker, timeout=120)
    attacker.close()
    check(r is not None, "the 100,000-topic CreateTopics got no answer")
    check(served_promptly(c) is not None, "a second client was not served")
    names = topics_now(c)
    check(b"ct-a" in names and not names & {b"ct-big", b"ct-b", b"ct-dup", b"ct-huge"},
          "topics now: %r" % sorted(names))
    check(consume(c, "ctkeep") == [b"safe"], "ctkeep lost its record")


def create_partitions_v1(c, topics, validate_only=False):
    """[(name, count)] -> [(name, error, message)]"""
    body = struct.pack(">i", len(topics))
    for n, count in topics:
        body += kstr(n) + struct.pack(">ii", count, -1)
    r = call(c, 37, 1, body + struct.pack(">i?", 10000, validate_only))
    check(r is not None, "CreatePartitions: connection closed")
    off, out = 8, []
    for _ in range(struct.unpack(">i", r[4:8])[0]):
        ln = struct.unpack(">h", r[off:off + 2])[0]
        name = r[off + 2:off + 2 + ln].decode()
        off += 2 + ln
        err, ml = struct.unpack(">hh", r[off:off + 4])
        off += 4
        out.append((name, err, r[off:off + ml].decode() if ml > 0 else None))
        off += max(ml, 0)
    return out


@test
def req_create_partitions_limits():
    """CreatePartitions: growing by more than gregor.create.partitions.max in
    one request is POLICY_VIOLATION (44); a repeated topic INVALID_REQUEST
    (42) in every entry; within the limits it works."""
    c = cluster()
    create_topic(c, "cpgrow", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "cpgrow", "-p", "0", input=b"p0\n")
    res = create_partitions_v1(c, [("cpgrow", 80)])
    check(res[0][1] == 44 and "gregor.create.partitions.max" in (res[0][2] or ""),
          "growing by 79: %r" % res)
    res = create_partitions_v1(c, [("cpgrow", 3), ("cpgrow", 4)])
    check([e for _, e, _ in res] == [42, 42], "a repeated topic: %r" % res)
    res = create_partitions_v1(c, [("cpgrow", 4)])
    check(res[0][1] == 0, "growing to 4: %r" % res)
    check(served_promptly(c) is not None, "a second client was not served")
    check(consume(c, "cpgrow") == [b"p0"], "cpgrow lost its record")


@test
def req_fetch_limits():
    """min_bytes above the response limit counts as the limit (answered at
    once when the limit's worth is there), and past gregor.fetch.parked.max
    (4 here) a fetch is answered at once instead of waiting, with a log line."""
    c = cluster()
    create_topic(c, "flim", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "flim", "-p", "0", input=b"".join(
        b"record-%04d-%s\n" % (i, b"z" * 100) for i in range(50)))
    end = log_end(c, "flim")
    # max_bytes 200 with min_bytes INT32_MAX: the 200 bytes are there.
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    s.sendall(frame(1, 4, 5, fetch_v4_body("flim", [(0, 0, 1048576)], 0x7fffffff, 30000,
                                            max_bytes=200)))
    r = recv_frame(s, timeout=15)
    s.close()
    check(r is not None, "a fetch with min_bytes over max_bytes waited out its 30 s max_wait")
    # Four fetches wait at the log end; the fifth is answered at once.
    waiting = []
    for i in range(4):
        w = socket.create_connection(c.broker_addr(0), timeout=10)
        w.sendall(frame(1, 4, 100 + i, fetch_v4_body("flim", [(0, end, 1048576)], 1, 30000)))
        waiting.append(w)
    time.sleep(0.5)
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    s.sendall(frame(1, 4, 6, fetch_v4_body("flim", [(0, end, 1048576)], 1, 30000)))
    r = recv_frame(s, timeout=15)
    s.close()
    check(r is not None, "the fifth fetch waited although gregor.fetch.parked.max is 4")
    check(wait_for(lambda: "gregor.fetch.parked.max" in c.log(0), 5, "the log line"),
          "no log line")
    check(served_promptly(c) is not None, "a second client was not served")
    kcat("-b", c.bootstrap, "-P", "-t", "flim", "-p", "0", input=b"wake\n")
    for w in waiting:
        check(recv_frame(w, timeout=15) is not None, "a waiting fetch was not woken by data")
        w.close()
    got = consume(c, "flim")
    check(len(got) == 51 and got[-1] == b"wake", "flim holds %d records" % len(got))


@test
def req_describe_configs_repeats():
    """DescribeConfigs naming one topic 50,000 times (450 KB) describes it once
    and answers the repeats INVALID_REQUEST (42); it was an 80 MB answer."""
    c = cluster()
    create_topic(c, "dcrep", 1)
    kcat("-b", c.bootstrap, "-P", "-t", "dcrep", "-p", "0", input=b"cfg\n")
    n = 50000
    one = struct.pack(">b", 2) + kstr("dcrep") + struct.pack(">i", -1)
    body = struct.pack(">i", n) + one * n + struct.pack(">?", False)
    attacker = socket.create_connection(c.broker_addr(0), timeout=10)
    attacker.sendall(frame(32, 1, 9, body))
    check(served_promptly(c) is not None, "a second client was not served")
    r = recv_frame(attacker, timeout=60)
    attacker.close()
    check(r is not None, "no DescribeConfigs answer")
    check(len(r) < 10 * len(body), "a %d-byte request got a %d-byte answer" % (len(body), len(r)))
    off = 4 + 4  # correlation id, throttle
    check(struct.unpack(">i", r[off:off + 4])[0] == n, "not one result per resource")
    off += 4
    errors = []
    for i in range(n):
        err, ml = struct.unpack(">hh", r[off:off + 4])
        off += 4 + max(ml, 0)
        off += 1  # resource type
        ln = struct.unpack(">h", r[off:off + 2])[0]
        off += 2 + ln
        k = struct.unpack(">i", r[off:off + 4])[0]
        off += 4
        for _ in range(max(k, 0)):
            for _s in range(2):  # name, value
                sl = struct.unpack(">h", r[off:off + 2])[0]
                off += 2 + max(sl, 0)
            off += 3  # read_only, config_source, is_sensitive
            off += 4 + 0  # synonyms count (none asked)
        errors.append((err, k))
    check(errors[0][0] == 0 and errors[0][1] > 10, "the first description: %r" % (errors[0],))
    check(all(e == (42, 0) for e in errors[1:]), "repeats: %r" % sorted(set(errors[1:])))
    check(consume(c, "dcrep") == [b"cfg"], "dcrep lost its record")


@test
def req_auto_create_flood():
    """Metadata naming 450 unknown topics with auto-creation on creates at
    most gregor.create.partitions.max (50) partitions per request, answering
    the others LEADER_NOT_AVAILABLE (retriable); once
    gregor.broker.partitions.max (400 replicas here) is reached, POLICY_VIOLATION.
    Runs last: it fills the broker."""
    c = cluster()
    names = ["flood-%03d" % i for i in range(450)]
    before = len(topics_now(c))
    m = parse_metadata_v4(call(c, 3, 4, metadata_body_v4(names, True)))
    check(len(m) == 450 and all(e == 5 for _, e, _ in m),
          "first request: errors %r" % sorted({e for _, e, _ in m}))
    wait_for(lambda: len(topics_now(c)) >= before + 50, 20, "50 topics to be created")
    time.sleep(0.5)
    check(len(topics_now(c)) == before + 50, "one request created %d topics" %
          (len(topics_now(c)) - before))
    errors = set()
    for _ in range(30):
        m = parse_metadata_v4(call(c, 3, 4, metadata_body_v4(names, True)))
        errors |= {e for _, e, _ in m}
        if 44 in errors:
            break
        time.sleep(0.3)
    check(44 in errors, "no POLICY_VIOLATION once the broker was full: %r" % sorted(errors))
    check(len(topics_now(c)) <= 400, "the broker holds %d one-partition topics, over its 400" %
          len(topics_now(c)))
    check("gregor.broker.partitions.max" in c.log(0), "no log line names the limit")
    check(served_promptly(c) is not None, "a second client was not served")
