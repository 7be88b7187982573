"""Sick disks against a real broker: a log dir on a tiny tmpfs that fills up
during produce, roll and restart; fsyncs that fail or stall (an LD_PRELOAD
shim built for tests only, tests/fault/fault_shim.c); a partition whose log
cannot be opened at start-up.

Each test asserts the error the client gets, that a second client keeps
being served, and that every acknowledged record is still readable.
The tmpfs test needs root (mount); it fails loudly without it.
"""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import harness
from harness import (Cluster, check, frame, kstr, metadata_ok, record_batch, recv_frame, test,
                     wait_for)

KAFKA_STORAGE_ERROR = 56
REQUEST_TIMED_OUT = 7


def produce_request(topic, records, acks=1, timeout_ms=30000, corr=1):
    """Produce v3 for partition 0 of topic."""
    body = struct.pack(">hhi", -1, acks, timeout_ms) + struct.pack(">i", 1) + kstr(topic) + \
        struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records
    return frame(0, 3, corr, body)


def produce_answer(sock, timeout=30):
    """(error code, base offset) of a Produce v3 answer for one partition,
    or None if the broker closed the connection or did not answer in time."""
    try:
        r = recv_frame(sock, timeout=timeout)
    except socket.timeout:
        return None
    if r is None:
        return None
    n = struct.unpack(">h", r[8:10])[0]
    off = 10 + n + 4
    _, err, base = struct.unpack(">ihq", r[off:off + 14])
    return err, base


def produce(c, topic, values, ts=1700000000000, **kw):
    s = socket.create_connection(c.broker_addr(0), timeout=10)
    try:
        s.sendall(produce_request(topic, record_batch(values, ts), **kw))
        return produce_answer(s)
    finally:
        s.close()


def consume(c, topic):
    p = subprocess.run(["kcat", "-b", c.bootstrap, "-C", "-t", topic, "-e", "-o", "beginning",
                        "-q"], capture_output=True, timeout=60)
    check(p.returncode == 0, "kcat consuming %s: %s" % (topic, p.stderr.decode(errors="replace")))
    return [v for v in p.stdout.split(b"\n") if v]


def create(c, topic):
    """Creates topic (1 partition) by auto-creation and waits for a leader."""
    wait_for(lambda: produce(c, topic, [b"first"]) == (0, 0), 30, "%s to take a first record" % topic)


