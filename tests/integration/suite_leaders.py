"""Moving leadership on purpose (issue 10): controlled shutdown on SIGTERM,
preferred leader election through /admin/preferred_replica_election, the
ElectLeaders API and auto.leader.rebalance.enable. Three brokers,
replication factor 3, min.insync.replicas=2, producers with acks=all whose
every delivery report is recorded.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import socket
import subprocess
import struct
import threading
import time

import harness
from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for
from suite_repl import REPL_OVERRIDES, Acks, create_topic, isr, producer, read_all, state

# Rounds of the SIGTERM tests (short in CI; GREGOR_LEADERS_ROUNDS=N for a
# soak: tests/integration/run build leaders_).
ROUNDS = int(os.environ.get("GREGOR_LEADERS_ROUNDS", "0")) or None

NONE, REQUEST_TIMED_OUT, BROKER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION = 0, 7, 8, 3
NOT_CONTROLLER, INVALID_REQUEST, STALE_BROKER_EPOCH = 41, 42, 77
PREFERRED_LEADER_NOT_AVAILABLE, ELECTION_NOT_NEEDED = 80, 84


def replicas(c, topic, p=0):
    """The assignment of topic-p, preferred replica first."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        data, _ = zk.get("/brokers/topics/%s" % topic)
        return json.loads(data)["partitions"][str(p)]
    finally:
        zk.stop()
        zk.close()


def controller_id(c):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        data, _ = zk.get("/controller")
        return json.loads(data)["brokerid"]
    finally:
        zk.stop()
        zk.close()


def broker_epoch(c, i):
    """czxid of broker i's registration (Kafka's broker epoch)."""
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return zk.get("/brokers/ids/%d" % i)[1].czxid
    finally:
        zk.stop()
        zk.close()


def ask(c, i, api_key, version, body, corr=11):
    s = socket.create_connection(c.broker_addr(i), timeout=10)
    try:
        s.sendall(frame(api_key, version, corr, body))
        r = recv_frame(s, timeout=60)
        check(r is not None, "broker %d closed the connection instead of answering" % i)
        check(struct.unpack(">i", r[:4])[0] == corr, "wrong correlation id")
        return r[4:]
    finally:
        s.close()


def controlled_shutdown(c, i, broker_id, epoch):
    """ControlledShutdown v2 sent to broker i: (error, [(topic, partition)])."""
    r = ask(c, i, 7, 2, struct.pack(">iq", broker_id, epoch))
    err, n = struct.unpack(">hi", r[:6])
    at, out = 6, []
    for _ in range(n):
        ln = struct.unpack(">h", r[at:at + 2])[0]
        out.append((r[at + 2:at + 2 + ln].decode(), struct.unpack(">i", r[at + 2 + ln:at + 6 + ln])[0]))
        at += 6 + ln
    return err, out


def elect_leaders(c, i, etype, parts, timeout_ms=30000, version=1):
    """ElectLeaders sent to broker i. parts: {topic: [partition...]} or None
    (every partition). Returns (top error, {(topic, partition): (error,
    message)})."""
    body = struct.pack(">b", etype) if version >= 1 else b""
    if parts is None:
        body += struct.pack(">i", -1)
    else:
        body += struct.pack(">i", len(parts))
        for t, ps in parts.items():
            body += kstr(t) + struct.pack(">i", len(ps)) + b"".join(struct.pack(">i", p) for p in ps)
    body += struct.pack(">i", timeout_ms)
    r = ask(c, i, 43, version, body)
    at = 4
    top = NONE
    if version >= 1:
        top = struct.unpack(">h", r[at:at + 2])[0]
        at += 2
    out = {}
    (nt,) = struct.unpack(">i", r[at:at + 4])
    at += 4
    for _ in range(nt):
        ln = struct.unpack(">h", r[at:at + 2])[0]
        topic = r[at + 2:at + 2 + ln].decode()
        at += 2 + ln
        (np_,) = struct.unpack(">i", r[at:at + 4])
        at += 4
        for _ in range(np_):
            p, err, ml = struct.unpack(">ihh", r[at:at + 8])
            at += 8
            msg = None
            if ml >= 0:
                msg = r[at:at + ml].decode()
                at += ml
            out[(topic, p)] = (err, msg)
    check(at == len(r), "ElectLeaders answer has %d bytes left over" % (len(r) - at))
    return top, out


