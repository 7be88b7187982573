"""gregor's integration tests: real ZooKeeper, real brokers, real clients.

    /usr/bin/python3 tests/integration/suite.py --build BUILD_DIR [name-filter...]

Most tests share one single-broker cluster; tests that restart, kill or
starve a broker get their own. Every test asserts what a client or an
operator would notice.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import suite_conn  # noqa: F401,E402
import suite_disk  # noqa: F401,E402
import suite_groups  # noqa: E402
import suite_ident  # noqa: F401,E402
import suite_req  # noqa: F401,E402
import suite_tidy  # noqa: F401,E402
import suite_repl  # noqa: F401,E402
import suite_netpart  # noqa: F401,E402
import suite_leaders  # noqa: F401,E402
import suite_ops  # noqa: F401,E402
import suite_dumplog  # noqa: F401,E402
import suite_reassign  # noqa: F401,E402
import suite_metrics  # noqa: F401,E402
import suite_idem  # noqa: F401,E402
import suite_oldfmt  # noqa: F401,E402
import suite_bulk  # noqa: F401,E402
from harness import (Cluster, check, frame, kstr, metadata_ok, record_batch,  # noqa: E402
                     recv_frame, test, wait_for)

import socket  # noqa: E402

_shared = None


def shared():
    """The cluster most tests use: one broker, default configuration."""
    global _shared
    if _shared is None:
        _shared = Cluster(brokers=1, name="shared")
    return _shared


def admin(c):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)


def create_topic(c, name, partitions=1, configs=None):
    from kafka.admin import NewTopic
    a = admin(c)
    try:
        r = a.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})],
                            timeout_ms=30000)
        check(r.topic_errors[0][1] == 0, "creating %s failed: %s" % (name, r))
    finally:
        a.close()


def kcat(*args, input=None, timeout=120):
    p = subprocess.run(["kcat"] + list(args), input=input, capture_output=True,
                       timeout=timeout)
    check(p.returncode == 0, "kcat %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                         p.stderr.decode(errors="replace")))
    return p.stdout


# --- kcat / librdkafka -----------------------------------------------------------

@test
def kcat_metadata():
    c = shared()
    create_topic(c, "kcat-md", 3)
    out = kcat("-b", c.bootstrap, "-L", "-J").decode()
    md = json.loads(out)
    check([b["id"] for b in md["brokers"]] == [0], "brokers in metadata: %s" % md["brokers"])
    check(md["brokers"][0]["name"] == "127.0.0.1:%d" % c.port, "broker address %s" % md["brokers"])
    t = [t for t in md["topics"] if t["topic"] == "kcat-md"]
    check(t and len(t[0]["partitions"]) == 3, "kcat-md in metadata: %s" % t)
    check(all(p["leader"] == 0 and [r["id"] for r in p["isrs"]] == [0] for p in t[0]["partitions"]),
          "leaders and ISRs: %s" % t[0]["partitions"])


@test
def kcat_100k_keyed_roundtrip():
    """100,000 keyed records through kcat come back byte-identical, each
    partition in the order they were sent."""
    c = shared()
    create_topic(c, "kcat-100k", 4)
    n = 100000
    lines = "".join("k%05d\tv%06d-%s\n" % (i % 997, i, "x" * (i % 37)) for i in range(n))
    kcat("-b", c.bootstrap, "-P", "-t", "kcat-100k", "-K", "\t", "-X", "linger.ms=5",
         input=lines.encode())
    out = kcat("-b", c.bootstrap, "-C", "-t", "kcat-100k", "-e", "-o", "beginning", "-q",
               "-f", "%p %o %k\t%s\n").decode()
    got = [l for l in out.split("\n") if l]
    check(len(got) == n, "consumed %d records, produced %d" % (len(got), n))
    sent = {}
    for l in lines.splitlines():
        k, v = l.split("\t")
        sent.setdefault(k, []).append(v)
    per_part = {}
    seen_keys = {}
    for l in got:
        head, v = l.split("\t", 1)
        p, o, k = head.split(" ")
        per_part.setdefault(p, []).append(int(o))
        seen_keys.setdefault(k, []).append(v)
        # one key, one partition
        check(seen_keys.setdefault("#" + k, p) == p, "key %s in two partitions" % k)
    for p, offs in per_part.items():
        check(offs == list(range(len(offs))), "partition %s offsets not 0..n-1 in order" % p)
    check(seen_keys.keys() >= sent.keys(), "keys missing")
    for k, vs in sent.items():
        check(seen_keys[k] == vs, "values of key %s differ or are out of order" % k)


@test
def rdkafka_c_client():
    """librdkafka from C: acks=all producer, manual assignment, seek by
    offset, offsets_for_times, watermarks."""
    c = shared()
    create_topic(c, "rdkafka-c", 1)
    exe = os.path.join(harness.BUILD, "tests", "integration", "rdkafka_client")
    p = subprocess.run([exe, c.bootstrap, "rdkafka-c", "2000"], capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, "rdkafka_client failed:\n%s%s" % (p.stdout, p.stderr[-3000:]))


# --- Python clients ---------------------------------------------------------------

@test
def confluent_kafka_python():
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
    c = shared()
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    fs = a.create_topics([NewTopic("ck", num_partitions=2, replication_factor=1,
                                   config={"retention.ms": "3600000"})], request_timeout=30)
    fs["ck"].result(30)
    res = a.describe_configs([ConfigResource("topic", "ck")])
    cfg = list(res.values())[0].result(30)
    check(cfg["retention.ms"].value == "3600000" and not cfg["retention.ms"].is_default,
          "retention.ms: %r" % cfg["retention.ms"])
    # conf/server.properties sets log.segment.bytes, so Kafka reports the
    # topic's value as coming from the static broker config (source 4).
    seg = cfg["segment.bytes"]
    check(seg.value == "1073741824" and int(seg.source) == 4 and not seg.is_default,
          "segment.bytes: %r source %r" % (seg, seg.source))
    check(int(cfg["retention.ms"].source) == 1, "retention.ms source %r" % cfg["retention.ms"].source)
    # An invalid config is refused with INVALID_CONFIG and a message.
    fs = a.create_topics([NewTopic("ck-bad", 1, 1, config={"retention.ms": "soon"})])
    try:
        fs["ck-bad"].result(30)
        check(False, "a bad retention.ms was accepted")
    except Exception as e:
        check("retention.ms" in str(e), "error for a bad config: %s" % e)
    delivered = []
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 2})
    for i in range(500):
        p.produce("ck", key=b"k%d" % i, value=b"v%d" % i, partition=i % 2, timestamp=1700000000000 + i,
                  on_delivery=lambda err, m: delivered.append((err, m.partition(), m.offset())))
    p.flush(30)
    check(len(delivered) == 500 and all(e is None for e, _, _ in delivered),
          "deliveries: %d, errors %s" % (len(delivered), [d for d in delivered if d[0]][:3]))
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "ck",
                     "enable.auto.commit": False})
    cons.assign([TopicPartition("ck", 0, 0), TopicPartition("ck", 1, 0)])
    got = []
    deadline = time.time() + 30
    while len(got) < 500 and time.time() < deadline:
        m = cons.poll(0.5)
        if m and not m.error():
            got.append((m.partition(), m.offset(), m.key(), m.value()))
    check(len(got) == 500, "consumed %d of 500" % len(got))
    for part, off, k, v in got:
        i = int(k[1:])
        check(v == b"v%d" % i and i % 2 == part, "record %s at %d/%d" % (k, part, off))
    lo, hi = cons.get_watermark_offsets(TopicPartition("ck", 0), timeout=10)
    check((lo, hi) == (0, 250), "watermarks of ck-0: %s" % ((lo, hi),))
    tps = cons.offsets_for_times([TopicPartition("ck", 0, 1700000000000 + 100)], timeout=10)
    check(tps[0].offset == 50, "offsets_for_times: %s" % tps)
    cons.close()
    fs = a.create_partitions([NewPartitions("ck", 4)])
    fs["ck"].result(30)
    md = a.list_topics("ck", timeout=10)
    check(len(md.topics["ck"].partitions) == 4, "partitions after CreatePartitions: %s" %
          md.topics["ck"].partitions)
    fs = a.delete_topics(["ck"], operation_timeout=30)
    fs["ck"].result(30)
    wait_for(lambda: "ck" not in a.list_topics(timeout=10).topics, 10, "ck to disappear")


@test
def kafka_python():
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
    c = shared()
    a = admin(c)
    r = a.create_topics([NewTopic("kp", 3, 1, topic_configs={"cleanup.policy": "delete"})],
                        timeout_ms=30000)
    check(r.topic_errors[0][1] == 0, "create: %s" % r)
    from kafka.errors import TopicAlreadyExistsError
    try:
        a.create_topics([NewTopic("kp", 3, 1)], timeout_ms=30000)
        check(False, "creating kp again succeeded")
    except TopicAlreadyExistsError as e:
        check("already exists" in str(e), "message: %s" % e)
    r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp")])
    entries = {e[0]: e for e in r[0].resources[0][4]}
    check(entries["cleanup.policy"][1] == "delete", "cleanup.policy: %s" % (entries.get("cleanup.policy"),))
    check(entries["max.message.bytes"][1] == "1048588", "max.message.bytes: %s" % (entries["max.message.bytes"],))
    r = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
    bentries = {e[0]: e for e in r[0].resources[0][4]}
    check(bentries["num.partitions"][1] == "1", "broker num.partitions: %s" % (bentries.get("num.partitions"),))
    p = KafkaProducer(bootstrap_servers=c.bootstrap, acks=1)
    futs = [p.send("kp", key=b"%d" % i, value=b"x" * i, partition=i % 3) for i in range(300)]
    p.flush()
    md = [f.get(timeout=10) for f in futs]
    check(sorted(m.offset for m in md if m.partition == 1) == list(range(100)),
          "offsets of partition 1: %s" % [m.offset for m in md if m.partition == 1][:10])
    cons = KafkaConsumer(bootstrap_servers=c.bootstrap, consumer_timeout_ms=3000)
    tps = [TopicPartition("kp", i) for i in range(3)]
    cons.assign(tps)
    cons.seek_to_beginning()
    got = sorted((m.partition, m.offset, int(m.key), len(m.value)) for m in cons)
    check(len(got) == 300 and all(k == l for _, _, k, l in got), "consumed %d" % len(got))
    check(cons.end_offsets(tps) == {tp: 100 for tp in tps}, "end offsets %s" % cons.end_offsets(tps))
    check(cons.beginning_offsets(tps) == {tp: 0 for tp in tps}, "beginning offsets")
    cons.close()
    r = a.create_partitions({"kp": NewPartitions(5)})
    check(r.topic_errors[0][1] == 0, "create_partitions: %s" % r)
    from kafka.errors import InvalidPartitionsError
    try:
        a.create_partitions({"kp": NewPartitions(2)})
        check(False, "shrinking kp to 2 partitions succeeded")
    except InvalidPartitionsError as e:
        check("5" in str(e), "message: %s" % e)
    r = a.delete_topics(["kp"], timeout_ms=30000)
    check(r.topic_error_codes[0][1] == 0, "delete: %s" % r)
    a.close()


def request(c, api_key, version, body, corr=3):
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(frame(api_key, version, corr, body))
        r = recv_frame(s, timeout=15)
        check(r is not None and struct.unpack(">i", r[:4])[0] == corr, "no answer to API %d" % api_key)
        return r[4:]
    finally:
        s.close()


def delete_records_v0(c, topic, partition, offset):
    """DeleteRecords v0 -> (low watermark, error code)."""
    body = struct.pack(">i", 1) + kstr(topic) + struct.pack(">iiq", 1, partition, offset) + \
        struct.pack(">i", 10000)
    r = request(c, 21, 0, body)
    n = struct.unpack(">h", r[8:10])[0]
    return struct.unpack(">qh", r[10 + n + 8:10 + n + 18])


def earliest_offset(c, topic, partition):
    body = struct.pack(">ii", -1, 1) + kstr(topic) + struct.pack(">iiq", 1, partition, -2)
    r = request(c, 2, 1, body)
    n = struct.unpack(">h", r[4:6])[0]
    err, ts, off = struct.unpack(">hqq", r[6 + n + 8:6 + n + 26])
    check(err == 0, "ListOffsets error %d" % err)
    return off


@test
def delete_records():
    """DeleteRecords moves the log start offset; reads begin there; whole
    segments below it are removed; past the high watermark is refused."""
    from confluent_kafka import Producer
    c = shared()
    create_topic(c, "dr", 1, {"segment.bytes": "2000"})
    # One batch per record (flush after each), so that the log rolls often.
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": 1, "linger.ms": 0})
    for i in range(100):
        p.produce("dr", value=b"r%03d" % i + b"." * 60, partition=0)
        check(p.flush(10) == 0, "record %d not delivered" % i)
    check(delete_records_v0(c, "dr", 0, 60) == (60, 0), "DeleteRecords to 60")
    low, err = delete_records_v0(c, "dr", 0, 500)
    check(err == 1, "DeleteRecords past the end gave error %d, want OFFSET_OUT_OF_RANGE (1)" % err)
    check(earliest_offset(c, "dr", 0) == 60, "earliest offset after DeleteRecords")
    out = kcat("-b", c.bootstrap, "-C", "-t", "dr", "-e", "-o", "beginning", "-q",
               "-f", "%o\n").decode().split()
    check(out and out[0] == "60" and out[-1] == "99", "kcat from beginning read %s..%s" % (out[:1], out[-1:]))
    files = [f for f in os.listdir(os.path.join(c.log_dir(0), "dr-0")) if f.endswith(".log")]
    check(min(int(f[:20]) for f in files) > 0, "segments below the start still present: %s" % files)


@test
def kafkajs():
    harness.kafkajs_run("test.js", shared().bootstrap)


# --- ZooKeeper layout and tooling --------------------------------------------------

def kazoo(c):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk, timeout=10)
    zk.start(timeout=15)
    return zk


@test
def zookeeper_layout():
    """The znodes and JSON Kafka's tools expect."""
    c = shared()
    create_topic(c, "layout", 2)
    zk = kazoo(c)
    try:
        data, st = zk.get("/brokers/ids/0")
        b = json.loads(data)
        check(st.ephemeralOwner != 0, "/brokers/ids/0 is not ephemeral")
        check(b["version"] == 4 and b["port"] == c.port and b["host"] == "127.0.0.1" and
              b["endpoints"] == ["PLAINTEXT://127.0.0.1:%d" % c.port] and
              b["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"} and
              b["jmx_port"] == -1 and isinstance(b["timestamp"], str), "/brokers/ids/0: %s" % b)
        ctl = json.loads(zk.get("/controller")[0])
        check(ctl["version"] == 1 and ctl["brokerid"] == 0, "/controller: %s" % ctl)
        check(int(zk.get("/controller_epoch")[0]) >= 1, "/controller_epoch")
        cid = json.loads(zk.get("/cluster/id")[0])
        check(cid["version"] == "1" and len(cid["id"]) == 22, "/cluster/id: %s" % cid)
        with open(os.path.join(c.log_dir(0), "meta.properties")) as f:
            meta = f.read()
        check("cluster.id=%s" % cid["id"] in meta and "broker.id=0" in meta,
              "meta.properties: %s" % meta)
        asg = json.loads(zk.get("/brokers/topics/layout")[0])
        check(asg["partitions"] == {"0": [0], "1": [0]}, "assignment: %s" % asg)
        st = json.loads(zk.get("/brokers/topics/layout/partitions/1/state")[0])
        check(st["leader"] == 0 and st["isr"] == [0] and st["version"] == 1 and
              st["leader_epoch"] == 0 and st["controller_epoch"] >= 1, "state: %s" % st)
        check(zk.exists("/config/topics/layout"), "/config/topics/layout missing")
        for path in ["/consumers", "/brokers/seqid", "/config/changes", "/admin/delete_topics",
                     "/isr_change_notification"]:
            check(zk.exists(path), "%s missing" % path)
    finally:
        zk.stop()


