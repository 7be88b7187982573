"""Replication (issue 10): followers fetch, the ISR and the high watermark,
acks=all, leader failover. Three brokers, replication factor 3,
min.insync.replicas=2, producers with acks=all and idempotence off whose
every delivery report is recorded.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import socket
import struct
import subprocess
import time

from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for

NONE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH = 0, 6, 74
NOT_ENOUGH_REPLICAS, UNKNOWN_TOPIC_OR_PARTITION = 19, 3

# Leader kills in replication_leader_sigkill_loses_nothing (short in CI).
KILL_ROUNDS = int(os.environ.get("GREGOR_REPL_KILL_ROUNDS", "3"))

# Short lag so a stopped follower leaves the ISR within seconds.
REPL_OVERRIDES = ["min.insync.replicas=2", "replica.lag.time.max.ms=3000",
                  "replica.fetch.wait.max.ms=200", "replica.fetch.backoff.ms=200",
                  "replica.high.watermark.checkpoint.interval.ms=500",
                  "default.replication.factor=3", "auto.create.topics.enable=false"]


def create_topic(c, name, partitions=1):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        a.create_topics([NewTopic(name, partitions, 3)])
    finally:
        a.close()


# For tests that SIGKILL a leader: the controller moves leadership once the
# dead broker's ZooKeeper session expires, and Kafka's default 18 s would be
# most of such a test's time. 6 s stays well above the pings' one-third.
KILL_OVERRIDES = ["zookeeper.session.timeout.ms=6000"]


def replicated_cluster(name, topic, extra=()):
    """Three brokers with an RF=3 topic whose ISR is all three (overrides:
    REPL_OVERRIDES, then extra)."""
    c = Cluster(brokers=3, name=name, overrides=REPL_OVERRIDES + list(extra))
    try:
        create_topic(c, topic)
        wait_for(lambda: len(isr(c, topic)) == 3, 20, "the ISR of %s-0 to be all three" % topic)
    except BaseException:
        c.close(failed=True)
        raise
    return c


def produce_all(pr, acks, topic, values):
    """Produces values to partition 0 of topic and waits for every report."""
    for v in values:
        pr.produce(topic, v, partition=0, on_delivery=acks.cb)
        pr.poll(0)
    pr.flush(60)


def state(c, topic, p=0):
    """The partition's state znode: {"leader", "leader_epoch", "isr", ...}."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (topic, p))
        return json.loads(data)
    finally:
        zk.stop()
        zk.close()


def isr(c, topic, p=0):
    return sorted(state(c, topic, p)["isr"])


def producer(c, **extra):
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": c.bootstrap, "acks": "all", "enable.idempotence": False,
            "linger.ms": 5, "message.timeout.ms": 60000, "retries": 1000000,
            "retry.backoff.ms": 100, "max.in.flight.requests.per.connection": 1,
            "topic.metadata.refresh.interval.ms": 1000}
    conf.update(extra)
    return Producer(conf)


class Acks:
    """Every delivery report: values acknowledged (in order), errors seen."""

    def __init__(self):
        self.acked = []
        self.errors = []

    def cb(self, err, msg):
        if err is None:
            self.acked.append((msg.offset(), msg.value()))
        else:
            self.errors.append(err)


def read_all(c, topic, p=0, timeout=30):
    """Every record of partition p from the beginning to the high watermark,
    read with confluent-kafka from the current leader: [(offset, value)]."""
    from confluent_kafka import Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "none",
                     "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000})
    try:
        _, hi = cons.get_watermark_offsets(TopicPartition(topic, p), timeout=15)
        cons.assign([TopicPartition(topic, p, 0)])
        out = []
        deadline = time.time() + timeout
        while (not out or out[-1][0] < hi - 1) and time.time() < deadline:
            m = cons.poll(0.5)
            if m is not None and not m.error():
                out.append((m.offset(), m.value()))
        return out, hi
    finally:
        cons.close()


def log_bytes(c, i, topic, p, upto):
    """The bytes of broker i's segment files of topic-p below file position
    upto (concatenated in offset order)."""
    d = os.path.join(c.log_dir(i), "%s-%d" % (topic, p))
    data = b""
    for name in sorted(f for f in os.listdir(d) if f.endswith(".log")):
        with open(os.path.join(d, name), "rb") as f:
            data += f.read()
    return data[:upto]