def leader_election(c, *args):
    return subprocess.run([os.path.join(harness.BUILD, "tools", "gregor-leader-election"),
                           "--bootstrap-server", c.bootstrap] + list(args),
                          capture_output=True, text=True, timeout=120)


class Load:
    """A confluent-kafka producer with acks=all sending steadily from a
    thread until stopped; every delivery report recorded."""

    def __init__(self, c, topic, partitions):
        self.acks = Acks()
        self.pr = producer(c)
        self.topic, self.partitions = topic, partitions
        self.sent = 0
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stopping:
            p = self.sent % self.partitions
            self.pr.produce(self.topic, b"v%06d" % self.sent, partition=p, on_delivery=self.cb)
            self.sent += 1
            self.pr.poll(0)
            time.sleep(0.003)
        self.pr.flush(60)

    def cb(self, err, msg):
        if err is None:
            self.acks.acked.append((msg.partition(), msg.offset(), msg.value()))
        else:
            self.acks.errors.append(err)

    def stop(self):
        self.stopping = True
        self.t.join(90)
        check(not self.t.is_alive(), "the producer did not finish flushing")


def check_all_acked_read_back(c, topic, partitions, acked):
    for p in range(partitions):
        mine = [(o, v) for q, o, v in acked if q == p]
        got, hw = read_all(c, topic, p, timeout=60)
        have = dict(got)
        lost = [(o, v) for o, v in mine if have.get(o) != v]
        check(not lost, "partition %d: %d of %d acknowledged records lost or changed, first %s "
              "(hw %d)" % (p, len(lost), len(mine), lost[:3], hw))
        check([o for o, _ in mine] == sorted(o for o, _ in mine),
              "partition %d: acknowledged offsets out of order" % p)


@test
def leaders_sigterm_bounce_moves_leadership_first():
    """Under acks=all load on three partitions, the broker leading the most
    is sent SIGTERM, twice in a row (restarted between; GREGOR_LEADERS_ROUNDS=N
    for more): before it exits its
    leaderships have moved to other ISR members (its log says the controlled
    shutdown succeeded; the state znodes name new leaders with a higher
    epoch), the producer sees no error, and every acknowledged record is
    read back in order. With auto.leader.rebalance.enable every partition's
    leadership returns to its preferred replica afterwards."""
    over = REPL_OVERRIDES + ["leader.imbalance.check.interval.seconds=2",
                             "leader.imbalance.per.broker.percentage=0",
                             "controlled.shutdown.retry.backoff.ms=500"]
    with Cluster(brokers=3, name="lead-bounce", overrides=over) as c:
        create_topic(c, "lb", partitions=3)
        for p in range(3):
            wait_for(lambda: len(isr(c, "lb", p)) == 3, 30, "the ISR of lb-%d to be all three" % p)
        load = Load(c, "lb", 3)
        try:
            for round_ in range(ROUNDS or 2):
                wait_for(lambda: load.acks.acked, 30, "records to be acknowledged")
                before = [state(c, "lb", p) for p in range(3)]
                leads = [sum(1 for s in before if s["leader"] == i) for i in range(3)]
                victim = leads.index(max(leads))
                log_before = len(c.log(victim))
                c.stop(victim)
                tail = c.log(victim)[log_before:]
                check("controlled shutdown succeeded" in tail,
                      "round %d: broker %d stopped without a completed controlled shutdown:\n%s"
                      % (round_, victim, tail[-1500:]))
                for p in range(3):
                    now = state(c, "lb", p)
                    if before[p]["leader"] == victim:
                        check(now["leader"] not in (victim, -1), "round %d: lb-%d led by %d after "
                              "broker %d left" % (round_, p, now["leader"], victim))
                        check(now["leader_epoch"] > before[p]["leader_epoch"],
                              "round %d: lb-%d kept its leader epoch" % (round_, p))
                    check(victim not in now["isr"] or now["leader"] == victim,
                          "round %d: the stopped broker %d is still in lb-%d's ISR %s" % (
                              round_, victim, p, now["isr"]))
                n = len(load.acks.acked)
                wait_for(lambda: len(load.acks.acked) > n + 100, 30,
                         "acknowledgements to continue with broker %d gone" % victim)
                c.start(victim)
                for p in range(3):
                    wait_for(lambda: len(isr(c, "lb", p)) == 3, 40,
                             "round %d: the ISR of lb-%d to be all three again" % (round_, p))
        finally:
            load.stop()
        check(not load.acks.errors, "the producer saw delivery errors: %s" % load.acks.errors[:5])
        check(len(load.acks.acked) == load.sent, "%d sent, %d acknowledged" % (
            load.sent, len(load.acks.acked)))
        check_all_acked_read_back(c, "lb", 3, load.acks.acked)
        # auto.leader.rebalance.enable: each partition goes back to its
        # preferred replica within a few checks.
        for p in range(3):
            pref = replicas(c, "lb", p)[0]
            wait_for(lambda: state(c, "lb", p)["leader"] == pref, 30,
                     "lb-%d to be led by its preferred replica %d again" % (p, pref))


