"""Hostile clients against connections and descriptors (issue 9).

A client that sends and never reads; a flood of connections past
max.connections and max.connections.per.ip; descriptor exhaustion under a
low open-file limit; a ZooKeeper session renewed while client connections
are at the limit. Each test asserts what the attacker gets, that a second
client keeps being served, and that nothing acknowledged is lost.
"""
import os
import re
import socket
import struct
import subprocess
import time

from harness import Cluster, check, frame, kstr, metadata_ok, recv_frame, test, wait_for


class LimitedCluster(Cluster):
    """A cluster whose brokers run under an open-file limit (prlimit)."""

    def __init__(self, nofile, **kw):
        self.nofile = nofile
        super().__init__(**kw)

    def cmd(self, *args, **kw):
        return super().cmd("--nofile", str(self.nofile), *args, **kw)


def produce_acked(c, topic, n):
    """n records through confluent-kafka with acks=1; returns the acked values."""
    from confluent_kafka import Producer
    acked = []
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "1", "linger.ms": 5})
    for i in range(n):
        p.produce(topic, value=b"%s-%06d" % (topic.encode(), i),
                  on_delivery=lambda err, m: acked.append(m.value()) if err is None else None)
    p.flush(30)
    del p
    return acked


def check_intact(c, topic, acked):
    """Every acknowledged record of topic reads back (kcat)."""
    out = subprocess.run(["kcat", "-b", c.bootstrap, "-C", "-t", topic, "-e", "-o", "beginning",
                          "-q"], capture_output=True, timeout=60).stdout
    got = [v for v in out.split(b"\n") if v]
    check(sorted(got) == sorted(acked), "%s: %d records back, %d acknowledged"
          % (topic, len(got), len(acked)))


def create_topic(c, name, configs=None):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        r = a.create_topics([NewTopic(name, 1, 1, topic_configs=configs or {})], timeout_ms=30000)
        check(r.topic_errors[0][1] == 0, "creating %s failed: %s" % (name, r))
    finally:
        a.close()


def delete_topic(c, name):
    from kafka.admin import KafkaAdminClient
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        a.delete_topics([name], timeout_ms=30000)
    finally:
        a.close()


def connect(c, source="127.0.0.1"):
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(c.broker_addr(0))
    return s


def served(s, corr=11):
    """True if an ApiVersions request on s is answered; False if the broker
    closed s."""
    try:
        s.sendall(frame(18, 0, corr, b""))
        r = recv_frame(s, timeout=5)
    except (ConnectionResetError, BrokenPipeError):
        return False
    return r is not None and struct.unpack(">i", r[:4])[0] == corr


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def deleted_fds(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).endswith("(deleted)")
        except OSError:
            pass
    return n


def fetch_v4(topic, corr):
    body = struct.pack(">iiiib", -1, 100, 1, 1 << 20, 0) + struct.pack(">i", 1) + kstr(topic) + \
        struct.pack(">iiqi", 1, 0, 0, 1 << 20)
    return frame(1, 4, corr, body)


@test
def conn_client_never_reads():
    """Fetch and Metadata requests from a client that never reads: its
    connection stops being read, is closed after connections.max.idle.ms
    without write progress, and the deleted segments its answers held open
    are released. Memory stays bounded, others are served, data is intact."""
    with Cluster(brokers=1, name="noread",
                 overrides=["connections.max.idle.ms=3000",
                            "gregor.queued.max.response.bytes=1048576",
                            "log.segment.delete.delay.ms=0"]) as c:
        pid = c.pid(0)
        create_topic(c, "hold", {"segment.bytes": "65536"})
        create_topic(c, "keep")
        check(len(produce_acked(c, "hold", 3000)) == 3000, "producing to hold")
        acked = produce_acked(c, "keep", 1000)
        rss0 = rss_kb(pid)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)  # no autotuning to megabytes
        s.connect(c.broker_addr(0))
        s.setblocking(False)
        reqs = b"".join(fetch_v4("hold", i) if i % 2 else frame(3, 1, i, struct.pack(">i", -1))
                        for i in range(20000))
        sent = 0
        deadline = time.time() + 5
        while sent < len(reqs) and time.time() < deadline:
            try:
                sent += s.send(reqs[sent:sent + 65536])
            except BlockingIOError:
                time.sleep(0.05)
        check(sent < len(reqs), "the broker read all %d bytes of requests of a client that "
              "reads nothing" % len(reqs))
        check(metadata_ok(c, timeout=2), "a second client was not answered while one does not read")
        rss1 = rss_kb(pid)
        delete_topic(c, "hold")
        wait_for(lambda: deleted_fds(pid) > 0, 20,
                 "the deleted segments of hold to be held open by the unread answers")
        held = deleted_fds(pid)
        wait_for(lambda: "the client is not reading them" in c.log(0), 15,
                 "the broker to close the client that does not read (held %d deleted files; "
                 "RSS %d -> %d KiB)" % (held, rss0, rss_kb(pid)))
        wait_for(lambda: deleted_fds(pid) == 0, 10, "the deleted segments to be released")
        check(rss1 - rss0 < 64 * 1024, "RSS grew by %d KiB while the client did not read"
              % (rss1 - rss0))
        s.setblocking(True)
        s.settimeout(5)
        closed = False
        try:
            while s.recv(65536):
                pass
            closed = True
        except ConnectionResetError:
            closed = True
        check(closed, "the attacker's connection is still open")
        s.close()
        check(metadata_ok(c, timeout=2), "a second client was not answered after the close")
        check_intact(c, "keep", acked)


