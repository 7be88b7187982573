"""Identity and names (issue 9): compressed batches validated on produce, and
a second broker with a live broker's id.

Imported by suite.py; the tests register themselves with harness.test.
"""
import os
import struct
import subprocess
import time
import zlib

import harness
from harness import Cluster, ModuleCluster, check, frame, kstr, recv_frame, test, wait_for

import socket

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CORRUPT_MESSAGE, INVALID_RECORD = 2, 87


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def seal(batch):
    """Sets Length and the CRC-32C (over Attributes to the end), as an
    attacker who knows the format would."""
    b = bytearray(batch)
    b[8:12] = struct.pack(">i", len(b) - 12)
    b[17:21] = struct.pack(">I", crc32c(bytes(b[21:])))
    return bytes(b)


def zigzag(v):
    u = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        if u < 0x80:
            out.append(u)
            return bytes(out)
        out.append((u & 0x7F) | 0x80)
        u >>= 7


def batch_header(count, codec, ts=None):
    """The 61 bytes before the records; Length and CRC are set by seal()."""
    ts = int(time.time() * 1000) if ts is None else ts
    return struct.pack(">qiibIhiqqqhii", 0, 0, -1, 2, 0, codec, count - 1, ts, ts, -1, -1, -1,
                       count)


def produce(addr, topic, batch, corr=9):
    """Produce v3 of one batch to partition 0 -> error code."""
    body = struct.pack(">hhi", -1, 1, 10000) + struct.pack(">i", 1) + kstr(topic) + \
        struct.pack(">ii", 1, 0) + struct.pack(">i", len(batch)) + batch
    s = socket.create_connection(addr, timeout=10)
    try:
        s.sendall(frame(0, 3, corr, body))
        r = recv_frame(s, timeout=15)
        check(r is not None, "no Produce response")
        n = struct.unpack(">h", r[8:10])[0]
        return struct.unpack(">h", r[10 + n + 8:10 + n + 10])[0]
    finally:
        s.close()


def served(addr):
    """A second client: Metadata v1 on a fresh connection, answered in 2 s."""
    s = socket.create_connection(addr, timeout=2)
    try:
        s.sendall(frame(3, 1, 77, struct.pack(">i", -1)))
        r = recv_frame(s, timeout=2)
        return r is not None and struct.unpack(">i", r[:4])[0] == 77
    finally:
        s.close()


