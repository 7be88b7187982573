"""Consumer groups (issue 11): the group coordinator with real clients,
committed offsets in a real ZooKeeper (read back with kazoo), and bad input
that gets Kafka's error codes while another group keeps working.

Imported by suite.py; the tests register themselves with harness.test.
"""
import socket
import struct
import subprocess
import time

import harness
from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for

# Kafka's error codes the tests expect
NONE, COORDINATOR_NOT_AVAILABLE, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL = 0, 15, 22, 23
UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, INVALID_REQUEST, MEMBER_ID_REQUIRED = 25, 27, 42, 79
NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, GROUP_SUBSCRIBED_TO_TOPIC = 68, 69, 86

# One broker; the internal topic needs a replication factor the cluster
# can meet (Kafka refuses to create it otherwise), and no initial delay
# keeps the tests short.
OVERRIDES = ["offsets.topic.replication.factor=1", "group.initial.rebalance.delay.ms=0",
             "offsets.topic.num.partitions=8"]

_cluster = None


def cluster():
    global _cluster
    if _cluster is None or not _cluster.alive(0):
        _cluster = Cluster(brokers=1, overrides=OVERRIDES, name="groups")
    return _cluster


def close_cluster():
    global _cluster
    if _cluster is not None:
        _cluster.close()
        _cluster = None


def topic_with(c, name, partitions, n):
    """Creates topic name with n records "<name>-<i>", round robin over its partitions."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    f = a.create_topics([NewTopic(name, partitions, 1)])[name]
    f.result(30)
    p = Producer({"bootstrap.servers": c.bootstrap})
    for i in range(n):
        p.produce(name, value=("%s-%d" % (name, i)).encode(), partition=i % partitions)
    check(p.flush(30) == 0, "producing to %s did not finish" % name)


def consumer(c, group, **extra):
    from confluent_kafka import Consumer
    conf = {"bootstrap.servers": c.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500}
    conf.update(extra)
    return Consumer(conf)


def poll_all(consumers, got=None, seconds=0.1):
    for k in consumers:
        m = k.poll(seconds)
        if m is not None and not m.error() and got is not None:
            got.append(m.value())


def owners(consumers):
    """{partition: [index of each consumer that owns it]}."""
    out = {}
    for i, k in enumerate(consumers):
        for tp in k.assignment():
            out.setdefault(tp.partition, []).append(i)
    return out


def settle(consumers, partitions, timeout=60):
    """Polls until the partitions are spread as evenly as the consumers
    allow (so every member has joined the generation) with exactly one
    owner each; returns owners()."""
    n = len(consumers)
    want = sorted([partitions // n + (i < partitions % n) for i in range(n)])

    def ok():
        poll_all(consumers)
        o = owners(consumers)
        even = sorted(len(k.assignment()) for k in consumers) == want
        return o if even and sorted(o) == list(range(partitions)) and \
            all(len(v) == 1 for v in o.values()) else None
    return wait_for(ok, timeout, "%d partitions to be spread over %d consumers, one owner each"
                    % (partitions, n), interval=0)


@test
def groups_membership_confluent():
    """1, 2, 4 and 5 confluent-kafka consumers share a 4-partition topic:
    each partition has exactly one owner, and the fifth consumer idles."""
    c = cluster()
    topic_with(c, "members4", 4, 40)
    for n in (1, 2, 4, 5):
        ks = [consumer(c, "members-%d" % n) for _ in range(n)]
        try:
            for k in ks:
                k.subscribe(["members4"])
            o = settle(ks, 4)
            counts = sorted(len(k.assignment()) for k in ks)
            want = {1: [4], 2: [2, 2], 4: [1, 1, 1, 1], 5: [0, 1, 1, 1, 1]}[n]
            check(counts == want and all(len(v) == 1 for v in o.values()),
                  "%d consumers own %s partitions (owners %s)" % (n, counts, o))
        finally:
            for k in ks:
                k.close()


@test
def groups_membership_kafka_python():
    """kafka-python consumers (its own assignor and protocol versions) split
    a 4-partition topic between them and read all of it. Each polls in its
    own thread: kafka-python's poll blocks in JoinGroup until every member
    has joined, as it does against Kafka. (Nothing is committed, so a
    partition read before the split may be read again after it.)"""
    import threading
    from kafka import KafkaConsumer
    c = cluster()
    topic_with(c, "kp4", 4, 40)
    stop = threading.Event()
    got = [[], []]
    owned = [set(), set()]

    def run(i):
        k = KafkaConsumer("kp4", bootstrap_servers=c.bootstrap, group_id="kp-group",
                          auto_offset_reset="earliest", enable_auto_commit=False,
                          session_timeout_ms=10000, heartbeat_interval_ms=500)
        try:
            while not stop.is_set():
                for rec in k.poll(timeout_ms=100).values():
                    got[i] += [r.value for r in rec]
                owned[i] = set(tp.partition for tp in k.assignment())
        finally:
            k.close()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(owned[0]) == 2 and len(owned[1]) == 2 and not owned[0] & owned[1]
                 and len(set(got[0]) | set(got[1])) == 40, 60,
                 "two kafka-python consumers to split kp4 and read its 40 records")
    finally:
        stop.set()
        for t in threads:
            t.join(30)


@test
def groups_two_groups_read_everything():
    """Two groups on one topic each read every record."""
    c = cluster()
    topic_with(c, "both", 4, 60)
    a, b = consumer(c, "both-a"), consumer(c, "both-b")
    try:
        a.subscribe(["both"])
        b.subscribe(["both"])
        ga, gb = [], []
        wait_for(lambda: (poll_all([a], ga), poll_all([b], gb), len(ga) == 60 and len(gb) == 60)[2],
                 60, "each group to read all 60 records", interval=0)
        check(sorted(ga) == sorted(gb), "the groups read different records")
    finally:
        a.close()
        b.close()


def membership(c, group, topic):
    """(member ids under /consumers/<group>/ids, {partition: owner} under owners/<topic>)."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        base = "/consumers/%s" % group
        ids = sorted(zk.get_children(base + "/ids")) if zk.exists(base + "/ids") else []
        own = {}
        if zk.exists("%s/owners/%s" % (base, topic)):
            for p in zk.get_children("%s/owners/%s" % (base, topic)):
                own[int(p)] = zk.get("%s/owners/%s/%s" % (base, topic, p))[0].decode()
        return ids, own
    finally:
        zk.stop()
        zk.close()