def position_of(data, offset):
    """The byte position in log data where the batch holding offset ends
    past (the end of the last batch whose last offset < offset)."""
    pos = 0
    while pos + 61 <= len(data):
        base, length = struct.unpack(">qi", data[pos:pos + 12])
        last = base + struct.unpack(">i", data[pos + 23:pos + 27])[0]
        if last >= offset:
            break
        pos += 12 + length
    return pos


@test
def replication_followers_byte_identical():
    """RF=3: 3000 records with acks=all, every one acknowledged. After
    settling, every follower's log equals the leader's byte for byte up to
    the high watermark, and the ISR is all three."""
    with replicated_cluster("repl-bytes", "rb") as c:
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "rb", [("v%05d" % k).encode() for k in range(3000)])
        check(not acks.errors and len(acks.acked) == 3000,
              "%d acknowledged, errors %s" % (len(acks.acked), acks.errors[:3]))
        got, hw = read_all(c, "rb")
        check(hw == 3000 and [v for _, v in got] == [v for _, v in acks.acked],
              "read back %d records to high watermark %d" % (len(got), hw))
        leader = state(c, "rb")["leader"]
        ref = log_bytes(c, leader, "rb", 0, 1 << 30)
        upto = position_of(ref, hw)
        check(upto > 0, "the leader's log has no batch below the high watermark")

        def same():
            return all(log_bytes(c, i, "rb", 0, upto) == ref[:upto] for i in range(3))
        wait_for(same, 20, "every replica's log to equal the leader's up to the HW")
        check(isr(c, "rb") == [0, 1, 2], "ISR %s after settling" % isr(c, "rb"))


@test
def replication_follower_lost_and_back():
    """A follower stops: the ISR shrinks after replica.lag.time.max.ms, and
    acks=all still works with 2 of 3. With a second follower stopped (1 of
    3) acks=all gets NOT_ENOUGH_REPLICAS. Both return: the ISR grows back to
    all three, and every acknowledged record is there."""
    with replicated_cluster("repl-isr", "ri") as c:
        leader = state(c, "ri")["leader"]
        followers = [i for i in range(3) if i != leader]
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "ri", [b"a%d" % k for k in range(100)])
        os.kill(c.pid(followers[0]), 19)  # SIGSTOP: alive in ZooKeeper, not fetching
        try:
            wait_for(lambda: isr(c, "ri") == sorted([leader, followers[1]]), 20,
                     "the stopped follower to leave the ISR")
            produce_all(pr, acks, "ri", [b"b%d" % k for k in range(100)])
            check(len(acks.acked) == 200 and not acks.errors,
                  "with 2 of 3 in sync: %d acknowledged, errors %s" % (len(acks.acked),
                                                                      acks.errors[:3]))
            os.kill(c.pid(followers[1]), 19)
            wait_for(lambda: isr(c, "ri") == [leader], 20, "the ISR to be the leader alone")
            one = Acks()
            p1 = producer(c, **{"message.timeout.ms": 3000, "retries": 0})
            p1.produce("ri", b"lonely", partition=0, on_delivery=one.cb)
            p1.flush(15)
            check(not one.acked and one.errors and
                  one.errors[0].code() == NOT_ENOUGH_REPLICAS,
                  "with 1 of 3 in sync: acked %s, errors %s" % (one.acked, one.errors))
        finally:
            for f in followers:
                os.kill(c.pid(f), 18)  # SIGCONT
        wait_for(lambda: isr(c, "ri") == [0, 1, 2], 30, "the ISR to grow back to all three")
        got, hw = read_all(c, "ri")
        values = [v for _, v in got]
        check(all(v in values for _, v in acks.acked),
              "an acknowledged record is missing (%d read)" % len(got))


@test
def replication_leader_sigkill_loses_nothing():
    """The leader of a partition is SIGKILLed under acks=all load and
    restarted, three times (GREGOR_REPL_KILL_ROUNDS=N for a longer soak:
    tests/integration/run build replication_leader_sigkill). Every
    acknowledged record is read back, in acknowledged order, none lost."""
    with replicated_cluster("repl-kill", "rk", KILL_OVERRIDES) as c:
        acks = Acks()
        pr = producer(c)
        sent = 0
        for round_ in range(KILL_ROUNDS):
            leader = state(c, "rk")["leader"]
            for k in range(300):
                pr.produce("rk", b"r%d-%05d" % (round_, sent), partition=0, on_delivery=acks.cb)
                sent += 1
                pr.poll(0)
                if k == 150:
                    c.kill(leader)
                time.sleep(0.002)
            pr.flush(60)
            now = state(c, "rk")
            check(now["leader"] not in (leader, -1), "round %d: leader %d after killing %d" % (
                round_, now["leader"], leader))
            c.start(leader)
            # The next round starts once the old leader is back in sync, so
            # each kill hits a fully replicated partition.
            wait_for(lambda: len(isr(c, "rk")) == 3, 40, "the ISR to be all three again")
        pr.flush(60)
        check(len(acks.acked) > 0, "nothing was acknowledged")
        got, hw = read_all(c, "rk", timeout=60)
        offsets = dict(got)
        lost = [(o, v) for o, v in acks.acked if offsets.get(o) != v]
        check(not lost, "%d acknowledged records lost or changed, first %s (hw %d)" % (
            len(lost), lost[:3], hw))
        check([o for o, _ in acks.acked] == sorted(o for o, _ in acks.acked),
              "acknowledged offsets are out of order")
        check_replicas_agree(c, "rk", 1)