@test
def topic_created_and_deleted_through_zookeeper():
    """The way Kafka's old tools did it: znodes written by hand."""
    c = shared()
    zk = kazoo(c)
    try:
        zk.create("/config/topics/zkmade", b'{"version":1,"config":{"retention.ms":"7200000"}}')
        t0 = time.time()
        zk.create("/brokers/topics/zkmade", b'{"version":1,"partitions":{"0":[0],"1":[0]}}')

        def ready():
            md = json.loads(kcat("-b", c.bootstrap, "-L", "-J", "-t", "zkmade").decode())
            t = md["topics"][0]
            return len(t.get("partitions", [])) == 2 and all(p["leader"] == 0 for p in t["partitions"])
        wait_for(ready, 10, "the hand-made topic to get leaders")
        check(time.time() - t0 < 2, "took %.1f s to become usable" % (time.time() - t0))
        kcat("-b", c.bootstrap, "-P", "-t", "zkmade", "-p", "1", input=b"a\nb\nc\n")
        out = kcat("-b", c.bootstrap, "-C", "-t", "zkmade", "-p", "1", "-e", "-o", "beginning", "-q")
        check(out == b"a\nb\nc\n", "read back %r" % out)
        check(os.path.isdir(os.path.join(c.log_dir(0), "zkmade-1")), "no log dir for zkmade-1")
        zk.create("/admin/delete_topics/zkmade")
        wait_for(lambda: not zk.exists("/brokers/topics/zkmade"), 10, "/brokers/topics/zkmade to go")
        wait_for(lambda: not zk.exists("/admin/delete_topics/zkmade") and
                 not zk.exists("/config/topics/zkmade"), 10, "the deletion request and config to go")
        wait_for(lambda: not [d for d in os.listdir(c.log_dir(0)) if d.startswith("zkmade-")], 10,
                 "the topic's log directories to be removed")
    finally:
        zk.stop()