@test
def groups_close_reassigns():
    """A consumer that closes (LeaveGroup) hands its partitions to the other
    member at once, long before its session would have expired; the
    membership znodes (ids, owners) follow."""
    c = cluster()
    topic_with(c, "leave4", 4, 8)
    ks = [consumer(c, "leave-group", **{"session.timeout.ms": 30000, "client.id": "leave-" + x})
          for x in "ab"]
    try:
        for k in ks:
            k.subscribe(["leave4"])
        settle(ks, 4)
        ids, own = wait_for(lambda: (poll_all(ks), (lambda m: m if len(m[0]) == 2 and len(m[1]) == 4
                                                     else None)(
            membership(c, "leave-group", "leave4")))[1], 20, "membership znodes of two members")
        # member ids are "<client.id>-<uuid>", as Kafka makes them
        ms = ids
        check(ms[0].startswith("leave-a-") and ms[1].startswith("leave-b-"), "ids znodes %s" % ids)
        mine = {m: sorted(tp.partition for tp in k.assignment()) for m, k in zip(ms, ks)}
        check(all(sorted(p for p, o in own.items() if o == m) == mine[m] for m in ms),
              "owners znodes %s, assignments %s" % (own, mine))
        t0 = time.time()
        ks[1].close()
        ks = ks[:1]
        settle(ks, 4, timeout=20)
        check(time.time() - t0 < 20, "reassignment took as long as a session timeout")
        check("it left the group" in c.log(0), "the broker did not log the LeaveGroup")
        wait_for(lambda: membership(c, "leave-group", "leave4") == ([ms[0]], {p: ms[0] for p in range(4)}),
                 20, "the owners znodes to name the remaining member")
    finally:
        for k in ks:
            k.close()


def committed_znodes(c, group, topic):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        path = "/consumers/%s/offsets/%s" % (group, topic)
        return {int(p): zk.get("%s/%s" % (path, p))[0] for p in zk.get_children(path)}
    finally:
        zk.stop()
        zk.close()


@test
def groups_commit_restart_resume():
    """Committed offsets are decimal znodes under /consumers/<group>/offsets
    (kazoo reads them as Kafka's old consumers wrote them), survive a broker
    restart, and a new consumer resumes exactly there."""
    from confluent_kafka import TopicPartition
    c = cluster()
    topic_with(c, "resume", 2, 20)
    k = consumer(c, "resume-group")
    try:
        k.assign([TopicPartition("resume", 0, 0), TopicPartition("resume", 1, 0)])
        got = []
        wait_for(lambda: (poll_all([k], got), len(got) >= 20)[1], 30, "20 records")
        k.commit(offsets=[TopicPartition("resume", 0, 3), TopicPartition("resume", 1, 7)],
                 asynchronous=False)
        back = k.committed([TopicPartition("resume", 0), TopicPartition("resume", 1)], timeout=10)
        check([t.offset for t in back] == [3, 7], "OffsetFetch returned %s" % back)
    finally:
        k.close()
    zn = committed_znodes(c, "resume-group", "resume")
    check(zn == {0: b"3", 1: b"7"}, "znodes hold %s, expected 3 and 7 in decimal" % zn)

    c.stop(0)
    c.start(0)
    k = consumer(c, "resume-group")
    try:
        k.subscribe(["resume"])
        got = []
        wait_for(lambda: (poll_all([k], got), len(got) >= 10)[1], 60,
                 "the records after the committed offsets")
        time.sleep(1)
        poll_all([k], got, 0.5)
        # records i go to partition i % 2; offset o of partition p holds 2 * o + p
        want = ["resume-%d" % (2 * o) for o in range(3, 10)] + \
               ["resume-%d" % (2 * o + 1) for o in range(7, 10)]
        check(sorted(v.decode() for v in got) == sorted(want),
              "after the restart the group read %s, expected %s" % (sorted(got), sorted(want)))
    finally:
        k.close()


@test
def groups_static_member_restart():
    """A static member (group.instance.id) that restarts within its session
    gets its partitions back without a rebalance: the generation stays."""
    c = cluster()
    topic_with(c, "static2", 2, 4)
    conf = {"group.instance.id": "static-1", "session.timeout.ms": 30000}
    k = consumer(c, "static-group", **conf)
    k.subscribe(["static2"])
    settle([k], 2)
    before = c.log(0).count("preparing to rebalance")
    k.close()  # a static member sends no LeaveGroup
    k = consumer(c, "static-group", **conf)
    try:
        k.subscribe(["static2"])
        settle([k], 2)
        log = c.log(0)
        check("static member" in log and "rejoined as" in log,
              "the broker did not see the static member rejoin")
        check(log.count("preparing to rebalance") == before,
              "the static member's restart caused a rebalance")
    finally:
        k.close()


# --- bad input, over the wire ----------------------------------------------------

def call(c, api, version, body, corr=1):
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(frame(api, version, corr, body))
        r = recv_frame(s, timeout=30)
        check(r is not None, "the broker closed the connection on API %d v%d" % (api, version))
        return r[4:]
    finally:
        s.close()


def find_coordinator(c, group):
    def ask():
        r = call(c, 10, 0, kstr(group))
        return struct.unpack(">h", r[:2])[0] == NONE
    wait_for(ask, 30, "a coordinator for %s" % group, interval=0.2)