@test
def replication_divergent_tail_truncated():
    """A leader appends records it never acknowledges (both followers are
    frozen), and is SIGKILLed. A follower takes over and more records are
    acknowledged. The old leader comes back as a follower: it cuts its
    unacknowledged tail (OffsetForLeaderEpoch) and fetches, so every
    replica's log is byte-identical up to the high watermark, and every
    acknowledged record is there once."""
    # The followers stay frozen for some 3 s, within their 10 s sessions;
    # the old leader's ends 10 s after the SIGKILL, not Kafka's 18.
    with replicated_cluster("repl-tail", "rt", ["zookeeper.session.timeout.ms=10000"]) as c:
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "rt", [b"a%d" % k for k in range(50)])
        old = state(c, "rt")["leader"]
        followers = [i for i in range(3) if i != old]
        # The tail's producer knows the leader before the followers freeze:
        # bootstrapped from the leader alone, with its metadata fetched while
        # everyone is up, it never waits on a frozen broker to find it.
        lost = Acks()
        p2 = producer(c, **{"message.timeout.ms": 60000,
                            "bootstrap.servers": "%s:%d" % c.broker_addr(old)})
        p2.list_topics("rt", timeout=20)
        for f in followers:
            os.kill(c.pid(f), 19)  # SIGSTOP
        # Their parked fetches are answered (empty) after
        # replica.fetch.wait.max.ms; frozen, they send no other.
        time.sleep(1.5)
        try:
            for k in range(20):
                p2.produce("rt", b"tail%d" % k, partition=0, on_delivery=lost.cb)
            p2.flush(1)  # appended at the leader, waiting for the followers
            # The tail must be in the leader's log before it dies, or there
            # is nothing to truncate.
            wait_for(lambda: (p2.poll(0), b"tail19" in log_bytes(c, old, "rt", 0, 1 << 30))[1],
                     30, "the leader to append the unacknowledged tail")
            c.kill(old)
        finally:
            for f in followers:
                os.kill(c.pid(f), 18)  # SIGCONT
        wait_for(lambda: state(c, "rt")["leader"] in followers, 40, "a follower to take over")
        produce_all(pr, acks, "rt", [b"b%d" % k for k in range(50)])
        c.start(old)
        wait_for(lambda: len(isr(c, "rt")) == 3, 40, "the old leader to rejoin the ISR")
        p2.flush(30)
        check(len(acks.acked) == 100 and not acks.errors,
              "%d acknowledged, errors %s" % (len(acks.acked), acks.errors[:3]))
        got, hw = read_all(c, "rt")
        offsets = dict(got)
        missing = [(o, v) for o, v in acks.acked + lost.acked if offsets.get(o) != v]
        check(not missing, "acknowledged records lost: %s" % missing[:3])
        leader = state(c, "rt")["leader"]
        ref = log_bytes(c, leader, "rt", 0, 1 << 30)
        upto = position_of(ref, hw)

        def same():
            return all(log_bytes(c, i, "rt", 0, upto) == ref[:upto] for i in range(3))
        wait_for(same, 20, "every replica's log to equal the leader's up to the HW")
        check("truncating to" in c.log(old), "the old leader did not truncate")
        check_replicas_agree(c, "rt", 1)


