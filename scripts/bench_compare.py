#!/usr/bin/env python3
"""Compare two Coffer builds (or Coffer and moto_server) under the same neutral client.

Each round starts every server in turn on a fresh data dir on a free loopback port, drives it
with ../shared/tools/s3load.py (SigV4 by botocore, one process per worker, every GET
verified), and reads the server's CPU time from /proc/<pid>/stat and its bytes written from
/proc/<pid>/io around each workload, and counts its fsync/fdatasync calls with `perf stat` on
the syscall tracepoints where perf can attach (the syncs/op column). The servers alternate within a round and rounds repeat,
so the machine's noise falls on all of them alike; the figures printed are medians over the
rounds. CPU per operation and bytes written per byte stored barely move with noise; ops/s
and MB/s do, so compare them only as ratios from one run.

    scripts/bench_compare.py --server old=/path/to/old/coffer --server new=.build/release/coffer
    scripts/bench_compare.py --server coffer=.build/release/coffer --server moto=moto

Nothing is asserted: this program prints figures (docs/benchmarks.md).
"""
import argparse
import json
import os
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
    def __init__(self, name, binary, work):
        self.name, self.binary = name, binary
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix=f"{name}-", dir=work)
        if binary == "moto":
            cmd = ["moto_server", "-H", "127.0.0.1", "-p", str(self.port)]
            env = dict(os.environ)
        else:
            cmd = [binary, "serve", "--data-dir", self.data, "--http-address", f"127.0.0.1:{self.port}", "--https-address", "off"]
            env = dict(os.environ, COFFER_ROOT_ACCESS_KEY=ACCESS, COFFER_ROOT_SECRET_KEY=SECRET)
        self.log = open(os.path.join(self.data, "server.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # it answers (403 for an unsigned ListBuckets)
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{name} did not start (see {self.log.name})")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def s3load(server, mode, spec, *extra):
    creds = ("testing", "testing") if server.binary == "moto" else (ACCESS, SECRET)
    cmd = [sys.executable, S3LOAD, "--endpoint", f"http://127.0.0.1:{server.port}", "--access-key", creds[0],
           "--secret-key", creds[1], "--bucket", "bench-compare", "--mode", mode, "--size", spec["size"],
           "-c", str(spec["c"]), "--count", str(spec["count"]), *(["--keys", str(spec["keys"])] if "keys" in spec else []), *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


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


def settle(pid, quiet=3.0, limit=300.0):
    """Bytes written by `pid` once it has written nothing for `quiet` seconds (its background
    compactions done), or after `limit` seconds."""
    deadline = time.monotonic() + limit
    last, since = write_bytes(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = write_bytes(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def run_workload(server, spec):
    """One workload; the server's CPU and writes are read around its timed part only (a GET
    workload's objects are PUT first, by a run of its own)."""
    if spec["mode"] == "get":
        s3load(server, "put", spec)
    syncs = SyncCounter(server.proc.pid)
    cpu0, io0 = cpu_seconds(server.proc.pid), write_bytes(server.proc.pid)
    result = s3load(server, spec["mode"], spec, *(["--no-prepare"] if spec["mode"] == "get" else []))
    cpu1, io1 = cpu_seconds(server.proc.pid), write_bytes(server.proc.pid)
    synced = syncs.stop()
    if spec.get("settle"):
        io1 = settle(server.proc.pid)
    ops, size = spec["count"], result.get("size") or 0
    return {
        "ops_per_s": result.get("ops_per_s"),
        "MB_per_s": result.get("MB_per_s"),
        "errors": result.get("errors", 0),
        "server_cpu_ms_per_op": 1000 * (cpu1 - cpu0) / ops,
        "written_per_byte": (io1 - io0) / (ops * size) if spec["mode"] == "put" and size else None,
        "syncs_per_op": synced / ops if synced is not None else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", action="append", required=True, help="NAME=BINARY (or NAME=moto)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default="put-4KiB-c8,get-4KiB-c8,put-64MiB-c1,get-64MiB-c1",
                    help=f"comma-separated, of: {', '.join(WORKLOADS)}")
    ap.add_argument("--work-dir", default=None)
    args = ap.parse_args()
    servers = [s.split("=", 1) for s in args.server]
    work = tempfile.mkdtemp(prefix="bench-compare-", dir=args.work_dir)
    figures = {}  # (server, workload) -> list of dicts
    try:
        for round_ in range(args.rounds):
            for name, binary in servers:
                server = Server(name, binary, work)
                try:
                    for workload in args.workloads.split(","):
                        r = run_workload(server, WORKLOADS[workload])
                        figures.setdefault((name, workload), []).append(r)
                        print(f"round {round_ + 1} {name:>8} {workload:<14} {json.dumps(r)}", file=sys.stderr, flush=True)
                finally:
                    server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"medians over {args.rounds} rounds (servers alternate within each round)")
    print(f"{'workload':<14} {'server':>8} {'ops/s':>9} {'MB/s':>8} {'cpu ms/op':>10} {'written/B':>10} {'syncs/op':>9} {'errors':>6}")
    for workload in args.workloads.split(","):
        for name, _ in servers:
            rows = figures[(name, workload)]
            def med(key):
                values = [r[key] for r in rows if r[key] is not None]
                return statistics.median(values) if values else None
            fmt = lambda v, spec: format(v, spec) if v is not None else "-"
            print(f"{workload:<14} {name:>8} {fmt(med('ops_per_s'), '9.0f')} {fmt(med('MB_per_s'), '8.1f')} "
                  f"{fmt(med('server_cpu_ms_per_op'), '10.3f')} {fmt(med('written_per_byte'), '10.2f')} "
                  f"{fmt(med('syncs_per_op'), '9.2f')} {sum(r['errors'] for r in rows):>6}")


if __name__ == "__main__":
    main()
