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

from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for

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
    body = struct.pack(">i", len(topics))
    for name, parts, rf, assign in topics:
        body += kstr(name) if isinstance(name, str) else struct.pack(">h", len(name)) + name
        body += struct.pack(">ih", parts, rf)
        assign = assign or []
        body += struct.pack(">i", len(assign))
        for p, ids in enumerate(assign):
            body += struct.pack(">ii", p, len(ids)) + b"".join(struct.pack(">i", i) for i in ids)
        body += struct.pack(">i", 0)  # configs
    body += struct.pack(">i?", timeout_ms, validate_only)
    r = call(c, 19, 2, body)
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
