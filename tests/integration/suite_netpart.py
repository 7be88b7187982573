"""Network partition (issue 10): the leader of a replicated partition loses
ZooKeeper and its peers while a producer can still reach it.

Loopback cannot be cut in half, so this suite builds a small network of
its own (needs root and `ip netns`; otherwise it prints SKIP):

    root namespace: bridge gnp<pid> 10.201.X.1/24, ZooKeeper on 10.201.X.1
      |-- veth gnp<pid>v0 -- namespace gregor-np-<pid>-0: eth0 10.201.X.10, broker 0
      |-- veth gnp<pid>v1 -- namespace gregor-np-<pid>-1: eth0 10.201.X.11, broker 1
      `-- veth gnp<pid>v2 -- namespace gregor-np-<pid>-2: eth0 10.201.X.12, broker 2

X is a /24 not otherwise in use and <pid> this process's, so parallel
runs do not collide. Setting the root-side veth of a broker down cuts it
from ZooKeeper and the other brokers, while a process in its namespace
still reaches it on its own address. Everything is removed on the way
out, failure or not (deleting a namespace deletes its veth pair).

Imported by suite.py; the tests register themselves with harness.test. Run
as `python3 suite_netpart.py --produce ...` it is the producer process
the test starts inside a namespace.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from harness import TOOLS, Skip, check, test, wait_for
import harness
import suite_repl

ZK_SESSION_S = 4
OVERRIDES = ["min.insync.replicas=2", "replica.lag.time.max.ms=3000",
             "replica.fetch.wait.max.ms=200", "replica.fetch.backoff.ms=200",
             "replica.high.watermark.checkpoint.interval.ms=500",
             "default.replication.factor=3", "auto.create.topics.enable=false",
             "zookeeper.session.timeout.ms=%d" % (ZK_SESSION_S * 1000)]
TOPIC = "np"
PORT = 9092  # every broker has a namespace, so a port, of its own


def ip(*args, ns=None, check_rc=True):
    argv = ["ip"] + (["netns", "exec", ns, "ip"] if ns else []) + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check_rc and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p


def netns_usable():
    """None if root can create a namespace and a veth here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip"):
        return "no `ip` command (Debian package iproute2)"
    probe = "gregor-np-%d-probe" % os.getpid()
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if p.returncode != 0:
        return "`ip netns add` failed: %s" % p.stderr.strip()
    try:
        p = subprocess.run(["ip", "link", "add", "gnp%dp" % os.getpid(), "type", "veth", "peer",
                            "name", "eth0", "netns", probe], capture_output=True, text=True)
        if p.returncode != 0:
            return "cannot create a veth pair: %s" % p.stderr.strip()
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def die_with_us():
    """preexec_fn: the child is SIGKILLed when this process dies, however
    it dies (a broker in a namespace is no child of gregor-cluster's)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def remove_stale():
    """Namespaces and bridges of runs whose process is gone (killed before
    its cleanup ran)."""
    for line in ip("netns", "list").stdout.splitlines():
        parts = line.split()[0].split("-") if line.strip() else []
        if len(parts) == 4 and parts[:2] == ["gregor", "np"] and parts[2].isdigit() and \
                not os.path.exists("/proc/%s" % parts[2]):
            for i in range(3):
                ip("link", "del", "gnp%sv%d" % (parts[2], i), check_rc=False)
            ip("netns", "del", line.split()[0], check_rc=False)
            ip("link", "del", "gnp%s" % parts[2], check_rc=False)


def free_subnet():
    """A 10.201.X.0/24 that no interface uses (another run may hold one)."""
    used = ip("-o", "-4", "addr").stdout
    xs = [x for x in range(1, 255) if " 10.201.%d." % x not in used]
    check(xs, "every 10.201.X.0/24 is in use")
    return random.choice(xs)


class Net:
    """The bridge, the namespaces and their veths of one test run."""

    def __init__(self, n):
        tag = os.getpid()
        remove_stale()
        self.x = free_subnet()
        self.bridge = "gnp%d" % tag
        self.ns = ["gregor-np-%d-%d" % (tag, i) for i in range(n)]
        self.veth = ["gnp%dv%d" % (tag, i) for i in range(n)]
        self.made_bridge = False
        self.made_ns = []
        try:
            ip("link", "add", self.bridge, "type", "bridge")
            self.made_bridge = True
            ip("addr", "add", "%s/24" % self.gateway, "dev", self.bridge)
            ip("link", "set", self.bridge, "up")
            for i in range(n):
                ip("netns", "add", self.ns[i])
                self.made_ns.append(self.ns[i])
                ip("link", "add", self.veth[i], "type", "veth", "peer", "name", "eth0", "netns",
                   self.ns[i])
                ip("link", "set", self.veth[i], "master", self.bridge, "up")
                ip("addr", "add", "%s/24" % self.addr(i), "dev", "eth0", ns=self.ns[i])
                ip("link", "set", "eth0", "up", ns=self.ns[i])
                ip("link", "set", "lo", "up", ns=self.ns[i])
            # Two runs that picked the same X at once would share addresses.
            mine = [l for l in ip("-o", "-4", "addr").stdout.splitlines()
                    if " 10.201.%d." % self.x in l]
            check(len(mine) == 1 and self.bridge in mine[0],
                  "10.201.%d.0/24 is also used elsewhere: %s" % (self.x, mine))
        except BaseException:
            self.close()
            raise

    @property
    def gateway(self):
        return "10.201.%d.1" % self.x

    def addr(self, i):
        return "10.201.%d.%d" % (self.x, 10 + i)

    def isolate(self, i):
        ip("link", "set", self.veth[i], "down")

    def heal(self, i):
        ip("link", "set", self.veth[i], "up")

    def close(self):
        # A namespace outlives its name while a socket in it lingers (an
        # orphaned TCP connection retransmitting), and its veth with it:
        # deleting our end deletes the pair now.
        for i, ns in enumerate(self.made_ns):
            ip("link", "del", self.veth[i], check_rc=False)
            ip("netns", "del", ns, check_rc=False)
        if self.made_bridge:
            ip("link", "del", self.bridge, check_rc=False)
        self.made_ns = []
        self.made_bridge = False


class NetCluster(harness.Cluster):
    """ZooKeeper on the bridge and broker i in namespace i, started and
    stopped here (gregor-cluster knows only 127.0.0.1); the directory
    layout, logs and close() are harness.Cluster's."""

    def __init__(self, net, n):
        self.net, self.n = net, n
        self.dir = tempfile.mkdtemp(prefix="gregor-it-netpart-")
        self.zk_port = harness.free_ports(1)
        self.procs = [None] * n
        self.logs = [None] * n
        try:
            p = subprocess.run([os.path.join(TOOLS, "gregor-zookeeper"), "start", "--dir",
                                self.zkdir, "--port", str(self.zk_port), "--address",
                                net.gateway, "--owner-pid", str(os.getpid())],
                               capture_output=True, text=True, timeout=90)
            check(p.returncode == 0, "ZooKeeper on %s did not start: %s" % (net.gateway, p.stderr))
            for i in range(n):
                self.start(i)
            for i in range(n):
                wait_for(lambda: "[gregord id=%d] started" % i in self.log(i) or
                         self.procs[i].poll() is not None, 60, "broker %d to start" % i)
                check(self.procs[i].poll() is None, "broker %d exited:\n%s" % (i, self.log(i)[-2000:]))
        except BaseException:
            self.close(failed=True)
            raise

    @property
    def zkdir(self):
        return os.path.join(self.dir, "zookeeper")

    @property
    def zk(self):
        return "%s:%d" % (self.net.gateway, self.zk_port)

    @property
    def bootstrap(self):
        return ",".join("%s:%d" % self.broker_addr(i) for i in range(self.n))

    def broker_addr(self, i):
        return (self.net.addr(i), PORT)

    def start(self, i):
        d = os.path.join(self.dir, "broker-%d" % i)
        os.makedirs(os.path.join(d, "logs"), exist_ok=True)
        listener = "PLAINTEXT://%s:%d" % (self.net.addr(i), PORT)
        argv = ["ip", "netns", "exec", self.net.ns[i], os.path.join(harness.BUILD, "broker", "gregord"),
                os.path.join(harness.TOP, "conf", "server.properties"),
                "--override", "broker.id=%d" % i, "--override", "listeners=" + listener,
                "--override", "advertised.listeners=" + listener,
                "--override", "log.dirs=" + os.path.join(d, "logs"),
                "--override", "zookeeper.connect=" + self.zk]
        for o in OVERRIDES:
            argv += ["--override", o]
        self.logs[i] = open(os.path.join(d, "gregord.log"), "w")
        # `ip netns exec` execs gregord in place: the pid is the broker's.
        self.procs[i] = subprocess.Popen(argv, stdout=self.logs[i], stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=die_with_us)

    def running(self):
        return True  # down() also closes the brokers' log files

    def kill_brokers(self):
        for p in self.procs:
            if p and p.poll() is None:
                p.kill()

    def down(self):
        """SIGTERM every broker (clean shutdown), then stop ZooKeeper."""
        for p in self.procs:
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            if p:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
        for f in self.logs:
            if f:
                f.close()
        subprocess.run([os.path.join(TOOLS, "gregor-zookeeper"), "stop", "--dir", self.zkdir],
                       capture_output=True, timeout=60)


