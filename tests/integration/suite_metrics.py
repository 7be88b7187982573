"""The Prometheus endpoint (issue 12, "Metrics"): gregor.metrics.listener.

Brokers serve GET /metrics on a port of their own (port 0 here: each one
picks a free port and logs it). The tests produce and consume with real
clients and read the counters back over HTTP, break a replica set and see
it counted, throw malformed HTTP at the endpoint while a producer keeps
going, and let Debian's real Prometheus scrape a broker.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import Cluster, Skip, check, free_ports, test, wait_for

METRICS = "gregor.metrics.listener=http://127.0.0.1:0"
VALUE = 100  # bytes of every record's value


def metrics_port(c, i):
    """The port broker i serves metrics on, from its start-up line."""
    ports = re.findall(r"serving metrics for Prometheus on http://127\.0\.0\.1:(\d+)/metrics",
                       c.log(i))
    check(ports, "broker %d logged no metrics endpoint:\n%s" % (i, c.tail()))
    return int(ports[-1])


def scrape_raw(c, i):
    url = "http://127.0.0.1:%d/metrics" % metrics_port(c, i)
    with urllib.request.urlopen(url, timeout=10) as r:
        check(r.status == 200, "GET %s: %d" % (url, r.status))
        ctype = r.headers.get("Content-Type", "")
        check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
        return r.read().decode()


def parse(text):
    """{(name, ((label, value), ...)): float} of an exposition page; also
    checks that every sample's family was declared with # TYPE."""
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        check(m, "malformed exposition line %r" % line)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        pairs = tuple(sorted(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', labels)))
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in typed or base in typed, "%s has no # TYPE line" % name)
        out[(name, pairs)] = float(value)
    return out


def scrape(c, i):
    return parse(scrape_raw(c, i))


def value(page, name, **labels):
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def total(c, brokers, name, **labels):
    return sum(value(scrape(c, i), name, **labels) for i in brokers)


def produce(bootstrap, topic, n, partitions, acks="all"):
    """n records of VALUE bytes, spread evenly over the partitions, through
    confluent-kafka-python; returns how many were delivered without error."""
    from confluent_kafka import Producer
    ok = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": acks, "linger.ms": 5})
    for i in range(n):
        p.produce(topic, value=b"%0*d" % (VALUE, i), partition=i % partitions,
                  on_delivery=lambda err, m: ok.append(err is None))
        p.poll(0)
    p.flush(60)
    return sum(ok)


def kcat_consume(bootstrap, topic):
    p = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-e", "-o", "beginning", "-q"],
                       capture_output=True, timeout=120)
    check(p.returncode == 0, "kcat: %s" % p.stderr.decode(errors="replace"))
    return p.stdout.split()


def layout(c, topic):
    md = json.loads(subprocess.run(["kcat", "-b", c.bootstrap, "-L", "-J", "-t", topic],
                                   capture_output=True, timeout=60).stdout.decode())
    return md["topics"][0]["partitions"]


def create_topic(c, name, partitions, rf):
    from kafka.admin import KafkaAdminClient, NewTopic
    a = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=30000)
    try:
        r = a.create_topics([NewTopic(name, partitions, rf)], timeout_ms=30000)
        check(r.topic_errors[0][1] == 0, "creating %s: %s" % (name, r))
    finally:
        a.close()