def move_leader_away(c, topic):
    """SIGTERM and restart the preferred replica of topic-0, which hands its
    leadership over; wait until it is back in the ISR and not leading."""
    pref = replicas(c, topic)[0]
    check(state(c, topic)["leader"] == pref, "%s-0 is not led by its preferred replica" % topic)
    c.stop(pref)
    c.start(pref)
    wait_for(lambda: len(isr(c, topic)) == 3, 40, "the ISR of %s-0 to be all three again" % topic)
    check(state(c, topic)["leader"] != pref,
          "leadership came back to %d by itself (auto rebalance is off)" % pref)
    return pref


@test
def leaders_preferred_election_znode_and_api():
    """With auto.leader.rebalance.enable=false, leadership moved off the
    preferred replica stays off until asked: /admin/preferred_replica_election
    written with kazoo brings it back (and the znode is removed), and so does
    ElectLeaders v1 (preferred) sent to the controller. ElectLeaders answers
    ELECTION_NOT_NEEDED for a partition already led by its preferred replica,
    UNKNOWN_TOPIC_OR_PARTITION for one that does not exist, NOT_CONTROLLER
    from another broker, INVALID_REQUEST for an unknown election type, and
    with a null partition list only the partitions that needed an election.
    Records acknowledged before stay readable."""
    from kazoo.client import KazooClient
    over = REPL_OVERRIDES + ["auto.leader.rebalance.enable=false"]
    with Cluster(brokers=3, name="lead-pref", overrides=over) as c:
        create_topic(c, "lp", partitions=1)
        wait_for(lambda: len(isr(c, "lp")) == 3, 30, "the ISR of lp-0 to be all three")
        acks = Acks()
        pr = producer(c)
        for k in range(200):
            pr.produce("lp", b"a%04d" % k, partition=0, on_delivery=acks.cb)
        pr.flush(60)
        check(len(acks.acked) == 200, "200 records were not all acknowledged")

        pref = move_leader_away(c, "lp")
        zk = KazooClient(hosts=c.zk)
        zk.start(timeout=15)
        try:
            epoch = state(c, "lp")["leader_epoch"]
            zk.create("/admin/preferred_replica_election", json.dumps(
                {"version": 1, "partitions": [{"topic": "lp", "partition": 0}]}).encode(),
                makepath=True)
            wait_for(lambda: state(c, "lp")["leader"] == pref, 30,
                     "the preferred replica %d to lead lp-0 again" % pref)
            check(state(c, "lp")["leader_epoch"] > epoch, "the leader epoch did not grow")
            wait_for(lambda: not zk.exists("/admin/preferred_replica_election"), 20,
                     "/admin/preferred_replica_election to be removed")
        finally:
            zk.stop()
            zk.close()

        pref = move_leader_away(c, "lp")
        ctl = controller_id(c)
        other = [i for i in range(3) if i != ctl][0]
        top, res = elect_leaders(c, other, 0, {"lp": [0]})
        check(res.get(("lp", 0), (None,))[0] == NOT_CONTROLLER,
              "ElectLeaders to broker %d (not the controller): %s" % (other, res))
        top, res = elect_leaders(c, ctl, 0, {"lp": [0], "nosuch": [0]})
        check(top == NONE and res.get(("lp", 0)) == (NONE, None),
              "ElectLeaders preferred for lp-0: %d %s" % (top, res))
        check(res.get(("nosuch", 0), (None,))[0] == UNKNOWN_TOPIC_OR_PARTITION,
              "ElectLeaders for a topic that does not exist: %s" % res)
        check(state(c, "lp")["leader"] == pref, "lp-0 is not led by %d after ElectLeaders" % pref)
        top, res = elect_leaders(c, ctl, 0, {"lp": [0, 7]})
        check(res.get(("lp", 0), (None,))[0] == ELECTION_NOT_NEEDED,
              "a second ElectLeaders for lp-0: %s" % res)
        check(res.get(("lp", 7), (None,))[0] == UNKNOWN_TOPIC_OR_PARTITION,
              "ElectLeaders for lp-7: %s" % res)
        top, res = elect_leaders(c, ctl, 1, {"lp": [0]})
        check(res.get(("lp", 0), (None,))[0] == ELECTION_NOT_NEEDED,
              "an unclean ElectLeaders for lp-0, whose leader is alive: %s" % res)
        top, res = elect_leaders(c, ctl, 0, None)
        check(top == NONE and ("lp", 0) not in res,
              "ElectLeaders for every partition listed one that needed none: %s" % res)
        top, res = elect_leaders(c, ctl, 5, {"lp": [0]})
        check(top == INVALID_REQUEST, "election type 5 was answered %d %s" % (top, res))
        top, res = elect_leaders(c, ctl, 0, {"lp": [0]}, version=0)
        check(res.get(("lp", 0), (None,))[0] == ELECTION_NOT_NEEDED,
              "ElectLeaders v0 for lp-0: %s" % res)

        # The operator's tool (kafka-leader-election's flags and output).
        pref = move_leader_away(c, "lp")
        out = leader_election(c, "--election-type", "preferred", "--topic", "lp",
                              "--partition", "0")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Successfully completed leader election (PREFERRED) for partitions lp-0",
              "gregor-leader-election: %s" % out)
        check(state(c, "lp")["leader"] == pref, "lp-0 is not led by %d after the tool" % pref)
        out = leader_election(c, "--election-type", "preferred", "--all-topic-partitions")
        check(out.returncode == 0 and "lp-0" not in out.stdout,
              "gregor-leader-election --all-topic-partitions: %s" % out)
        out = leader_election(c, "--election-type", "PREFERRED", "--topic", "lp",
                              "--partition", "0")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Valid replica already elected for partitions lp-0", "a second run: %s" % out)
        out = leader_election(c, "--election-type", "preferred", "--topic", "nosuch",
                              "--partition", "3")
        check(out.returncode == 1 and "Error completing leader election (PREFERRED) for "
              "partition: nosuch-3: org.apache.kafka.common.errors."
              "UnknownTopicOrPartitionException" in out.stdout and
              "1 replica(s) could not be elected" in out.stderr,
              "an election for a topic that does not exist: %s" % out)
        jf = os.path.join(c.dir, "elect.json")
        with open(jf, "w") as f:
            json.dump({"partitions": [{"topic": "lp", "partition": 0}]}, f)
        out = leader_election(c, "--election-type", "preferred", "--path-to-json-file", jf)
        check(out.returncode == 0 and out.stdout.strip() ==
              "Valid replica already elected for partitions lp-0", "--path-to-json-file: %s" % out)
        with open(jf, "w") as f:
            json.dump({"partitions": [{"topic": "lp", "partition": 0}] * 2}, f)
        out = leader_election(c, "--election-type", "preferred", "--path-to-json-file", jf)
        check(out.returncode == 1 and "duplicate partitions: lp-0" in out.stderr,
              "a JSON file naming lp-0 twice: %s" % out)
        for bad in (["--election-type", "sideways", "--all-topic-partitions"],
                    ["--election-type", "preferred", "--topic", "lp"],
                    ["--election-type", "preferred", "--all-topic-partitions", "--topic", "lp",
                     "--partition", "0"],
                    ["--election-type", "preferred", "--topic", "lp", "--partition", "x"]):
            out = leader_election(c, *bad)
            check(out.returncode == 2 and out.stderr.startswith("gregor-leader-election: "),
                  "usage error %s: %s" % (bad, out))

        # The preferred replica stopped (and out of the ISR): it cannot lead.
        c.stop(pref)
        ctl = controller_id(c)
        wait_for(lambda: pref not in isr(c, "lp"), 30, "broker %d to leave the ISR" % pref)
        top, res = elect_leaders(c, ctl, 0, {"lp": [0]})
        check(res.get(("lp", 0), (None,))[0] == PREFERRED_LEADER_NOT_AVAILABLE,
              "ElectLeaders with the preferred replica down: %s" % res)
        c.start(pref)
        got, _ = read_all(c, "lp", timeout=60)
        have = dict(got)
        check(all(have.get(o) == v for o, v in acks.acked), "acknowledged records were lost")


