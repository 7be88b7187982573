"""Operator's tools on a running cluster (issue 12): gregor-log-dirs and
DescribeLogDirs.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import socket
import struct
import subprocess

import harness
from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for


def tool(name, *args):
    return subprocess.run([os.path.join(harness.BUILD, "tools", name)] + list(args),
                          capture_output=True, text=True, timeout=120)


def zk_get(c, path):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=c.zk)
    zk.start(timeout=15)
    try:
        return zk.get(path)[0]
    finally:
        zk.stop()
        zk.close()


def create_topic(c, name, partitions=1, rf=1):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        a.create_topics([NewTopic(name, partitions, rf)])
    finally:
        a.close()


def segment_bytes(c, i, topic, p):
    d = os.path.join(c.log_dir(i), "%s-%d" % (topic, p))
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))


def describe_log_dirs_raw(c, i, version, topics):
    """DescribeLogDirs to broker i; topics {name: [partitions]} or None.
    Returns [(error, dir, {(topic, partition): (size, lag, future)})]."""
    if topics is None:
        body = struct.pack(">i", -1)
    else:
        body = struct.pack(">i", len(topics))
        for t, ps in topics.items():
            body += kstr(t) + struct.pack(">i", len(ps)) + b"".join(struct.pack(">i", p) for p in ps)
    s = socket.create_connection(c.broker_addr(i), timeout=10)
    try:
        s.sendall(frame(35, version, 5, body))
        r = recv_frame(s, timeout=15)
    finally:
        s.close()
    check(r is not None, "no DescribeLogDirs answer")
    at = 8  # correlation id, throttle
    out = []
    (nd,) = struct.unpack(">i", r[at:at + 4])
    at += 4
    for _ in range(nd):
        err, ln = struct.unpack(">hh", r[at:at + 4])
        d = r[at + 4:at + 4 + ln].decode()
        at += 4 + ln
        parts = {}
        (nt,) = struct.unpack(">i", r[at:at + 4])
        at += 4
        for _ in range(nt):
            ln = struct.unpack(">h", r[at:at + 2])[0]
            t = r[at + 2:at + 2 + ln].decode()
            at += 2 + ln
            (np_,) = struct.unpack(">i", r[at:at + 4])
            at += 4
            for _ in range(np_):
                p, size, lag, fut = struct.unpack(">iqqb", r[at:at + 21])
                at += 21
                parts[(t, p)] = (size, lag, bool(fut))
        out.append((err, d, parts))
    check(at == len(r), "DescribeLogDirs answer has %d bytes left over" % (len(r) - at))
    return out


@test
def ops_log_dirs():
    """Two brokers, topics ld (2 partitions, RF 2) and other (RF 1).
    DescribeLogDirs v0 and v1 list each broker's log dir with the partitions
    asked for (all for null; a partition that is not there is left out) and
    their sizes equal to the segment files'. gregor-log-dirs --describe
    prints Kafka's lines and JSON, for every broker or --broker-list, for
    every topic or --topic-list; an unknown broker id exits 1, usage errors
    exit 2."""
    with Cluster(brokers=2, name="ops-logdirs") as c:
        from kafka.admin import KafkaAdminClient, NewTopic
        a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
        try:
            a.create_topics([NewTopic("ld", 2, 2), NewTopic("other", 1, 1)])
        finally:
            a.close()
        from confluent_kafka import Producer
        pr = Producer({"bootstrap.servers": c.bootstrap, "acks": "all"})
        for k in range(500):
            pr.produce("ld", b"x" * 100, partition=k % 2)
        pr.produce("other", b"y" * 10)
        pr.flush(60)
        want = {i: {(t, p): segment_bytes(c, i, t, p)
                    for t, p in (("ld", 0), ("ld", 1), ("other", 0))
                    if os.path.isdir(os.path.join(c.log_dir(i), "%s-%d" % (t, p)))}
                for i in range(2)}
        check(all(want[i][("ld", 0)] > 0 for i in range(2)), "no records reached ld-0: %s" % want)

        def sizes_match():
            for i in range(2):
                want[i] = {tp: segment_bytes(c, i, *tp) for tp in want[i]}
                got = describe_log_dirs_raw(c, i, 1, None)
                if len(got) != 1 or {tp: v[0] for tp, v in got[0][2].items()} != want[i]:
                    return False
            return True
        wait_for(sizes_match, 30, "DescribeLogDirs sizes to equal the segment files'")
        got = describe_log_dirs_raw(c, 0, 0, {"ld": [1, 7], "nosuch": [0]})
        check(len(got) == 1 and got[0][0] == 0 and got[0][1] == c.log_dir(0) and
              list(got[0][2]) == [("ld", 1)] and got[0][2][("ld", 1)][1:] == (0, False),
              "DescribeLogDirs v0 for ld-1, ld-7 and nosuch-0: %s" % got)

        out = tool("gregor-log-dirs", "--describe", "--bootstrap-server", c.bootstrap)
        lines = out.stdout.splitlines()
        check(out.returncode == 0 and len(lines) == 3 and
              lines[0] == "Querying brokers for log directories information" and
              lines[1] == "Received log directory information from brokers 0,1",
              "gregor-log-dirs --describe: %s" % out)
        doc = json.loads(lines[2])
        check(doc["version"] == 1 and [b["broker"] for b in doc["brokers"]] == [0, 1],
              "brokers in the JSON: %s" % lines[2])
        for b in doc["brokers"]:
            i = b["broker"]
            check(len(b["logDirs"]) == 1 and b["logDirs"][0]["logDir"] == c.log_dir(i) and
                  b["logDirs"][0]["error"] is None, "log dirs of broker %d: %s" % (i, b))
            parts = {p["partition"]: p for p in b["logDirs"][0]["partitions"]}
            check(set(parts) == {"%s-%d" % tp for tp in want[i]},
                  "broker %d's partitions %s, expected %s" % (i, sorted(parts), want[i]))
            for (t, p), size in want[i].items():
                e = parts["%s-%d" % (t, p)]
                check(e["size"] == size and e["offsetLag"] == 0 and e["isFuture"] is False,
                      "broker %d %s-%d: %s, expected size %d" % (i, t, p, e, size))
        out = tool("gregor-log-dirs", "--describe", "--bootstrap-server", c.bootstrap,
                   "--broker-list", "1", "--topic-list", "other,ld")
        doc = json.loads(out.stdout.splitlines()[2])
        check(out.returncode == 0 and [b["broker"] for b in doc["brokers"]] == [1] and
              "from brokers 1" in out.stdout, "--broker-list 1: %s" % out)
        out = tool("gregor-log-dirs", "--describe", "--bootstrap-server", c.bootstrap,
                   "--topic-list", "other")
        doc = json.loads(out.stdout.splitlines()[2])
        shown = sorted(p["partition"] for b in doc["brokers"] for d in b["logDirs"]
                       for p in d["partitions"])
        check(shown == ["other-0"], "--topic-list other showed %s" % shown)
        out = tool("gregor-log-dirs", "--describe", "--bootstrap-server", c.bootstrap,
                   "--broker-list", "7")
        check(out.returncode == 1 and "broker 7" in out.stderr, "--broker-list 7: %s" % out)
        for bad in (["--bootstrap-server", c.bootstrap],
                    ["--describe"],
                    ["--describe", "--bootstrap-server", c.bootstrap, "--broker-list", "a,b"],
                    ["--describe", "--bootstrap-server", c.bootstrap, "--sideways"]):
            out = tool("gregor-log-dirs", *bad)
            check(out.returncode == 2 and out.stderr.startswith("gregor-log-dirs: "),
                  "usage error %s: %s" % (bad, out))


@test
def ops_configs_topic_without_restart():
    """gregor-configs --zookeeper --alter sets max.message.bytes=2000 on a
    topic: /config/topics/<t> holds it, /config/changes records the change,
    --describe prints it, and the running broker refuses a 5000-byte record
    (MESSAGE_TOO_LARGE) with no restart; --delete-config lifts the limit
    again. A bad value, an unknown key, deleting a key that is not set and
    a topic that does not exist each exit 1 naming what is wrong, and the
    config is unchanged; usage errors exit 2."""
    from confluent_kafka import KafkaError, Producer
    from kazoo.client import KazooClient
    with Cluster(brokers=1, name="ops-configs") as c:
        create_topic(c, "cf")

        def configs(*args):
            return tool("gregor-configs", "--zookeeper", c.zk, *args)

        def produce(size):
            errs = []
            pr = Producer({"bootstrap.servers": c.bootstrap, "acks": "all",
                           "message.max.bytes": 1 << 20, "retries": 0})
            pr.produce("cf", b"z" * size, on_delivery=lambda e, m: errs.append(e))
            pr.flush(30)
            check(len(errs) == 1, "no delivery report")
            return errs[0]

        check(produce(5000) is None, "a 5000-byte record was refused before any config")
        out = configs("--entity-type", "topics", "--entity-name", "cf", "--alter",
                      "--add-config", "max.message.bytes=2000,retention.ms=86400000")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for entity: topic 'cf'.", "--alter: %s" % out)
        zk = KazooClient(hosts=c.zk)
        zk.start(timeout=15)
        try:
            cfg = json.loads(zk.get("/config/topics/cf")[0])["config"]
            check(cfg == {"max.message.bytes": "2000", "retention.ms": "86400000"},
                  "/config/topics/cf holds %s" % cfg)
            notes = [json.loads(zk.get("/config/changes/" + n)[0])
                     for n in zk.get_children("/config/changes")]
            check({"version": 2, "entity_path": "topics/cf"} in notes,
                  "no /config/changes notification for topics/cf: %s" % notes)
        finally:
            zk.stop()
            zk.close()
        out = configs("--topic", "cf", "--describe")
        check(out.returncode == 0 and out.stdout.startswith("Configs for topic 'cf' are ") and
              sorted(out.stdout.strip()[len("Configs for topic 'cf' are "):].split(",")) ==
              ["max.message.bytes=2000", "retention.ms=86400000"], "--describe: %s" % out)
        wait_for(lambda: produce(5000) is not None, 30,
                 "the broker to refuse a 5000-byte record after max.message.bytes=2000")
        check(produce(5000).code() == KafkaError.MSG_SIZE_TOO_LARGE,
              "a record over the limit got %s" % produce(5000))
        check(produce(500) is None, "a 500-byte record was refused")

        for args, says in ((["--add-config", "retention.ms=soon"], "retention.ms"),
                           (["--add-config", "no.such.key=1"], "no.such.key"),
                           (["--delete-config", "segment.bytes"], "Invalid config(s): segment.bytes")):
            out = configs("--topic", "cf", "--alter", *args)
            check(out.returncode == 1 and says in out.stderr and
                  out.stdout.startswith("Error while executing config command"),
                  "%s: %s" % (args, out))
        out = configs("--topic", "nosuch", "--alter", "--add-config", "retention.ms=1")
        check(out.returncode == 1 and "Topic 'nosuch' does not exist." in out.stderr,
              "a topic that does not exist: %s" % out)
        out = configs("--topic", "cf", "--describe")
        check("max.message.bytes=2000" in out.stdout and "soon" not in out.stdout,
              "a refused change changed the config: %s" % out)

        out = configs("--topic", "cf", "--alter", "--delete-config", "max.message.bytes")
        check(out.returncode == 0, "--delete-config: %s" % out)
        wait_for(lambda: produce(5000) is None, 30,
                 "a 5000-byte record to be accepted again after --delete-config")
        # --bootstrap-server mode: DescribeConfigs and IncrementalAlterConfigs.
        def boot(*args):
            return tool("gregor-configs", "--bootstrap-server", c.bootstrap, *args)
        out = boot("--topic", "cf", "--alter", "--add-config", "segment.ms=600000",
                   "--delete-config", "retention.ms")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for topic cf.", "--bootstrap-server --alter: %s" % out)
        cfg = json.loads(zk_get(c, "/config/topics/cf"))["config"]
        check(cfg == {"segment.ms": "600000"}, "after the bootstrap alter: %s" % cfg)
        out = boot("--topic", "cf", "--describe")
        lines = out.stdout.splitlines()
        check(out.returncode == 0 and lines == [
            "Dynamic configs for topic cf are:", lines[1]] and lines[1].startswith(
                "  segment.ms=600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:"
                "segment.ms=600000") and lines[1].endswith("}"),
              "--bootstrap-server --describe: %s" % out)
        out = boot("--topic", "cf", "--describe", "--all")
        lines = out.stdout.splitlines()
        check(out.returncode == 0 and lines[0] == "All configs for topic cf are:" and
              any(l.startswith("  retention.ms=") for l in lines) and len(lines) > 10,
              "--describe --all: %s" % out.stdout[:500])
        out = boot("--topic", "cf", "--alter", "--delete-config", "retention.ms")
        check(out.returncode == 1 and "Invalid config(s): retention.ms" in out.stderr,
              "deleting a key not set through the broker: %s" % out)
        out = boot("--topic", "cf", "--alter", "--add-config", "segment.ms=never")
        check(out.returncode == 1 and "segment.ms" in out.stderr, "a bad value: %s" % out)
        out = boot("--topic", "nosuch", "--describe")
        check(out.returncode == 1 and "UNKNOWN_TOPIC_OR_PARTITION" in out.stderr,
              "describing a topic that does not exist: %s" % out)

        for bad in (["--topic", "cf"], ["--topic", "cf", "--alter"],
                    ["--entity-type", "sideways", "--describe"],
                    ["--topic", "cf", "--describe", "--add-config", "a=b"],
                    ["--topic", "cf", "--describe", "--all"],
                    ["--bootstrap-server", c.bootstrap, "--topic", "cf", "--describe"]):
            out = configs(*bad)
            check(out.returncode == 2 and out.stderr.startswith("gregor-configs: "),
                  "usage error %s: %s" % (bad, out))


@test
def ops_configs_broker_dynamic():
    """Dynamic broker configs without a restart. gregor-configs
    --bootstrap-server sets message.max.bytes=3000 for every broker
    (/config/brokers/<default>): the running broker refuses a 5000-byte
    record; 10000 for broker 0 (/config/brokers/0) wins over the default and
    the record goes through; deleting it brings the default back. A dynamic
    log.segment.bytes rolls segments at once. --describe prints Kafka's
    lines with the layers as synonyms. A static key (broker.id), a bad value
    and a broker that does not exist are refused naming them. --zookeeper refuses to
    add a broker config while the broker runs (Kafka 2.8's rule, naming
    --bootstrap-server), describes the layers, and with the broker stopped
    writes one that the broker applies when it starts. Users' quotas are
    stored under their sanitized names and described. (conf/server.properties
    sets message.max.bytes, hence its STATIC_BROKER_CONFIG synonym.)"""
    from confluent_kafka import KafkaError, Producer
    with Cluster(brokers=1, name="ops-dyncfg") as c:
        create_topic(c, "dy")

        def boot(*args):
            return tool("gregor-configs", "--bootstrap-server", c.bootstrap, *args)

        def zkc(*args):
            return tool("gregor-configs", "--zookeeper", c.zk, *args)

        def produce(size, topic="dy", n=1):
            errs = []
            pr = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "linger.ms": 0,
                           "message.max.bytes": 1 << 20, "retries": 0})
            for _ in range(n):
                pr.produce(topic, b"z" * size, on_delivery=lambda e, m: errs.append(e))
                pr.flush(30)
            check(len(errs) == n, "delivery reports: %s" % errs)
            return errs[0] if n == 1 else errs

        check(produce(5000) is None, "a 5000-byte record was refused before any config")
        out = boot("--entity-type", "brokers", "--entity-default", "--alter",
                   "--add-config", "message.max.bytes=3000")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating default config for brokers in the cluster.",
              "default --alter: %s" % out)
        check(json.loads(zk_get(c, "/config/brokers/<default>"))["config"] ==
              {"message.max.bytes": "3000"}, "/config/brokers/<default>")
        err = produce(5000)
        check(err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE,
              "a 5000-byte record with the dynamic default of 3000: %s" % err)
        check(produce(2000) is None, "a 2000-byte record was refused")

        out = boot("--entity-type", "brokers", "--entity-name", "0", "--alter",
                   "--add-config", "message.max.bytes=10000")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for broker 0.", "broker 0 --alter: %s" % out)
        check(produce(5000) is None, "broker 0's own 10000 does not win over the default")
        out = boot("--entity-type", "brokers", "--entity-name", "0", "--describe")
        check(out.returncode == 0 and out.stdout.splitlines() == [
            "Dynamic configs for broker 0 are:",
            "  message.max.bytes=10000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:"
            "message.max.bytes=10000, DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=3000, "
            "STATIC_BROKER_CONFIG:message.max.bytes=1048588, "
            "DEFAULT_CONFIG:message.max.bytes=1048588}"], "broker 0 --describe: %s" % out)
        out = boot("--entity-type", "brokers", "--entity-default", "--describe")
        check(out.returncode == 0 and out.stdout.splitlines() == [
            "Default configs for brokers in the cluster are:",
            "  message.max.bytes=3000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:"
            "message.max.bytes=3000, STATIC_BROKER_CONFIG:message.max.bytes=1048588, "
            "DEFAULT_CONFIG:message.max.bytes=1048588}"],
            "default --describe: %s" % out)
        out = zkc("--entity-type", "brokers", "--describe")
        check(out.returncode == 0 and sorted(out.stdout.splitlines()) == [
            "Configs for brokers '0' are message.max.bytes=10000",
            "Configs for default brokers are message.max.bytes=3000"],
            "--zookeeper --describe of all brokers: %s" % out)

        out = boot("--entity-type", "brokers", "--entity-name", "0", "--alter",
                   "--delete-config", "message.max.bytes")
        check(out.returncode == 0, "broker 0 --delete-config: %s" % out)
        err = produce(5000)
        check(err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE,
              "the default did not come back after the broker's own value was deleted: %s" % err)

        # A log key: every log without an override rolls at the new size.
        out = boot("--entity-type", "brokers", "--entity-default", "--alter",
                   "--add-config", "log.segment.bytes=4000")
        check(out.returncode == 0, "log.segment.bytes: %s" % out)
        check(produce(1500, n=8) == [None] * 8, "records after log.segment.bytes=4000")
        logs = [f for f in os.listdir(os.path.join(c.log_dir(0), "dy-0")) if f.endswith(".log")]
        check(len(logs) >= 3, "log.segment.bytes=4000 rolled no segments: %s" % logs)
        # Deleting through ZooKeeper is allowed while brokers run (only
        # additions are refused); the broker follows the znode.
        out = zkc("--entity-type", "brokers", "--entity-default", "--alter",
                  "--delete-config", "log.segment.bytes")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for entity: default brokers.",
              "--zookeeper --delete-config of the default: %s" % out)

        for args, says in ((["--entity-name", "0", "--add-config", "broker.id=5"],
                            "Cannot update these configs dynamically: broker.id"),
                           (["--entity-name", "0", "--add-config", "message.max.bytes=big"],
                            "message.max.bytes"),
                           (["--entity-name", "7", "--add-config", "message.max.bytes=1"],
                            "broker 7 is not in the cluster's metadata")):
            out = boot("--entity-type", "brokers", "--alter", *args)
            check(out.returncode == 1 and says in out.stderr, "%s: %s" % (args, out))

        out = zkc("--entity-type", "brokers", "--entity-name", "0", "--alter",
                  "--add-config", "log.retention.ms=1000")
        check(out.returncode == 1 and "--bootstrap-server option must be specified to update "
              "broker configs Set(log.retention.ms) when broker 0 is running" in out.stderr,
              "--zookeeper with the broker running: %s" % out)
        out = zkc("--entity-type", "brokers", "--entity-default", "--alter",
                  "--add-config", "log.retention.ms=1000")
        check(out.returncode == 1 and "for default cluster if any broker is running" in out.stderr,
              "--zookeeper default with a broker running: %s" % out)
        out = zkc("--entity-type", "brokers", "--entity-name", "x", "--describe")
        check(out.returncode == 2 and "must be a valid integer broker id" in out.stderr,
              "a broker name that is not an id: %s" % out)

        c.stop(0)
        out = zkc("--entity-type", "brokers", "--entity-name", "0", "--alter",
                  "--add-config", "message.max.bytes=100000")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for entity: brokers '0'.",
              "--zookeeper with the broker stopped: %s" % out)
        c.start(0)
        check(produce(5000) is None,
              "broker 0 did not apply message.max.bytes=100000 written while it was down")
        out = boot("--entity-type", "brokers", "--entity-name", "0", "--describe", "--all")
        check(out.returncode == 0 and any(l.startswith(
            "  message.max.bytes=100000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:")
            for l in out.stdout.splitlines()), "--describe --all after the restart: %s" % out)

        out = zkc("--entity-type", "users", "--entity-name", "alice@example.com", "--alter",
                  "--add-config", "producer_byte_rate=1024,request_percentage=50")
        check(out.returncode == 0 and out.stdout.strip() ==
              "Completed updating config for entity: user-principal 'alice@example.com'.",
              "users --alter: %s" % out)
        check(json.loads(zk_get(c, "/config/users/alice%40example.com"))["config"] ==
              {"producer_byte_rate": "1024", "request_percentage": "50"}, "the user's znode")
        out = zkc("--entity-type", "users", "--describe")
        line = "Configs for user-principal 'alice@example.com' are "
        check(out.returncode == 0 and out.stdout.startswith(line) and
              sorted(out.stdout.strip()[len(line):].split(",")) ==
              ["producer_byte_rate=1024", "request_percentage=50"], "users --describe: %s" % out)
        for key, says in (("fetch_rate=5", "Unknown Dynamic Configuration 'fetch_rate'"),
                          ("consumer_byte_rate=fast", "consumer_byte_rate"),
                          ("SCRAM-SHA-256=[password=x]", "SASL")):
            out = zkc("--entity-type", "users", "--entity-default", "--alter", "--add-config", key)
            check(out.returncode == 1 and says in out.stderr, "users %s: %s" % (key, out))


def incremental_alter(c, topic, ops, validate_only=False):
    """IncrementalAlterConfigs v0 for one topic: ops [(name, op, value)].
    Returns (error, message)."""
    body = struct.pack(">i", 1) + struct.pack(">b", 2) + kstr(topic) + struct.pack(">i", len(ops))
    for name, op, value in ops:
        body += kstr(name) + struct.pack(">b", op)
        body += struct.pack(">h", -1) if value is None else kstr(value)
    body += struct.pack(">b", 1 if validate_only else 0)
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(frame(44, 0, 9, body))
        r = recv_frame(s, timeout=40)
    finally:
        s.close()
    check(r is not None, "no IncrementalAlterConfigs answer")
    at = 4 + 4 + 4  # correlation id, throttle, count
    err, ml = struct.unpack(">hh", r[at:at + 4])
    msg = r[at + 4:at + 4 + ml].decode() if ml >= 0 else None
    return err, msg


@test
def ops_alter_configs_api():
    """AlterConfigs (kafka-python's alter_configs) replaces a topic's
    overrides and the running broker applies them (a record over the new
    max.message.bytes is refused); IncrementalAlterConfigs sets, deletes and
    appends single keys; validate_only changes nothing; an unknown topic, an
    unknown key, a bad value (cleanup.policy=compact too: gregor does not
    compact), append on a key that is not a list and a broker resource each
    get their error, and the overrides stay as they
    were."""
    from confluent_kafka import KafkaError, Producer
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    from kazoo.client import KazooClient
    with Cluster(brokers=1, name="ops-alter") as c:
        a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
        zk = KazooClient(hosts=c.zk)
        zk.start(timeout=15)
        try:
            a.create_topics([NewTopic("ac", 1, 1, topic_configs={"retention.ms": "100000"})])

            def overrides():
                return json.loads(zk.get("/config/topics/ac")[0])["config"]

            r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "ac",
                                                configs={"max.message.bytes": "2000"})])
            check([x[0] for x in r.resources] == [0], "alter_configs: %s" % r)
            check(overrides() == {"max.message.bytes": "2000"},
                  "AlterConfigs replaces the whole set: %s" % overrides())
            errs = []
            pr = Producer({"bootstrap.servers": c.bootstrap, "retries": 0})
            pr.produce("ac", b"q" * 5000, on_delivery=lambda e, m: errs.append(e))
            pr.flush(30)
            check(errs and errs[0] is not None and errs[0].code() == KafkaError.MSG_SIZE_TOO_LARGE,
                  "a 5000-byte record after AlterConfigs: %s" % errs)
            r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "nosuch",
                                                configs={"retention.ms": "1"}),
                                 ConfigResource(ConfigResourceType.TOPIC, "ac",
                                                configs={"retention.ms": "soon"})])
            codes = [x[0] for x in r.resources]
            check(codes == [3, 40], "unknown topic and bad value: %s" % r)
            r = a.alter_configs([ConfigResource(ConfigResourceType.BROKER, "0",
                                                configs={"broker.id": "5"})])
            check([x[0] for x in r.resources] == [40] and "broker.id" in r.resources[0][1],
                  "a static broker key: %s" % r)
            check(overrides() == {"max.message.bytes": "2000"}, "refused changes changed %s" %
                  overrides())

            err, msg = incremental_alter(c, "ac", [("retention.ms", 0, "300000"),
                                                   ("max.message.bytes", 1, None),
                                                   ("leader.replication.throttled.replicas", 2,
                                                    "0:0")])
            check(err == 0, "IncrementalAlterConfigs: %d %s" % (err, msg))
            err, msg = incremental_alter(c, "ac", [("leader.replication.throttled.replicas", 2,
                                                    "0:0,1:0")])
            want = {"retention.ms": "300000", "leader.replication.throttled.replicas": "0:0,1:0"}
            check(err == 0 and overrides() == want,
                  "after set, delete and two appends: %d %s %s" % (err, msg, overrides()))
            err, msg = incremental_alter(c, "ac", [("retention.ms", 0, "1")], validate_only=True)
            check(err == 0 and overrides()["retention.ms"] == "300000",
                  "validate_only: %d %s %s" % (err, msg, overrides()))
            for ops, code, says in (([("retention.ms", 2, "5")], 40, "append"),
                                    ([("no.such", 0, "1")], 40, "no.such"),
                                    ([("retention.ms", 0, "-7")], 40, "retention.ms"),
                                    ([("retention.ms", 9, "1")], 42, "operation"),
                                    ([("cleanup.policy", 2, "compact")], 40, "cleanup.policy")):
                err, msg = incremental_alter(c, "ac", ops)
                check(err == code and msg and says in msg, "%s: %d %s" % (ops, err, msg))
            err, msg = incremental_alter(c, "nosuch", [("retention.ms", 0, "1")])
            check(err == 3, "an unknown topic: %d %s" % (err, msg))
            check(overrides() == want, "refused changes changed %s" % overrides())
            d = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "ac")])
            got = {e[0]: e[1] for e in d[0].resources[0][4]}
            check(got.get("retention.ms") == "300000" and got.get("max.message.bytes") != "2000",
                  "DescribeConfigs after the changes: %s" % got)
        finally:
            a.close()
            zk.stop()
            zk.close()