# --- bad input ----------------------------------------------------------------------

def closed_or_error(sock):
    """True if the broker closed the connection (the answer to garbage)."""
    try:
        return recv_frame(sock, timeout=5) is None
    except (ConnectionResetError, socket.timeout):
        return False


@test
def bad_input_is_contained():
    """Malformed requests get an error code or a closed connection, for that
    client only; a second client keeps being served and the broker lives."""
    c = shared()
    create_topic(c, "bad", 1)
    bystander = socket.create_connection(c.broker_addr(0), timeout=5)
    cases = {
        "negative frame size": struct.pack(">i", -5) + b"xxxx",
        "frame larger than socket.request.max.bytes": struct.pack(">i", 200 * 1024 * 1024),
        "truncated request header": struct.pack(">i", 3) + b"\x00\x03\x00",
        "unknown API key": frame(999, 0, 1, b""),
        "unsupported Produce version": frame(0, 9, 1, b"\x00" * 20),
        "Metadata body cut short": frame(3, 1, 1, struct.pack(">i", 5) + kstr("a")),
        "huge topic count": frame(3, 1, 1, struct.pack(">i", 0x7ffffff0)),
        "negative string length": frame(3, 1, 1, struct.pack(">ih", 1, -7)),
        "client id longer than the frame": struct.pack(">i", 10) + struct.pack(">hhih", 18, 0, 1, 500),
    }
    for name, data in cases.items():
        s = socket.create_connection(c.broker_addr(0), timeout=5)
        s.sendall(data)
        check(closed_or_error(s), "%s: the connection stayed open" % name)
        s.close()
        check(metadata_ok(c), "%s: a second client was not served afterwards" % name)
        check(c.alive(0), "%s: the broker died\n%s" % (name, c.tail()))
    # The bystander connected before all that is still served.
    bystander.sendall(frame(18, 0, 5, b""))
    r = recv_frame(bystander)
    check(r and struct.unpack(">ih", r[:6]) == (5, 0), "the bystander's ApiVersions: %r" % r[:8])
    bystander.close()
    check("socket.request.max.bytes" in c.log(0), "no log line about the oversized request")


