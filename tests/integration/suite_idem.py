"""The idempotent producer (issue 13, KIP-98): InitProducerId and its
producer id blocks in ZooKeeper, and the leader's per-producer sequence
checks: a retried batch is answered with its original offsets and not
stored twice, a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch
INVALID_PRODUCER_EPOCH, across restarts and leader failovers.

Imported by suite.py; the tests register themselves with harness.test.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import time

import harness

from harness import Cluster, check, frame, kstr, recv_frame, test, wait_for
from suite_ops import create_topic, zk_get
from suite_repl import KILL_OVERRIDES, Acks, producer, read_all, replicated_cluster, state

NONE, UNSUPPORTED_VERSION = 0, 35
OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_RECORD = 45, 47, 87
INIT_PRODUCER_ID, PRODUCE = 22, 0

# Leader kills in idem_leader_sigkill_exactly_once.
KILL_ROUNDS = 3


def call(c, i, api, version, body, corr=1):
    """One request to broker i; the response after its correlation id."""
    s = socket.create_connection(c.broker_addr(i), timeout=10)
    try:
        s.sendall(frame(api, version, corr, body))
        r = recv_frame(s, timeout=30)
        check(r is not None, "broker %d closed the connection on api %d v%d" % (i, api, version))
        check(struct.unpack(">i", r[:4])[0] == corr, "wrong correlation id")
        return r[4:]
    finally:
        s.close()


def init_producer_id(c, i, version=0, transactional_id=None):
    """(error_code, producer_id, producer_epoch) from broker i."""
    tid = struct.pack(">h", -1) if transactional_id is None else kstr(transactional_id)
    r = call(c, i, INIT_PRODUCER_ID, version, tid + struct.pack(">i", 60000))
    _, err, pid, epoch = struct.unpack(">ihqh", r[:16])
    return err, pid, epoch


def batch(values, pid, epoch, seq):
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                  producer_id=pid, producer_epoch=epoch, base_sequence=seq,
                                  batch_size=1 << 30)
    for k, v in enumerate(values):
        b.append(k, timestamp=int(time.time() * 1000), key=None, value=v, headers=[])
    return bytes(b.build())


def produce(c, i, topic, records, acks=-1):
    """Produce v3 of one batch to partition 0: (error_code, base_offset)."""
    body = (struct.pack(">hhi", -1, acks, 30000) + struct.pack(">i", 1) + kstr(topic) +
            struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records)
    r = call(c, i, PRODUCE, 3, body)
    pos = 4
    n = struct.unpack(">h", r[pos:pos + 2])[0]
    pos += 2 + n + 4 + 4
    err, base = struct.unpack(">hq", r[pos:pos + 10])
    return err, base


@test
def idem_init_producer_id_blocks():
    """InitProducerId v0 and v1 from any broker: ids come from blocks of
    1000 claimed in /latest_producer_id_block with Kafka's JSON, a block
    per broker, a new block after a restart, never an id twice. A
    transactional id gets UNSUPPORTED_VERSION (transactions are not
    served)."""
    with Cluster(brokers=2, name="idem-pid") as c:
        seen = []
        for i, version in ((0, 0), (0, 1), (1, 0), (1, 1), (0, 0)):
            err, pid, epoch = init_producer_id(c, i, version)
            check(err == NONE and epoch == 0 and pid >= 0,
                  "broker %d v%d: error %d, id %d, epoch %d" % (i, version, err, pid, epoch))
            seen.append(pid)
        check(len(set(seen)) == len(seen), "an id was handed out twice: %s" % seen)
        blocks = sorted(set(p // 1000 for p in seen))
        check(blocks == [0, 1], "ids %s are not from the first two blocks" % seen)
        znode = json.loads(zk_get(c, "/latest_producer_id_block"))
        check(znode["version"] == 1 and znode["block_start"] == "1000" and
              znode["block_end"] == "1999" and znode["broker"] in (0, 1),
              "/latest_producer_id_block is %s" % znode)
        err, pid, _ = init_producer_id(c, 0, 1, transactional_id="tx")
        check(err == UNSUPPORTED_VERSION and pid == -1,
              "a transactional id got error %d, id %d" % (err, pid))
        c.kill(0)
        c.start(0)
        err, pid, _ = init_producer_id(c, 0)
        check(err == NONE and pid == 2000, "after a restart broker 0 gave id %d (error %d)" % (
            pid, err))


@test
def idem_raw_replay_gap_and_epochs():
    """Raw Produce v3 with producer ids: a replayed batch gets its original
    offset and is stored once; a sequence gap gets OUT_OF_ORDER_SEQUENCE_
    NUMBER; a new epoch starts at 0, and the older epoch, or an absurd
    negative one, gets INVALID_PRODUCER_EPOCH. After a SIGKILL and restart
    the broker still recognises the replay (state rebuilt from the log)."""
    with Cluster(brokers=1, name="idem-raw") as c:
        create_topic(c, "ir")
        err, pid, _ = init_producer_id(c, 0)
        check(err == NONE, "InitProducerId: error %d" % err)
        first = batch([b"a0", b"a1", b"a2"], pid, 0, 0)
        wait_for(lambda: produce(c, 0, "ir", first)[0] == NONE, 20, "the first produce")
        check(produce(c, 0, "ir", first) == (NONE, 0), "a replay of the first batch")
        check(produce(c, 0, "ir", batch([b"b3", b"b4"], pid, 0, 3)) == (NONE, 3),
              "the next batch in sequence")
        check(produce(c, 0, "ir", batch([b"x"], pid, 0, 9))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER,
              "a gap in the sequence")
        check(produce(c, 0, "ir", batch([b"x"], pid, 1, 4))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER,
              "a new epoch not starting at 0")
        check(produce(c, 0, "ir", batch([b"c5"], pid, 1, 0)) == (NONE, 5), "a new epoch at 0")
        check(produce(c, 0, "ir", batch([b"x"], pid, 0, 5))[0] == INVALID_PRODUCER_EPOCH,
              "the older epoch")
        check(produce(c, 0, "ir", batch([b"x"], pid, -7, 1))[0] == INVALID_PRODUCER_EPOCH,
              "an absurd epoch")
        check(produce(c, 0, "ir", batch([b"x"], pid, 1, -5))[0] == INVALID_RECORD,
              "a negative sequence")
        # Batches without a producer id are not checked.
        check(produce(c, 0, "ir", batch([b"d6"], -1, -1, -1)) == (NONE, 6), "a plain batch")
        c.kill(0)
        c.start(0)
        wait_for(lambda: produce(c, 0, "ir", batch([b"c5"], pid, 1, 0)) == (NONE, 5), 20,
                 "the replay after a restart to get offset 5")
        check(produce(c, 0, "ir", batch([b"x"], pid, 1, 7))[0] == OUT_OF_ORDER_SEQUENCE_NUMBER,
              "a gap after a restart")
        got, hw = read_all(c, "ir")
        check([v for _, v in got] == [b"a0", b"a1", b"a2", b"b3", b"b4", b"c5", b"d6"] and
              hw == 7, "read back %s (high watermark %d)" % (got, hw))


@test
def idem_rdkafka_c_client():
    """librdkafka from C with enable.idempotence=true: it gets a producer id
    and every record lands once at the offset it was acknowledged with,
    and reads back with its key, value and timestamp."""
    with Cluster(brokers=1, name="idem-rdkafka") as c:
        create_topic(c, "irc")
        exe = os.path.join(harness.BUILD, "tests", "integration", "rdkafka_client")
        p = subprocess.run([exe, c.bootstrap, "irc", "5000", "idempotent"], capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0, "rdkafka_client failed:\n%s%s" % (p.stdout, p.stderr[-3000:]))
        check("claimed producer ids 0..999" in c.log(0),
              "the producer never asked for a producer id (InitProducerId)")


@test
def idem_leader_sigkill_exactly_once():
    """confluent-kafka with enable.idempotence=true produces to an RF=3
    topic while its leader is SIGKILLed and restarted, three times. Before
    each kill one follower is frozen for a second, so the other follower
    holds batches that were never acknowledged: the producer retries them
    to the new leader, which must answer them from its producer state
    instead of storing them again. Read back: every acknowledged record
    exactly once, no record twice, in the order produced."""
    with replicated_cluster("idem-kill", "ik", KILL_OVERRIDES) as c:
        acks = Acks()
        pr = producer(c, **{"enable.idempotence": True,
                            "max.in.flight.requests.per.connection": 5, "linger.ms": 2})
        sent = 0

        def send(n):
            nonlocal sent
            for _ in range(n):
                pr.produce("ik", b"%06d" % sent, partition=0, on_delivery=acks.cb)
                sent += 1
                pr.poll(0)
                time.sleep(0.002)
        for round_ in range(KILL_ROUNDS):
            leader = state(c, "ik")["leader"]
            frozen = [i for i in range(3) if i != leader][round_ % 2]
            send(200)
            os.kill(c.pid(frozen), signal.SIGSTOP)
            try:
                send(300)  # about a second: replicated to one follower, not acknowledged
                c.kill(leader)
            finally:
                os.kill(c.pid(frozen), signal.SIGCONT)
            send(100)
            pr.flush(60)
            c.start(leader)
            wait_for(lambda: len(state(c, "ik")["isr"]) == 3, 40, "the ISR to be all three again")
        pr.flush(60)
        check(not acks.errors, "delivery errors: %s" % acks.errors[:3])
        check(len(acks.acked) == sent, "%d of %d acknowledged" % (len(acks.acked), sent))
        got, hw = read_all(c, "ik", timeout=60)
        values = [v for _, v in got]
        dups = len(values) - len(set(values))
        check(dups == 0, "%d records stored twice (%d read, high watermark %d)" % (
            dups, len(values), hw))
        check(values == [b"%06d" % k for k in range(sent)],
              "read back %d records, not the %d produced in order" % (len(values), sent))
        offsets = dict(got)
        lost = [(o, v) for o, v in acks.acked if offsets.get(o) != v]
        check(not lost, "%d acknowledged records not at their offsets, first %s" % (
            len(lost), lost[:3]))