# --- the producer process ------------------------------------------------------

def producer_main(bootstrap, tag, out_path, stop_path):
    """Produces tag-NNNNNN to partitions 0 and 1 in turn (acks=all,
    idempotence off, up to 5 requests in flight so that an isolated leader
    holds several batches it cannot acknowledge), one record every 20 ms
    until stop_path exists, then
    waits for the last reports. Every delivery report becomes a JSON line
    in out_path as it arrives: [time, partition, offset or null, value,
    error or null, time of the first produce() of the value]."""
    from confluent_kafka import Producer
    out = open(out_path, "w", buffering=1)
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False,
                  "linger.ms": 5, "message.timeout.ms": 20000, "request.timeout.ms": 5000,
                  "retries": 1000000, "retry.backoff.ms": 100,
                  "max.in.flight.requests.per.connection": 5,
                  "topic.metadata.refresh.interval.ms": 1000, "socket.connection.setup.timeout.ms": 3000})

    sent_at = {}

    def report(err, msg):
        v = msg.value().decode()
        out.write(json.dumps([time.time(), msg.partition(), None if err else msg.offset(), v,
                              str(err) if err else None, sent_at[v]]) + "\n")
    i = 0
    while not os.path.exists(stop_path):
        v = "%s-%06d" % (tag, i)
        sent_at[v] = time.time()
        p.produce(TOPIC, v.encode(), partition=i % 2, on_delivery=report)
        i += 1
        p.poll(0.02)
    left = p.flush(40)
    out.write(json.dumps(["sent", i, left]) + "\n")
    out.close()