def produce_v3(topic, batch, corr=9):
    body = struct.pack(">hhi", -1, 1, 10000) + struct.pack(">i", 1) + kstr(topic) + \
        struct.pack(">ii", 1, 0) + struct.pack(">i", len(batch)) + batch
    return frame(0, 3, corr, body)


def produce_error(c, batch):
    s = socket.create_connection(c.broker_addr(0), timeout=5)
    try:
        s.sendall(produce_v3("badbatch", batch))
        r = recv_frame(s)
        check(r is not None, "no Produce response")
        # corr, [topic: name, [partition, error, base_offset, log_append_time]]
        n = struct.unpack(">h", r[8:10])[0]
        off = 10 + n + 4
        return struct.unpack(">ih", r[off:off + 6])[1]
    finally:
        s.close()


@test
def bad_batches_get_kafka_errors():
    c = shared()
    create_topic(c, "badbatch", 1)
    good = record_batch([b"hello", b"world"])
    check(produce_error(c, good) == 0, "a good batch was refused")
    corrupt = bytearray(good)
    corrupt[-3] ^= 0xff
    check(produce_error(c, bytes(corrupt)) == 2, "a bad CRC did not get CORRUPT_MESSAGE (2)")
    big = record_batch([b"x" * 700000, b"y" * 500000])
    check(produce_error(c, big) == 10, "a batch over max.message.bytes did not get MESSAGE_TOO_LARGE (10)")
    two = good + good
    check(produce_error(c, two) == 87, "two batches in one partition did not get INVALID_RECORD (87)")
    out = kcat("-b", c.bootstrap, "-C", "-t", "badbatch", "-e", "-o", "beginning", "-q")
    check(out == b"hello\nworld\n", "the log holds %r, only the good batch belongs there" % out)
    check(metadata_ok(c) and c.alive(0), "broker not serving after bad batches")