@test
def metrics_bad_listener_is_refused():
    gregord = os.path.join(harness.BUILD, "broker", "gregord")
    conf = os.path.join(harness.TOP, "conf", "server.properties")
    p = subprocess.run([gregord, conf, "--override", "gregor.metrics.listener=ftp://h:9404"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "gregor.metrics.listener" in p.stderr and "ftp://h:9404" in p.stderr
          and "host:port" in p.stderr, "bad value: exit %d, %s" % (p.returncode, p.stderr))


@test
def metrics_count_traffic_and_replication():
    """Three brokers, an RF=3 topic: produced records, bytes in and out,
    partition and leader counts as the metadata says, one controller, no
    under-replicated partition until a follower is killed."""
    with Cluster(brokers=3, name="metrics", overrides=[
            METRICS, "zookeeper.session.timeout.ms=6000", "replica.lag.time.max.ms=4000"]) as c:
        create_topic(c, "mx", 3, 3)
        wait_for(lambda: all(p["leader"] >= 0 and len(p["isrs"]) == 3 for p in layout(c, "mx")),
                 30, "mx to have leaders and full ISRs")
        everyone = range(3)
        check(total(c, everyone, "kafka_server_brokertopicmetrics_messagesin_total", topic="mx") == 0,
              "messages counted before any was produced")
        n = 600
        check(produce(c.bootstrap, "mx", n, 3) == n, "not every record was delivered")
        got = total(c, everyone, "kafka_server_brokertopicmetrics_messagesin_total", topic="mx")
        check(got == n, "messagesin_total{topic=mx} over the brokers: %s, produced %d" % (got, n))
        check(total(c, everyone, "kafka_server_brokertopicmetrics_messagesin_total") == n,
              "messagesin_total of all topics differs")
        bytes_in = total(c, everyone, "kafka_server_brokertopicmetrics_bytesin_total", topic="mx")
        check(n * VALUE <= bytes_in < n * (VALUE + 80),
              "bytesin_total %s for %d records of %d bytes" % (bytes_in, n, VALUE))
        check(produce(c.bootstrap, "mx", 100, 3) == 100, "second round not delivered")
        more = total(c, everyone, "kafka_server_brokertopicmetrics_bytesin_total", topic="mx")
        check(more - bytes_in >= 100 * VALUE, "bytesin grew by %s for 100 more records" %
              (more - bytes_in))
        check(total(c, everyone, "kafka_server_brokertopicmetrics_bytesout_total", topic="mx") == 0,
              "bytes out before any consumer fetched (followers' fetches must not count)")
        check(len(kcat_consume(c.bootstrap, "mx")) == n + 100, "consumed a different count")
        out = total(c, everyone, "kafka_server_brokertopicmetrics_bytesout_total", topic="mx")
        check(out >= (n + 100) * VALUE, "bytesout_total %s after reading %d records" % (out, n + 100))

        parts = layout(c, "mx")
        # Every replica's log holds the records once the followers caught up.
        seg = {}

        def sizes_grown():
            for i in everyone:
                page = scrape(c, i)
                for p in parts:
                    seg[(i, p["partition"])] = value(page, "kafka_log_log_size", topic="mx",
                                                     partition=str(p["partition"]))
            return min(seg.values()) > 0 and sum(seg.values()) >= 3 * (n + 100) * VALUE
        try:
            wait_for(sizes_grown, 30, "every replica's kafka_log_log_size to grow")
        except AssertionError:
            raise AssertionError("kafka_log_log_size by (broker, partition): %s" % seg)
        # One Metadata request to each broker: clients ask whichever
        # bootstrap broker they like, so some broker may have had none.
        import struct
        for i in everyone:
            sk = socket.create_connection(c.broker_addr(i), timeout=10)
            try:
                sk.sendall(harness.frame(3, 1, 78, struct.pack(">i", -1)))
                check(harness.recv_frame(sk, timeout=10) is not None, "no Metadata answer")
            finally:
                sk.close()
        pages = [scrape(c, i) for i in everyone]
        for i in everyone:
            hosted = sum(1 for p in parts if i in [r["id"] for r in p["replicas"]])
            led = sum(1 for p in parts if p["leader"] == i)
            check(value(pages[i], "kafka_server_replicamanager_partitioncount") == hosted,
                  "broker %d partitioncount %s, hosts %d" % (
                      i, value(pages[i], "kafka_server_replicamanager_partitioncount"), hosted))
            check(value(pages[i], "kafka_server_replicamanager_leadercount") == led,
                  "broker %d leadercount %s, leads %d" % (
                      i, value(pages[i], "kafka_server_replicamanager_leadercount"), led))
            check(value(pages[i], "kafka_server_replicamanager_underreplicatedpartitions") == 0,
                  "broker %d has under-replicated partitions" % i)
            check(value(pages[i], "kafka_network_requestmetrics_totaltimems_count",
                        request="Metadata") > 0, "broker %d timed no Metadata request" % i)
            check(value(pages[i], "gregor_zookeeper_session_state", state="connected") == 1,
                  "broker %d: ZooKeeper session state not connected" % i)
        check(sum(value(p, "kafka_controller_kafkacontroller_activecontrollercount")
                  for p in pages) == 1, "activecontrollercount does not sum to 1")
        check(sum(value(p, "kafka_network_requestmetrics_requests_total", request="Produce",
                        version=v) for p in pages for v in map(str, range(3, 8))) > 0,
              "no Produce request counted")
        check(sum(value(p, "kafka_network_requestmetrics_requests_total", request="FetchFollower",
                        version="11") for p in pages) > 0, "no follower Fetch counted")

        # Kill a broker that leads nothing if there is one, else any follower.
        victim = min(everyone, key=lambda i: sum(1 for p in parts if p["leader"] == i))
        c.kill(victim)
        alive = [i for i in everyone if i != victim]
        wait_for(lambda: total(c, alive, "kafka_server_replicamanager_underreplicatedpartitions") > 0,
                 40, "under-replicated partitions after killing broker %d" % victim)
        wait_for(lambda: sum(value(scrape(c, i), "kafka_controller_kafkacontroller_activecontrollercount")
                             for i in alive) == 1, 40, "one active controller among the survivors")


@test
def metrics_zookeeper_session_events():
    """A session expiry (the broker frozen past its session timeout) is
    counted, and the broker is back to connected after it."""
    with Cluster(brokers=1, name="metrics-zk",
                 overrides=[METRICS, "zookeeper.session.timeout.ms=4000"]) as c:
        page = scrape(c, 0)
        check(value(page, "kafka_server_sessionexpirelistener_zookeepersyncconnects_total") == 1 and
              value(page, "kafka_server_sessionexpirelistener_zookeeperexpires_total") == 0,
              "before the expiry: %s" % {k: v for k, v in page.items() if "zookeeper" in k[0]})
        c.expire_session(0, 7)

        def counted():
            p = scrape(c, 0)
            return (value(p, "kafka_server_sessionexpirelistener_zookeeperexpires_total") == 1 and
                    value(p, "kafka_server_sessionexpirelistener_zookeepersyncconnects_total") >= 2 and
                    value(p, "gregor_zookeeper_session_state", state="connected") == 1)
        wait_for(counted, 30, "the expiry and the new session to be counted")


# --- malformed HTTP while a client produces ------------------------------------------

def http_exchange(port, data, timeout=10):
    """Sends data (may stop early if the server closes), returns what it
    answered before closing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = b""
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            got += b
        return got
    finally:
        s.close()


@test
def metrics_malformed_http_does_not_disturb_clients():
    with Cluster(brokers=1, name="metrics-http", overrides=[METRICS]) as c:
        create_topic(c, "mh", 2, 1)
        port = metrics_port(c, 0)
        stop = threading.Event()
        delivered = []

        def producer():
            from confluent_kafka import Producer
            p = Producer({"bootstrap.servers": c.bootstrap, "acks": "1", "linger.ms": 1})
            while not stop.is_set():
                p.produce("mh", value=b"x" * VALUE, on_delivery=lambda e, m: delivered.append(e))
                p.poll(0.002)
            p.flush(30)
        t = threading.Thread(target=producer)
        t.start()
        try:
            wait_for(lambda: len(delivered) > 50, 30, "the producer to get going")
            got = http_exchange(port, b"\x00\xff garbage \r\n\r\n")
            check(got.startswith(b"HTTP/1.1 400 "), "garbage: %r" % got[:80])
            got = http_exchange(port, b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 100000)
            check(got.startswith(b"HTTP/1.1 431 "), "huge head: %r" % got[:80])
            got = http_exchange(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
            check(got.startswith(b"HTTP/1.1 405 ") and b"Allow: GET, HEAD" in got, "POST: %r" % got[:120])
            got = http_exchange(port, b"GET /nothing HTTP/1.1\r\n\r\n")
            check(got.startswith(b"HTTP/1.1 404 "), "unknown path: %r" % got[:80])
            got = http_exchange(port, b"GET /metrics HTTP/9.9\r\n\r\n")
            check(got.startswith(b"HTTP/1.1 505 "), "HTTP/9.9: %r" % got[:80])
            # Idle connections up to the cap: one more is turned away...
            time.sleep(1.5)  # the connections above are gone (each drains for at most 1 s)
            idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(16)]
            idle[0].sendall(b"GET /metr")  # half a head
            time.sleep(0.5)
            got = http_exchange(port, b"GET /metrics HTTP/1.1\r\n\r\n")
            check(got.startswith(b"HTTP/1.1 503 "), "over the connection cap: %r" % got[:80])
            before = len(delivered)
            # ...and they are closed after the idle timeout (10 s).
            for s in idle:
                s.settimeout(15)
                check(s.recv(100) == b"", "an idle connection was not closed")
                s.close()
            check(len(delivered) > before, "the producer made no progress meanwhile")
            text = http_exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n")
            check(text.startswith(b"HTTP/1.1 200 OK"), "a scrape after all that: %r" % text[:80])
        finally:
            stop.set()
            t.join(60)
        check(delivered and all(e is None for e in delivered),
              "delivery errors: %s" % [e for e in delivered if e][:3])
        got = value(scrape(c, 0), "kafka_server_brokertopicmetrics_messagesin_total", topic="mh")
        check(got == len(delivered), "messagesin_total %s, delivered %d" % (got, len(delivered)))
        check("refusing metrics connections" in c.log(0), "the refusal was not logged")


# --- Debian's Prometheus ------------------------------------------------------------

PROMETHEUS = "/usr/bin/prometheus"


def prom_query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(q))
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.loads(r.read().decode())
    check(body.get("status") == "success", "query %s: %s" % (q, body))
    return body["data"]["result"]


@test
def metrics_scraped_by_prometheus():
    """The real Prometheus (Debian's package) scrapes a broker: the target
    is up and messagesin_total of the topic is what was produced."""
    if not os.access(PROMETHEUS, os.X_OK):
        raise Skip("%s is missing: apt-get install prometheus (tools/quickstart installs it)" %
                   PROMETHEUS)
    with Cluster(brokers=1, name="metrics-prom", overrides=[METRICS]) as c:
        create_topic(c, "mp", 3, 1)
        n = 321
        check(produce(c.bootstrap, "mp", n, 3) == n, "not every record was delivered")
        d = tempfile.mkdtemp(prefix="gregor-it-prom-")
        port = free_ports(1)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: gregor\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % metrics_port(c, 0))
        log = open(os.path.join(d, "prometheus.log"), "w")
        p = subprocess.Popen([PROMETHEUS, "--config.file", os.path.join(d, "prometheus.yml"),
                              "--storage.tsdb.path", os.path.join(d, "data"),
                              "--web.listen-address", "127.0.0.1:%d" % port],
                             stdout=log, stderr=subprocess.STDOUT)
        try:
            q = 'kafka_server_brokertopicmetrics_messagesin_total{topic="mp"}'

            def scraped():
                try:
                    r = prom_query(port, q)
                except (urllib.error.URLError, ConnectionError, OSError):
                    return False
                return bool(r)
            try:
                wait_for(scraped, 60, "Prometheus to scrape the broker", interval=0.5)
            except AssertionError:
                log.flush()
                raise AssertionError("Prometheus never scraped the broker; its log:\n" +
                                     open(os.path.join(d, "prometheus.log")).read()[-3000:])
            r = prom_query(port, q)
            check(len(r) == 1 and float(r[0]["value"][1]) == n, "%s = %s, produced %d" % (q, r, n))
            up = prom_query(port, 'up{job="gregor"}')
            check(up and up[0]["value"][1] == "1", "up: %s" % up)
            # Every family parsed: Prometheus read the histogram and gauges too.
            r = prom_query(port, 'kafka_server_replicamanager_partitioncount')
            check(r and float(r[0]["value"][1]) == 3, "partitioncount: %s" % r)
            r = prom_query(port, 'gregor_network_request_totaltime_ms_count{request="Produce"}')
            check(r and float(r[0]["value"][1]) > 0, "Produce histogram count: %s" % r)
        finally:
            p.terminate()
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log.close()
            shutil.rmtree(d, ignore_errors=True)