@test
def conn_flood_past_the_limits():
    """Connections up to and past max.connections.per.ip (and an override)
    and max.connections: the extra ones are closed at once, the ones already
    there keep being served, and slots given back are used again."""
    with Cluster(brokers=1, name="flood",
                 overrides=["max.connections=16", "max.connections.per.ip=5",
                            "max.connections.per.ip.overrides=127.0.0.2:8"]) as c:
        create_topic(c, "flood")
        acked = produce_acked(c, "flood", 500)
        time.sleep(0.5)  # the producer's connections are gone before counting starts
        bystanders = [connect(c) for _ in range(2)]
        check(all(served(s) for s in bystanders), "the bystanders were not served")
        result = {}
        socks = {}
        for src, n in (("127.0.0.3", 7), ("127.0.0.2", 10), ("127.0.0.4", 3)):
            socks[src] = [connect(c, src) for _ in range(n)]
            result[src] = [served(s) for s in socks[src]]
        want = {"127.0.0.3": [True] * 5 + [False] * 2,   # max.connections.per.ip
                "127.0.0.2": [True] * 8 + [False] * 2,   # its override
                "127.0.0.4": [True] + [False] * 2}       # max.connections: 2 + 5 + 8 + 1 = 16
        check(result == want, "served (True) or closed (False) per source address: %s, "
              "expected %s" % (result, want))
        check(all(served(s, 12) for s in bystanders), "the bystanders lost service in the flood")
        check("max.connections.per.ip" in c.log(0) and "max.connections (16) reached" in c.log(0),
              "no log line about the refused connections:\n" + c.tail())
        for s in sum(socks.values(), []):
            s.close()
        late = wait_for(lambda: [x for x in [connect(c, "127.0.0.4")] if served(x)], 10,
                        "a connection to be accepted again after the flood left")
        late[0].close()
        for s in bystanders:
            s.close()
        check_intact(c, "flood", acked)


@test
def conn_descriptor_exhaustion():
    """Under a low open-file limit with max.connections set above it, a
    flood runs the broker out of descriptors: it does not spin (its CPU
    time stays low while the flood is held), logs once per interval, closes
    the extra connections, keeps serving the ones it has, and accepts again
    when descriptors free up."""
    with LimitedCluster(96, brokers=1, name="emfile",
                        overrides=["max.connections=100000"]) as c:
        pid = c.pid(0)
        check("is above what the open-file limit allows" in c.log(0),
              "no start-up warning about max.connections above the open-file limit")
        create_topic(c, "emfile")
        acked = produce_acked(c, "emfile", 500)
        bystander = connect(c)
        check(served(bystander), "the bystander was not served")
        flood = []
        for _ in range(150):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(c.broker_addr(0))
            flood.append(s)
        time.sleep(1)
        cpu0 = cpu_seconds(pid)
        time.sleep(3)
        cpu = cpu_seconds(pid) - cpu0
        check(cpu < 1.0, "the broker used %.1f s of CPU in 3 s while out of descriptors" % cpu)
        check(served(bystander, 12), "the bystander lost service while descriptors ran out")
        closed = 0
        for s in flood:
            try:
                closed += s.recv(1) == b""
            except (BlockingIOError, OSError) as e:
                closed += isinstance(e, ConnectionResetError)
        check(closed > 0, "none of the connections past the descriptor limit was closed")
        lines = c.log(0).count("Too many open files")
        check(0 < lines <= 2, "%d log lines about running out of descriptors in 4 s" % lines)
        for s in flood:
            s.close()
        wait_for(lambda: metadata_ok(c, timeout=2), 10, "a new client to be served once descriptors freed")
        bystander.close()
        check_intact(c, "emfile", acked)


@test
def conn_zookeeper_at_the_limit():
    """With max.connections derived from the open-file limit, client
    connections at the limit leave room for ZooKeeper: an expired session is
    replaced and the broker registers again while the flood is held."""
    with LimitedCluster(128, brokers=1, name="zklimit",
                        overrides=["zookeeper.session.timeout.ms=4000"]) as c:
        m = re.search(r"max.connections=(\d+) \(from open-file limit 128, reserving (\d+) for logs",
                      c.log(0))
        check(m, "no start-up line deriving max.connections from the open-file limit:\n" +
              c.tail())
        limit = int(m.group(1))
        check(0 < limit < 128, "derived max.connections=%d" % limit)
        create_topic(c, "zkl")
        acked = produce_acked(c, "zkl", 200)
        time.sleep(0.5)  # the producer's connections are gone before counting starts
        flood = [connect(c) for _ in range(128)]
        ok = [served(s) for s in flood]
        check(ok == [True] * limit + [False] * (128 - limit),
              "%d of %d served, expected the first %d" % (sum(ok), len(ok), limit))
        c.expire_session(0, 6)  # past the 4 s session timeout, every connection slot taken
        check(served(flood[0], 13), "a connection of the flood lost service")
        check("Too many open files" not in c.log(0), "the broker ran out of descriptors")
        for s in flood:
            s.close()
        check_intact(c, "zkl", acked)