def fetch_as_replica(addr, topic, replica_id, leader_epoch):
    """Fetch v11 of topic-0 from offset 0 as replica replica_id with
    current_leader_epoch: (error, high watermark, record bytes)."""
    body = struct.pack(">iiiibii", replica_id, 0, 1, 1 << 20, 0, 0, -1)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">iiqqi", 0, leader_epoch, 0, -1, 1 << 20)
    body += struct.pack(">i", 0) + kstr("")
    s = socket.create_connection(addr, timeout=10)
    try:
        s.sendall(frame(1, 11, 7, body))
        r = recv_frame(s, timeout=15)
        check(r is not None, "no Fetch answer")
        at = 4 + 4 + 2 + 4 + 4  # corr, throttle, error, session, topic count
        at += 2 + struct.unpack(">h", r[at:at + 2])[0] + 4  # name, partition count
        _, err, hw = struct.unpack(">ihq", r[at:at + 14])
        at += 14 + 8 + 8 + 4 + 4  # lso, log start, aborted (-1 or 0 entries), preferred
        n = struct.unpack(">i", r[at:at + 4])[0]
        return err, hw, r[at + 4:at + 4 + max(n, 0)]
    finally:
        s.close()


def epoch_end(addr, topic, partition, epoch, replica_id=0):
    """OffsetForLeaderEpoch v3 for topic-partition at epoch: (error, epoch,
    end offset)."""
    body = struct.pack(">i", replica_id) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">iiii", 1, partition, -1, epoch)
    s = socket.create_connection(addr, timeout=10)
    try:
        s.sendall(frame(23, 3, 9, body))
        r = recv_frame(s, timeout=15)
        check(r is not None, "no OffsetForLeaderEpoch answer")
        at = 4 + 4 + 4  # corr, throttle, topic count
        at += 2 + struct.unpack(">h", r[at:at + 2])[0] + 4  # name, partition count
        err, _, ep, end = struct.unpack(">hiiq", r[at:at + 18])
        return err, ep, end
    finally:
        s.close()


@test
def replication_bad_replica_fetches():
    """A replica fetch from a broker id that is not a replica gets no
    records and no error (Kafka 2.8's answer); one with a stale leader epoch
    gets FENCED_LEADER_EPOCH; one sent to a follower NOT_LEADER_OR_FOLLOWER.
    OffsetForLeaderEpoch answers the latest epoch's end, and Kafka's errors
    for an unknown partition and at a follower. The partition is
    unharmed."""
    with replicated_cluster("repl-bad", "rx") as c:
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "rx", [b"x%d" % k for k in range(10)])
        check(len(acks.acked) == 10, "%d acknowledged" % len(acks.acked))
        # A follower that shuts down leaves the ISR through the controller,
        # which bumps the leader epoch: epoch - 1 is then stale.
        st = state(c, "rx")
        gone = (st["leader"] + 1) % 3
        c.stop(gone)
        wait_for(lambda: state(c, "rx")["leader_epoch"] > st["leader_epoch"], 20,
                 "the leader epoch to move after a follower left")
        c.start(gone)
        wait_for(lambda: len(isr(c, "rx")) == 3, 30, "the follower to rejoin the ISR")
        st = state(c, "rx")
        leader, epoch = st["leader"], st["leader_epoch"]
        err, hw, recs = fetch_as_replica(c.broker_addr(leader), "rx", 77, epoch)
        check(err == NONE and recs == b"", "non-replica: error %d, %d bytes" % (err, len(recs)))
        err, _, _ = fetch_as_replica(c.broker_addr(leader), "rx", (leader + 1) % 3, epoch + 5)
        check(err != NONE, "a future leader epoch was accepted")
        err, _, _ = fetch_as_replica(c.broker_addr(leader), "rx", (leader + 1) % 3, epoch - 1)
        check(err == FENCED_LEADER_EPOCH, "stale epoch: error %d" % err)
        err, _, _ = fetch_as_replica(c.broker_addr((leader + 1) % 3), "rx", leader, epoch)
        check(err == NOT_LEADER_OR_FOLLOWER, "fetch from a follower: error %d" % err)
        # OffsetForLeaderEpoch: the latest epoch ends at the log end; an
        # unknown partition and a follower get Kafka's errors.
        got = epoch_end(c.broker_addr(leader), "rx", 0, epoch + 10)
        check(got[0] == NONE and got[2] == 10, "latest epoch: %s" % (got,))
        got = epoch_end(c.broker_addr(leader), "rx", 5, 0)
        check(got[0] == UNKNOWN_TOPIC_OR_PARTITION, "unknown partition: %s" % (got,))
        got = epoch_end(c.broker_addr(leader), "nosuch", 0, 0)
        check(got[0] == UNKNOWN_TOPIC_OR_PARTITION, "unknown topic: %s" % (got,))
        got = epoch_end(c.broker_addr((leader + 1) % 3), "rx", 0, 0)
        check(got[0] == NOT_LEADER_OR_FOLLOWER, "asked a follower: %s" % (got,))
        got, hw = read_all(c, "rx")
        check([v for _, v in got] == [v for _, v in acks.acked], "records changed")
        check(isr(c, "rx") == [0, 1, 2], "ISR %s" % isr(c, "rx"))