def kcat(*args, input=None):
    p = subprocess.run(["kcat"] + list(args), input=input, capture_output=True, timeout=120)
    check(p.returncode == 0, "kcat %s failed: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


def make_topics(c, names):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        r = a.create_topics([NewTopic(n, 1, 1) for n in names], timeout_ms=30000)
        check(all(e[1] == 0 for e in r.topic_errors), "creating %s: %s" % (names, r))
    finally:
        a.close()


def segment(c, topic):
    with open(os.path.join(c.log_dir(0), topic + "-0", "%020d.log" % 0), "rb") as f:
        return f.read()


def compressed_batch(data, codec):
    """The first batch of several records compressed with codec (librdkafka
    sends a batch that compression would not shrink uncompressed)."""
    while len(data) >= 61:
        n = struct.unpack(">i", data[8:12])[0] + 12
        b = data[:n]
        if struct.unpack(">h", b[21:23])[0] & 7 == codec and struct.unpack(">i", b[57:61])[0] > 1:
            return b
        data = data[n:]
    return None


def consume(c, topic):
    out = kcat("-b", c.bootstrap, "-C", "-t", topic, "-e", "-o", "beginning", "-q")
    return [v for v in out.split(b"\n") if v]


# One broker for the compression tests (closed before the identity test,
# or at exit).
cluster = ModuleCluster(brokers=1, name="ident")


@test
def compressed_batches_from_real_clients():
    """kcat -z, confluent-kafka and kafka-python produce with each codec; every
    record comes back, and the log holds the clients' compressed batches
    (kafka-python: gzip, xerial snappy, lz4 frames, zstd). librdkafka up to
    2.11 compresses gzip, snappy and lz4 only for a broker whose Produce
    versions include v0, which gregor's do (issue 13)."""
    from confluent_kafka import Producer
    from kafka import KafkaProducer
    c = cluster()
    make_topics(c, ["z-%s" % z for z in CODECS])
    for name, codec in CODECS.items():
        topic = "z-%s" % name
        sent = [b"kcat-%s-%04d %s" % (name.encode(), i, b"x" * (i % 50)) for i in range(300)]
        kcat("-b", c.bootstrap, "-P", "-t", topic, "-p", "0", "-z", name, "-X", "linger.ms=50",
             input=b"\n".join(sent) + b"\n")
        p = Producer({"bootstrap.servers": c.bootstrap, "compression.type": name,
                      "linger.ms": 20})
        errs = []
        more = [b"ck-%s-%04d" % (name.encode(), i) for i in range(300)]
        for v in more:
            p.produce(topic, v, partition=0,
                      on_delivery=lambda e, m: errs.append(e) if e else None)
        check(p.flush(30) == 0 and not errs, "%s: confluent-kafka delivery failed: %s" % (name, errs))
        sent += more
        kp = KafkaProducer(bootstrap_servers=c.bootstrap, compression_type=name, linger_ms=20)
        more = [b"kp-%s-%04d %s" % (name.encode(), i, b"y" * (i % 70)) for i in range(300)]
        futures = [kp.send(topic, v, partition=0) for v in more]
        kp.flush(30)
        for f in futures:
            f.get(timeout=30)
        kp.close()
        sent += more
        got = consume(c, topic)
        check(got == sent, "%s: %d records back, %d sent" % (name, len(got), len(sent)))
        check(compressed_batch(segment(c, topic), codec) is not None,
              "%s: no batch compressed with it in the log" % name)


def garble_at(name, payload):
    """Where garbage makes each codec's stream undecodable (not merely other
    data): gzip's flags, lz4's and zstd's frame descriptor, the first snappy
    tag (after the length varint)."""
    if name == "snappy":
        k = 20 if payload.startswith(b"\x82SNAPPY\x00") else 0  # xerial: header, block length
        while payload[k] & 0x80:
            k += 1
        return k + 1
    return {"gzip": 3, "lz4": 4, "zstd": 4}[name]


@test
def corrupt_compressed_batches_refused():
    """For each codec, a real client's compressed batch altered as an attacker
    would (CRC fixed): a wrong inner record count gets INVALID_RECORD (as in
    Kafka), a truncated or garbled payload CORRUPT_MESSAGE; nothing of it is
    stored, and a second client is served throughout."""
    c = cluster()
    if not consume(c, "z-gzip"):
        compressed_batches_from_real_clients()
    make_topics(c, ["zbad-%s" % z for z in CODECS])
    addr = c.broker_addr(0)
    for name in CODECS:
        topic = "zbad-%s" % name
        good = compressed_batch(segment(c, "z-%s" % name), CODECS[name])
        count = struct.unpack(">i", good[57:61])[0]
        payload = good[61:]
        wrong_count = bytearray(good)
        wrong_count[23:27] = struct.pack(">i", count)       # last offset delta
        wrong_count[57:61] = struct.pack(">i", count + 1)   # record count
        k = garble_at(name, payload)
        cases = [
            ("one record more than inside", seal(wrong_count), INVALID_RECORD),
            ("payload cut short", seal(good[:61] + payload[:-5]), CORRUPT_MESSAGE),
            ("payload garbled", seal(good[:61] + payload[:k] + b"\xff" * (len(payload) - k)),
             CORRUPT_MESSAGE),
        ]
        for what, batch, want in cases:
            err = produce(addr, topic, batch)
            check(err == want, "%s, %s: error %d, expected %d" % (name, what, err, want))
            check(served(addr), "%s, %s: a second client was not served" % (name, what))
        check(segment(c, topic) == b"", "%s: a refused batch was stored" % name)
        check(produce(addr, topic, seal(good)) == 0, "%s: the unaltered batch was refused" % name)
        check(len(consume(c, topic)) == count, "%s: the good batch did not come back" % name)
    check("rejected batch for zbad-" in c.log(0), "no log line for the refused batches")


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@test
def zip_bomb_refused_without_memory():
    """A 40 KB gzip payload that inflates to 64 MiB (one record of zeros) is
    refused with CORRUPT_MESSAGE at the inflate bound (32 x max.message.bytes),
    without the broker's peak memory growing by the bomb's size."""
    c = cluster()
    make_topics(c, ["zbomb"])
    vlen = 64 << 20
    rec = b"\x00" + zigzag(0) + zigzag(0) + zigzag(-1) + zigzag(vlen)
    record = zigzag(len(rec) + vlen + 1) + rec
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = z.compress(record)
    zeros = bytes(1 << 20)
    for _ in range(64):
        payload += z.compress(zeros)
    payload += z.compress(zigzag(0)) + z.flush()
    before = vm_hwm_kb(c.pid(0))
    err = produce(c.broker_addr(0), "zbomb", seal(batch_header(1, 1) + payload))
    check(err == CORRUPT_MESSAGE, "the zip bomb got error %d, expected %d" % (err, CORRUPT_MESSAGE))
    grew = vm_hwm_kb(c.pid(0)) - before
    check(grew < 16 * 1024, "the broker's peak memory grew by %d KiB" % grew)
    check(served(c.broker_addr(0)), "a second client was not served after the bomb")
    check(segment(c, "zbomb") == b"", "the bomb was stored")
    check("more than" in c.log(0), "no log line naming the bound")


@test
def client_text_escaped_and_rate_limited():
    """1000 connections whose client.id carries a newline, a forged log line
    and a terminal escape, each sending an unknown API: no forged line and no
    escape code reach the log, the closing lines stop at 10 a second and a
    summary counts the rest; a second client is served throughout."""
    c = cluster()
    evil = b"evil\n[2026-01-01 00:00:00,000] ERROR [broker] FORGED \x1b[31m"
    for _ in range(1000):
        s = socket.create_connection(c.broker_addr(0), timeout=5)
        s.sendall(frame(999, 0, 1, b"", client_id=evil))
        try:
            recv_frame(s, timeout=5)
        except OSError:
            pass
        s.close()
    check(served(c.broker_addr(0)), "a second client was not served during the flood")
    wait_for(lambda: "suppressed" in c.log(0), 10, "the summary of the suppressed lines")
    log = c.log(0)
    check(not any(line.startswith("[2026-01-01") for line in log.splitlines()),
          "a client forged a log line")
    check("\x1b" not in log and "evil\\x0a[2026-01-01" in log, "client.id was not escaped")
    closing = log.count("closing connection")
    check(closing < 1000, "%d closing-connection lines for 1000 connections" % closing)
    check('lines like "closing connection from %s: %s"' in log, "no summary of the dropped lines")


def zk_get(c, path):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return zk.get(path) if zk.exists(path) else (None, None)
    finally:
        zk.stop()
        zk.close()


@test
def second_broker_with_a_live_id_refuses_to_start():
    """A second gregord with broker.id 0 (advertising the very same address, the
    case equal endpoints could not tell apart) exits non-zero naming the id and
    the live registration's endpoint; broker 0 keeps its registration, its
    /controller and serving."""
    cluster.close()
    with Cluster(brokers=1, name="twin") as c:
        wait_for(lambda: zk_get(c, "/controller")[0], 15, "broker 0 to become controller")
        reg, reg_stat = zk_get(c, "/brokers/ids/0")
        ctl, ctl_stat = zk_get(c, "/controller")
        check(b"gregor_incarnation" in reg and b"gregor_process" in reg,
              "no owner fields in the registration: %r" % reg)
        port = harness.free_ports(1)
        d = os.path.join(c.dir, "twin")
        os.makedirs(d)
        log = open(os.path.join(d, "gregord.log"), "w")
        p = subprocess.Popen([os.path.join(harness.BUILD, "broker", "gregord"),
                              os.path.join(harness.TOP, "conf", "server.properties"),
                              "--override", "broker.id=0",
                              "--override", "log.dirs=%s/logs" % d,
                              "--override", "zookeeper.connect=%s" % c.zk,
                              "--override", "zookeeper.session.timeout.ms=6000",
                              "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % port,
                              "--override", "advertised.listeners=PLAINTEXT://127.0.0.1:%d" % c.port],
                             stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 40
            while p.poll() is None and time.time() < deadline:
                check(served(c.broker_addr(0)), "broker 0 stopped serving while the twin started")
                time.sleep(0.5)
            rc = p.poll()
            with open(os.path.join(d, "gregord.log")) as f:
                text = f.read()
            check(rc is not None and rc != 0,
                  "the twin did not exit non-zero (rc %r):\n%s" % (rc, text[-2000:]))
            check("broker id 0 is already registered" in text and
                  "PLAINTEXT://127.0.0.1:%d" % c.port in text,
                  "the twin's log does not name the id and the holder:\n%s" % text[-2000:])
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
        reg2, reg2_stat = zk_get(c, "/brokers/ids/0")
        ctl2, ctl2_stat = zk_get(c, "/controller")
        check(reg2 == reg and reg2_stat.czxid == reg_stat.czxid and
              reg2_stat.ephemeralOwner == reg_stat.ephemeralOwner,
              "broker 0's registration changed: %r -> %r" % (reg, reg2))
        check(ctl2 == ctl and ctl2_stat.czxid == ctl_stat.czxid, "/controller changed")
        check(c.alive(0) and served(c.broker_addr(0)), "broker 0 is not serving")
        kcat("-b", c.bootstrap, "-P", "-t", "after-twin", input=b"still here\n")
        check(kcat("-b", c.bootstrap, "-C", "-t", "after-twin", "-e", "-o", "beginning", "-q")
              == b"still here\n", "broker 0 lost a record produced after the twin")
