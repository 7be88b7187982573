"""Integration test harness: real ZooKeeper, real gregord processes, real clients.

A Cluster is started with tools/gregor-cluster on free ports in a private
directory and always torn down (also when a test fails). Tests are plain
functions registered with @test; each returns normally or raises an
AssertionError (check() helps) whose message says what was expected and what
happened, or raises Skip when the machine cannot run it. run() prints one
PASS/FAIL/SKIP line per test and ends with the summary line
"N passed, N failed" (skips are in neither count).
"""
import atexit
import fcntl
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(TOP, "tools")
BUILD = None  # set by main()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_for(pred, timeout, what, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ephemeral_range():
    """The kernel's range for clients' local ports (ip_local_port_range)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def free_ports(n):
    """n consecutive free ports (other clusters may run on this machine),
    outside the ephemeral range: a port found free there can be taken by
    any client's connect() before the broker binds it."""
    lo, hi = ephemeral_range()
    below = (10000, lo - 1 - n) if lo - 1 - n > 10000 else None
    above = (hi + 1, 65535 - n) if hi + 1 < 65535 - n else None
    ranges = [r for r in (below, above) if r] or [(20000, 60000 - n)]
    # A lane of a parallel run (run_lanes) takes only its own slice of each
    # range: between the check above and the broker's bind, a port is free
    # for the other lane to find too.
    lane = os.environ.get("GREGOR_IT_LANE")
    if lane:
        k, lanes = (int(x) for x in lane.split("/"))
        ranges = [(a + k * ((b - a) // lanes), a + (k + 1) * ((b - a) // lanes) - 1)
                  for a, b in ranges]
    for _ in range(200):
        a, b = random.choice(ranges)
        base = random.randint(a, b)
        if all(port_free(base + i) for i in range(n)):
            return base
    raise RuntimeError("no %d consecutive free ports" % n)


class Cluster:
    def __init__(self, brokers=1, overrides=(), name="c"):
        self.n = brokers
        self.dir = tempfile.mkdtemp(prefix="gregor-it-%s-" % name)
        self.port = free_ports(brokers)
        self.zk_port = free_ports(1)
        self.overrides = list(overrides)
        try:
            self.up()
        except BaseException:
            # A broker that failed the readiness check may still run.
            self.close(failed=True)
            raise

    # --- gregor-cluster -----------------------------------------------------
    def cmd(self, *args, check_rc=True, timeout=120):
        argv = [os.path.join(TOOLS, "gregor-cluster"), "--dir", self.dir, "--build", BUILD,
                "--brokers", str(self.n), "--port", str(self.port), "--zk-port",
                str(self.zk_port)]
        for o in self.overrides:
            argv += ["--override", o]
        p = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=timeout)
        if check_rc and p.returncode != 0:
            raise AssertionError("gregor-cluster %s failed (%d): %s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def up(self):
        out = self.cmd("up").stdout.strip().splitlines()
        check(out and out[-1] == self.bootstrap,
              "gregor-cluster up printed %r, expected the bootstrap list %s" % (out, self.bootstrap))

    def down(self):
        self.cmd("down", check_rc=False)

    def kill(self, i):
        self.cmd("kill", str(i))

    def start(self, i):
        self.cmd("start", str(i))

    def stop(self, i):
        """SIGTERM broker i and wait for its clean exit."""
        pid = self.pid(i)
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                 open("/proc/%d/stat" % pid).read().split()[2] == "Z", 30, "broker %d to exit" % i)

    def expire_session(self, i, freeze_s):
        """Freezes broker i (SIGSTOP) for freeze_s, past its ZooKeeper session
        timeout, and waits until it has registered again in a new session."""
        pid = self.pid(i)
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(freeze_s)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_for(lambda: "session expired" in self.log(i) and
                 "registered broker %d" % i in self.log(i).split("session expired")[-1], 30,
                 "broker %d to register again after its session expired" % i)

    def pid(self, i):
        with open(os.path.join(self.dir, "broker-%d" % i, "gregord.pid")) as f:
            return int(f.read())

    def alive(self, i):
        try:
            pid = self.pid(i)
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split()[2] != "Z"
        except (OSError, ValueError):
            return False

    def zk_stop(self):
        subprocess.run([os.path.join(TOOLS, "gregor-zookeeper"), "stop", "--dir",
                        os.path.join(self.dir, "zookeeper")], capture_output=True, check=True)

    def zk_start(self):
        subprocess.run([os.path.join(TOOLS, "gregor-zookeeper"), "start", "--dir",
                        os.path.join(self.dir, "zookeeper"), "--port", str(self.zk_port)],
                       capture_output=True, check=True)

    # --- facts ----------------------------------------------------------------
    @property
    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % (self.port + i) for i in range(self.n))

    def broker_addr(self, i):
        return ("127.0.0.1", self.port + i)

    @property
    def zk(self):
        return "127.0.0.1:%d" % self.zk_port

    def log_dir(self, i):
        return os.path.join(self.dir, "broker-%d" % i, "logs")

    def log(self, i):
        try:
            with open(os.path.join(self.dir, "broker-%d" % i, "gregord.log")) as f:
                return f.read()
        except OSError:
            return ""

    def tail(self, lines=15):
        out = []
        for i in range(self.n):
            out.append("--- broker %d log (last %d lines) ---" % (i, lines))
            out += self.log(i).splitlines()[-lines:]
        return "\n".join(out)

    def down_brokers(self):
        """SIGTERMs every broker still running and waits for its clean exit
        (as gregor-cluster down does, without stopping ZooKeeper)."""
        for i in range(self.n):
            if self.alive(i):
                try:
                    self.stop(i)
                except (OSError, AssertionError):
                    pass  # down() below tries again, and kills it after 30 s

    def kill_brokers(self):
        """SIGKILLs every broker still running (teardown)."""
        for i in range(self.n):
            try:
                pid = self.pid(i)
                # only if the pid still is this broker (pids get reused)
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if self.log_dir(i).encode() in f.read():
                        os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def zookeeper_pid(self):
        """The pid of this cluster's own ZooKeeper if it runs, else None."""
        zkdir = os.path.join(self.dir, "zookeeper")
        try:
            with open(os.path.join(zkdir, "zookeeper.pid")) as f:
                pid = int(f.read())
            # only if the pid still is that server (pids get reused)
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return pid if os.path.join(zkdir, "zoo.cfg").encode() in f.read() else None
        except (OSError, ValueError):
            return None

    def kill_zookeeper(self):
        """SIGKILLs this cluster's own ZooKeeper, if it runs (teardown:
        its data goes with the directory, and a clean stop takes Java
        1.5-2 s)."""
        pid = self.zookeeper_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return
        wait_for(lambda: self.zookeeper_pid() is None, 10, "ZooKeeper to exit")

    def running(self):
        """Whether a broker or the ZooKeeper of this cluster still runs."""
        return any(self.alive(i) for i in range(self.n)) or self.zookeeper_pid() is not None

    def close(self, failed=False):
        # Teardown asserts nothing, and a clean stop of the last brokers of
        # a replicated cluster waits out the controlled shutdown's retries
        # (3 attempts 5 s apart, as Kafka: leadership has nowhere to go),
        # 10-18 s a cluster: its brokers are SIGKILLed instead. A single
        # broker has nowhere to move leadership either and stops at once,
        # so it still gets its clean shutdown (with ZooKeeper up).
        if self.n > 1:
            self.kill_brokers()
        else:
            self.down_brokers()
        try:
            self.kill_zookeeper()
        except AssertionError:
            pass  # down() below tries again, and kills it after 10 s
        if self.running():
            self.down()  # what the above could not stop
        if failed and os.environ.get("GREGOR_IT_KEEP"):
            print("    cluster directory kept: %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            # The brokers' own account is usually what explains a failure.
            for line in self.tail().splitlines():
                print("    " + line, flush=True)
        self.close(failed=exc_type is not None)


# --- raw protocol helpers ------------------------------------------------------

class ModuleCluster:
    """The one cluster a suite module's tests share: started by the first test
    that calls it, closed by close() or at exit.

        cluster = ModuleCluster(brokers=1, name="x", overrides=[...])
        c = cluster()
    """

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.c = None
        atexit.register(self.close)

    def __call__(self):
        if self.c is None:
            self.c = Cluster(**self.kwargs)
        return self.c

    def close(self):
        if self.c:
            self.c.close()
            self.c = None


def frame(api_key, version, corr, body, client_id=b"it"):
    hdr = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = hdr + body
    return struct.pack(">i", len(payload)) + payload


def recv_frame(sock, timeout=5):
    """One response frame (without the size), or None if the broker closed."""
    sock.settimeout(timeout)
    buf = b""
    while len(buf) < 4:
        d = sock.recv(4 - len(buf))
        if not d:
            return None
        buf += d
    n = struct.unpack(">i", buf)[0]
    data = b""
    while len(data) < n:
        d = sock.recv(n - len(data))
        if not d:
            return None
        data += d
    return data


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def record_batch(values, ts=1700000000000):
    """A v2 batch of uncompressed records with timestamps ts, ts+1, ...,
    CRC included (via kafka-python)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 30)
    for i, v in enumerate(values):
        b.append(i, timestamp=ts + i, key=None, value=v, headers=[])
    return bytes(b.build())


def metadata_ok(c, timeout=5):
    """A second, well-behaved client: Metadata v1 over a fresh connection,
    answered within timeout seconds."""
    s = socket.create_connection(c.broker_addr(0), timeout=timeout)
    try:
        s.sendall(frame(3, 1, 77, struct.pack(">i", -1)))
        r = recv_frame(s, timeout=timeout)
        return r is not None and struct.unpack(">i", r[:4])[0] == 77
    finally:
        s.close()


def kafkajs_run(script, bootstrap, timeout=120):
    """Runs tests/integration/kafkajs/<script> against bootstrap (installing
    kafkajs from package-lock.json first if needed); fails with its output."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs")
    # Two lanes of a parallel run may both find kafkajs missing: one
    # installs, the other waits for it on the lock (the directory's own:
    # npm ci empties node_modules/ first).
    lock = os.open(d, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(os.path.join(d, "node_modules", "kafkajs")):
            p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=d,
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0,
                  "npm ci for kafkajs failed (is the npm registry reachable?):\n%s%s"
                  % (p.stdout[-2000:], p.stderr[-2000:]))
    finally:
        os.close(lock)
    p = subprocess.run(["node", script, bootstrap], cwd=d, capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, KAFKAJS_NO_PARTITIONER_WARNING="1"))
    check(p.returncode == 0, "kafkajs %s failed:\n%s%s" % (script, p.stdout[-3000:],
                                                           p.stderr[-3000:]))