# ---- gregor-replica-verification and gregor-topics' ISR filters ------------

def verify_replicas(c, topics, timeout_ms=60000):
    """gregor-replica-verification --once over the topics regex: (exit
    status, stdout and stderr)."""
    import harness
    argv = [os.path.join(harness.BUILD, "tools", "gregor-replica-verification"),
            "--broker-list", c.bootstrap, "--topic-white-list", topics, "--once",
            "--timeout-ms", str(timeout_ms)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_ms / 1000 + 60)
    return p.returncode, p.stdout + p.stderr


def check_replicas_agree(c, topics, partitions):
    rc, out = verify_replicas(c, topics)
    check(rc == 0 and "all replicas agree on %d partitions" % partitions in out,
          "gregor-replica-verification exited %d:\n%s" % (rc, out[-3000:]))


@test
def replication_verification_tool():
    """A settled cluster (RF=3, three partitions, acks=all): a follower
    answers the debugging consumer (replica id -2) from its own log and an
    ordinary consumer (-1) with NOT_LEADER_OR_FOLLOWER, and
    gregor-replica-verification --once finds every replica equal (exit 0).
    Then one value byte of a follower's copy, below the high watermark, is
    changed while that broker is down: after it is back, the tool exits 1
    naming the partition, the batch's offset and the broker."""
    with replicated_cluster("repl-verify", "rv0") as c:
        create_topic(c, "rv", partitions=3)
        for p in range(3):
            wait_for(lambda: len(isr(c, "rv", p)) == 3, 20, "the ISR of rv-%d to be all three" % p)
        acks = Acks()
        pr = producer(c)
        for k in range(200):
            for p in range(3):
                pr.produce("rv", b"rv%d-%05d" % (p, k), partition=p, on_delivery=acks.cb)
            pr.poll(0)
        pr.flush(60)
        check(len(acks.acked) == 600 and not acks.errors,
              "%d acknowledged, errors %s" % (len(acks.acked), acks.errors[:3]))
        st = state(c, "rv", 0)
        follower = (st["leader"] + 1) % 3
        # The follower's high watermark follows the leader's by a fetch.
        got = wait_for(lambda: (lambda r: r if r[0] != NONE or b"rv0-00000" in r[2] else None)(
            fetch_as_replica(c.broker_addr(follower), "rv", -2, -1)), 20,
            "broker %d to answer the debugging consumer with rv-0's records" % follower)
        check(got[0] == NONE, "debugging consumer at a follower: error %d" % got[0])
        err, _, _ = fetch_as_replica(c.broker_addr(follower), "rv", -1, -1)
        check(err == NOT_LEADER_OR_FOLLOWER, "consumer at a follower: error %d" % err)
        check_replicas_agree(c, "rv", 3)

        st = state(c, "rv", 1)
        follower = (st["leader"] + 1) % 3
        c.stop(follower)
        d = os.path.join(c.log_dir(follower), "rv-1")
        seg = os.path.join(d, sorted(f for f in os.listdir(d) if f.endswith(".log"))[0])
        with open(seg, "r+b") as f:
            data = f.read()
            at = data.find(b"rv1-00100")
            check(at > 0, "no record rv1-00100 in %s" % seg)
            f.seek(at + 8)
            f.write(b"X")
        # The offset of the batch holding it, for the message.
        pos = 0
        while pos + 61 <= len(data):
            base, length = struct.unpack(">qi", data[pos:pos + 12])
            if pos + 12 + length > at:
                break
            pos += 12 + length
        last = base + struct.unpack(">i", data[pos + 23:pos + 27])[0]
        c.start(follower)
        wait_for(lambda: len(isr(c, "rv", 1)) == 3, 40, "broker %d to rejoin the ISR" % follower)
        rc, out = verify_replicas(c, "rv")
        check(rc == 1 and "partition [rv,1] has a corrupt batch at offset %d on replica %d"
              % (last, follower) in out,
              "after corrupting broker %d's copy of rv-1 at offset %d: exit %d:\n%s" % (
                  follower, last, rc, out[-3000:]))
        check("[rv,0]" not in out and "[rv,2]" not in out, "other partitions blamed:\n" + out)