def fill(path):
    """Writes path until the file system has no free byte left."""
    with open(path, "ab", buffering=0) as f:
        for chunk in (65536, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass


def index_page_trap(c, logs):
    """Leaves the time index of a fresh partition one entry short of a new
    page and its .log with room in its last page, then fills the disk and
    appends once more. A sparse index takes SIGBUS on that store; one
    allocated ahead skips the entry and the append succeeds or gets
    KAFKA_STORAGE_ERROR."""
    ts = 1700000000000
    create(c, "trap")  # batch 1
    for i in range(340):  # batches 2..341: 340 time index entries
        check(produce(c, "trap", [b"t%04d" % i], ts=ts + 1 + i)[0] == 0, "produce to trap")
    seg = os.path.join(logs, "trap-0", "00000000000000000000.log")
    size = os.stat(seg).st_size
    crit = len(record_batch([b"crit"]))
    k = 0
    while not 0 < (size + len(record_batch([b"y" * k]))) % 4096 <= 4096 - crit:
        k += 1
    check(produce(c, "trap", [b"y" * k], ts=ts + 400)[0] == 0, "produce to trap")  # entry 341
    filler = os.path.join(logs, "filler")
    fill(filler)
    ans = produce(c, "trap", [b"crit"], ts=ts + 401)  # entry 342 starts a page
    check(ans is not None and c.alive(0),
          "the broker died appending on a full disk (SIGBUS on an index page?): %s" % (ans,))
    check(ans[0] in (0, KAFKA_STORAGE_ERROR), "append on the full disk: error %d" % ans[0])
    os.unlink(filler)


@test
def disk_full_during_produce_roll_and_restart():
    """A 2 MiB tmpfs log dir filled by produce (with small segments, so rolls
    happen on the full disk): KAFKA_STORAGE_ERROR, no crash, a second client
    served; a restart on the full disk serves every acknowledged record;
    once space is freed, produce works again and nothing acknowledged is lost."""
    with Cluster(brokers=1, name="dfull", overrides=[
            "log.segment.bytes=131072", "log.index.size.max.bytes=1048576",
            "log.index.interval.bytes=0"]) as c:
        c.stop(0)
        logs = c.log_dir(0)
        saved = tempfile.mkdtemp(prefix="gregor-it-dfull-save-")
        shutil.rmtree(saved)
        shutil.copytree(logs, saved)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", logs],
                           capture_output=True, text=True)
        check(r.returncode == 0, "cannot mount a tmpfs (run as root): %s" % r.stderr)
        try:
            for name in os.listdir(saved):
                shutil.copy2(os.path.join(saved, name), logs)
            shutil.rmtree(saved)
            # Space to give back later.
            with open(os.path.join(logs, "reserve"), "wb") as f:
                f.write(b"\0" * 300000)
            c.start(0)
            index_page_trap(c, logs)
            create(c, "full")
            acked = [b"first"]
            errors = []
            for i in range(400):
                vals = [b"r%05d-%d-%s" % (i, k, b"x" * 2000) for k in range(8)]
                ans = produce(c, "full", vals)
                check(ans is not None, "no answer to produce %d (broker alive: %s)" % (i, c.alive(0)))
                if ans[0] == 0:
                    acked += vals
                else:
                    errors.append(ans[0])
                    if len(errors) >= 5:
                        break
            check(errors, "the disk never filled up")
            check(set(errors) == {KAFKA_STORAGE_ERROR},
                  "errors on a full disk: %s, expected KAFKA_STORAGE_ERROR (56)" % errors)
            check(c.alive(0), "the broker died on a full disk")
            check(metadata_ok(c), "a second client is not served on a full disk")
            got = consume(c, "full")
            check(got == acked, "read back %d records on the full disk, %d acknowledged"
                  % (len(got), len(acked)))
            # Restart with the disk still full (checkpoints cannot be written,
            # so the restart is unclean and recovers).
            c.stop(0)
            c.start(0)
            check(c.alive(0), "no restart on a full disk")
            got = consume(c, "full")
            check(got == acked, "after a restart on the full disk: %d records, %d acknowledged"
                  % (len(got), len(acked)))
            check(metadata_ok(c), "a second client is not served after the restart")
            os.unlink(os.path.join(logs, "reserve"))
            more = [b"after-%d" % i for i in range(3)]
            ans = wait_for(lambda: produce(c, "full", more), 30, "an answer after freeing space")
            check(ans[0] == 0, "produce after freeing space: error %d" % ans[0])
            acked += more
            got = consume(c, "full")
            check(got == acked, "after freeing space: %d records, %d acknowledged"
                  % (len(got), len(acked)))
        finally:
            if c.alive(0):
                c.stop(0)
            subprocess.run(["umount", "-l", logs], capture_output=True)


def start_with_shim(c, trigger):
    """Restarts broker 0 with the fsync fault shim preloaded."""
    shim = os.path.join(harness.BUILD, "tests", "fault", "libgrfault.so")
    check(os.path.exists(shim), "%s is not built (make check builds it)" % shim)
    c.stop(0)
    old = dict(os.environ)
    os.environ["LD_PRELOAD"] = shim
    os.environ["GREGOR_FAULT_TRIGGER"] = trigger
    try:
        c.start(0)
    finally:
        os.environ.clear()
        os.environ.update(old)