@test
def leaders_controlled_shutdown_bad_requests():
    """ControlledShutdown from outside: to a broker that is not the
    controller NOT_CONTROLLER; for a broker id that is not registered
    BROKER_NOT_AVAILABLE; with an epoch that is not the registration's
    STALE_BROKER_EPOCH. None of them moves any leadership, and the cluster
    keeps serving."""
    with Cluster(brokers=2, name="lead-bad", overrides=["default.replication.factor=2"]) as c:
        from kafka.admin import KafkaAdminClient, NewTopic
        a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
        try:
            a.create_topics([NewTopic("cb", 2, 2)])
        finally:
            a.close()
        for p in range(2):
            wait_for(lambda: len(isr(c, "cb", p)) == 2, 30, "the ISR of cb-%d" % p)
        before = [state(c, "cb", p) for p in range(2)]
        ctl = controller_id(c)
        other = 1 - ctl
        err, _ = controlled_shutdown(c, other, other, broker_epoch(c, other))
        check(err == NOT_CONTROLLER, "ControlledShutdown to broker %d answered %d" % (other, err))
        err, _ = controlled_shutdown(c, ctl, 42, -1)
        check(err == BROKER_NOT_AVAILABLE, "ControlledShutdown for broker 42 answered %d" % err)
        err, _ = controlled_shutdown(c, ctl, other, broker_epoch(c, other) + 1)
        check(err == STALE_BROKER_EPOCH, "ControlledShutdown with a wrong epoch answered %d" % err)
        time.sleep(1)  # a wrongly accepted request would have moved leaders by now
        after = [state(c, "cb", p) for p in range(2)]
        check(after == before, "partition states changed: %s -> %s" % (before, after))