def join(c, group, member="", protocols=(("range", b"\x00\x00"),), ptype="consumer", version=4):
    body = kstr(group) + struct.pack(">ii", 10000, 10000) + kstr(member) + kstr(ptype)
    body += struct.pack(">i", len(protocols))
    for name, meta in protocols:
        body += kstr(name) + struct.pack(">i", len(meta)) + meta
    r = call(c, 11, version, body)
    err, gen = struct.unpack(">hi", r[4:10])  # after throttle_time_ms
    at = 10
    names = []
    for _ in range(3):  # protocol_name, leader, member_id
        n = struct.unpack(">h", r[at:at + 2])[0]
        names.append(r[at + 2:at + 2 + n].decode())
        at += 2 + n
    return err, gen, names[2]


def sync(c, group, gen, member):
    body = kstr(group) + struct.pack(">i", gen) + kstr(member)
    body += struct.pack(">i", 1) + kstr(member) + struct.pack(">i", 2) + b"\x00\x00"
    r = call(c, 14, 1, body)
    return struct.unpack(">h", r[4:6])[0]


def heartbeat(c, group, gen, member):
    r = call(c, 12, 1, kstr(group) + struct.pack(">i", gen) + kstr(member))
    return struct.unpack(">h", r[4:6])[0]


def commit(c, group, gen, member, topic, offset, partition=0):
    body = kstr(group) + struct.pack(">i", gen) + kstr(member) + struct.pack(">q", -1)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">iiq", 1, partition, offset) + kstr("")
    r = call(c, 8, 2, body)
    # topics[1]: name, partitions[1]: index, error
    at = 4
    at += 2 + struct.unpack(">h", r[at:at + 2])[0]
    return struct.unpack(">h", r[at + 8:at + 10])[0]


@test
def groups_bad_input():
    """Stale generations, unknown members and groups, JoinGroups with no
    protocols, another protocol type or oversized metadata each get Kafka's
    error, while a second group keeps consuming."""
    c = cluster()
    topic_with(c, "bad-in", 1, 0)
    from confluent_kafka import Producer
    good = consumer(c, "well-behaved")
    good.subscribe(["bad-in"])
    p = Producer({"bootstrap.servers": c.bootstrap})
    got = []
    try:
        settle([good], 1)
        find_coordinator(c, "bad-group")
        err, _, member = join(c, "bad-group")
        check(err == MEMBER_ID_REQUIRED and member, "first JoinGroup v4: error %d" % err)
        err, gen, member2 = join(c, "bad-group", member)
        check(err == NONE and gen == 1 and member2 == member, "JoinGroup: %d gen %d" % (err, gen))
        check(commit(c, "bad-group", gen, member, "bad-in", 5) == REBALANCE_IN_PROGRESS,
              "a commit before SyncGroup was not told the rebalance is in progress")
        check(sync(c, "bad-group", gen, member) == NONE, "the leader's SyncGroup failed")

        checks = [
            ("stale generation commit", commit(c, "bad-group", gen - 1, member, "bad-in", 5),
             ILLEGAL_GENERATION),
            ("commit from an unknown member", commit(c, "bad-group", gen, "nobody", "bad-in", 5),
             UNKNOWN_MEMBER_ID),
            ("heartbeat of an unknown member", heartbeat(c, "bad-group", gen, "nobody"),
             UNKNOWN_MEMBER_ID),
            ("heartbeat for an unknown group", heartbeat(c, "no-such-group", 1, "x"),
             UNKNOWN_MEMBER_ID),
            ("JoinGroup with no protocols", join(c, "bad-group", protocols=())[0],
             INCONSISTENT_GROUP_PROTOCOL),
            ("JoinGroup of another protocol type", join(c, "bad-group", ptype="connect",
                                                        version=3)[0],
             INCONSISTENT_GROUP_PROTOCOL),
            ("JoinGroup with 2 MB of metadata",
             join(c, "bad-group", protocols=(("range", bytes(2 << 20)),))[0], INVALID_REQUEST),
        ]
        for what, got_err, want in checks:
            check(got_err == want, "%s: error %d, expected %d" % (what, got_err, want))
        check(commit(c, "bad-group", gen, member, "bad-in", 5) == NONE,
              "a good commit after the bad input failed")

        for i in range(10):
            p.produce("bad-in", value=b"after-%d" % i)
        p.flush(10)
        wait_for(lambda: (poll_all([good], got), len(got) >= 10)[1], 30,
                 "the well-behaved group to read on")
    finally:
        good.close()


def fetch_offset(c, group, topic, partition):
    """OffsetFetch v1 of one partition: (offset, error)."""
    body = kstr(group) + struct.pack(">i", 1) + kstr(topic) + struct.pack(">ii", 1, partition)
    r = call(c, 9, 1, body)
    at = 4 + 2 + struct.unpack(">h", r[4:6])[0] + 4  # topics count, name, partitions count
    off = struct.unpack(">q", r[at + 4:at + 12])[0]
    at += 12
    at += 2 + max(0, struct.unpack(">h", r[at:at + 2])[0])  # metadata
    return off, struct.unpack(">h", r[at:at + 2])[0]