class ProducerProc:
    """A producer_main process, in namespace ns or (ns None) the root one."""

    def __init__(self, d, tag, bootstrap, ns=None):
        self.out = os.path.join(d, "%s.jsonl" % tag)
        self.stop_path = os.path.join(d, "%s.stop" % tag)
        argv = ([] if ns is None else ["ip", "netns", "exec", ns]) + [
            "/usr/bin/python3", os.path.abspath(__file__), "--produce", bootstrap, tag,
            self.out, self.stop_path]
        self.err = open(os.path.join(d, "%s.err" % tag), "w")
        self.p = subprocess.Popen(argv, stdout=self.err, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, preexec_fn=die_with_us)

    def reports(self):
        try:
            with open(self.out) as f:
                lines = [json.loads(l) for l in f.read().splitlines() if l.endswith("]")]
        except OSError:
            return []
        return [r for r in lines if r[0] != "sent"]

    def acked(self, since=0.0):
        return [r for r in self.reports() if r[2] is not None and r[0] >= since]

    def finish(self):
        """Stops producing, waits for every report: (reports, sent count)."""
        open(self.stop_path, "w").close()
        self.p.wait(90)
        with open(self.out) as f:
            lines = [json.loads(l) for l in f.read().splitlines()]
        check(lines and lines[-1][0] == "sent", "the producer ended without its summary: %s"
              % open(self.err.name).read()[-2000:])
        check(lines[-1][2] == 0, "%d records had no delivery report" % lines[-1][2])
        return lines[:-1], lines[-1][1]

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        self.err.close()


# --- the test -------------------------------------------------------------------

def topic_state(zk, p):
    data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (TOPIC, p))
    return json.loads(data)