@test
def fsync_failure_answers_every_waiting_produce():
    """flush.messages=1, then every fsync fails (EIO): each produce waiting for
    its fsync is answered KAFKA_STORAGE_ERROR instead of hanging, and so is
    every later one; a second client is served; after a restart without the
    fault every acknowledged record is there."""
    with Cluster(brokers=1, name="fsyncfail",
                 overrides=["log.flush.interval.messages=1"]) as c:
        trigger = os.path.join(c.dir, "fsync-trigger")
        start_with_shim(c, trigger)
        create(c, "fs")
        acked = [b"first"]
        for i in range(5):
            v = [b"ok-%d" % i]
            check(produce(c, "fs", v) == (0, i + 1), "produce before the fault")
            acked += v
        with open(trigger, "w") as f:
            f.write("eio")
        socks = [socket.create_connection(c.broker_addr(0), timeout=10) for _ in range(6)]
        for i, s in enumerate(socks):
            s.sendall(produce_request("fs", record_batch([b"lost-%d" % i]), timeout_ms=60000))
        answers = [produce_answer(s, timeout=20) for s in socks]
        for s in socks:
            s.close()
        check(all(a is not None for a in answers),
              "produces waiting on a failed fsync were not answered: %s" % answers)
        check(all(a[0] == KAFKA_STORAGE_ERROR for a in answers),
              "answers after a failed fsync: %s, expected KAFKA_STORAGE_ERROR (56)" % answers)
        check(metadata_ok(c), "a second client is not served after a failed fsync")
        check("fsync of fs-0 failed" in c.log(0), "no log line about the failed fsync")
        os.unlink(trigger)
        check(produce(c, "fs", [b"still-offline"])[0] == KAFKA_STORAGE_ERROR,
              "the log took writes again after a failed fsync without a restart")
        c.kill(0)
        c.start(0)
        got = consume(c, "fs")
        check(got[:len(acked)] == acked, "after the restart: %s, acknowledged %s" % (got, acked))
        check(produce(c, "fs", [b"again"])[0] == 0, "no produce after the restart")


@test
def produce_waiting_for_a_slow_fsync_times_out():
    """An fsync stalled for 8 s: a produce with timeout_ms=1000 waiting for
    it gets REQUEST_TIMED_OUT (not a late success); a second client is served
    meanwhile; the record is there once the fsync ends."""
    with Cluster(brokers=1, name="fsyncslow",
                 overrides=["log.flush.interval.messages=1"]) as c:
        trigger = os.path.join(c.dir, "fsync-trigger")
        start_with_shim(c, trigger)
        create(c, "slow")
        with open(trigger, "w") as f:
            f.write("delay 8000")
        s = socket.create_connection(c.broker_addr(0), timeout=10)
        s.sendall(produce_request("slow", record_batch([b"slow-1"]), timeout_ms=1000))
        check(metadata_ok(c), "a second client is not served while an fsync stalls")
        ans = produce_answer(s, timeout=30)
        s.close()
        os.unlink(trigger)
        check(ans is not None and ans[0] == REQUEST_TIMED_OUT,
              "a produce waiting 8 s for its fsync with timeout_ms=1000 got %s, expected "
              "REQUEST_TIMED_OUT (7)" % (ans,))
        wait_for(lambda: consume(c, "slow") == [b"first", b"slow-1"], 30, "the record to be read")


@test
def unreadable_partition_does_not_stop_the_broker():
    """One partition's segment cannot be opened at start-up (its .log is a
    directory): the broker starts, that partition answers
    KAFKA_STORAGE_ERROR, the others are served; repaired, it comes back."""
    with Cluster(brokers=1, name="offpart") as c:
        create(c, "good")
        create(c, "bad")
        check(produce(c, "good", [b"g1"]) == (0, 1), "produce to good")
        check(produce(c, "bad", [b"b1"]) == (0, 1), "produce to bad")
        c.stop(0)
        seg = os.path.join(c.log_dir(0), "bad-0", "00000000000000000000.log")
        aside = os.path.join(c.log_dir(0), "bad-0.saved")
        os.rename(seg, aside)
        os.mkdir(seg)
        c.start(0)
        check(c.alive(0), "the broker did not start with one unreadable partition")
        check("bad-0 is offline" in c.log(0), "no log line naming the offline partition")
        ans = produce(c, "bad", [b"b2"])
        check(ans is not None and ans[0] == KAFKA_STORAGE_ERROR,
              "produce to the offline partition: %s, expected KAFKA_STORAGE_ERROR (56)" % (ans,))
        check(produce(c, "good", [b"g2"]) == (0, 2), "the healthy partition takes no produce")
        check(consume(c, "good") == [b"first", b"g1", b"g2"], "the healthy partition's records")
        check(metadata_ok(c), "a second client is not served")
        c.stop(0)
        os.rmdir(seg)
        os.rename(aside, seg)
        c.start(0)
        check(consume(c, "bad") == [b"first", b"b1"], "the repaired partition's records")


