#!/usr/bin/env python3
"""Compare Coffer builds, storage backends (LevelDB, RADOS with one or two nodes) or Coffer and
moto_server under the same neutral client.

Each round starts every server in turn on a fresh data dir (and, for RADOS, a fresh pool) on a
free loopback port, drives it with ../shared/tools/s3load.py (SigV4 by botocore, one process
per worker, every GET verified), and reads the server's CPU time from /proc/<pid>/stat and its
bytes written from /proc/<pid>/io around each workload, and counts its fsync/fdatasync calls
with `perf stat` on the syscall tracepoints where perf can attach (the syncs/op column). The
servers alternate within a round and rounds repeat, so the machine's noise falls on all of
them alike; the figures printed are medians over the rounds. CPU per operation and bytes
written per byte stored barely move with noise; ops/s and MB/s do, so compare them only as
ratios from one run.

    scripts/bench_compare.py --server old=/path/to/old/coffer --server new=.build/release/coffer
    scripts/bench_compare.py --server coffer=.build/release/coffer --server moto=moto
    scripts/bench_compare.py --server leveldb=BIN --server rados=rados:BIN --server rados2=rados2:BIN

A server is NAME=BINARY (coffer serve on a LevelDB data dir), NAME=moto (moto_server),
NAME=rados:BINARY (one `coffer serve --storage rados` node) or NAME=rados2:BINARY (two nodes of
one deployment). RADOS servers run on the cluster whose ceph.conf is $COFFER_TEST_RADOS_CONF
(or --rados-conf), each round on a fresh pool (8 PGs, 1 replica) that is deleted afterwards.
With two nodes the load is split: half the workers and half the operations against each
node, each half driven by its own s3load process, both at once, node a's under the key
prefix `a` and node b's under `b`; a GET workload reads through each node the objects written
through the other one (every body verified). Throughput is the sum of the two processes',
latency the worse of the two, CPU and bytes the sum of both nodes'. A single-stream workload
(1 worker) becomes one stream per node.

For RADOS servers it also reads the cluster's daemons (the pid files in the conf's `run dir`):
their CPU per operation (OSD, mon and mgr together; the OSD's share in --json), the bytes the
OSD wrote per byte stored (PUT workloads), its fsync/fdatasync calls, and the client operations
it served per request (its op_r/op_w/op_rw counters, through its admin socket). The cluster may
be shared with other work: the other pools' write operations during each deployment (`rados
df`) are printed to stderr, and a deployment starts only when the cluster has room for all it
will write (overwritten blobs stay until their reclaim delay has passed).

Nothing is asserted: this program prints figures (docs/benchmarks.md).
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
S3LOAD = os.path.join(HERE, "..", "..", "shared", "tools", "s3load.py")
TICKS = os.sysconf("SC_CLK_TCK")
ACCESS, SECRET = "BENCHCOMPAREACCESS01", "bench-compare-secret-key/0123456789abcdef"
BUCKET = "bench-compare"

WORKLOADS = {
    "put-4KiB-c8": dict(mode="put", size="4KiB", c=8, count=4000),
    "get-4KiB-c8": dict(mode="get", size="4KiB", c=8, count=4000),
    # one client, one request at a time: what a commit that waits for others would cost it
    "put-4KiB-c1": dict(mode="put", size="4KiB", c=1, count=1500),
    "put-64MiB-c1": dict(mode="put", size="64MiB", c=1, count=6),
    "get-64MiB-c1": dict(mode="get", size="64MiB", c=1, count=6),
    # 1 GiB in 64 MiB objects; bytes written are read once the compactions it triggered have
    # settled (no write for 3 s), so written/B is the write amplification of that upload.
    "put-1GiB-settled": dict(mode="put", size="64MiB", c=1, count=16, keys=16, settle=True),
}

# Lines of a server's log worth showing when a workload had errors.
LOG_TROUBLE = re.compile(r"\b(error|warning|critical)\b|status=[45]\d\d|stream-error", re.IGNORECASE)


def size_bytes(text):
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
    low = text.lower()
    for unit, factor in units.items():
        if low.endswith(unit):
            return int(low[:-len(unit)]) * factor
    return int(low)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def write_bytes(pid):
    with open(f"/proc/{pid}/io") as f:
        return int(next(line for line in f if line.startswith("write_bytes")).split()[1])


class Server:
    """One server process: coffer serve (LevelDB, or RADOS when `rados` is given) or moto_server."""

    def __init__(self, name, binary, work, rados=None, env=None):
        self.name, self.binary = name, binary
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix=f"{name}-", dir=work)
        if binary == "moto":
            cmd = ["moto_server", "-H", "127.0.0.1", "-p", str(self.port)]
            env = dict(os.environ)
        else:
            cmd = [binary, "serve", "--data-dir", self.data, "--http-address", f"127.0.0.1:{self.port}", "--https-address", "off"]
            if rados is not None:
                cmd += ["--storage", "rados", "--rados-conf", rados["conf"], "--rados-pool", rados["pool"],
                        "--rados-user", "admin", "--node-name", rados["node"]]
            env = dict(os.environ, COFFER_ROOT_ACCESS_KEY=ACCESS, COFFER_ROOT_SECRET_KEY=SECRET, **(env or {}))
        self.log = open(os.path.join(self.data, "server.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # it answers (403 for an unsigned ListBuckets)
            except OSError:
                time.sleep(0.2)
        self.proc.kill()
        with open(self.log.name) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f"{name} did not start (see {self.log.name}):\n{tail}")

    @property
    def pid(self):
        return self.proc.pid

    def trouble(self, limit=40):
        """The log lines of this server that name an error, a warning or a 4xx/5xx answer."""
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            lines = [line.rstrip("\n") for line in f if LOG_TROUBLE.search(line)]
        return lines[-limit:]

    def stop(self, log_dir=None, label=None):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        if log_dir:
            shutil.copy(self.log.name, os.path.join(log_dir, f"{label or self.name}.log"))
        shutil.rmtree(self.data, ignore_errors=True)


class Cluster:
    """The RADOS cluster of a ceph.conf: pools made and removed with the ceph CLI, and its
    daemons (the pid files in the conf's `run dir`) read from /proc."""

    def __init__(self, conf):
        self.conf = conf
        run_dir = os.path.join(os.path.dirname(os.path.abspath(conf)), "run")
        with open(conf) as f:
            for line in f:
                m = re.match(r"\s*run[ _]dir\s*=\s*(\S+)", line)
                if m:
                    run_dir = m.group(1)
        self.run_dir = run_dir

    def ceph(self, *args, check=True):
        r = subprocess.run(["ceph", "-c", self.conf, "--connect-timeout", "30", *args], capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise SystemExit(f"ceph {' '.join(args)}: {r.stderr.strip()}")
        return r

    def create_pool(self, pool):
        self.ceph("osd", "pool", "create", pool, "8", "8", "replicated")
        self.ceph("osd", "pool", "set", pool, "size", "1", "--yes-i-really-mean-it")
        self.ceph("osd", "pool", "application", "enable", pool, "coffer", "--yes-i-really-mean-it")

    def remove_pool(self, pool):
        r = self.ceph("osd", "pool", "delete", pool, pool, "--yes-i-really-really-mean-it", check=False)
        if r.returncode == 0:
            return "deleted"
        p = subprocess.run(["rados", "-c", self.conf, "-p", pool, "purge", pool, "--yes-i-really-really-mean-it"],
                           capture_output=True, text=True, timeout=300)
        return f"not deleted ({r.stderr.strip()}); purge: {'done' if p.returncode == 0 else p.stderr.strip()}"

    def make_room(self, needed, wait=180):
        """Waits (for the deletions of earlier pools to finish) until the cluster has `needed`
        bytes free and stays below its nearfull ratio (85 %) after writing them; a workload that
        fills the OSD would block every client of the cluster, not only this one."""
        deadline = time.monotonic() + wait
        while True:
            stats = json.loads(self.ceph("df", "--format", "json").stdout)["stats"]
            total, avail = stats["total_bytes"], stats["total_avail_bytes"]
            if total - avail + needed <= 0.80 * total:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"the cluster has {avail >> 20} MiB free of {total >> 20} MiB; this deployment may write "
                                 f"{needed >> 20} MiB (every overwritten blob stays until its reclaim delay passes): "
                                 f"fewer operations (--count-scale) or a larger cluster")
            time.sleep(5)

    def pool_writes(self):
        """Write operations per pool so far (the mgr's statistics, a few seconds behind)."""
        r = subprocess.run(["rados", "-c", self.conf, "df", "--format", "json"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            return {}
        return {p["name"]: p.get("write_ops", 0) for p in json.loads(r.stdout).get("pools", [])}

    def daemons(self):
        """{daemon name: pid} of the daemons running now."""
        out = {}
        for entry in sorted(os.listdir(self.run_dir)):
            if entry.endswith(".pid"):
                try:
                    with open(os.path.join(self.run_dir, entry)) as f:
                        pid = int(f.read().strip())
                    os.kill(pid, 0)
                except (OSError, ValueError):
                    continue
                out[entry[:-4]] = pid
        return out

    def osd_ops(self, daemon):
        """{"op_r", "op_w", "op_rw"}: the client operations an OSD has served (its perf counters,
        through its admin socket), or None."""
        r = subprocess.run(["ceph", "--admin-daemon", os.path.join(self.run_dir, f"{daemon}.asok"), "perf", "dump", "osd"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            return None
        counters = json.loads(r.stdout)["osd"]
        return {k: counters[k] for k in ("op_r", "op_w", "op_rw")}

    def sample(self):
        """CPU seconds of every daemon, bytes written and operations served by the OSDs, with the
        pids they came from."""
        daemons = self.daemons()
        cpu = {name: cpu_seconds(pid) for name, pid in daemons.items()}
        osds = [name for name in daemons if name.startswith("osd.")]
        osd_written = sum(write_bytes(daemons[name]) for name in osds)
        ops = [self.osd_ops(name) for name in osds]
        osd_ops = {k: sum(o[k] for o in ops) for k in ("op_r", "op_w", "op_rw")} if all(ops) else None
        return dict(pids=daemons, cpu=cpu, osd_written=osd_written, osd_ops=osd_ops)


class Deployment:
    """What one --server runs in a round: one process (LevelDB or moto), or one or two Coffer
    nodes on a fresh pool of the RADOS cluster."""

    def __init__(self, name, target, work, round_, cluster, log_dir, needed=0):
        self.name, self.log_dir, self.round = name, log_dir, round_
        kind, _, binary = target.partition(":") if target.startswith(("rados:", "rados2:")) else ("local", "", target)
        self.binary, self.cluster, self.pool = binary, None, None
        self.nodes = []
        if kind == "local":
            self.nodes.append(Server(name, binary, work))
            return
        if cluster is None:
            raise SystemExit(f"--server {name}={target}: set COFFER_TEST_RADOS_CONF or --rados-conf")
        self.cluster = cluster
        cluster.make_room(needed)
        self.pool, self.writes_before = f"bench-{name}-r{round_ + 1}-{os.getpid()}", {}
        cluster.create_pool(self.pool)
        self.writes_before = cluster.pool_writes()
        env = {"COFFER_SSE_S3_ROOT_KEY": base64.b64encode(os.urandom(32)).decode()}  # the same on every node
        try:
            for node in ("a", "b")[: 2 if kind == "rados2" else 1]:  # one after the other: the first sets up the pool
                rados = dict(conf=cluster.conf, pool=self.pool, node=f"{name}-{node}")
                self.nodes.append(Server(f"{name}-{node}", binary, work, rados=rados, env=env))
            # the bucket, made once through the first node (two s3load processes would race to make it)
            setup = s3load(self.nodes[0], "put", dict(size="1", c=1, count=1), "--prefix", "setup")
            if setup.get("errors"):
                raise SystemExit(f"{name}: cannot write the first object: {json.dumps(setup)}")
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for server in self.nodes:
            server.stop(self.log_dir, f"{server.name}-r{self.round + 1}")
        if self.pool:
            others = {}
            after = self.cluster.pool_writes()
            for pool, ops in after.items():
                if pool != self.pool and ops - self.writes_before.get(pool, 0) > 0:
                    others[pool] = ops - self.writes_before.get(pool, 0)
            print(f"round {self.round + 1} {self.name:>8} other pools' write ops meanwhile: {json.dumps(others)}", file=sys.stderr, flush=True)
            print(f"round {self.round + 1} {self.name:>8} pool {self.pool}: {self.cluster.remove_pool(self.pool)}", file=sys.stderr, flush=True)


def s3load_cmd(server, mode, spec, prefix=None, extra=()):
    creds = ("testing", "testing") if server.binary == "moto" else (ACCESS, SECRET)
    return [sys.executable, S3LOAD, "--endpoint", f"http://127.0.0.1:{server.port}", "--access-key", creds[0],
            "--secret-key", creds[1], "--bucket", BUCKET, "--mode", mode, "--size", spec["size"],
            "-c", str(spec["c"]), "--count", str(spec["count"]), *(["--keys", str(spec["keys"])] if "keys" in spec else []),
            *(["--prefix", prefix] if prefix else []), *extra]


S3LOAD_TIMEOUT = 1800  # seconds; a run that takes longer is stopped and ends the comparison


def s3loads(cmds):
    """Runs the s3load commands at once; their JSON results, in order. A run with errors still
    answers (s3load then exits 1); one without a result line stops the comparison."""
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True) for cmd in cmds]
    deadline = time.monotonic() + S3LOAD_TIMEOUT
    results = []
    for cmd, proc in zip(cmds, procs):
        try:
            out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
            raise SystemExit(f"s3load ran longer than {S3LOAD_TIMEOUT} s: {' '.join(cmd)}")
        lines = out.strip().splitlines()
        if not lines:
            raise SystemExit(f"s3load gave no result ({' '.join(cmd)}):\n{err[-3000:]}")
        results.append(json.loads(lines[-1]))
    return results


def s3load(server, mode, spec, *extra):
    return s3loads([s3load_cmd(server, mode, spec, extra=extra)])[0]


def split(spec, n):
    """The workload as n concurrent shares: workers, operations and keys divided (at least one
    worker and one key each)."""
    if n == 1:
        return [dict(spec)]
    size = size_bytes(spec["size"])
    keys = spec.get("keys") or (spec["c"] if size >= (8 << 20) else 64)
    shares = []
    for i in range(n):
        part = lambda total: total // n + (1 if i < total % n else 0)
        c = max(1, part(spec["c"]))
        shares.append(dict(spec, c=c, count=max(c, part(spec["count"])), keys=max(1, part(keys))))
    return shares


class SyncCounter:
    """Counts the server's fsync/fdatasync calls over an interval with `perf stat` on the
    syscall tracepoints (exact, and no cost to the server). None when perf or the
    tracepoints are not available."""

    EVENTS = "syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync"

    def __init__(self, pid):
        self.proc, self.out = None, None
        if shutil.which("perf") is None:
            return
        self.out = tempfile.NamedTemporaryFile(mode="w+", suffix=".perf")
        try:
            self.proc = subprocess.Popen(["perf", "stat", "-x,", "-e", self.EVENTS, "-p", str(pid), "-o", self.out.name],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)  # perf attaches before the workload starts
            if self.proc.poll() is not None:
                self.proc = None
        except OSError:
            self.proc = None
        if self.proc is None:
            self.out.close()

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)
        total, seen = 0, 0
        self.out.seek(0)
        lines = self.out.read().splitlines()
        self.out.close()
        for line in lines:
            fields = line.strip().split(",")
            if len(fields) > 2 and fields[2].startswith("syscalls:") and fields[0].isdigit():
                total += int(fields[0])
                seen += 1
        return total if seen else None


def settle(read, quiet=3.0, limit=300.0):
    """Bytes written, as `read()` counts them, once nothing has been written for `quiet`
    seconds (background compactions done), or after `limit` seconds."""
    deadline = time.monotonic() + limit
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def run_workload(deployment, spec):
    """One workload; the servers' (and cluster's) CPU and writes are read around its timed part
    only (a GET workload's objects are PUT first, by a run of its own). With two nodes, node a's
    share uses the key prefix `a`, node b's `b`, and a GET reads through each node the other's."""
    nodes = deployment.nodes
    shares = split(spec, len(nodes))
    prefixes = [None] if len(nodes) == 1 else ["a", "b"][: len(nodes)]
    if spec["mode"] == "get":
        s3loads([s3load_cmd(node, "put", share, prefix) for node, share, prefix in zip(nodes, shares, prefixes)])
        prefixes = prefixes[1:] + prefixes[:1]  # each node reads what the next one wrote
    extra = ["--no-prepare"] if spec["mode"] == "get" else []
    cluster = deployment.cluster
    syncs = [SyncCounter(node.pid) for node in nodes]
    osds = sorted(pid for daemon, pid in cluster.daemons().items() if daemon.startswith("osd.")) if cluster else []
    osd_syncs = SyncCounter(osds[0]) if len(osds) == 1 else None  # the dev cluster's one OSD
    cpu0, io0 = [cpu_seconds(n.pid) for n in nodes], [write_bytes(n.pid) for n in nodes]
    c0 = cluster.sample() if cluster else None
    results = s3loads([s3load_cmd(node, spec["mode"], share, prefix, extra) for node, share, prefix in zip(nodes, shares, prefixes)])
    cpu1, io1 = [cpu_seconds(n.pid) for n in nodes], [write_bytes(n.pid) for n in nodes]
    c1 = cluster.sample() if cluster else None
    synced = [s.stop() for s in syncs]
    osd_synced = osd_syncs.stop() if osd_syncs else None
    if spec.get("settle"):
        io1 = [settle(lambda pid=n.pid: write_bytes(pid)) for n in nodes]
        if cluster:
            c1["osd_written"] = settle(lambda: cluster.sample()["osd_written"])
    ops, size = sum(share["count"] for share in shares), results[0].get("size") or 0
    stored = ops * size if spec["mode"] == "put" and size else None
    r = {
        "ops_per_s": sum(x.get("ops_per_s") or 0 for x in results),
        "MB_per_s": sum(x.get("MB_per_s") or 0 for x in results),
        "p50_ms": max((x["p50_ms"] for x in results if x.get("p50_ms") is not None), default=None),
        "p99_ms": max((x["p99_ms"] for x in results if x.get("p99_ms") is not None), default=None),
        "errors": sum(x.get("errors", 0) for x in results),
        "server_cpu_ms_per_op": 1000 * (sum(cpu1) - sum(cpu0)) / ops,
        "written_per_byte": (sum(io1) - sum(io0)) / stored if stored else None,
        "syncs_per_op": sum(synced) / ops if all(s is not None for s in synced) else None,
        "cluster_cpu_ms_per_op": None, "osd_cpu_ms_per_op": None, "osd_written_per_byte": None, "osd_syncs_per_op": None,
    }
    if len(results) > 1:
        r["per_node"] = [{k: x.get(k) for k in ("ops_per_s", "MB_per_s", "wall_s", "p50_ms", "p99_ms", "errors")} for x in results]
    if any(x.get("errors") for x in results):
        r["error_kinds"] = [x.get("error_kinds") for x in results]
    if cluster:
        if c0["pids"] == c1["pids"]:
            r["cluster_cpu_ms_per_op"] = 1000 * (sum(c1["cpu"].values()) - sum(c0["cpu"].values())) / ops
            r["osd_cpu_ms_per_op"] = 1000 * sum(c1["cpu"][d] - c0["cpu"][d] for d in c1["cpu"] if d.startswith("osd.")) / ops
            r["osd_written_per_byte"] = (c1["osd_written"] - c0["osd_written"]) / stored if stored else None
            if c0["osd_ops"] and c1["osd_ops"]:
                for k in ("op_r", "op_w", "op_rw"):
                    r[f"osd_{k}_per_op"] = (c1["osd_ops"][k] - c0["osd_ops"][k]) / ops
        else:
            r["cluster_restarted"] = [c0["pids"], c1["pids"]]
        r["osd_syncs_per_op"] = osd_synced / ops if osd_synced is not None else None
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", action="append", required=True,
                    help="NAME=BINARY, NAME=moto, NAME=rados:BINARY (one RADOS node) or NAME=rados2:BINARY (two)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default="put-4KiB-c8,get-4KiB-c8,put-64MiB-c1,get-64MiB-c1",
                    help=f"comma-separated, of: {', '.join(WORKLOADS)}")
    ap.add_argument("--count-scale", type=float, default=1.0, help="multiply every workload's operation count (at least 1 per worker)")
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--rados-conf", default=os.environ.get("COFFER_TEST_RADOS_CONF"),
                    help="the cluster's ceph.conf for rados servers (default $COFFER_TEST_RADOS_CONF)")
    ap.add_argument("--log-dir", default=None, help="keep every server's log here (NAME-rROUND.log)")
    ap.add_argument("--json", default=None, help="write every round's figures to this file")
    args = ap.parse_args()
    servers = [s.split("=", 1) for s in args.server]
    workloads = {}
    for w in args.workloads.split(","):
        spec = dict(WORKLOADS[w])
        spec["count"] = max(spec["c"], round(spec["count"] * args.count_scale))
        workloads[w] = spec
    cluster = Cluster(args.rados_conf) if any(t.startswith(("rados:", "rados2:")) for _, t in servers) and args.rados_conf else None
    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
    # what one deployment stores at most: every PUT (a GET's preparation included) keeps its
    # bytes until the reclaim delay (5 minutes) has passed, longer than a deployment runs
    needed = int(1.25 * sum(spec["count"] * size_bytes(spec["size"]) for spec in workloads.values()))
    work = tempfile.mkdtemp(prefix="bench-compare-", dir=args.work_dir)
    figures = {}  # (server, workload) -> list of dicts
    started = time.monotonic()
    try:
        for round_ in range(args.rounds):
            for name, target in servers:
                deployment = Deployment(name, target, work, round_, cluster, args.log_dir, needed)
                try:
                    for workload, spec in workloads.items():
                        r = run_workload(deployment, spec)
                        figures.setdefault((name, workload), []).append(r)
                        print(f"round {round_ + 1} {name:>8} {workload:<14} {json.dumps(r)}", file=sys.stderr, flush=True)
                        if r["errors"]:
                            for node in deployment.nodes:
                                for line in node.trouble():
                                    print(f"  {node.name} log: {line}", file=sys.stderr, flush=True)
                finally:
                    deployment.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"servers": dict(servers), "workloads": workloads, "rounds": args.rounds,
                       "seconds": round(time.monotonic() - started, 1),
                       "figures": [{"server": s, "workload": w, "rounds": rows} for (s, w), rows in figures.items()]}, f, indent=1)
    print(f"medians over {args.rounds} rounds (servers alternate within each round); {time.monotonic() - started:.0f} s")
    rados = cluster is not None
    print(f"{'workload':<14} {'server':>8} {'ops/s':>9} {'MB/s':>8} {'x first':>7} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/op':>10} "
          f"{'written/B':>10} {'syncs/op':>9}" + (f" {'cluster ms/op':>13} {'osd written/B':>13} {'osd syncs/op':>12} {'osd reads/writes per op':>23}" if rados else "") + f" {'errors':>6}")
    fmt = lambda v, spec: format(v, spec) if v is not None else "-".rjust(int(re.match(r"\d+", spec).group()))
    for workload in workloads:
        first = None
        for name, _ in servers:
            rows = figures[(name, workload)]
            def med(key):
                values = [r[key] for r in rows if r.get(key) is not None]
                return statistics.median(values) if values else None
            reads, writes, rw = med("osd_op_r_per_op"), med("osd_op_w_per_op"), med("osd_op_rw_per_op")
            osd_ops = f"{reads:.1f} / {writes + rw:.1f}" if reads is not None else "-"
            ops = med("ops_per_s")
            first = ops if first is None else first
            ratio = ops / first if ops and first else None
            print(f"{workload:<14} {name:>8} {fmt(ops, '9.0f')} {fmt(med('MB_per_s'), '8.1f')} {fmt(ratio, '7.2f')} "
                  f"{fmt(med('p50_ms'), '8.2f')} {fmt(med('p99_ms'), '8.2f')} "
                  f"{fmt(med('server_cpu_ms_per_op'), '10.3f')} {fmt(med('written_per_byte'), '10.2f')} "
                  f"{fmt(med('syncs_per_op'), '9.2f')}"
                  + (f" {fmt(med('cluster_cpu_ms_per_op'), '13.3f')} {fmt(med('osd_written_per_byte'), '13.2f')} {fmt(med('osd_syncs_per_op'), '12.2f')} {osd_ops:>23}" if rados else "")
                  + f" {sum(r['errors'] for r in rows):>6}")


if __name__ == "__main__":
    main()