def log_records(c, i, p):
    """Broker i's partition-p records from its segment files on disk:
    {offset: value} (uncompressed v2 batches, as the producers send)."""
    from kafka.record import MemoryRecords
    recs = MemoryRecords(suite_repl.log_bytes(c, i, TOPIC, p, 1 << 30))
    out = {}
    while recs.has_next():  # a batch being written is not "next" yet
        for r in recs.next_batch():
            out[r.offset] = r.value.decode(errors="replace")
    return out


def unacked_tail(c, i, pr):
    """Values of pr's records in broker i's log of partition 0 that pr has
    no acknowledgement for (yet)."""
    acked = {r[3] for r in pr.acked()}
    return {v for v in log_records(c, i, 0).values() if v.startswith("inside-") and v not in acked}


def isolated_leader(leader_is_controller):
    """The leader of partition 0 (and follower of partition 1) is cut from
    ZooKeeper and both followers; a producer in its namespace still reaches
    it, a second one in the root namespace reaches the rest. The isolated
    leader acknowledges nothing the others lack; the others elect a new
    leader within the session timeout and take acks=all writes; healed, the
    old leader truncates, follows, and every replica holds the same records,
    every acknowledged one among them."""
    why = netns_usable()
    if why:
        raise Skip("needs root and network namespaces: %s" % why)
    from kazoo.client import KazooClient
    net = Net(3)
    c = zk = None
    procs = []
    ok = False
    try:
        c = NetCluster(net, 3)
        zk = KazooClient(hosts=c.zk, timeout=10)
        zk.start(timeout=15)
        wait_for(lambda: len(zk.get_children("/brokers/ids")) == 3, 30, "three registered brokers")
        wait_for(lambda: zk.exists("/controller"), 30, "a controller")
        ctl = json.loads(zk.get("/controller")[0])["brokerid"]
        cut = ctl if leader_is_controller else (ctl + 1) % 3
        a, b = [i for i in range(3) if i != cut]
        from kafka.admin import KafkaAdminClient, NewTopic
        adm = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
        try:
            adm.create_topics([NewTopic(TOPIC, -1, -1, replica_assignments={
                0: [cut, a, b], 1: [a, b, cut]})])
        finally:
            adm.close()
        wait_for(lambda: all(zk.exists("/brokers/topics/%s/partitions/%d/state" % (TOPIC, p)) and
                             len(topic_state(zk, p)["isr"]) == 3 for p in (0, 1)), 30,
                 "both partitions to have all three replicas in the ISR")
        old = topic_state(zk, 0)
        check(old["leader"] == cut, "partition 0 is led by %d, not %d" % (old["leader"], cut))

        inside = ProducerProc(c.dir, "inside", "%s:%d" % (net.addr(cut), PORT), ns=net.ns[cut])
        outside = ProducerProc(c.dir, "outside", c.bootstrap)
        procs = [inside, outside]
        wait_for(lambda: len(inside.acked()) >= 40 and len(outside.acked()) >= 40, 60,
                 "both producers to have 40 records acknowledged")

        lag_lines = c.log(cut).count("np-0: follower")
        net.isolate(cut)
        t_cut = time.time()  # anything produced from now on cannot reach a follower
        # The others take over once the isolated broker's session expires.
        new = wait_for(lambda: (lambda s: s["leader"] not in (cut, -1) and s)(topic_state(zk, 0)),
                       ZK_SESSION_S + 20, "a new leader of partition 0 after the cut")
        t_new = time.time()
        check(new["leader"] in old["isr"] and new["leader"] != cut and
              new["leader_epoch"] > old["leader_epoch"],
              "state after the cut: %s (before: %s)" % (new, old))
        check(cut not in new["isr"], "the isolated broker is still in the ISR: %s" % new)
        print("    new leader %d after %.1f s (session timeout %d s)" %
              (new["leader"], t_new - t_cut, ZK_SESSION_S), flush=True)
        # ... and take acks=all writes on both partitions.
        wait_for(lambda: {r[1] for r in outside.acked(since=t_new)} == {0, 1} and
                 len(outside.acked(since=t_new)) >= 40, 40,
                 "acks=all writes to be acknowledged by the new leaders")
        # The isolated leader keeps taking the inside producer's records
        # (it cannot know better) but must not acknowledge them.
        wait_for(lambda: unacked_tail(c, cut, inside), 30,
                 "the isolated leader to append records it has not acknowledged")
        # Stay cut until the isolated leader found its followers lagging
        # (replica.lag.time.max.ms), where it would shrink its ISR if it
        # could reach ZooKeeper.
        wait_for(lambda: c.log(cut).count("np-0: follower") >= lag_lines + 2, 30,
                 "the isolated leader to find both followers lagging")
        t_heal = time.time()
        tail = unacked_tail(c, cut, inside)
        net.heal(cut)

        wait_for(lambda: all(len(topic_state(zk, p)["isr"]) == 3 for p in (0, 1)), 60,
                 "the healed broker to rejoin both ISRs")
        check(topic_state(zk, 0)["leader"] == new["leader"],
              "the leader of partition 0 moved again: %s" % topic_state(zk, 0))
        results = {}
        for pr in procs:
            results[pr] = pr.finish()
        for pr in procs:
            pr.kill()
        procs = []

        # Records first sent after the cut could not reach a follower
        # before the heal: an acknowledgement of one meanwhile is a lie.
        sent_cut = [r for r in results[inside][0] if t_cut < r[5] < t_heal]
        check(sent_cut, "the inside producer sent nothing while cut off")
        lies = [r for r in sent_cut if r[2] is not None and r[0] < t_heal]
        check(not lies, "the isolated leader acknowledged %d records sent after the cut: %s"
              % (len(lies), lies[:3]))
        acked_cut = [r for r in results[inside][0] if r[2] is not None and t_cut < r[0] < t_heal]

        # Every acknowledged record is where its report said, on every
        # replica, and all three logs agree record for record.
        for p in (0, 1):
            logs = [log_records(c, i, p) for i in range(3)]
            leader = topic_state(zk, p)["leader"]

            def agree():
                logs[:] = [log_records(c, i, p) for i in range(3)]
                return logs[0] == logs[1] == logs[2]
            try:
                wait_for(agree, 30, "the three replicas of partition %d to agree" % p, interval=0.5)
                data = [suite_repl.log_bytes(c, i, TOPIC, p, 1 << 30) for i in range(3)]
                check(data[0] == data[1] == data[2], "the segment files of partition %d differ "
                      "(%s bytes) though their records agree" % (p, [len(d) for d in data]))
            except AssertionError:
                diff = sorted(set().union(*[set(l.items()) for l in logs]) -
                              set(logs[leader].items()))[:5]
                raise AssertionError("replicas of partition %d differ; not on the leader %d: %s; "
                                     "ends %s" % (p, leader, diff, [max(l, default=-1) for l in logs]))
            lost = [(pr_name, r) for pr_name, pr in (("inside", inside), ("outside", outside))
                    for r in results[pr][0] if r[1] == p and r[2] is not None and
                    logs[0].get(r[2]) != r[3]]
            check(not lost, "acknowledged records of partition %d lost or moved (%d): %s" %
                  (p, len(lost), lost[:5]))
        check("truncating to" in c.log(cut), "the healed leader never truncated its log")
        n_in = sum(1 for r in results[inside][0] if r[2] is not None)
        n_out = sum(1 for r in results[outside][0] if r[2] is not None)
        print("    acknowledged: inside %d of %d, outside %d of %d; inside: %d sent during the cut, "
              "%d acknowledged during it; the isolated leader's unacknowledged tail at the heal: "
              "%d records" % (n_in, results[inside][1], n_out, results[outside][1], len(sent_cut),
                              len(acked_cut), len(tail)), flush=True)
        ok = True
    finally:
        for pr in procs:
            pr.kill()
        if zk:
            zk.stop()
            zk.close()
        if c:
            if not ok:
                for line in c.tail().splitlines():
                    print("    " + line, flush=True)
            c.close(failed=not ok)
        net.close()


@test
def netpart_isolated_leader_loses_nothing():
    """isolated_leader(), the controller being another broker."""
    isolated_leader(leader_is_controller=False)


@test
def netpart_isolated_leader_and_controller_loses_nothing():
    """As above, the isolated leader being the controller too: a new
    controller is elected first, then the new leader."""
    isolated_leader(leader_is_controller=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--produce"]:
    producer_main(*sys.argv[2:6])