@test
def groups_commit_without_zookeeper():
    """With ZooKeeper down a commit fails with a retriable error
    (COORDINATOR_NOT_AVAILABLE) and what was committed before is still
    served and still in ZooKeeper; once ZooKeeper is back commits succeed."""
    with Cluster(brokers=1, overrides=OVERRIDES, name="groups-zk") as c:
        topic_with(c, "zkdown", 1, 0)
        find_coordinator(c, "zk-group")
        check(commit(c, "zk-group", -1, "", "zkdown", 11) == NONE, "the first commit failed")
        c.zk_stop()
        try:
            err = commit(c, "zk-group", -1, "", "zkdown", 12)
            check(err == COORDINATOR_NOT_AVAILABLE,
                  "a commit without ZooKeeper got error %d, expected %d" % (
                      err, COORDINATOR_NOT_AVAILABLE))
            check(fetch_offset(c, "zk-group", "zkdown", 0) == (11, NONE),
                  "the committed offset is not served while ZooKeeper is down")
        finally:
            c.zk_start()
        wait_for(lambda: commit(c, "zk-group", -1, "", "zkdown", 13) == NONE, 60,
                 "commits to succeed again once ZooKeeper is back", interval=0.5)
        check(fetch_offset(c, "zk-group", "zkdown", 0) == (13, NONE), "OffsetFetch after the outage")
        zn = committed_znodes(c, "zk-group", "zkdown")
        check(zn == {0: b"13"}, "the znode holds %s" % zn)


def offset_delete(c, group, topic, partition):
    """OffsetDelete v0 of one partition: (top-level error, partition error)."""
    body = kstr(group) + struct.pack(">i", 1) + kstr(topic) + struct.pack(">ii", 1, partition)
    r = call(c, 47, 0, body)
    top = struct.unpack(">h", r[:2])[0]
    if top:
        return top, None
    at = 2 + 4 + 4  # error, throttle, topics count
    at += 2 + struct.unpack(">h", r[at:at + 2])[0] + 4  # name, partitions count
    return top, struct.unpack(">h", r[at + 4:at + 6])[0]


@test
def groups_admin_kafka_python():
    """kafka-python's admin client lists, describes, reads the offsets of
    and deletes groups; OffsetDelete removes one partition's offset; the
    znodes go with them; __consumer_offsets is internal in Metadata."""
    from confluent_kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    c = cluster()
    topic_with(c, "adm", 2, 4)
    k = consumer(c, "adm-active", **{"client.id": "adm-client"})
    k.subscribe(["adm"])
    settle([k], 2)
    k.commit(offsets=[TopicPartition("adm", 0, 1), TopicPartition("adm", 1, 2)], asynchronous=False)
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        groups = dict(a.list_consumer_groups())
        check(groups.get("adm-active") == "consumer", "ListGroups: %s" % groups)
        d = a.describe_consumer_groups(["adm-active"])[0]
        check(d.state == "Stable" and d.protocol == "range" and len(d.members) == 1 and
              d.members[0].client_id == "adm-client", "DescribeGroups: %s" % (d,))
        offs = a.list_consumer_group_offsets("adm-active")
        check({tp.partition: o.offset for tp, o in offs.items()} == {0: 1, 1: 2},
              "OffsetFetch of every partition: %s" % offs)
        # an active group may not be deleted, nor offsets of a topic it consumes
        check(offset_delete(c, "adm-active", "adm", 0) == (NONE, GROUP_SUBSCRIBED_TO_TOPIC),
              "OffsetDelete on a consumed topic")
        check(a.delete_consumer_groups(["adm-active"])[0][1].errno == NON_EMPTY_GROUP,
              "DeleteGroups of an active group")
        k.close()
        k = None
        wait_for(lambda: a.describe_consumer_groups(["adm-active"])[0].state == "Empty", 30,
                 "the group to be empty")
        check(offset_delete(c, "adm-active", "adm", 0) == (NONE, NONE), "OffsetDelete of an empty group")
        rec = wait_for(lambda: (lambda r: r if r and r["state"] == "Empty" else None)(
            zk_record(c, "adm-active")), 15, "the Empty group's membership record")
        check(rec["members"] == [] and rec["generation"] >= 2 and
              rec["protocol_type"] == "consumer", "the Empty group's record: %s" % rec)
        check(committed_znodes(c, "adm-active", "adm") == {1: b"2"}, "after OffsetDelete")
        check(a.delete_consumer_groups(["adm-active"])[0][1].errno == NONE, "DeleteGroups")
        check("adm-active" not in dict(a.list_consumer_groups()), "the deleted group is listed")

        def gone():
            from kazoo.client import KazooClient
            zk = KazooClient(hosts=c.zk)
            zk.start(timeout=15)
            try:
                return not zk.exists("/consumers/adm-active/offsets")
            finally:
                zk.stop()
                zk.close()
        wait_for(gone, 10, "the deleted group's offsets znodes to go")
        check(zk_record(c, "adm-active") is None, "the deleted group's membership record")
        check(a.delete_consumer_groups(["adm-active"])[0][1].errno == GROUP_ID_NOT_FOUND,
              "DeleteGroups of a group that is gone")
        md = a._client.cluster
        a._client.poll(future=a._client.cluster.request_update())
        check("__consumer_offsets" in md.internal_topics, "__consumer_offsets is not internal")
    finally:
        a.close()
        if k:
            k.close()


@test
def groups_kafkajs():
    """kafkajs consumers split a topic, commit, and the admin client reads
    the offsets back (tests/integration/kafkajs/groups.js)."""
    harness.kafkajs_run("groups.js", cluster().bootstrap, timeout=180)


@test
def groups_rdkafka_c():
    """librdkafka from C: two members with the cooperative-sticky assignor
    split a topic, read it, commit and read the commits back
    (tests/integration/rdkafka_group.c)."""
    import os
    c = cluster()
    topic_with(c, "rdk-group", 4, 400)
    exe = os.path.join(harness.BUILD, "tests", "integration", "rdkafka_group")
    p = subprocess.run([exe, c.bootstrap, "rdk-group", "4", "400"], capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, "rdkafka_group failed:\n%s%s" % (p.stdout, p.stderr[-3000:]))