# --- running -------------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    """Raised by a test that this machine cannot run (the message says
    why): run() prints SKIP and counts it neither passed nor failed."""


def selected(only):
    """The registered tests whose names contain one of only's strings (all
    without a filter), in registration order."""
    return [fn for fn in TESTS if not only or any(o in fn.__name__ for o in only)]


def run_tests(fns):
    """Runs fns one after the other, one PASS/FAIL/SKIP line each; returns
    (passed, failed, skipped)."""
    passed = failed = skipped = 0
    for fn in fns:
        t0 = time.time()
        try:
            fn()
            passed += 1
            print("PASS %-40s %6.1fs" % (fn.__name__, time.time() - t0), flush=True)
        except Skip as e:
            skipped += 1
            print("SKIP %-40s %6.1fs  %s" % (fn.__name__, time.time() - t0, e), flush=True)
        except Exception as e:
            failed += 1
            print("FAIL %-40s %6.1fs" % (fn.__name__, time.time() - t0), flush=True)
            msg = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in msg.splitlines():
                print("    " + line, flush=True)
    return passed, failed, skipped


def summary(passed, failed, skipped):
    if skipped:
        print("%d skipped (see the SKIP lines)" % skipped, flush=True)
    # The last line is what tests/run-all adds up.
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return failed == 0


def run(only=None):
    return summary(*run_tests(selected(only)))


# --- parallel lanes ---------------------------------------------------------------
#
# A module's tests stay together, in their order, in one process: some share
# a cluster (and what earlier tests left in it). Every cluster has its own
# ports (free_ports, one slice per lane) and directories, so two modules can
# run side by side.

DONE = "@@gregor-module-done"


def run_worker(only):
    """A lane's process: reads module names from stdin, runs each one's
    selected tests and ends each with the DONE line carrying its counts."""
    for line in sys.stdin:
        mod = line.strip()
        counts = run_tests([fn for fn in selected(only) if fn.__module__ == mod])
        print("%s %d %d %d" % ((DONE,) + counts), flush=True)
    return True


def run_lanes(argv, only, lanes, order=()):
    """Runs the selected tests' modules in `lanes` worker processes
    (argv starts one; GREGOR_IT_LANE tells it its port slice). Modules in
    `order` go first, in that order (the longest first, so the lanes end
    together), then the rest. Each module's output is printed whole when it
    ends; the summary line counts every lane."""
    mods = []
    for fn in selected(only):
        if fn.__module__ not in mods:
            mods.append(fn.__module__)
    queue = [m for m in order if m in mods] + [m for m in mods if m not in order]
    lock = threading.Lock()
    totals = [0, 0, 0]

    def emit(text, counts):
        with lock:
            sys.stdout.write(text)
            sys.stdout.flush()
            for i, n in enumerate(counts):
                totals[i] += n

    def lane(k):
        env = dict(os.environ, GREGOR_IT_LANE="%d/%d" % (k, lanes))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=env)
        while True:
            with lock:
                mod = queue.pop(0) if queue else None
            if mod is None:
                break
            p.stdin.write(mod + "\n")
            p.stdin.flush()
            buf = []
            for line in p.stdout:
                if line.startswith(DONE + " "):
                    emit("".join(buf), [int(x) for x in line.split()[1:]])
                    break
                buf.append(line)
            else:
                # The worker died inside the module: one failure, and the
                # other lanes take what is left.
                emit("".join(buf) + "FAIL %s: the lane's process exited (%s)\n" % (
                    mod, p.wait()), (0, 1, 0))
                return
        p.stdin.close()
        rest = p.stdout.read()
        if p.wait() != 0:
            emit(rest + "FAIL lane %d's process exited with %d\n" % (k, p.returncode), (0, 1, 0))
        elif rest:
            emit(rest, (0, 0, 0))

    threads = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(*totals)