@test
def api_versions_fallback():
    """librdkafka opens with ApiVersions v3; the answer is the v0 layout with
    UNSUPPORTED_VERSION and the API list, so it retries with v0."""
    c = shared()
    s = socket.create_connection(c.broker_addr(0), timeout=5)
    body = b"\x00\x00\x00"  # v3 body starts with compact strings; never read
    hdr = struct.pack(">hhih", 18, 3, 42, 2) + b"it" + b"\x00"  # header v2 tagged fields
    s.sendall(struct.pack(">i", len(hdr + body)) + hdr + body)
    r = recv_frame(s)
    s.close()
    corr, err, n = struct.unpack(">ihi", r[:10])
    check(corr == 42 and err == 35 and n >= 10, "fallback answer: corr %d error %d %d APIs" % (corr, err, n))
    keys = {struct.unpack(">hhh", r[10 + 6 * i:16 + 6 * i])[0]: struct.unpack(">hhh", r[10 + 6 * i:16 + 6 * i])[1:]
            for i in range(n)}
    check(keys.get(18) == (0, 2) and keys.get(0) == (0, 7) and keys.get(1) == (0, 11),
          "advertised versions: %s" % keys)


@test
def pipelined_frames_across_buffer_sizes():
    """Frames of every size around the 32 KiB read buffer, each followed
    directly by another frame, are all answered, in order."""
    c = shared()
    for size in list(range(32755, 32775)) + [65536, 100000]:
        # Metadata v1 with topic names that pad the frame to `size` bytes
        # (a Kafka string holds at most 32767 bytes, so use several).
        rest = size - (2 + 2 + 4 + 2 + 2) - 4
        names = []
        while rest > 0:
            n = min(rest - 2, 30000)
            names.append(b"a" * n)
            rest -= n + 2
        body = struct.pack(">i", len(names)) + b"".join(struct.pack(">h", len(x)) + x for x in names)
        m = frame(3, 1, 1, body)
        s = socket.create_connection(c.broker_addr(0), timeout=5)
        s.sendall(m + frame(18, 0, 2, b""))
        r1, r2 = recv_frame(s), recv_frame(s)
        s.close()
        check(r1 and r2 and struct.unpack(">i", r1[:4])[0] == 1 and struct.unpack(">i", r2[:4])[0] == 2,
              "frame of %d bytes then another: answers %r %r" % (len(m) - 4, r1 and r1[:4], r2 and r2[:4]))


# --- durability ----------------------------------------------------------------------