@test
def groups_offsets_topic_needs_brokers():
    """With offsets.topic.replication.factor 3 (Kafka's default; the sample
    server.properties lowers it to 1, as Kafka's does) and one broker,
    FindCoordinator answers COORDINATOR_NOT_AVAILABLE and __consumer_offsets
    is not created, as Kafka 2.8 does; the log says which key to lower."""
    with Cluster(brokers=1, overrides=["offsets.topic.replication.factor=3"], name="groups-rf") as c:
        for _ in range(3):
            r = call(c, 10, 1, kstr("any-group") + b"\x00")
            err = struct.unpack(">h", r[4:6])[0]
            check(err == COORDINATOR_NOT_AVAILABLE, "FindCoordinator gave error %d" % err)
            time.sleep(0.2)
        out = subprocess.run(["kcat", "-b", c.bootstrap, "-L", "-J"], capture_output=True,
                             timeout=60).stdout.decode()
        check("__consumer_offsets" not in out, "the topic was created with too few brokers")
        check("offsets.topic.replication.factor" in c.log(0), "the log does not name the key")


def call_at(c, i, api, version, body):
    s = socket.create_connection(c.broker_addr(i), timeout=10)
    try:
        s.sendall(frame(api, version, 1, body))
        r = recv_frame(s, timeout=30)
        check(r is not None, "broker %d closed the connection on API %d" % (i, api))
        return r[4:]
    finally:
        s.close()


@test
def groups_two_brokers():
    """Two brokers share the partitions of __consumer_offsets: each group's
    coordinator is the leader of its partition, the other broker answers
    NOT_COORDINATOR, and consumers of groups on either broker work."""
    NOT_COORDINATOR = 16
    with Cluster(brokers=2, overrides=OVERRIDES, name="groups-two") as c:
        topic_with(c, "two", 2, 20)
        coord = {}
        for n in range(40):
            g = "two-%d" % n
            wait_for(lambda: struct.unpack(">h", call_at(c, 0, 10, 0, kstr(g))[:2])[0] == NONE, 30,
                     "a coordinator for %s" % g, interval=0.2)
            r = call_at(c, 1, 10, 0, kstr(g))
            coord[g] = struct.unpack(">i", r[2:6])[0]
            if len(set(coord.values())) == 2 and n >= 3:
                break
        check(set(coord.values()) == {0, 1}, "every group went to one broker: %s" % coord)
        for g, node in coord.items():
            other = 1 - node
            r = call_at(c, other, 12, 1, kstr(g) + struct.pack(">i", 1) + kstr("m"))
            err = struct.unpack(">h", r[4:6])[0]
            check(err == NOT_COORDINATOR, "heartbeat for %s at broker %d: error %d" % (g, other, err))
        for node in (0, 1):
            g = [g for g, n in coord.items() if n == node][0]
            k = consumer(c, g)
            try:
                k.subscribe(["two"])
                got = []
                wait_for(lambda: (poll_all([k], got), len(got) >= 20)[1], 60,
                         "a consumer of %s (coordinated by broker %d) to read everything" % (g, node))
                k.commit(asynchronous=False)
            finally:
                k.close()
        for i in (0, 1):
            check("coordinating the groups of __consumer_offsets" in c.log(i),
                  "broker %d coordinates no partition" % i)


@test
def groups_coordinator_loss():
    """Three brokers, __consumer_offsets and the topic with replication
    factor 3: SIGKILL the broker coordinating a group while two members
    consume and commit. Within the session timeout another broker leads the
    group's partition of __consumer_offsets and coordinates the group,
    having loaded its committed offsets from ZooKeeper; the members carry
    on there and read what is produced next, and the offsets committed
    before the kill are what the new coordinator answers."""
    from confluent_kafka import TopicPartition
    with Cluster(brokers=3, overrides=LOSS_OVERRIDES, name="groups-coordloss") as c:
        topic_before(c, "cl")
        group = "coordloss"

        def coordinator():
            return coordinator_of(c, group)
        ks = [consumer(c, group, **{"session.timeout.ms": 10000}) for _ in range(2)]
        try:
            for k in ks:
                k.subscribe(["cl"])
            read_before(ks)
            old = wait_for(coordinator, 30, "the group's coordinator")[0]
            c.kill(old)
            new = wait_for(lambda: (lambda n: n if n and n[0] != old else None)(coordinator()), 30,
                           "another broker to coordinate the group")[0]
            check(new != old, "the coordinator did not move")
            # A partition that changes hands in the rebalance is read again
            # from its committed offset (at least once), but nothing below
            # the offsets committed before the kill comes back.
            read_after(c.bootstrap, ks, "cl")
            back = ks[0].committed([TopicPartition("cl", q) for q in range(4)], timeout=20)
            check(all(t.offset >= 10 for t in back),
                  "the new coordinator lost committed offsets: %s" % back)
        finally:
            for k in ks:
                k.close()


# Three brokers that outlive one SIGKILL: __consumer_offsets and the
# topics with replication factor 3, a short ZooKeeper session so the dead
# broker's partitions move soon.
LOSS_OVERRIDES = ["offsets.topic.replication.factor=3", "group.initial.rebalance.delay.ms=0",
                  "offsets.topic.num.partitions=8", "default.replication.factor=3",
                  "zookeeper.session.timeout.ms=6000", "replica.fetch.wait.max.ms=200"]