def topics_cmd(c, *args):
    import harness
    p = subprocess.run([os.path.join(harness.BUILD, "tools", "gregor-topics"), "--zookeeper",
                        c.zk] + list(args), capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "gregor-topics %s: exit %d: %s%s" % (
        " ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def listed(c, flag):
    """The topics of the partition lines gregor-topics --describe <flag>
    prints (every topic here has one partition)."""
    out = topics_cmd(c, "--describe", flag)
    names = [ln.split("\t")[1][len("Topic: "):] for ln in out.splitlines() if ln.startswith("\t")]
    check(all(ln.startswith("\t") for ln in out.splitlines()),
          "%s printed a topic line:\n%s" % (flag, out))
    return sorted(names)


@test
def replication_topics_isr_filters():
    """gregor-topics --describe --under-replicated-partitions,
    --unavailable-partitions, --under-min-isr-partitions and
    --at-min-isr-partitions read the ISR from the state znodes and
    min.insync.replicas from the topic config (1 without one), before and
    after broker 2 stops and leaves every ISR."""
    with Cluster(brokers=3, name="repl-isrf", overrides=REPL_OVERRIDES) as c:
        for t, assignment, cfg in (("mia", "0:1:2", 2), ("mib", "0:2", 2), ("mic", "0:1", 2),
                                   ("mid", "0:1:2", None), ("mie", "2", None)):
            args = ["--create", "--topic", t, "--replica-assignment", assignment]
            if cfg:
                args += ["--config", "min.insync.replicas=%d" % cfg]
            topics_cmd(c, *args)
        size = {"mia": 3, "mib": 2, "mic": 2, "mid": 3, "mie": 1}
        wait_for(lambda: all(len(isr(c, t)) == n for t, n in size.items()), 30,
                 "every ISR to be complete")
        check(listed(c, "--under-replicated-partitions") == [], "under-replicated with all up")
        check(listed(c, "--unavailable-partitions") == [], "unavailable with all up")
        check(listed(c, "--under-min-isr-partitions") == [], "under min ISR with all up")
        check(listed(c, "--at-min-isr-partitions") == ["mib", "mic", "mie"],
              "at min ISR with all up: %s" % listed(c, "--at-min-isr-partitions"))
        c.stop(2)
        wait_for(lambda: isr(c, "mia") == [0, 1] and isr(c, "mib") == [0] and
                 isr(c, "mid") == [0, 1] and state(c, "mie")["leader"] == -1, 30,
                 "broker 2 to leave every ISR")
        for flag, want in (("--under-replicated-partitions", ["mia", "mib", "mid"]),
                           ("--unavailable-partitions", ["mie"]),
                           ("--under-min-isr-partitions", ["mib", "mie"]),
                           ("--at-min-isr-partitions", ["mia", "mic", "mie"])):
            got = listed(c, flag)
            check(got == want, "%s with broker 2 down: %s, expected %s" % (flag, got, want))


def set_assignment(c, topic, partitions):
    """Rewrites /brokers/topics/<topic> with partitions ({"0": [ids]}), as a
    ZooKeeper tool would."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        path = "/brokers/topics/" + topic
        data, _ = zk.get(path)
        a = json.loads(data)
        a["partitions"] = partitions
        zk.set(path, json.dumps(a).encode())
    finally:
        zk.stop()
        zk.close()


@test
def replication_unassigned_replica_deleted():
    """RF=2 on brokers 0 and 1 of three; the assignment is rewritten in
    ZooKeeper to 1,2. The controller moves leadership and the ISR off
    broker 0, which stops and deletes its log (StopReplica); broker 2
    starts as a follower and catches up to the same records, and consumers
    read every record."""
    from confluent_kafka.admin import AdminClient, NewTopic
    with Cluster(brokers=3, name="repl-stop", overrides=REPL_OVERRIDES) as c:
        a = AdminClient({"bootstrap.servers": c.bootstrap})
        f = a.create_topics([NewTopic("ru", num_partitions=1, replica_assignment=[[0, 1]])])
        f["ru"].result(30)
        wait_for(lambda: isr(c, "ru") == [0, 1], 20, "the ISR of ru-0 to be 0,1")
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "ru", [b"s%03d" % k for k in range(200)])
        check(len(acks.acked) == 200 and not acks.errors,
              "%d acknowledged, errors %s" % (len(acks.acked), acks.errors[:3]))
        gone = os.path.join(c.log_dir(0), "ru-0")
        check(os.path.isdir(gone), "broker 0 has no log of ru-0 to begin with")
        set_assignment(c, "ru", {"0": [1, 2]})
        wait_for(lambda: not os.path.exists(gone) and
                 not [n for n in os.listdir(c.log_dir(0)) if n.startswith("ru-0")], 30,
                 "broker 0 to delete its log of ru-0 (renamed, then removed)")
        wait_for(lambda: state(c, "ru")["leader"] == 1 and isr(c, "ru") == [1, 2], 40,
                 "broker 1 to lead ru-0 with broker 2 back in the ISR (state %s)" % state(c, "ru"))
        got, hw = read_all(c, "ru")
        check(hw == 200 and [v for _, v in got] == [v for _, v in acks.acked],
              "read back %d records to high watermark %d" % (len(got), hw))
        ref = log_bytes(c, 1, "ru", 0, 1 << 30)
        upto = position_of(ref, hw)
        wait_for(lambda: log_bytes(c, 2, "ru", 0, upto) == ref[:upto], 20,
                 "broker 2's log to equal broker 1's up to the high watermark")
        check("no longer assigned to this broker" in c.log(0), "broker 0 did not say why")


@test
def replication_rewrite_without_in_sync_replica_keeps_data():
    """RF=2 on brokers 0 and 1; the assignment is rewritten to broker 2
    alone, which holds none of the records. Deleting the old replicas'
    logs would lose every committed record, so neither broker deletes its
    log and the controller leaves leadership and ISR alone (Kafka's
    controller ignores such a rewrite). Put back, the partition serves
    every acknowledged record again."""
    from confluent_kafka.admin import AdminClient, NewTopic
    with Cluster(brokers=3, name="repl-rewrite", overrides=REPL_OVERRIDES) as c:
        a = AdminClient({"bootstrap.servers": c.bootstrap})
        f = a.create_topics([NewTopic("rw", num_partitions=1, replica_assignment=[[0, 1]])])
        f["rw"].result(30)
        wait_for(lambda: isr(c, "rw") == [0, 1], 20, "the ISR of rw-0 to be 0,1")
        acks = Acks()
        produce_all(producer(c), acks, "rw", [b"w%03d" % k for k in range(100)])
        check(len(acks.acked) == 100, "%d acknowledged" % len(acks.acked))
        before = state(c, "rw")
        set_assignment(c, "rw", {"0": [2]})
        for i in (0, 1):
            wait_for(lambda: "keeping its log until a replica of the new assignment" in c.log(i),
                     30, "broker %d to stop serving rw-0 and keep its log" % i)
        time.sleep(2)  # a wrongly taken deletion or election would have happened by now
        for i in (0, 1):
            check(len(log_bytes(c, i, "rw", 0, 1 << 30)) > 0,
                  "broker %d's log of rw-0 is gone or empty" % i)
        now = state(c, "rw")
        check(now["leader"] == before["leader"] and now["isr"] == before["isr"],
              "the state changed from %s to %s" % (before, now))
        set_assignment(c, "rw", {"0": [0, 1]})
        got, hw = read_all(c, "rw", timeout=60)
        check(hw == 100 and [v for _, v in got] == [v for _, v in acks.acked],
              "after the assignment was put back: %d records to high watermark %d" % (len(got), hw))


def delete_records(addr, topic, offset):
    """DeleteRecords v0 of topic-0 up to offset, sent to addr: (error, low
    watermark)."""
    body = struct.pack(">i", 1) + kstr(topic) + struct.pack(">iiqi", 1, 0, offset, 10000)
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(frame(21, 0, 5, body))
        r = recv_frame(s, timeout=15)
    check(r is not None, "no DeleteRecords answer")
    # corr, throttle, topic count, name, partition count
    at = 14 + struct.unpack(">h", r[12:14])[0] + 4
    _, low, err = struct.unpack(">iqh", r[at:at + 14])
    return err, low


def log_start_checkpoint(c, i, topic, p=0):
    """Broker i's log start offset of topic-p as log-start-offset-checkpoint
    says, or None."""
    try:
        with open(os.path.join(c.log_dir(i), "log-start-offset-checkpoint")) as f:
            lines = f.read().split("\n")[2:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == topic and parts[1] == str(p):
            return int(parts[2])
    return None


@test
def replication_follower_below_leader_log_start():
    """A follower is down while the leader's log start moves past the
    follower's log end (DeleteRecords to 80 of 100, in the middle of a
    batch). Restarted, the follower is refused its fetch offset
    (OFFSET_OUT_OF_RANGE), learns the leader's log start, empties its log
    and restarts it there, and rejoins the ISR. Every replica's log start
    is then the leader's, the running follower's too."""
    with Cluster(brokers=3, name="repl-start", overrides=REPL_OVERRIDES + [
            "log.flush.start.offset.checkpoint.interval.ms=300"]) as c:
        create_topic(c, "rs")
        wait_for(lambda: len(isr(c, "rs")) == 3, 20, "the ISR of rs-0 to be all three")
        leader = state(c, "rs")["leader"]
        down = (leader + 1) % 3
        acks = Acks()
        pr = producer(c)
        produce_all(pr, acks, "rs", [b"a%d" % k for k in range(10)])
        c.stop(down)
        wait_for(lambda: down not in isr(c, "rs"), 20, "the stopped follower to leave the ISR")
        # One batch of 90 (offsets 10..99): the new log start falls inside it.
        p1 = producer(c, **{"linger.ms": 1000})
        produce_all(p1, acks, "rs", [b"b%d" % k for k in range(90)])
        check(len(acks.acked) == 100 and not acks.errors,
              "%d acknowledged, errors %s" % (len(acks.acked), acks.errors[:3]))
        check(delete_records(c.broker_addr(leader), "rs", 80) == (NONE, 80),
              "DeleteRecords to 80 at the leader")
        c.start(down)
        wait_for(lambda: len(isr(c, "rs")) == 3, 40, "the restarted follower to rejoin the ISR")
        check("below broker %d's log start 80" % leader in c.log(down),
              "the follower did not restart its log at the leader's log start")
        ref = log_bytes(c, leader, "rs", 0, 1 << 30)
        base = struct.unpack(">q", ref[position_of(ref, 80):][:8])[0]
        check(base == 80 or "restarting the log there" in c.log(down),
              "the batch holding 80 starts at %d, and the follower did not start there" % base)
        wait_until_same(lambda: [log_start_checkpoint(c, i, "rs") for i in range(3)], [80] * 3,
                        20, "every replica's log start")
        got = read_from_start(c, "rs", 100)
        check(got == [v for _, v in acks.acked[80:]], "read %d records from the log start: %s" % (
            len(got), got[:3]))


def read_from_start(c, topic, hw, timeout=30):
    """The values of topic-0 from its log start to offset hw (exclusive)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "none",
                     "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 1000})
    try:
        cons.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        out, last = [], -1
        deadline = time.time() + timeout
        while last < hw - 1 and time.time() < deadline:
            m = cons.poll(0.5)
            if m is not None and not m.error():
                out.append(m.value())
                last = m.offset()
        return out
    finally:
        cons.close()


def epoch_checkpoint(c, i, topic):
    """Broker i's leader-epoch-checkpoint of topic-0, or None."""
    try:
        with open(os.path.join(c.log_dir(i), "%s-0" % topic, "leader-epoch-checkpoint")) as f:
            return f.read()
    except OSError:
        return None


@test
def replication_leader_epoch_checkpoint():
    """Ten records in each of three leader epochs (the leader stopped and
    restarted twice): every replica's leader-epoch-checkpoint, in Kafka's
    format, lists each epoch at its first offset. The stopped leaders kept
    their earlier epochs across the restart, and learnt the later ones from
    the batches they fetched."""
    with replicated_cluster("repl-epochs", "re") as c:
        acks = Acks()
        pr = producer(c)
        expect = []
        for round_ in range(3):
            st = state(c, "re")
            expect.append("%d %d\n" % (st["leader_epoch"], 10 * round_))
            produce_all(pr, acks, "re", [b"e%d-%d" % (round_, k) for k in range(10)])
            check(len(acks.acked) == 10 * (round_ + 1) and not acks.errors,
                  "round %d: %d acknowledged, errors %s" % (round_, len(acks.acked),
                                                           acks.errors[:3]))
            if round_ == 2:
                break
            c.stop(st["leader"])
            wait_for(lambda: state(c, "re")["leader"] not in (st["leader"], -1), 30,
                     "another broker to lead after %d stopped" % st["leader"])
            c.start(st["leader"])
            wait_for(lambda: len(isr(c, "re")) == 3, 40, "the ISR to be all three again")
        want = "0\n3\n" + "".join(expect)
        wait_until_same(lambda: [epoch_checkpoint(c, i, "re") for i in range(3)], [want] * 3,
                        20, "every replica's leader-epoch-checkpoint")


def wait_until_same(get, want, timeout, what):
    """Waits until get() == want; failing, says what it last was."""
    seen = []
    try:
        wait_for(lambda: seen.append(get()) or seen[-1] == want, timeout, what)
    except AssertionError:
        check(False, "%s: %r after %d s, want %r" % (what, seen[-1], timeout, want))