def evict_segments(part_dir):
    """Drops the .log files of part_dir from the page cache (fsync, then
    POSIX_FADV_DONTNEED), and checks a middle page is really cold: a
    RWF_NOWAIT read of it fails with EAGAIN. The broker keeps its index
    files mapped, so those stay in memory; their cold path is covered by
    tests/unit/test_log_cold. A fetch still in flight may read pages back
    in (the broker's reader warms what it is about to send), so this tries
    a few times."""
    logs = sorted(f for f in os.listdir(part_dir) if f.endswith(".log"))
    for attempt in range(20):
        for name in logs:
            fd = os.open(os.path.join(part_dir, name), os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        fd = os.open(os.path.join(part_dir, logs[len(logs) // 2]), os.O_RDONLY)
        try:
            os.preadv(fd, [bytearray(4096)], os.fstat(fd).st_size // 2, os.RWF_NOWAIT)
        except BlockingIOError:
            return len(logs)
        finally:
            os.close(fd)
        time.sleep(0.25)
    check(False, "the segment's pages stayed in memory after POSIX_FADV_DONTNEED "
                 "(the log dir must be on a disk-backed file system)")


@test
def cold_offset_lookups_answer_right():
    """With a partition's segments dropped from the page cache, Fetch at
    offsets inside old segments and ListOffsets by timestamp (whose lookups
    are now read by the log reader, not the loop, and then done over)
    answer exactly what they answer warm, and a second client is served."""
    from confluent_kafka import Consumer, TopicPartition
    ts0 = 1700000000000
    with Cluster(brokers=1, name="coldlook", overrides=["log.segment.bytes=262144"]) as c:
        create(c, "cold")  # offset 0
        n = 1
        for b in range(200):  # 200 batches x 50 records x ~100 B: about 1 MB, 4 segments
            values = [b"v%07d-" % (n + i) + b"x" * 90 for i in range(50)]
            check(produce(c, "cold", values, ts=ts0 + n)[0] == 0, "produce batch %d" % b)
            n += 50
        part = os.path.join(c.log_dir(0), "cold-0")
        for rnd in range(2):
            check(evict_segments(part) >= 4, "expected at least 4 segments")
            cons = Consumer({"bootstrap.servers": c.bootstrap, "group.id": "unused",
                             "enable.auto.commit": False, "fetch.wait.max.ms": 100})
            try:
                for target in (7, 2777, 5432, 9999 - rnd * 1000):
                    cons.assign([TopicPartition("cold", 0, target)])
                    m = None
                    deadline = time.monotonic() + 30
                    while m is None and time.monotonic() < deadline:
                        m = cons.poll(1.0)
                        if m is not None and m.error():
                            check(False, "fetch at %d: %s" % (target, m.error()))
                    check(m is not None, "nothing fetched at offset %d" % target)
                    check(m.offset() == target and m.value().startswith(b"v%07d-" % target),
                          "fetch at %d gave offset %d value %r" % (target, m.offset(),
                                                                   m.value()[:10]))
                cons.unassign()  # no fetch in flight while the pages are dropped
                check(evict_segments(part) >= 4, "expected at least 4 segments")
                for target in (3, 4321, 8888):
                    got = cons.offsets_for_times([TopicPartition("cold", 0, ts0 + target)],
                                                 timeout=30)
                    check(got[0].error is None and got[0].offset == target,
                          "offsets_for_times(%d): offset %s error %s" % (ts0 + target,
                                                                         got[0].offset,
                                                                         got[0].error))
            finally:
                cons.close()
        check(metadata_ok(c), "a second client is not served")
