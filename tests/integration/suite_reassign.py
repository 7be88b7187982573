"""Partition reassignment (issue 12): /admin/reassign_partitions,
AlterPartitionReassignments and ListPartitionReassignments, and
gregor-reassign-partitions in both modes, on four brokers while producers
with acks=all run. Every acknowledged record must be read back after the
move, and the end state must be exactly the new assignment.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import subprocess
import threading
import time

import harness
from harness import Cluster, check, test, wait_for
from suite_groups import zk_exists
from suite_leaders import controller_id as controller_of
from suite_repl import REPL_OVERRIDES, Acks, check_replicas_agree, isr, producer, read_all, state


def tool(c, mode, *args):
    """gregor-reassign-partitions with --bootstrap-server (mode "boot") or
    --zookeeper (mode "zk")."""
    conn = ["--bootstrap-server", c.bootstrap] if mode == "boot" else ["--zookeeper", c.zk]
    return subprocess.run([os.path.join(harness.BUILD, "tools", "gregor-reassign-partitions")] +
                          conn + list(args), capture_output=True, text=True, timeout=120)


def write_json(c, name, obj):
    path = os.path.join(c.dir, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def plan(topic, moves):
    return {"version": 1, "partitions": [{"topic": topic, "partition": p, "replicas": r}
                                         for p, r in moves]}


def assignment(c, topic):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return json.loads(zk.get("/brokers/topics/" + topic)[0])
    finally:
        zk.stop()
        zk.close()


def create(c, topic, replicas):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": c.bootstrap})
    a.create_topics([NewTopic(topic, num_partitions=len(replicas),
                              replica_assignment=replicas)])[topic].result(30)
    for p, r in enumerate(replicas):
        wait_for(lambda: sorted(isr(c, topic, p)) == sorted(r), 30,
                 "the ISR of %s-%d to be %s" % (topic, p, r))


class Load:
    """A producer with acks=all sending numbered records to partition 0 of
    a topic from a thread until stopped; every delivery report recorded."""

    def __init__(self, c, topic):
        self.c, self.topic = c, topic
        self.acks = Acks()
        self.sent = 0
        self.stop_flag = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        pr = producer(self.c)
        while not self.stop_flag:
            pr.produce(self.topic, b"m%06d" % self.sent, partition=0, on_delivery=self.acks.cb)
            self.sent += 1
            pr.poll(0)
            time.sleep(0.002)
        pr.flush(60)

    def stop(self):
        self.stop_flag = True
        self.t.join(90)

    def check_nothing_lost(self):
        check(len(self.acks.acked) > 100, "only %d records acknowledged" % len(self.acks.acked))
        got, hw = read_all(self.c, self.topic, timeout=60)
        have = dict(got)
        lost = [(o, v) for o, v in self.acks.acked if have.get(o) != v]
        check(not lost, "%d acknowledged records lost or changed, first %s (hw %d)" % (
            len(lost), lost[:3], hw))


def moved(c, topic, p, target):
    """The partition is exactly on target: assignment without a
    reassignment recorded, leader in target, ISR == target."""
    a = assignment(c, topic)
    st = state(c, topic, p)
    return (a["partitions"][str(p)] == target and not a.get("adding_replicas", {}).get(str(p))
            and not a.get("removing_replicas", {}).get(str(p)) and st["leader"] in target
            and sorted(st["isr"]) == sorted(target))


def logs_gone(c, broker, topic, p):
    return not [n for n in os.listdir(c.log_dir(broker)) if n.startswith("%s-%d" % (topic, p))]


@test
def reassign_move_under_acks_all_bootstrap():
    """RF=3 on brokers 0,1,2 of four; gregor-reassign-partitions
    --bootstrap-server --execute moves partition 0 to 3,1,2 while a
    producer with acks=all runs (broker 0, the leader, leaves). --verify
    says in progress, then complete; --list shows the reassignment while
    it runs. The end state is exactly the new assignment (leader from it,
    ISR 1,2,3, broker 0's log deleted), every acknowledged record is read
    back, and the replicas agree byte for byte."""
    with Cluster(brokers=4, name="ra-boot", overrides=REPL_OVERRIDES) as c:
        create(c, "mv", [[0, 1, 2]])
        check(state(c, "mv")["leader"] == 0, "broker 0 does not lead mv-0")
        load = Load(c, "mv")
        wait_for(lambda: len(load.acks.acked) > 300, 30, "records to be acknowledged")
        f = write_json(c, "move.json", plan("mv", [(0, [3, 1, 2])]))
        out = tool(c, "boot", "--execute", "--reassignment-json-file", f)
        lines = out.stdout.splitlines()
        check(out.returncode == 0 and lines[:2] == ["Current partition replica assignment", ""]
              and json.loads(lines[2]) == {"version": 1, "partitions": [
                  {"topic": "mv", "partition": 0, "replicas": [0, 1, 2],
                   "log_dirs": ["any", "any", "any"]}]}
              and lines[3:] == ["", "Save this to use as the --reassignment-json-file option "
                                "during rollback", "Successfully started partition reassignment "
                                "for mv-0"], "--execute: %s" % out)
        wait_for(lambda: moved(c, "mv", 0, [3, 1, 2]), 60,
                 "mv-0 to be on 3,1,2 exactly (now %s, %s)" % (assignment(c, "mv"),
                                                                state(c, "mv")))
        wait_for(lambda: logs_gone(c, 0, "mv", 0), 30, "broker 0 to delete its log of mv-0")
        time.sleep(1)
        load.stop()
        out = tool(c, "boot", "--verify", "--reassignment-json-file", f)
        check(out.returncode == 0 and out.stdout.splitlines()[:2] == [
            "Status of partition reassignment:", "Reassignment of partition mv-0 is complete."],
            "--verify: %s" % out)
        out = tool(c, "boot", "--list")
        check(out.returncode == 0 and out.stdout == "No partition reassignments found.\n",
              "--list after: %s" % out)
        load.check_nothing_lost()
        check(state(c, "mv")["leader"] in (3, 1, 2), "leader %s" % state(c, "mv"))
        check_replicas_agree(c, "mv", 1)


@test
def reassign_move_zookeeper_znode():
    """The same through ZooKeeper: gregor-reassign-partitions --zookeeper
    writes /admin/reassign_partitions to move a partition from brokers 0
    (its leader) and 1 to 3 and 2, and another from 1,0 to 2,3, with a
    producer running on the first. The controller adds, catches up, moves leadership, removes
    and deletes the znode; --verify follows it. A second --execute while
    the znode exists is refused, and an entry naming a partition that
    does not exist (written by hand) is dropped without blocking the
    rest."""
    with Cluster(brokers=4, name="ra-zk", overrides=REPL_OVERRIDES) as c:
        create(c, "z1", [[0, 1]])
        create(c, "z2", [[0, 1], [1, 0]])
        load = Load(c, "z1")
        wait_for(lambda: len(load.acks.acked) > 300, 30, "records to be acknowledged")
        f = write_json(c, "move.json", {"version": 1, "partitions": [
            {"topic": "z1", "partition": 0, "replicas": [3, 2]},
            {"topic": "z2", "partition": 1, "replicas": [2, 3]}]})
        out = tool(c, "zk", "--execute", "--reassignment-json-file", f)
        check(out.returncode == 0 and out.stdout.splitlines()[-1] ==
              "Successfully started partition reassignments for z1-0,z2-1", "--execute: %s" % out)
        again = tool(c, "zk", "--execute", "--reassignment-json-file", f)
        busy = not zk_exists(c, "/admin/reassign_partitions") or (
            again.returncode == 1 and "There is an existing assignment running." in again.stderr)
        check(busy, "a second --execute while one runs: %s" % again)
        wait_for(lambda: not zk_exists(c, "/admin/reassign_partitions"), 60,
                 "the controller to delete /admin/reassign_partitions when done")
        check(moved(c, "z1", 0, [3, 2]) and moved(c, "z2", 1, [2, 3]),
              "end state %s %s" % (assignment(c, "z1"), assignment(c, "z2")))
        wait_for(lambda: logs_gone(c, 0, "z1", 0) and logs_gone(c, 1, "z1", 0) and
                 logs_gone(c, 0, "z2", 1) and logs_gone(c, 1, "z2", 1), 30,
                 "the old replicas' logs to be deleted")
        load.stop()
        out = tool(c, "zk", "--verify", "--reassignment-json-file", f)
        check(out.returncode == 0 and out.stdout.splitlines()[1:3] == [
            "Reassignment of partition z1-0 is complete.",
            "Reassignment of partition z2-1 is complete."], "--verify: %s" % out)
        load.check_nothing_lost()

        # An entry for a partition that does not exist, beside a real one.
        from kazoo.client import KazooClient
        zk = KazooClient(hosts=c.zk)
        zk.start(timeout=15)
        try:
            zk.create("/admin/reassign_partitions", json.dumps({"version": 1, "partitions": [
                {"topic": "z2", "partition": 9, "replicas": [1]},
                {"topic": "z2", "partition": 0, "replicas": [1, 2]}]}).encode())
        finally:
            zk.stop()
            zk.close()
        wait_for(lambda: not zk_exists(c, "/admin/reassign_partitions"), 60,
                 "the znode with a bad entry to be worked through and deleted")
        check(moved(c, "z2", 0, [1, 2]), "z2-0 is %s" % assignment(c, "z2"))
        check("cannot reassign z2-9" in c.log(state(c, "z2", 0)["leader"]) or any(
            "cannot reassign z2-9" in c.log(i) for i in range(4)),
            "no broker said why the z2-9 entry was dropped")


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def flexible_call(c, broker, key, body):
    """One request at version 0 with header v2 (flexible) to broker; the
    response body after its header v1."""
    import socket
    import struct
    s = socket.create_connection(c.broker_addr(broker), timeout=10)
    try:
        head = struct.pack(">hhi", key, 0, 7) + harness.kstr("t") + b"\x00"
        s.sendall(struct.pack(">i", len(head) + len(body)) + head + body)
        r = harness.recv_frame(s, timeout=40)
    finally:
        s.close()
    check(r is not None and r[:4] == struct.pack(">i", 7) and r[4] == 0,
          "no answer, or not a response header v1: %r" % r)
    return r[5:]


class Reader:
    def __init__(self, data):
        self.d, self.at = data, 0

    def i(self, fmt, n):
        import struct
        v = struct.unpack(fmt, self.d[self.at:self.at + n])[0]
        self.at += n
        return v

    def uv(self):
        v, shift = 0, 0
        while True:
            b = self.d[self.at]
            self.at += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v

    def s(self):
        n = self.uv() - 1
        if n < 0:
            return None
        v = self.d[self.at:self.at + n].decode()
        self.at += n
        return v

    def ints(self):
        return [self.i(">i", 4) for _ in range(self.uv() - 1)]


def api_alter(c, topics, broker=None):
    """AlterPartitionReassignments v0 to the controller (or broker):
    topics [(name, [(partition, replicas or None)])]. Returns (error,
    message, [(topic, partition, error, message)])."""
    import struct

    def cstr(s):
        b = s.encode()
        return uvarint(len(b) + 1) + b

    body = struct.pack(">i", 30000) + uvarint(len(topics) + 1)
    for name, parts in topics:
        body += cstr(name) + uvarint(len(parts) + 1)
        for p, replicas in parts:
            body += struct.pack(">i", p)
            if replicas is None:
                body += uvarint(0)
            else:
                body += uvarint(len(replicas) + 1) + b"".join(struct.pack(">i", r)
                                                             for r in replicas)
            body += b"\x00"
        body += b"\x00"
    body += b"\x00"
    r = Reader(flexible_call(c, controller_of(c) if broker is None else broker, 45, body))
    r.i(">i", 4)
    err, msg = r.i(">h", 2), r.s()
    out = []
    for _ in range(r.uv() - 1):
        name = r.s()
        for _ in range(r.uv() - 1):
            p, e, m = r.i(">i", 4), r.i(">h", 2), r.s()
            r.uv()
            out.append((name, p, e, m))
        r.uv()
    return err, msg, out


def api_list(c, broker=None):
    """ListPartitionReassignments v0 (every topic): (error, [(topic,
    partition, replicas, adding, removing)])."""
    import struct
    body = struct.pack(">i", 30000) + uvarint(0) + b"\x00"
    r = Reader(flexible_call(c, controller_of(c) if broker is None else broker, 46, body))
    r.i(">i", 4)
    err, _ = r.i(">h", 2), r.s()
    out = []
    for _ in range(r.uv() - 1):
        name = r.s()
        for _ in range(r.uv() - 1):
            p = r.i(">i", 4)
            out.append((name, p, r.ints(), r.ints(), r.ints()))
            r.uv()
        r.uv()
    return err, out


@test
def reassign_api_errors_cancel_and_list():
    """AlterPartitionReassignments answers per partition: an unknown
    partition or topic gets UNKNOWN_TOPIC_OR_PARTITION (3), an empty or
    duplicated replica list and an unregistered broker
    INVALID_REPLICA_ASSIGNMENT (39), beside a good move in the same request
    that goes ahead; a cancel with nothing under way gets
    NO_REASSIGNMENT_IN_PROGRESS (85); a broker that is not the controller
    answers NOT_CONTROLLER (41). A move whose new replica is frozen
    (SIGSTOP, still registered) stays under way: ListPartitionReassignments
    and --list show it with its adding and removing replicas, and
    gregor-reassign-partitions --cancel puts the partition back on its old
    replicas; the frozen broker, thawed, holds no log of it."""
    with Cluster(brokers=4, name="ra-api", overrides=REPL_OVERRIDES) as c:
        create(c, "ap", [[0, 1], [1, 2]])
        err, msg, parts = api_alter(c, [("ap", [(0, [1, 3]), (1, []), (7, [1])]),
                                        ("nosuch", [(0, [1])]),
                                        ("ap", [(1, [2, 2])])])
        check(err == 0 and [(t, p, e) for t, p, e, _ in parts] == [
            ("ap", 0, 0), ("ap", 1, 39), ("ap", 7, 3), ("nosuch", 0, 3), ("ap", 1, 39)],
              "per-partition errors: %s %s %s" % (err, msg, parts))
        err, msg, parts = api_alter(c, [("ap", [(1, [9, 2])])])
        check(parts[0][2] == 39 and "9" in parts[0][3], "an unregistered broker: %s" % parts)
        wait_for(lambda: moved(c, "ap", 0, [1, 3]), 60, "ap-0 to move to 1,3")
        err, msg, parts = api_alter(c, [("ap", [(1, None)])])
        check([p[:3] for p in parts] == [("ap", 1, 85)],
              "cancel with nothing to cancel: %s" % parts)
        check(assignment(c, "ap")["partitions"]["1"] == [1, 2], "ap-1 changed: %s" %
              assignment(c, "ap"))
        ctl = controller_of(c)
        other = [i for i in range(4) if i != ctl][0]
        check(api_list(c, other)[0] == 41, "ListPartitionReassignments off the controller")
        check(api_alter(c, [("ap", [(1, [1, 3])])], other)[0] == 41,
              "AlterPartitionReassignments off the controller")

        # A frozen broker (not the controller): moving ap-1 (on 1,2) to 1 and
        # it cannot finish.
        # Not broker 0 either: the tool asks the first bootstrap broker, and
        # a frozen one would make it wait for its timeout.
        frozen = 3 if ctl != 3 else 2
        import signal
        pid = c.pid(frozen)
        os.kill(pid, signal.SIGSTOP)
        try:
            err, msg, parts = api_alter(c, [("ap", [(1, [1, frozen])])])
            check([p[:3] for p in parts] == [("ap", 1, 0)], "move to a frozen broker: %s" % parts)
            err, ongoing = api_list(c)
            check(err == 0 and ongoing == [("ap", 1, [1, frozen, 2], [frozen], [2])],
                  "ListPartitionReassignments: %s %s" % (err, ongoing))
            out = tool(c, "boot", "--list")
            check(out.returncode == 0 and out.stdout.splitlines() == [
                "Current partition reassignments:",
                "ap-1: replicas: 1,%d,2. adding: %d. removing: 2." % (frozen, frozen)],
                "--list: %s" % out)
            f = write_json(c, "cancel.json", plan("ap", [(1, [1, frozen])]))
            out = tool(c, "boot", "--verify", "--reassignment-json-file", f)
            check(out.returncode == 0 and out.stdout.splitlines() == [
                "Status of partition reassignment:",
                "Reassignment of partition ap-1 is still in progress."], "--verify: %s" % out)
            out = tool(c, "boot", "--cancel", "--reassignment-json-file", f)
            check(out.returncode == 0 and out.stdout.strip() ==
                  "Successfully cancelled partition reassignment for: ap-1", "--cancel: %s" % out)
            wait_for(lambda: moved(c, "ap", 1, [1, 2]), 30, "ap-1 to be back on 1,2 (%s)" %
                     assignment(c, "ap"))
            check(api_list(c) == (0, []), "still listed after the cancel: %s" % (api_list(c),))
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_for(lambda: logs_gone(c, frozen, "ap", 1), 60,
                 "broker %d to hold no log of ap-1" % frozen)


def log_size(c, broker, topic, p):
    d = os.path.join(c.log_dir(broker), "%s-%d" % (topic, p))
    if not os.path.isdir(d):
        return 0
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))


def zk_config(c, path):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return json.loads(zk.get(path)[0])["config"] if zk.exists(path) else {}
    finally:
        zk.stop()
        zk.close()


@test
def reassign_throttle_limits_the_copy():
    """--execute --throttle 300000 on a move that copies 6 MB to a new
    broker: it sets leader/follower.replication.throttled.rate on the
    brokers involved and the throttled-replica lists on the topic (Kafka's
    lines say so), and the new replica has copied well under half of it
    after three seconds (the rate bounds it at about 1.2 MB plus one
    fetch). Lifting the rate (gregor-configs) lets the move finish; --verify
    then says complete and removes every throttle, as Kafka's tool does."""
    with Cluster(brokers=3, name="ra-thr", overrides=REPL_OVERRIDES) as c:
        create(c, "th", [[0, 1]])
        from confluent_kafka import Producer
        pr = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 20})
        for k in range(6000):
            pr.produce("th", b"%06d" % k + b"x" * 994, partition=0)
            pr.poll(0)
        check(pr.flush(60) == 0, "records left unsent")
        total = log_size(c, 0, "th", 0)
        check(total >= 6000000, "only %d bytes in th-0" % total)
        f = write_json(c, "th.json", plan("th", [(0, [0, 2])]))
        out = tool(c, "boot", "--execute", "--reassignment-json-file", f, "--throttle", "300000")
        lines = out.stdout.splitlines()
        check(out.returncode == 0 and lines[-3:] == [
            "Warning: You must run --verify periodically, until the reassignment completes, to "
            "ensure the throttle is removed.", "The inter-broker throttle limit was set to "
            "300000 B/s", "Successfully started partition reassignment for th-0"],
            "--execute --throttle: %s" % out)
        cfg = zk_config(c, "/config/topics/th")
        check(cfg == {"leader.replication.throttled.replicas": "0:0,0:1",
                      "follower.replication.throttled.replicas": "0:2"}, "topic throttles %s" % cfg)
        for b in (0, 1, 2):
            check(zk_config(c, "/config/brokers/%d" % b) == {
                "leader.replication.throttled.rate": "300000",
                "follower.replication.throttled.rate": "300000"},
                "broker %d throttles: %s" % (b, zk_config(c, "/config/brokers/%d" % b)))
        start = time.time()
        wait_for(lambda: log_size(c, 2, "th", 0) > 0, 20, "broker 2 to start copying")
        time.sleep(max(0.0, 3.0 - (time.time() - start)))
        copied = log_size(c, 2, "th", 0)
        check(copied < total / 2, "broker 2 copied %d of %d bytes in 3 s at 300000 B/s" % (
            copied, total))
        out = tool(c, "boot", "--verify", "--reassignment-json-file", f)
        check(out.stdout.splitlines()[1:] == ["Reassignment of partition th-0 is still in "
                                              "progress."], "--verify while throttled: %s" % out)
        for b in (0, 2):
            out = subprocess.run([os.path.join(harness.BUILD, "tools", "gregor-configs"),
                                  "--bootstrap-server", c.bootstrap, "--entity-type", "brokers",
                                  "--entity-name", str(b), "--alter", "--delete-config",
                                  "leader.replication.throttled.rate,"
                                  "follower.replication.throttled.rate"],
                                 capture_output=True, text=True, timeout=60)
            check(out.returncode == 0, "lifting broker %d's rate: %s" % (b, out))
        wait_for(lambda: moved(c, "th", 0, [0, 2]), 60, "th-0 to finish moving to 0,2")
        check(log_size(c, 2, "th", 0) >= total, "broker 2 has %d of %d bytes" % (
            log_size(c, 2, "th", 0), total))
        out = tool(c, "boot", "--verify", "--reassignment-json-file", f)
        check(out.returncode == 0 and out.stdout.splitlines() == [
            "Status of partition reassignment:", "Reassignment of partition th-0 is complete.", "",
            "Clearing broker-level throttles on brokers 0,1,2",
            "Clearing topic-level throttles on topic th"], "--verify when done: %s" % out)
        check(zk_config(c, "/config/topics/th") == {}, "topic throttles left: %s" %
              zk_config(c, "/config/topics/th"))
        for b in (0, 1, 2):
            check(zk_config(c, "/config/brokers/%d" % b) == {}, "broker %d throttles left" % b)