def produce_acked(c, topic, n, **conf):
    from confluent_kafka import Producer
    acked = []
    p = Producer(dict({"bootstrap.servers": c.bootstrap, "acks": "1", "linger.ms": 1}, **conf))
    for i in range(n):
        p.produce(topic, value=b"rec-%06d" % i, partition=i % 2,
                  on_delivery=lambda err, m: acked.append(m.value()) if err is None else None)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(30)
    return acked


def consume_all(c, topic, partitions=2):
    out = kcat("-b", c.bootstrap, "-C", "-t", topic, "-e", "-o", "beginning", "-q").split(b"\n")
    return [v for v in out if v]


@test
def records_survive_restart_and_sigkill():
    with Cluster(brokers=1, overrides=["log.flush.interval.messages=1"], name="dur") as c:
        create_topic(c, "dur", 2)
        acked = produce_acked(c, "dur", 5000)
        check(len(acked) == 5000, "only %d of 5000 acknowledged" % len(acked))
        c.stop(0)
        check("shut down" in c.log(0), "no clean shutdown line")
        check(os.path.exists(os.path.join(c.log_dir(0), ".kafka_cleanshutdown")),
              "no clean-shutdown marker after SIGTERM")
        c.start(0)
        check("after a clean shutdown" in c.log(0), "restart did not see the clean shutdown")
        got = consume_all(c, "dur")
        check(sorted(got) == sorted(acked), "after a clean restart: %d records, %d acknowledged" % (len(got), len(acked)))
        more = produce_acked(c, "dur", 3000)
        c.kill(0)
        c.start(0)
        check("unclean shutdown" in c.log(0), "restart after SIGKILL was not treated as unclean")
        got = consume_all(c, "dur")
        check(set(acked + more) <= set(got), "after SIGKILL: %d of %d acknowledged records are there"
              % (len(set(acked + more) & set(got)), len(acked + more)))
        # Offsets go on where they were.
        from confluent_kafka import Consumer, TopicPartition
        cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "x"})
        lo, hi = cons.get_watermark_offsets(TopicPartition("dur", 0), timeout=10)
        cons.close()
        produce_acked(c, "dur", 2)
        out = kcat("-b", c.bootstrap, "-C", "-t", "dur", "-p", "0", "-o", str(hi), "-e", "-q",
                   "-f", "%o\n").split()
        check(out == [str(hi).encode()], "new records at %s, expected offset %d" % (out, hi))


# --- ZooKeeper faults --------------------------------------------------------------

@test
def zookeeper_down_at_start():
    with tempfile.TemporaryDirectory(prefix="gregor-it-nozk-") as d:
        zk_port = harness.free_ports(1)
        port = harness.free_ports(1)
        log = open(os.path.join(d, "broker.log"), "w")
        p = subprocess.Popen([os.path.join(harness.BUILD, "broker", "gregord"),
                              os.path.join(harness.TOP, "conf", "server.properties"),
                              "--override", "log.dirs=%s/logs" % d,
                              "--override", "zookeeper.connect=127.0.0.1:%d" % zk_port,
                              "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port,
                              "--override", "zookeeper.connection.timeout.ms=2000"],
                             stdout=log, stderr=subprocess.STDOUT)
        zkdir = os.path.join(d, "zk")
        try:
            def logtext():
                with open(os.path.join(d, "broker.log")) as f:
                    return f.read()
            wait_for(lambda: "cannot reach ZooKeeper at 127.0.0.1:%d" % zk_port in logtext(), 15,
                     "the broker to say it cannot reach ZooKeeper")
            time.sleep(2.5)
            check(p.poll() is None, "the broker exited without ZooKeeper:\n" + logtext()[-2000:])
            subprocess.run([os.path.join(harness.TOOLS, "gregor-zookeeper"), "start", "--dir", zkdir,
                            "--port", str(zk_port)], check=True, capture_output=True)
            wait_for(lambda: "[gregord id=0] started" in logtext(), 30, "the broker to start")
            out = kcat("-b", "127.0.0.1:%d" % port, "-L").decode()
            check("1 brokers" in out, "metadata after a late ZooKeeper: %s" % out)
        finally:
            p.terminate()
            p.wait(30)
            subprocess.run([os.path.join(harness.TOOLS, "gregor-zookeeper"), "stop", "--dir", zkdir],
                           capture_output=True)
            log.close()


