"""Issue 9 leftovers: the Produce request's inflation budget, and the like.

Imported by suite.py; the tests register themselves with harness.test.
"""
import os
import socket
import struct
import zlib

from harness import Cluster, check, frame, kstr, metadata_ok, recv_frame, test
from suite_ident import batch_header, seal, zigzag

NONE, POLICY_VIOLATION = 0, 44


def gzip_zeros_batch(n):
    """A legal gzip batch of one record whose value is n zero bytes: a few KB
    on the wire that inflate to n bytes."""
    rec = b"\x00" + zigzag(0) + zigzag(0) + zigzag(-1) + zigzag(n)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = z.compress(zigzag(len(rec) + n + 1) + rec)
    payload += z.compress(bytes(n)) + z.compress(zigzag(0)) + z.flush()
    return seal(batch_header(1, 1) + payload)


def produce_parts(addr, topic, batches):
    """Produce v3 (acks=1) of batches[i] to partition i -> [(error, base_offset)]."""
    body = struct.pack(">hhi", -1, 1, 15000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", len(batches))
    for i, b in enumerate(batches):
        body += struct.pack(">ii", i, len(b)) + b
    s = socket.create_connection(addr, timeout=10)
    try:
        s.sendall(frame(0, 3, 11, body))
        r = recv_frame(s, timeout=30)
        check(r is not None, "no Produce response")
        at = 8 + 2 + struct.unpack(">h", r[8:10])[0]  # corr, topic count, name
        n = struct.unpack(">i", r[at:at + 4])[0]
        out = []
        for k in range(n):
            _, err, base, _ = struct.unpack(">ihqq", r[at + 4 + 22 * k:at + 26 + 22 * k])
            out.append((err, base))
        return out
    finally:
        s.close()


@test
def produce_request_inflation_budget():
    """One Produce request of 4 legal gzip batches (3 MiB of zeros each, 32 KB
    on the wire together) under gregor.produce.inflate.max.bytes=8 MiB: the
    first two are stored, the third would pass the budget and the fourth
    finds it spent: POLICY_VIOLATION, nothing of theirs stored. Before the
    budget every batch was inflated and stored (each is under its own 32 MiB
    bound), so one 100 MB request could inflate about 100 GB."""
    c = Cluster(brokers=1, name="inflate",
                overrides=["gregor.produce.inflate.max.bytes=8388608"])
    try:
        make_topics_n(c, "infl", 4)
        b = gzip_zeros_batch(3 << 20)
        res = produce_parts(c.broker_addr(0), "infl", [b] * 4)
        errs = [e for e, _ in res]
        check(errs == [NONE, NONE, POLICY_VIOLATION, POLICY_VIOLATION],
              "errors %s, expected [0, 0, 44, 44]" % errs)
        check(metadata_ok(c), "a second client was not served after the request")
        for p in range(4):
            size = os.path.getsize(os.path.join(c.log_dir(0), "infl-%d" % p, "%020d.log" % 0))
            check((size > 0) == (p < 2), "partition %d holds %d bytes" % (p, size))
        # The budget is per request: the next one is served afresh.
        res = produce_parts(c.broker_addr(0), "infl", [b] * 2)
        check([e for e, _ in res] == [NONE, NONE] and [o for _, o in res] == [1, 1],
              "a second request got %s, expected both stored at offset 1" % res)
        check("gregor.produce.inflate.max.bytes" in c.log(0), "no log line naming the key")
    finally:
        c.close()


def make_topics_n(c, name, partitions):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        r = a.create_topics([NewTopic(name, partitions, 1)], timeout_ms=30000)
        check(all(e[1] == 0 for e in r.topic_errors), "creating %s: %s" % (name, r))
    finally:
        a.close()


@test
def describe_configs_shows_max_connections_in_force():
    """max.connections left at its default is derived from the open-file
    limit at start-up; DescribeConfigs shows that number (the start-up
    line's), as DEFAULT_CONFIG. Before, it showed the table's 2147483647."""
    import re
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
    c = Cluster(brokers=1, name="maxconn")
    try:
        m = re.search(r"max\.connections=(\d+) \(from open-file limit", c.log(0))
        check(m is not None, "no start-up line deriving max.connections")
        a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
        try:
            r = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
        finally:
            a.close()
        e = {x[0]: x for x in r[0].resources[0][4]}["max.connections"]
        check(e[1] == m.group(1), "max.connections described as %s, in force %s" % (e[1], m.group(1)))
        check(e[3] == 5, "max.connections source %s, expected DEFAULT_CONFIG (5)" % (e,))
        check(metadata_ok(c), "a second client is not served")
    finally:
        c.close()


def metadata_v5(c, topic):
    """Metadata v5 for one topic -> [(error, partition, leader, offline_replicas)]."""
    body = struct.pack(">i", 1) + kstr(topic) + b"\x00"
    s = socket.create_connection(c.broker_addr(0), timeout=5)
    try:
        s.sendall(frame(3, 5, 31, body))
        r = recv_frame(s, timeout=5)
    finally:
        s.close()
    check(r is not None, "no Metadata response")
    at = 8  # correlation id, throttle

    def i32():
        nonlocal at
        at += 4
        return struct.unpack(">i", r[at - 4:at])[0]

    def i16():
        nonlocal at
        at += 2
        return struct.unpack(">h", r[at - 2:at])[0]

    def string():
        nonlocal at
        n = i16()
        at += max(n, 0)

    for _ in range(i32()):  # brokers: id, host, port, rack
        i32(), string(), i32(), string()
    string(), i32()  # cluster id, controller
    check(i32() == 1, "one topic expected")
    i16(), string()
    at += 1  # is_internal
    out = []
    for _ in range(i32()):
        err, index, leader = i16(), i32(), i32()
        [i32() for _ in range(i32())]  # replicas
        [i32() for _ in range(i32())]  # isr
        off = [i32() for _ in range(i32())]
        out.append((err, index, leader, off))
    return out


@test
def metadata_lists_an_unloadable_partition_offline():
    """A partition whose log cannot be opened at start-up (its .log is a
    directory) is this broker's offline replica: Metadata v5 lists the broker
    in offline_replicas with leader -1 and LEADER_NOT_AVAILABLE (5); the
    healthy topic is unchanged. Before: leader 0, NONE, no offline replica."""
    from suite_disk import create, produce
    c = Cluster(brokers=1, name="mdoff")
    try:
        create(c, "mgood")
        create(c, "mbad")
        c.stop(0)
        seg = os.path.join(c.log_dir(0), "mbad-0", "%020d.log" % 0)
        os.rename(seg, seg + ".saved")
        os.mkdir(seg)
        c.start(0)
        got = metadata_v5(c, "mbad")
        check(got == [(5, 0, -1, [0])], "mbad: %s, expected [(5, 0, -1, [0])]" % got)
        got = metadata_v5(c, "mgood")
        check(got == [(0, 0, 0, [])], "mgood: %s, expected [(0, 0, 0, [])]" % got)
        check(produce(c, "mgood", [b"g"]) == (0, 1), "the healthy topic takes no produce")
        check(metadata_ok(c), "a second client is not served")
    finally:
        c.close()