@test
def reassign_tool_generate_and_errors():
    """gregor-reassign-partitions --generate prints the current assignment
    and a proposal over --broker-list (every replica on those brokers, the
    replication factor kept, as Kafka's output lays it out), in both
    modes. Bad input gets its message and exit 1, changing nothing: a
    duplicate or unregistered broker in --broker-list, an unknown topic, a
    plan that is not JSON, empty, names a partition twice, repeats a
    replica, names a partition or broker that does not exist; usage errors
    exit 2."""
    with Cluster(brokers=3, name="ra-tool", overrides=REPL_OVERRIDES) as c:
        create(c, "g", [[0, 1], [1, 0]])
        topics = write_json(c, "topics.json", {"version": 1, "topics": [{"topic": "g"}]})
        for mode in ("boot", "zk"):
            out = tool(c, mode, "--generate", "--topics-to-move-json-file", topics,
                       "--broker-list", "1,2")
            lines = out.stdout.splitlines()
            check(out.returncode == 0 and len(lines) == 5 and
                  lines[0] == "Current partition replica assignment" and lines[2] == "" and
                  lines[3] == "Proposed partition reassignment configuration",
                  "--generate (%s): %s" % (mode, out))
            now, proposed = json.loads(lines[1]), json.loads(lines[4])
            check(now == {"version": 1, "partitions": [
                {"topic": "g", "partition": 0, "replicas": [0, 1], "log_dirs": ["any", "any"]},
                {"topic": "g", "partition": 1, "replicas": [1, 0], "log_dirs": ["any", "any"]}]},
                  "current (%s): %s" % (mode, now))
            check([p["partition"] for p in proposed["partitions"]] == [0, 1] and all(
                sorted(p["replicas"]) == [1, 2] for p in proposed["partitions"]),
                  "proposal (%s): %s" % (mode, proposed))
        for args, says in (
                (["--broker-list", "1,1"], "Broker list contains duplicate entries: 1"),
                (["--broker-list", "1,7"], "Broker 7 in --broker-list is not registered")):
            out = tool(c, "boot", "--generate", "--topics-to-move-json-file", topics, *args)
            check(out.returncode == 1 and says in out.stderr, "%s: %s" % (args, out))
        nosuch = write_json(c, "nosuch.json", {"version": 1, "topics": [{"topic": "nosuch"}]})
        out = tool(c, "zk", "--generate", "--topics-to-move-json-file", nosuch,
                   "--broker-list", "0,1")
        check(out.returncode == 1 and "Topic nosuch not found." in out.stderr, "unknown: %s" % out)

        bad_plans = (
            ("notjson", "{", "not JSON"),
            ("empty", {"version": 1, "partitions": []}, "Partition reassignment data file is empty"),
            ("twice", plan("g", [(0, [1, 2]), (0, [2, 1])]),
             "contains duplicate topic partitions: g-0"),
            ("dup", plan("g", [(0, [1, 1])]), "g-0 contains multiple entries for 1"),
            ("nopart", plan("g", [(5, [1, 2])]), "non-existent partitions: g-5"),
            ("nobroker", plan("g", [(0, [1, 9])]), "non-existent brokerIDs: 9"),
            ("norepl", plan("g", [(0, [])]), "Partition replica list cannot be empty"))
        for name, body, says in bad_plans:
            path = os.path.join(c.dir, name + ".json")
            with open(path, "w") as f:
                f.write(body if isinstance(body, str) else json.dumps(body))
            for mode in ("boot", "zk"):
                out = tool(c, mode, "--execute", "--reassignment-json-file", path)
                check(out.returncode == 1 and says in out.stderr and
                      "Successfully" not in out.stdout, "%s (%s): %s" % (name, mode, out))
        check(assignment(c, "g")["partitions"] == {"0": [0, 1], "1": [1, 0]} and
              not zk_exists(c, "/admin/reassign_partitions"), "a refused plan changed something")
        f = write_json(c, "ok.json", plan("g", [(0, [1, 2])]))
        for args in (["--verify"], ["--execute", "--verify", "--reassignment-json-file", f],
                     ["--execute"], ["--list", "--zookeeper-only"],
                     ["--execute", "--reassignment-json-file", f, "--throttle", "fast"],
                     ["--verify", "--reassignment-json-file", f, "--throttle", "5"]):
            out = tool(c, "boot", *args)
            check(out.returncode == 2 and out.stderr.startswith("gregor-reassign-partitions: "),
                  "usage error %s: %s" % (args, out))
        out = tool(c, "zk", "--cancel", "--reassignment-json-file", f)
        check(out.returncode == 2 and "--bootstrap-server" in out.stderr,
              "--cancel with --zookeeper: %s" % out)