def topic_before(c, topic):
    """Creates topic (4 partitions, replication factor 3) holding 40 records
    "before-<i>", round robin."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    a.create_topics([NewTopic(topic, 4, 3)])[topic].result(30)
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
    for i in range(40):
        p.produce(topic, value=b"before-%d" % i, partition=i % 4)
    check(p.flush(30) == 0, "producing the first records did not finish")


def coordinator_of(c, group):
    """[id] of the group's coordinator as the first live broker that knows
    it answers (a list: broker 0 is falsy), or None."""
    for i in range(c.n):
        if not c.alive(i):
            continue
        try:
            r = call_at(c, i, 10, 0, kstr(group))
        except (OSError, AssertionError):
            continue
        if struct.unpack(">h", r[:2])[0] == NONE:
            return [struct.unpack(">i", r[2:6])[0]]
    return None


def read_before(ks):
    """Polls the consumers ks of topic_before's topic until they share its
    partitions and have read its 40 records, and commits: returns owners()."""
    got = []
    wait_for(lambda: (poll_all(ks, got), len(set(got)) >= 40)[1], 60, "the first 40 records")
    spread = settle(ks, 4)
    # a partition that changed hands while they joined is read again from
    # the start by its new owner: commit only once each is at the end
    wait_for(lambda: (poll_all(ks), all(t.offset == 10 for k in ks
                                        for t in k.position(k.assignment())))[1], 60,
             "the members to reach the end of their partitions")
    for k in ks:
        k.commit(asynchronous=False)
    committed = {tp.partition: tp.offset for k in ks for tp in
                 k.committed(k.assignment(), timeout=10)}
    check(committed == {0: 10, 1: 10, 2: 10, 3: 10}, "committed before: %s" % committed)
    return spread


def read_after(bootstrap, ks, topic):
    """Produces 40 records "after-<i>" to topic (made by topic_before) and
    polls the consumers ks until they have read them all, none of the
    "before-" records (all committed) coming back."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(40):
        p.produce(topic, value=b"after-%d" % i, partition=i % 4)
    check(p.flush(60) == 0, "producing after the kill did not finish")
    after = []
    want = set(b"after-%d" % i for i in range(40))
    wait_for(lambda: (poll_all(ks, after), want <= set(after))[1], 90,
             "the members to read the records produced after the kill")
    again = [v for v in after if v.startswith(b"before-")]
    check(not again, "records below the committed offsets were delivered again: %s" % again[:5])


def zk_record(c, group):
    """The group's membership record (JSON, decoded), or None."""
    import json
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        path = "/consumers/%s/gregor_group_metadata" % group
        return json.loads(zk.get(path)[0]) if zk.exists(path) else None
    finally:
        zk.stop()
        zk.close()


@test
def groups_coordinator_loss_keeps_members():
    """The group's membership survives its coordinator: three brokers, two
    members of a Stable group, the coordinator's broker SIGKILLed. The
    broker that takes over loads the group's membership record with its
    committed offsets, so nothing rebalances: the new coordinator accepts
    each member's heartbeat of the old generation, DescribeGroups shows the
    same members Stable, the members see no revocation and keep their
    partitions, and they read what is produced next from the committed
    offsets. When they leave, the new coordinator writes the Empty group
    over the record under its own, higher, coordinator epoch."""
    from confluent_kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    group = "keepers"
    with Cluster(brokers=3, overrides=LOSS_OVERRIDES, name="groups-keep") as c:
        topic_before(c, "kp")

        def coordinator():
            return coordinator_of(c, group)
        events = []  # (consumer, "assign"/"revoke"/"lost", partitions)

        def listen(i):
            def note(kind):
                return lambda k, parts: events.append((i, kind, sorted(t.partition for t in parts)))
            return dict(on_assign=note("assign"), on_revoke=note("revoke"), on_lost=note("lost"))
        # the session outlasts the coordinator's move (ZooKeeper's 6 s and
        # the election): librdkafka gives up a member whose heartbeats go
        # unanswered for a session timeout
        ks = [consumer(c, group, **{"session.timeout.ms": 30000}) for _ in range(2)]
        try:
            for i, k in enumerate(ks):
                k.subscribe(["kp"], **listen(i))
            before = read_before(ks)
            old = wait_for(coordinator, 30, "the group's coordinator")[0]
            rec = wait_for(lambda: (lambda r: r if r and r["state"] == "Stable" and
                                    len(r["members"]) == 2 else None)(zk_record(c, group)),
                           30, "the Stable group's record in ZooKeeper")
            gen, members = rec["generation"], sorted(m["member_id"] for m in rec["members"])
            check("group %s: generation %d is stable" % (group, gen) in c.log(old),
                  "the record's generation %d is not the one the coordinator made stable" % gen)
            check(rec["leader"] in members and rec["protocol"] == "range" and
                  all(m["assignment"] for m in rec["members"]), "the record: %s" % rec)
            del events[:]

            c.kill(old)
            new = wait_for(lambda: (lambda n: n if n and n[0] != old else None)(coordinator()),
                           60, "another broker to coordinate the group")[0]
            # the members as the new coordinator knows them, at the old generation
            for m in members:
                hb = lambda: heartbeat_at(c, new, group, gen, m)
                # COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR: not there yet
                err = wait_for(lambda: (lambda e: [e] if e not in (14, 16) else None)(hb()), 30,
                               "the new coordinator to load the group")[0]
                check(err == NONE, "heartbeat of member %s at generation %d on the new "
                      "coordinator (broker %d): error %d" % (m, gen, new, err))
            live = ",".join("127.0.0.1:%d" % c.broker_addr(i)[1] for i in range(3) if i != old)
            adm = KafkaAdminClient(bootstrap_servers=live, request_timeout_ms=30000)
            try:
                d = adm.describe_consumer_groups([group])[0]
                check(d.state == "Stable" and sorted(m.member_id for m in d.members) == members,
                      "DescribeGroups on the new coordinator: %s" % (d,))
            finally:
                adm.close()
            read_after(live, ks, "kp")
            check(events == [], "the members saw a rebalance: %s" % events)
            check(owners(ks) == before, "the partitions changed hands: %s, before %s" %
                  (owners(ks), before))
            log = c.log(new)
            check("loaded 1 groups with 4 committed offsets and 1 memberships (2 members)" in log,
                  "the new coordinator's log does not show the membership loaded")
            check("group %s: preparing to rebalance" % group not in log and
                  "group %s: generation %d" % (group, gen + 1) not in log,
                  "the new coordinator rebalanced the group")
            for k in ks:
                k.commit(asynchronous=False)
            back = {t.partition: t.offset for t in
                    ks[0].committed([TopicPartition("kp", q) for q in range(4)], timeout=20)}
            check(back == {0: 20, 1: 20, 2: 20, 3: 20}, "committed after: %s" % back)
        finally:
            for k in ks:
                k.close()
        # both left: the new coordinator's Empty record replaces the old one
        rec2 = wait_for(lambda: (lambda r: r if r and r["state"] == "Empty" else None)(
            zk_record(c, group)), 30, "the Empty group's record")
        check(rec2["generation"] > gen and rec2["members"] == [] and
              rec2["coordinator_epoch"] > rec["coordinator_epoch"],
              "the Empty record %s after %s" % (rec2, rec))