@test
def zookeeper_outage_and_session_expiry():
    """While ZooKeeper is down the broker keeps serving what it leads (the
    session survives a ZooKeeper restart). When the session does expire (the
    broker was frozen past the timeout) it registers again with a new
    broker epoch and everything works as before."""
    with Cluster(brokers=1, overrides=["zookeeper.session.timeout.ms=4000"], name="exp") as c:
        create_topic(c, "exp", 1)
        kcat("-b", c.bootstrap, "-P", "-t", "exp", "-p", "0", input=b"before\n")
        zk = kazoo(c)
        czxid = zk.get("/brokers/ids/0")[1].czxid
        zk.stop()
        c.zk_stop()
        kcat("-b", c.bootstrap, "-P", "-t", "exp", "-p", "0", input=b"during\n")
        out = kcat("-b", c.bootstrap, "-C", "-t", "exp", "-p", "0", "-e", "-o", "beginning", "-q")
        check(out == b"before\nduring\n", "while ZooKeeper was down: %r" % out)
        c.zk_start()
        wait_for(lambda: "the session survived" in c.log(0), 20, "the broker to resume its session")
        c.expire_session(0, 7)  # past the 4 s session timeout
        zk = kazoo(c)
        try:
            st = zk.get("/brokers/ids/0")[1]
            check(st.czxid != czxid, "/brokers/ids/0 is still the old registration")
        finally:
            zk.stop()
        kcat("-b", c.bootstrap, "-P", "-t", "exp", "-p", "0", input=b"after\n")
        out = kcat("-b", c.bootstrap, "-C", "-t", "exp", "-p", "0", "-e", "-o", "beginning", "-q")
        check(out == b"before\nduring\nafter\n", "after the new session: %r" % out)


# --- perf tools and the benchmark driver (smoke only: no timing is asserted) ----------