@test
def leaders_controller_killed_during_sigterm_bounce():
    """Under acks=all load on three partitions, the controller is SIGKILLed
    and at the same moment another broker leading partitions gets SIGTERM
    (once in CI; GREGOR_LEADERS_ROUNDS=N repeats it). The leaving broker's
    first attempts fail (the controller is gone and its /controller znode
    lives until its session times out); it
    retries until the new controller moves its leaderships, then exits.
    The producer sees no error and every acknowledged record is read back."""
    over = REPL_OVERRIDES + ["zookeeper.session.timeout.ms=6000",
                             "controlled.shutdown.max.retries=40",
                             "controlled.shutdown.retry.backoff.ms=500",
                             "auto.leader.rebalance.enable=false"]
    with Cluster(brokers=3, name="lead-ctlkill", overrides=over) as c:
        create_topic(c, "lk", partitions=3)
        for p in range(3):
            wait_for(lambda: len(isr(c, "lk", p)) == 3, 30, "the ISR of lk-%d to be all three" % p)
        load = Load(c, "lk", 3)
        try:
            for round_ in range(ROUNDS or 1):
                wait_for(lambda: load.acks.acked, 30, "records to be acknowledged")
                ctl = controller_id(c)
                leads = [sum(1 for p in range(3) if state(c, "lk", p)["leader"] == i)
                         for i in range(3)]
                leads[ctl] = -1
                victim = leads.index(max(leads))
                log_before = len(c.log(victim))
                c.kill(ctl)
                c.stop(victim)
                tail = c.log(victim)[log_before:]
                check("controlled shutdown succeeded" in tail,
                      "round %d: broker %d stopped without a completed controlled shutdown:\n%s"
                      % (round_, victim, tail[-1500:]))
                c.start(ctl)
                c.start(victim)
                for p in range(3):
                    wait_for(lambda: len(isr(c, "lk", p)) == 3, 60,
                             "round %d: the ISR of lk-%d to be all three again" % (round_, p))
        finally:
            load.stop()
        check(not load.acks.errors, "the producer saw delivery errors: %s" % load.acks.errors[:5])
        check(len(load.acks.acked) == load.sent, "%d sent, %d acknowledged" % (
            load.sent, len(load.acks.acked)))
        check_all_acked_read_back(c, "lk", 3, load.acks.acked)