def heartbeat_at(c, i, group, gen, member):
    r = call_at(c, i, 12, 1, kstr(group) + struct.pack(">i", gen) + kstr(member))
    return struct.unpack(">h", r[4:6])[0]


def zk_exists(c, path):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return zk.exists(path) is not None
    finally:
        zk.stop()
        zk.close()


@test
def groups_offsets_retention():
    """offsets.retention.minutes=1 with a 1 s sweep, Kafka 2.8's rules
    (GroupMetadata.removeExpiredOffsets): an offsets-only group (commits
    with no membership) loses each offset a minute after its own commit; a
    consumer group that went Empty loses all a minute after it went Empty
    (not after its commit); a group whose member stays keeps the offsets of
    its subscribed topic past the minute without committing again, but not
    the one of a topic it does not subscribe to. Gone means OffsetFetch
    answers -1 and the znode is gone (the Empty group's membership record
    with its offsets); nothing goes before it is due."""
    from confluent_kafka import TopicPartition
    overrides = OVERRIDES + ["offsets.retention.minutes=1",
                             "offsets.retention.check.interval.ms=1000"]
    with Cluster(brokers=1, overrides=overrides, name="groups-ret") as c:
        topic_with(c, "ret", 2, 4)
        topic_with(c, "ret-other", 1, 4)
        find_coordinator(c, "ret-simple")
        empty, active = consumer(c, "ret-empty"), consumer(c, "ret-active")
        try:
            for k in (empty, active):
                k.subscribe(["ret"])
            settle([empty], 2)
            settle([active], 2)
            both = [TopicPartition("ret", 0, 1), TopicPartition("ret", 1, 1)]
            # each time is taken before what it dates, so "due" is never late
            t0 = time.time()
            empty.commit(offsets=both, asynchronous=False)
            active.commit(offsets=both + [TopicPartition("ret-other", 0, 3)], asynchronous=False)
            check(commit(c, "ret-simple", -1, "", "ret", 2) == NONE, "the offsets-only commit")
            # a gap between commit and Empty, and between the two commits
            # of the offsets-only group, tells the rules apart
            wait_for(lambda: (poll_all([active, empty]), time.time() >= t0 + 6)[1], 30, "6 s")
            t_empty = time.time()
            empty.close()
            empty = None
            t_p1 = time.time()
            check(commit(c, "ret-simple", -1, "", "ret", 5, partition=1) == NONE,
                  "the second offsets-only commit")
            # (group, topic, partition) -> when it is due (client clock, 1 s slack)
            due = {("ret-simple", "ret", 0): t0 + 59, ("ret-simple", "ret", 1): t_p1 + 59,
                   ("ret-empty", "ret", 0): t_empty + 59, ("ret-empty", "ret", 1): t_empty + 59,
                   ("ret-active", "ret-other", 0): t0 + 59}
            gone_at = {}

            def sweep():
                poll_all([active])
                for key in due:
                    if key in gone_at:
                        continue
                    off, err = fetch_offset(c, *key)
                    check(err == NONE, "OffsetFetch %s: error %d" % (key, err))
                    if off == -1:
                        now = time.time()
                        check(now >= due[key], "%s expired %.1f s early" % (key, due[key] - now))
                        gone_at[key] = now
                return len(gone_at) == len(due)
            wait_for(sweep, 150, "the offsets to expire", interval=0.5)
            check(time.time() > t0 + 60 and active.assignment(), "the active member left")
            for p in (0, 1):
                check(fetch_offset(c, "ret-active", "ret", p) == (1, NONE),
                      "the active group lost its offset of ret-%d" % p)
            check(committed_znodes(c, "ret-active", "ret") == {0: b"1", 1: b"1"},
                  "the active group's znodes")
            for path in ("/consumers/ret-active/offsets/ret-other/0",
                         "/consumers/ret-simple/offsets/ret/0", "/consumers/ret-simple/offsets/ret/1",
                         "/consumers/ret-empty/offsets/ret/0", "/consumers/ret-empty/offsets/ret/1",
                         "/consumers/ret-empty/gregor_group_metadata"):
                wait_for(lambda: not zk_exists(c, path), 15, "%s to be deleted" % path)
            check(zk_record(c, "ret-active")["state"] == "Stable",
                  "the active group's membership record")
        finally:
            for k in (empty, active):
                if k is not None:
                    k.close()