def perf_tool(name, *args, timeout=120):
    return subprocess.run([os.path.join(harness.BUILD, "tools", name)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


@test
def perf_tools_smoke():
    import re
    if not os.path.exists(os.path.join(harness.BUILD, "tools", "gregor-producer-perf-test")):
        raise AssertionError("the perf tools were not built (configure found no librdkafka)")
    c = shared()
    create_topic(c, "perf", 4)
    p = perf_tool("gregor-producer-perf-test", "--topic", "perf", "--num-records", 20000,
                  "--record-size", 100, "--throughput", -1, "--producer-props",
                  "bootstrap.servers=" + c.bootstrap, "acks=1", "linger.ms=5")
    last = p.stdout.strip().split("\n")[-1]
    check(p.returncode == 0 and re.fullmatch(
        r"20000 records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), [0-9.]+ ms avg latency, "
        r"[0-9.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.", last),
        "producer: %d %r %r" % (p.returncode, last, p.stderr[-500:]))
    p = perf_tool("gregor-consumer-perf-test", "--bootstrap-server", c.bootstrap, "--topic", "perf",
                  "--messages", 20000, "--assign", "--verify", "--timeout", 5000)
    lines = p.stdout.strip().split("\n")
    check(p.returncode == 0 and lines[0].startswith("start.time, end.time, data.consumed.in.MB") and
          lines[1].split(", ")[4] == "20000", "consumer: %d %r %r" % (p.returncode, lines, p.stderr))
    # Asking for more than is there is reported as a loss, not a result.
    p = perf_tool("gregor-consumer-perf-test", "--bootstrap-server", c.bootstrap, "--topic", "perf",
                  "--messages", 20001, "--assign", "--timeout", 1500)
    check(p.returncode == 1 and "received 20000 of 20001" in p.stderr, "short read: %r" % p.stderr)
    # Nobody listening: every record fails and the tool says so.
    p = perf_tool("gregor-producer-perf-test", "--topic", "perf", "--num-records", 10,
                  "--record-size", 10, "--throughput", -1, "--producer-props",
                  "bootstrap.servers=127.0.0.1:1", "message.timeout.ms=1500")
    check(p.returncode == 1 and "10 of 10 records failed" in p.stderr, "no broker: %r" % p.stderr)
    p = perf_tool("gregor-producer-perf-test", "--topic", "perf", "--num-records", 10)
    check(p.returncode == 2 and "required" in p.stderr, "missing flags: %r" % p.stderr)
    # The mock cluster serves librdkafka.
    mock = subprocess.Popen([os.path.join(harness.BUILD, "tools", "gregor-mock-cluster"), "--topic",
                             "m", "--partitions", "2"], stdout=subprocess.PIPE, text=True)
    try:
        line = mock.stdout.readline().strip()
        check(line.startswith("bootstrap.servers=127.0.0.1:"), "mock printed %r" % line)
        p = perf_tool("gregor-producer-perf-test", "--topic", "m", "--num-records", 1000,
                      "--record-size", 100, "--throughput", -1, "--e2e-stamp", "--producer-props",
                      line)
        check(p.returncode == 0, "producing to the mock: %r" % p.stderr)
    finally:
        mock.terminate()
        mock.wait(10)
    # The benchmark driver, in its smallest form.
    bench_dir = tempfile.mkdtemp(prefix="gregor-it-bench-")
    try:
        p = subprocess.run([os.path.join(harness.TOOLS, "gregor-bench"), "--build", harness.BUILD,
                            "--quick", "--pairs", "1", "--workloads", "W1,W2", "--dir", bench_dir,
                            "--port", str(harness.free_ports(1)),
                            "--zk-port", str(harness.free_ports(1))],
                           capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(bench_dir, ignore_errors=True)
    check(p.returncode == 0 and "ratio gregor/mock records/s" in p.stdout and "LOST" not in p.stdout
          and "raw limits" in p.stdout, "gregor-bench: %d\n%s%s" % (p.returncode, p.stdout[-2000:],
                                                                   p.stderr[-2000:]))


# --- configuration and the cluster tool -----------------------------------------------

@test
def bad_configuration_is_refused():
    gregord = os.path.join(harness.BUILD, "broker", "gregord")
    conf = os.path.join(harness.TOP, "conf", "server.properties")
    p = subprocess.run([gregord, conf, "--override", "log.segment.bytes=ten"], capture_output=True,
                       text=True, timeout=10)
    check(p.returncode == 2 and "log.segment.bytes" in p.stderr and "ten" in p.stderr,
          "bad value: exit %d, %s" % (p.returncode, p.stderr))
    p = subprocess.run([gregord, conf, "--override", "listeners=SSL://:9093"], capture_output=True,
                       text=True, timeout=10)
    check(p.returncode == 2 and "PLAINTEXT" in p.stderr, "SSL listener: exit %d, %s" % (p.returncode, p.stderr))
    p = subprocess.run([gregord, "/no/such/file"], capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "/no/such/file" in p.stderr, "missing file: %s" % p.stderr)


@test
def three_brokers_and_controller_failover():
    with Cluster(brokers=3, overrides=["zookeeper.session.timeout.ms=4000"], name="three") as c:
        c.up()  # safe to run twice
        out = c.cmd("status").stdout
        check(out.count("running") == 4, "status: %s" % out)
        create_topic(c, "spread", 6)
        md = json.loads(kcat("-b", c.bootstrap, "-L", "-J").decode())
        check(sorted(b["id"] for b in md["brokers"]) == [0, 1, 2], "brokers: %s" % md["brokers"])
        t = [t for t in md["topics"] if t["topic"] == "spread"][0]
        check(len({p["leader"] for p in t["partitions"]}) == 3, "leaders not spread: %s" % t)
        lines = b"".join(b"m%d\n" % i for i in range(600))
        kcat("-b", c.bootstrap, "-P", "-t", "spread", input=lines)
        got = sorted(kcat("-b", c.bootstrap, "-C", "-t", "spread", "-e", "-o", "beginning", "-q").split())
        check(got == sorted(lines.split()), "consumed %d of 600 across three brokers" % len(got))
        ctl = md["controllerid"]
        c.kill(ctl)
        other = (ctl + 1) % 3

        seen = []

        def new_controller():
            m = json.loads(kcat("-b", "127.0.0.1:%d" % (c.port + other), "-L", "-J").decode())
            seen[:] = [m["controllerid"], m["brokers"]]
            return m["controllerid"] not in (ctl, -1)
        try:
            wait_for(new_controller, 20, "another broker to become controller")
        except AssertionError as e:
            raise AssertionError("%s (killed %d, last metadata from %d: %s)" % (e, ctl, other, seen))
        c.start(ctl)
        check(c.alive(ctl), "the killed broker did not come back")

        # Its partitions (replication factor 1: leaderless meanwhile) get
        # their leader back from the new controller, and every record is there.
        def all_led():
            m = json.loads(kcat("-b", c.bootstrap, "-L", "-J", "-t", "spread").decode())
            return all(p["leader"] >= 0 for p in m["topics"][0]["partitions"])
        wait_for(all_led, 20, "every partition of spread to have a leader again")
        got = sorted(kcat("-b", c.bootstrap, "-C", "-t", "spread", "-e", "-o", "beginning", "-q").split())
        check(got == sorted(lines.split()), "after the restart: %d of 600" % len(got))


# The order in which parallel lanes take the modules: the longest first
# (seconds per module in a CI run), so that the lanes end close together.
# A module not listed goes after these.
LANE_ORDER = ["suite_repl", "suite_groups", "suite_idem", "__main__", "suite_reassign",
              "suite_metrics", "suite_leaders", "suite_conn", "suite_disk", "suite_netpart",
              "suite_ident", "suite_ops", "suite_req", "suite_tidy", "suite_oldfmt",
              "suite_bulk", "suite_dumplog"]


def main():
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != "--build":
        print("usage: suite.py --build BUILD_DIR [--worker] [name-filter...]", file=sys.stderr)
        return 2
    harness.BUILD = os.path.abspath(args[1])
    only = args[2:]
    worker = only[:1] == ["--worker"]
    if worker:
        only = only[1:]
    lanes = int(os.environ.get("GREGOR_IT_JOBS", "2"))
    try:
        if worker:
            ok = harness.run_worker(only)
        elif lanes > 1 and len({fn.__module__ for fn in harness.selected(only)}) > 1:
            ok = harness.run_lanes([sys.executable, "-u", os.path.abspath(__file__), "--build",
                                    harness.BUILD, "--worker"] + only, only, lanes, LANE_ORDER)
        else:
            ok = harness.run(only)
    finally:
        if _shared:
            _shared.close()
        suite_groups.close_cluster()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