@test
def groups_deleted_topic_offsets():
    """Deleting a topic removes its committed offsets, as Kafka does: every
    group's OffsetFetch of all partitions stops listing it and its znodes
    go, while the offsets of another topic stay, in memory and in
    ZooKeeper."""
    from confluent_kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    c = cluster()
    topic_with(c, "deltopic", 3, 0)
    topic_with(c, "keeptopic", 1, 0)
    groups = ["del-a", "del-b"]
    for n, g in enumerate(groups):
        k = consumer(c, g)
        try:
            k.commit(offsets=[TopicPartition("deltopic", p, 10 + p + n) for p in range(3)] +
                     [TopicPartition("keeptopic", 0, 7 + n)], asynchronous=False)
        finally:
            k.close()
    for n, g in enumerate(groups):
        check(committed_znodes(c, g, "deltopic") == {p: b"%d" % (10 + p + n) for p in range(3)},
              "%s's znodes before the delete" % g)
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        for n, g in enumerate(groups):
            offs = a.list_consumer_group_offsets(g)
            check(len(offs) == 4, "%s's offsets before the delete: %s" % (g, offs))
        a.delete_topics(["deltopic"], timeout_ms=30000)

        def listed(g):
            return {(tp.topic, tp.partition): o.offset
                    for tp, o in a.list_consumer_group_offsets(g).items()}
        for n, g in enumerate(groups):
            wait_for(lambda: ("deltopic", 0) not in listed(g), 30,
                     "%s's offsets of the deleted topic to go" % g, interval=0.5)
            check(listed(g) == {("keeptopic", 0): 7 + n}, "%s's offsets after: %s" % (g, listed(g)))
            wait_for(lambda: not zk_exists(c, "/consumers/%s/offsets/deltopic" % g), 30,
                     "/consumers/%s/offsets/deltopic to be deleted" % g)
            check(committed_znodes(c, g, "keeptopic") == {0: b"%d" % (7 + n)},
                  "%s's other topic's znodes" % g)
    finally:
        a.close()


def fetch_all(c, i, group):
    """OffsetFetch v2 of every partition at broker i: (error, {(topic, partition): offset})."""
    r = call_at(c, i, 9, 2, kstr(group) + struct.pack(">i", -1))
    out, at = {}, 4
    for _ in range(struct.unpack(">i", r[:4])[0]):
        n = struct.unpack(">h", r[at:at + 2])[0]
        topic = r[at + 2:at + 2 + n].decode()
        at += 2 + n
        nparts = struct.unpack(">i", r[at:at + 4])[0]
        at += 4
        for _ in range(nparts):
            p, off = struct.unpack(">iq", r[at:at + 12])
            at += 12
            at += 2 + max(0, struct.unpack(">h", r[at:at + 2])[0])  # metadata
            check(struct.unpack(">h", r[at:at + 2])[0] == NONE, "%s-%d: error" % (topic, p))
            at += 2
            out[(topic, p)] = off
    return struct.unpack(">h", r[at:at + 2])[0], out


@test
def groups_load_in_progress():
    """A group with 10000 committed offsets (written into ZooKeeper with
    kazoo) whose coordinator is SIGKILLed: the broker that takes over the
    partition of __consumer_offsets answers COORDINATOR_LOAD_IN_PROGRESS
    while it reads them, then every offset. The load's 20000 reads take
    far longer than one OffsetFetch, so a tight loop of them sees it."""
    NOT_COORDINATOR, LOAD_IN_PROGRESS = 16, 14
    overrides = ["offsets.topic.replication.factor=2", "offsets.topic.num.partitions=1",
                 "group.initial.rebalance.delay.ms=0", "zookeeper.session.timeout.ms=6000"]
    n = 10000
    with Cluster(brokers=2, overrides=overrides, name="groups-load") as c:
        from confluent_kafka.admin import AdminClient, NewTopic
        a = AdminClient({"bootstrap.servers": c.bootstrap})
        a.create_topics([NewTopic("loadt", 1, 2)])["loadt"].result(30)
        del a  # its connections would complain about the kill
        group = "big-group"

        def coordinator():
            for i in range(2):
                try:
                    r = call_at(c, i, 10, 0, kstr(group))
                except OSError:
                    continue
                if struct.unpack(">h", r[:2])[0] == NONE:
                    return [struct.unpack(">i", r[2:6])[0]]
            return None
        old = wait_for(coordinator, 60, "a coordinator for %s" % group, interval=0.2)[0]
        other = 1 - old
        # both replicas in sync, so the other broker can take over
        wait_for(lambda: "coordinating the groups of __consumer_offsets" in c.log(old), 30,
                 "broker %d to coordinate" % old)
        from kazoo.client import KazooClient
        zk = KazooClient(hosts=c.zk)
        zk.start(timeout=15)
        try:
            base = "/consumers/%s/offsets/loadt" % group
            zk.ensure_path(base)
            for start in range(0, n, 1000):
                t = zk.transaction()
                for p in range(start, min(n, start + 1000)):
                    t.create("%s/%d" % (base, p), b"%d" % (p * 7 + 1))
                check(all(x is not None and not isinstance(x, Exception) for x in t.commit()),
                      "writing the offsets with kazoo failed")
        finally:
            zk.stop()
            zk.close()
        c.kill(old)
        answers = []
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                err, offs = fetch_all(c, other, group)
            except OSError:
                continue
            answers.append(err)
            if err == NONE:
                break
            check(err in (NOT_COORDINATOR, LOAD_IN_PROGRESS), "OffsetFetch: error %d" % err)
        check(answers and answers[-1] == NONE,
              "broker %d never answered for the group: %s" % (other, answers[-5:]))
        check(LOAD_IN_PROGRESS in answers,
              "no COORDINATOR_LOAD_IN_PROGRESS among %d answers (%d NOT_COORDINATOR)" % (
                  len(answers), answers.count(NOT_COORDINATOR)))
        want = {("loadt", p): p * 7 + 1 for p in range(n)}
        check(offs == want, "after the load: %d offsets, %d expected, %d differ" % (
            len(offs), n, sum(1 for k in want if offs.get(k) != want[k])))
        r = call_at(c, other, 12, 1, kstr(group) + struct.pack(">i", 1) + kstr("m"))
        check(struct.unpack(">h", r[4:6])[0] == UNKNOWN_MEMBER_ID,
              "a heartbeat after the load was not told UNKNOWN_MEMBER_ID")
        check("loaded 1 groups with %d committed offsets" % n in c.log(other),
              "the new coordinator's log does not show the load")
