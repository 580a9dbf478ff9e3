#!/usr/bin/env python3
"""The project's load benchmark (bench/README.md, with its budget), driven by scripts/bench.sh
(which builds the binaries first).

Phases:
 1. time one Argon2id verify (examples/argon2_verify) for the login target;
 2. counting: the server with RUST_LOG=sqlx::query=debug on a fresh SQLite file; seed through the
    API; per scenario one warm-up request, then one request whose `sqlx::query` log lines are
    counted;
 3. load: the baseline (examples/baseline), then the server restarted with RUST_LOG=warn on the
    same file; each scenario is a wrk warm-up run followed by a measured run (closed loop), with
    the server's peak RSS over the measured run;
 4. the markdown table (stdout and bench/results/latest.md) and bench/results/latest.json.

Standard library only. Every process it starts is recorded in --pids-file (bench.sh's trap ends
them if this script dies) and stopped by this script itself on exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
JWT_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"
PASSWORD = "bench-password-123"
GRAPHQL_QUERY = "{ lists { id title taskCount tasks(limit: 20) { id title completed priority } } }"

SCENARIOS = [
    # key, label, script
    ("baseline", "baseline: minimal axum GET /api/v1/tasks/{id} (no DB, no auth)", "get_task.lua"),
    ("a", "(a) GET /api/v1/tasks/{id}", "get_task.lua"),
    ("b", "(b) GET /api/v1/lists/{id}/tasks (100 tasks)", "list_tasks.lua"),
    ("c", "(c) POST /api/v1/lists/{id}/tasks", "create_task.lua"),
    ("d", "(d) PATCH /api/v1/tasks/{id} completed", "patch_task.lua"),
    ("e", "(e) POST /api/v1/auth/login", "login.lua"),
    ("f", "(f) POST /graphql 20 lists x 20 tasks", "graphql.lua"),
    ("g", "(g) = (a) during a 40-connection login storm", "get_task.lua"),
    ("h", "(h) POST /graphql one task with its list and owner", "graphql_task.lua"),
    ("i", "(i) POST /graphql createTask mutation", "graphql_mutation.lua"),
    ("j", "(j) mixed: 70% GET task, 10% page of 20, 10% PATCH, 5% POST, 5% GraphQL", "mixed.lua"),
]
GRAPHQL_TASK = (
    "query($id: ID!) { task(id: $id) { id title completed dueDate "
    "list { id title owner { id username } } } }"
)
GRAPHQL_MUTATION = (
    'mutation($list: ID!) { createTask(listId: $list, input: {title: "Benchmark write", '
    'priority: HIGH, categories: ["bench"]}) { id title priority createdAt } }'
)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# processes


class Procs:
    """Every process we start, so each can be stopped by its own pid."""

    def __init__(self, pids_file: Path):
        self.pids_file = pids_file
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], **kw) -> subprocess.Popen:
        proc = subprocess.Popen(argv, **kw)
        self.procs.append(proc)
        with self.pids_file.open("a") as f:
            f.write(f"{proc.pid}\n")
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc, 5.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(core: int | None, argv: list[str]) -> list[str]:
    return argv if core is None else ["taskset", "-c", str(core), *argv]


# ---------------------------------------------------------------------------------------------
# a tiny HTTP client (one keep-alive connection per thread)


class Api:
    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def conn(self) -> http.client.HTTPConnection:
        c = getattr(self.local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.local.conn = c
        return c

    def call(self, method: str, path: str, body=None, token: str | None = None, expect=(200, 201)):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):
            c = self.conn()
            try:
                c.request(method, path, body=data, headers=headers)
                resp = c.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        if expect and resp.status not in expect:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status}: {raw[:300]!r}")
        return resp.status, (json.loads(raw) if raw else None)


def wait_healthy(api: Api, proc: subprocess.Popen, what: str, path: str = "/health") -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during start-up")
        try:
            c = http.client.HTTPConnection("127.0.0.1", api.port, timeout=2)
            c.request("GET", path)
            status = c.getresponse().status
            c.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer on port {api.port} within 60 s")


# ---------------------------------------------------------------------------------------------
# seeding (through the API)


def task_body(n: int) -> dict:
    priorities = ("low", "medium", "high")
    return {
        "title": f"Task {n:03d}: prepare the quarterly report",
        "description": "Seeded by the benchmark, about the size of a real task.",
        "priority": priorities[n % 3],
        "categories": ["work", "bench"],
        "dueDate": f"2026-01-{1 + n % 28:02d}T10:00:00Z",
    }


def signup(api: Api, username: str) -> dict:
    _, body = api.call(
        "POST",
        "/api/v1/auth/signup",
        {"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    return {"username": username, "token": body["token"], "id": body["user"]["id"]}


def seed(api: Api) -> dict:
    started = time.time()
    users = {name: signup(api, name) for name in ("bench", "bench_gql20", "bench_gql5")}
    token = users["bench"]["token"]

    def new_list(tok: str, title: str) -> str:
        return api.call("POST", "/api/v1/lists", {"title": title}, tok)[1]["id"]

    def new_task(tok: str, list_id: str, n: int) -> str:
        return api.call("POST", f"/api/v1/lists/{list_id}/tasks", task_body(n), tok)[1]["id"]

    read_list = new_list(token, "Benchmark: 100 tasks")
    write_list = new_list(token, "Benchmark: writes")
    jobs: list[tuple[str, str, int]] = [(token, read_list, n) for n in range(100)]
    gql_lists: dict[str, list[str]] = {}
    for name, count in (("bench_gql20", 20), ("bench_gql5", 5)):
        tok = users[name]["token"]
        gql_lists[name] = [new_list(tok, f"GraphQL list {i:02d}") for i in range(count)]
        jobs += [(tok, lid, n) for lid in gql_lists[name] for n in range(20)]
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda j: new_task(*j), jobs))
    task_ids = ids[:100]
    log(f"seeded {len(users)} users, {2 + 25} lists, {len(ids)} tasks in {time.time() - started:.1f} s")
    return {
        "users": users,
        "read_list": read_list,
        "write_list": write_list,
        "task_ids": task_ids,
        "gql_lists": {k: len(v) for k, v in gql_lists.items()},
    }


# ---------------------------------------------------------------------------------------------
# server


_EMPTIED: set[Path] = set()


def fresh_database_url(db: Path) -> str:
    """The SQLite file `db`, or with BENCH_DATABASE_URL a PostgreSQL database standing for it:
    emptied (dropped and created again) the first time, so a run starts from nothing and later
    phases find what the first one seeded, as with the SQLite file."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url:
        return f"sqlite://{db}"
    if db in _EMPTIED:
        return url
    _EMPTIED.add(db)
    base, name = url.rsplit("/", 1)
    admin = f"{base}/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-q", "-d", admin, "-c", sql], check=True)
    return url


def server_env(args, port: int, db: Path, rust_log: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env.update(
        {
            "JWT_SECRET": JWT_SECRET,
            "BIND_ADDR": f"127.0.0.1:{port}",
            "DATABASE_URL": fresh_database_url(db),
            "RUST_LOG": rust_log,
            "AUTH_RATE_LIMIT_PER_SECOND": "0",
            "NO_COLOR": "1",
        }
    )
    # The real Argon2 defaults: drop any override from the caller's environment.
    for k in ("ARGON2_MEMORY_KIB", "ARGON2_ITERATIONS", "ARGON2_PARALLELISM", "HASH_CONCURRENCY"):
        env.pop(k, None)
    return env


def start_server(args, procs: Procs, db: Path, rust_log: str, log_path: Path):
    port = free_port()
    logf = log_path.open("wb")
    proc = procs.start(
        pinned(args.server_core, [str(args.server_bin)]),
        env=server_env(args, port, db, rust_log),
        stdout=logf,
        stderr=subprocess.STDOUT,
        cwd=args.tmpdir,  # no stray .env from the repository
    )
    api = Api(port)
    wait_healthy(api, proc, "todo-api")
    return proc, api


# ---------------------------------------------------------------------------------------------
# counting SQL statements


STATEMENT = re.compile(r"sqlx::query")
PURGE = "DELETE FROM token_blacklist"


def count_statements(log_path: Path, request) -> tuple[int, list[str]]:
    """One warm-up call of `request`, then the `sqlx::query` events of one more call."""
    request()
    time.sleep(0.1)
    before = log_path.stat().st_size
    request()
    time.sleep(0.2)
    with log_path.open("rb") as f:
        f.seek(before)
        text = f.read().decode(errors="replace")
    lines = [ln for ln in text.splitlines() if STATEMENT.search(ln) and PURGE not in ln]
    summaries = []
    for ln in lines:
        m = re.search(r'summary="([^"]*)"', ln)
        summaries.append(m.group(1) if m else ln[-120:])
    return len(lines), summaries


def counting_phase(args, procs: Procs, db: Path) -> tuple[dict, dict]:
    log_path = args.tmpdir / "server-count.log"
    proc, api = start_server(args, procs, db, "sqlx::query=debug", log_path)
    data = seed(api)
    u = data["users"]
    tok = u["bench"]["token"]
    ids = data["task_ids"]
    rot = iter(range(10**6))
    completed = {i: False for i in ids}  # as seeded

    def patch():
        # A real change every time: the opposite of the task's stored value.
        task = ids[next(rot) % 100]
        completed[task] = not completed[task]
        _, body = api.call("PATCH", f"/api/v1/tasks/{task}", {"completed": completed[task]}, tok)
        if body["completed"] != completed[task]:
            raise RuntimeError(f"PATCH did not store completed={completed[task]}: {body}")

    def gql(user, query=GRAPHQL_QUERY, variables=None):
        def run():
            request = {"query": query, "variables": variables or {}}
            _, body = api.call("POST", "/graphql", request, u[user]["token"])
            if body.get("errors"):
                raise RuntimeError(f"GraphQL errors: {body['errors']}")

        return run

    cases = {
        "a": lambda: api.call("GET", f"/api/v1/tasks/{ids[next(rot) % 100]}", token=tok),
        "b": lambda: api.call("GET", f"/api/v1/lists/{data['read_list']}/tasks", token=tok),
        "c": lambda: api.call("POST", f"/api/v1/lists/{data['write_list']}/tasks", task_body(7), tok),
        "d": patch,
        "e": lambda: api.call("POST", "/api/v1/auth/login", {"username": "bench", "password": PASSWORD}),
        "f": gql("bench_gql20"),
        "f5": gql("bench_gql5"),
        "h": gql("bench", GRAPHQL_TASK, {"id": ids[3]}),
        "i": gql("bench", GRAPHQL_MUTATION, {"list": data["write_list"]}),
    }
    counts = {}
    for key, request in cases.items():
        n, summaries = count_statements(log_path, request)
        counts[key] = {"statements": n, "summaries": summaries}
        log(f"statements per request ({key}): {n}")
    Procs.stop(proc)
    return counts, data


# ---------------------------------------------------------------------------------------------
# load


class RssWatch:
    """Peak RSS of `pid` over a window: VmHWM after resetting it (clear_refs 5), and VmRSS
    sampled every 20 ms as a fallback where the reset is not allowed."""

    def __init__(self, pid: int):
        self.pid = pid
        self.sampled_kb = 0
        self.reset_ok = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _status(self) -> dict:
        out = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
        return out

    def __enter__(self):
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sampled_kb = max(self.sampled_kb, self._status()["VmRSS"])
            except (OSError, KeyError):
                return
            self._stop.wait(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join()
        try:
            st = self._status()
            self.hwm_kb = st["VmHWM"]
            self.rss_kb = st["VmRSS"]
        except (OSError, KeyError):
            self.hwm_kb = self.rss_kb = 0

    @property
    def peak_mb(self) -> float:
        peak = max(self.sampled_kb, self.hwm_kb if self.reset_ok else 0)
        return round(peak / 1024.0, 1)


def wrk_argv(args, script: str, port: int, seconds: int, connections: int) -> list[str]:
    return pinned(
        args.client_core,
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / script),
            f"http://127.0.0.1:{port}",
        ],
    )


def parse_wrk(out: str, what: str) -> dict:
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk printed no result for {what}:\n{out[-2000:]}")


def run_wrk(args, script: str, port: int, seconds: int, env: dict, connections: int, tag: str) -> dict:
    out_path = args.tmpdir / f"wrk-{tag}.txt"
    with out_path.open("w") as out:
        done = subprocess.run(
            wrk_argv(args, script, port, seconds, connections),
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    text = out_path.read_text()
    if done.returncode != 0:
        raise RuntimeError(f"wrk ({tag}) exited with {done.returncode}:\n{text[-2000:]}")
    return parse_wrk(text, tag)


def ctx_switches(pid: int) -> int:
    """Voluntary + involuntary context switches of every live thread of `pid`."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def profile(args, pid: int, port: int, script: str, env: dict, tag: str) -> None:
    """An extra, unmeasured run of the scenario under `perf record` (software cpu-clock sampler,
    DWARF call graphs); the top frames go to <out-dir>/profile-<tag>.txt."""
    seconds = max(2, min(args.duration, 5))
    data = args.tmpdir / f"perf-{tag}.data"
    wrk = subprocess.Popen(
        wrk_argv(args, script, port, seconds + 2, args.connections),
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        time.sleep(1)
        subprocess.run(
            pinned(args.client_core, ["perf", "record", "-q", "-e", "cpu-clock", "-F", "999",
                                      "--call-graph", "dwarf,16384", "-p", str(pid), "-o", str(data),
                                      "--", "sleep", str(seconds)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    finally:
        wrk.wait()

    def report(*extra: str) -> str:
        out = subprocess.run(
            ["perf", "report", "-i", str(data), "--stdio", "-g", "none", "--percent-limit", "0.5", *extra],
            capture_output=True,
            text=True,
        ).stdout
        return "\n".join(ln[:220] for ln in out.splitlines() if ln.strip() and not ln.startswith("#"))

    text = (
        f"# perf profile of scenario {tag}: {seconds} s, cpu-clock at 999 Hz, server pid {pid}\n\n"
        f"## by thread\n{report('--no-children', '--sort', 'comm')}\n\n"
        f"## self time\n{report('--no-children', '--sort', 'sym')}\n\n"
        f"## inclusive (children)\n{report('--children', '--sort', 'sym')}\n"
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"profile-{tag}.txt").write_text(text)
    data.unlink(missing_ok=True)
    log(f"{tag}: profile written to {args.out_dir / f'profile-{tag}.txt'}")


def scenario(args, pid: int, port: int, script: str, env: dict, tag: str, before_measure=None) -> dict:
    if args.warmup > 0:
        run_wrk(args, script, port, args.warmup, env, args.connections, f"{tag}-warmup")
    if before_measure:
        before_measure()
    switches = ctx_switches(pid)
    with RssWatch(pid) as rss:
        result = run_wrk(args, script, port, args.duration, env, args.connections, tag)
    switches = ctx_switches(pid) - switches
    result["peak_rss_mb"] = rss.peak_mb
    result["rss_method"] = "VmHWM reset per scenario + VmRSS samples" if rss.reset_ok else "VmRSS samples"
    result["ctx_switches_per_request"] = round(switches / result["requests"], 1) if result["requests"] else None
    lat = result["latency_ms"]
    log(
        f"{tag}: {result['ok_rps']:.0f} req/s 2xx, p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, "
        f"non-2xx {result['non2xx']}, peak RSS {result['peak_rss_mb']} MB, "
        f"{result['ctx_switches_per_request']} context switches/request"
    )
    if tag in args.profile:
        if before_measure:
            before_measure()
        profile(args, pid, port, script, env, tag)
    return result


def load_phase(args, procs: Procs, db: Path, data: dict) -> dict:
    results: dict[str, dict] = {}
    ids_file = args.tmpdir / "task_ids.txt"
    ids_file.write_text("\n".join(data["task_ids"]) + "\n")
    u = data["users"]
    tok = u["bench"]["token"]
    get_env = {"BENCH_TOKEN": tok, "BENCH_IDS_FILE": str(ids_file)}

    # The ceiling: the minimal axum server, same requests.
    port = free_port()
    base = procs.start(
        pinned(args.server_core, [str(args.baseline_bin)]),
        env={**os.environ, "BIND_ADDR": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=(args.tmpdir / "baseline.log").open("wb"),
    )
    wait_healthy(Api(port), base, "baseline", f"/api/v1/tasks/{data['task_ids'][0]}")
    results["baseline"] = scenario(args, base.pid, port, "get_task.lua", get_env, "baseline")
    Procs.stop(base)

    proc, api = start_server(args, procs, db, "warn", args.tmpdir / "server-load.log")
    port, pid = api.port, proc.pid
    results["a"] = scenario(args, pid, port, "get_task.lua", get_env, "a")
    results["b"] = scenario(
        args, pid, port, "list_tasks.lua", {"BENCH_TOKEN": tok, "BENCH_LIST_ID": data["read_list"]}, "b"
    )
    results["c"] = scenario(
        args, pid, port, "create_task.lua", {"BENCH_TOKEN": tok, "BENCH_LIST_ID": data["write_list"]}, "c"
    )

    # (d): each run starts from the stored values, read back through the API just before it.
    state_file = args.tmpdir / "patch_state.txt"

    def snapshot():
        time.sleep(0.3)  # let requests still in flight from the previous run land
        _, tasks = api.call("GET", f"/api/v1/lists/{data['read_list']}/tasks?limit=1000", token=tok)
        state_file.write_text("".join(f"{t['id']} {'true' if t['completed'] else 'false'}\n" for t in tasks))

    snapshot()
    if args.connections >= len(data["task_ids"]):
        raise RuntimeError("(d) needs fewer connections than tasks for every PATCH to be a change")
    results["d"] = scenario(
        args,
        pid,
        port,
        "patch_task.lua",
        {"BENCH_TOKEN": tok, "BENCH_STATE_FILE": str(state_file)},
        "d",
        before_measure=snapshot,
    )
    login_env = {"BENCH_USERNAME": "bench", "BENCH_PASSWORD": PASSWORD}
    results["e"] = scenario(args, pid, port, "login.lua", login_env, "e")
    results["f"] = scenario(args, pid, port, "graphql.lua", {"BENCH_TOKEN": u["bench_gql20"]["token"]}, "f")

    # (g): (a) again while a second wrk keeps 40 logins in flight.
    storm_seconds = args.warmup + args.duration + 2
    storm_out = (args.tmpdir / "wrk-g-storm.txt").open("w")
    storm = procs.start(
        wrk_argv(args, "login.lua", port, storm_seconds, 40),
        env={**os.environ, **login_env},
        stdout=storm_out,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    time.sleep(1.0)
    results["g"] = scenario(args, pid, port, "get_task.lua", get_env, "g")
    storm.wait(storm_seconds + 30)
    storm_out.close()
    results["g"]["storm"] = parse_wrk((args.tmpdir / "wrk-g-storm.txt").read_text(), "g-storm")
    log(f"g: login storm {results['g']['storm']['ok_rps']:.1f} logins/s")
    results["h"] = scenario(args, pid, port, "graphql_task.lua", get_env, "h")
    write_env = {"BENCH_TOKEN": tok, "BENCH_LIST_ID": data["write_list"]}
    results["i"] = scenario(args, pid, port, "graphql_mutation.lua", write_env, "i")
    mixed_env = {**get_env, **write_env, "BENCH_READ_LIST": data["read_list"]}
    results["j"] = scenario(args, pid, port, "mixed.lua", mixed_env, "j")
    Procs.stop(proc)
    return results


# ---------------------------------------------------------------------------------------------
# report


def machine_info(args) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def cmd(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "unknown"

    # The commit the binaries were built from (bench.sh records it before building).
    commit = args.git_commit or cmd("git", "rev-parse", "HEAD") + (
        "-dirty" if cmd("git", "status", "--porcelain", "--untracked-files=no") else ""
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": commit,
        "rustc": cmd("rustc", "--version"),
        "wrk": (cmd("wrk", "-v").splitlines() or ["unknown"])[0].split(" Copyright")[0],
        "loadavg_before": args.loadavg_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
    }


def budget(results: dict, counts: dict, argon: dict, server_cores: int) -> list[dict]:
    r = results
    out = []

    def check(target: str, measured: str, ok: bool):
        out.append({"target": target, "measured": measured, "pass": bool(ok)})

    base = r["baseline"]["ok_rps"] or 1.0
    check("(a) >= 25,000 req/s", f"{r['a']['ok_rps']:,.0f}", r["a"]["ok_rps"] >= 25_000)
    check("(a) >= 15% of baseline", f"{100 * r['a']['ok_rps'] / base:.1f}%", r["a"]["ok_rps"] >= 0.15 * base)
    check("(b) >= 6,000 req/s", f"{r['b']['ok_rps']:,.0f}", r["b"]["ok_rps"] >= 6_000)
    check("(c) >= 10,000 req/s", f"{r['c']['ok_rps']:,.0f}", r["c"]["ok_rps"] >= 10_000)
    check("(d) >= 10,000 req/s", f"{r['d']['ok_rps']:,.0f}", r["d"]["ok_rps"] >= 10_000)
    login_target = 0.9 * server_cores * argon["per_core_per_second"]
    check(
        f"(e) >= 90% of {server_cores} core(s) / one verify ({argon['per_verify_ms']:.1f} ms) = {login_target:.1f} req/s",
        f"{r['e']['ok_rps']:,.1f}",
        r["e"]["ok_rps"] >= login_target,
    )
    check("(f) >= 1,000 req/s", f"{r['f']['ok_rps']:,.0f}", r["f"]["ok_rps"] >= 1_000)
    idle, storm = r["a"]["latency_ms"]["p99"], r["g"]["latency_ms"]["p99"]
    check(
        "(g) (a) p99 during login storm <= 5x idle p99",
        f"{storm:.2f} ms vs {idle:.2f} ms idle ({storm / idle if idle else 0:.1f}x)",
        storm <= 5 * idle,
    )
    check("(g) peak RSS during storm <= 150 MB", f"{r['g']['peak_rss_mb']} MB", r["g"]["peak_rss_mb"] <= 150)
    check("(a) statements/request <= 2", str(counts["a"]["statements"]), counts["a"]["statements"] <= 2)
    check("(b) statements/request <= 2", str(counts["b"]["statements"]), counts["b"]["statements"] <= 2)
    check(
        "(f) statements constant (5 vs 20 lists)",
        f"{counts['f5']['statements']} vs {counts['f']['statements']}",
        counts["f5"]["statements"] == counts["f"]["statements"],
    )
    for k in "abcd":
        p99 = r[k]["latency_ms"]["p99"]
        check(f"({k}) p99 < 10 ms", f"{p99:.2f} ms", p99 < 10)
    return out


def markdown(report: dict) -> str:
    r, counts, m, s = report["results"], report["statements"], report["machine"], report["settings"]
    base = r["baseline"]["ok_rps"] or 1.0
    lines = [
        "# todo-api benchmark",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; {m['date']}; commit {m['git_commit']}; "
        f"{m['rustc']}; {m['wrk']}; load average before {' '.join(m['loadavg_before'])}, after {' '.join(m['loadavg_after'])}.",
        "",
        f"Settings: {s['durability']}; server {s['server_pinning']}, wrk {s['client_pinning']}; "
        f"wrk -t{s['wrk_threads']} -c{s['connections']}, closed loop, {s['warmup_s']:g} s warm-up + {s['duration_s']:g} s measured; "
        f"RUST_LOG=warn, AUTH_RATE_LIMIT_PER_SECOND=0, Argon2id m=19456 KiB t=2 p=1 "
        f"(one verify {report['argon2']['per_verify_ms']:.1f} ms single-threaded: best of "
        f"{len(report['argon2'].get('rounds_ms', [0]))} rounds of {report['argon2']['verifies']} verifies).",
        "",
        "| scenario | req/s (2xx) | vs baseline | p50 ms | p99 ms | non-2xx | socket errors | peak RSS MB | SQL statements/request | context switches/request |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for key, label, _ in SCENARIOS:
        x = r[key]
        e = x["errors"]
        sock = e["connect"] + e["read"] + e["write"] + e["timeout"]
        if key == "baseline":
            stmts = "0 (no database)"
        elif key == "f":
            stmts = f"{counts['f']['statements']} (20 lists), {counts['f5']['statements']} (5 lists)"
        elif key == "g":
            stmts = f"{counts['a']['statements']} (as (a))"
        elif key == "j":
            stmts = "as each request's own scenario"
        else:
            stmts = str(counts[key]["statements"])
        lines.append(
            f"| {label} | {x['ok_rps']:,.0f} | {100 * x['ok_rps'] / base:.1f}% | {x['latency_ms']['p50']:.2f} | "
            f"{x['latency_ms']['p99']:.2f} | {x['non2xx']} | {sock} | {x['peak_rss_mb']} | {stmts} | "
            f"{x.get('ctx_switches_per_request')} |"
        )
    g, a = r["g"], r["a"]
    lines += [
        "",
        f"(g): (a) idle {a['ok_rps']:,.0f} req/s, p99 {a['latency_ms']['p99']:.2f} ms; during the storm "
        f"{g['ok_rps']:,.0f} req/s, p99 {g['latency_ms']['p99']:.2f} ms; the storm itself (40 connections) "
        f"{g['storm']['ok_rps']:.1f} logins/s, p50 {g['storm']['latency_ms']['p50']:.0f} ms, "
        f"non-2xx {g['storm']['non2xx']}.",
        f"(d): {r['d'].get('mismatch', 0)} answers whose `completed` was not the value sent (every PATCH flips the stored value).",
        "Peak RSS: the server's VmHWM, reset at the start of each measured run (plus VmRSS samples); memory the "
        "allocator kept from an earlier scenario counts. Context switches: all server threads, during the measured "
        "run, divided by its requests ((g) includes the storm's logins).",
        "",
        "| budget target | measured | result |",
        "|---|---|---|",
    ]
    for b in report["budget"]:
        lines.append(f"| {b['target']} | {b['measured']} | {'PASS' if b['pass'] else 'FAIL'} |")
    lines += ["", "SQL statements of one request (after one warm-up request), from the `sqlx::query` log:", ""]
    for key in ("a", "b", "c", "d", "e", "f5", "f", "h", "i"):
        c = counts[key]
        lines.append(f"- {key}: {c['statements']}: " + "; ".join(f"`{x}`" for x in c["summaries"]))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server-bin", type=Path, required=True)
    p.add_argument("--baseline-bin", type=Path, required=True)
    p.add_argument("--argon2-bin", type=Path, required=True)
    p.add_argument("--tmpdir", type=Path, required=True)
    p.add_argument("--pids-file", type=Path, required=True)
    p.add_argument("--out-dir", type=Path, default=BENCH / "results")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--loadavg-before", default=None)
    p.add_argument("--git-commit", default=None, help="the commit the binaries were built from")
    p.add_argument(
        "--profile",
        default="",
        help="scenarios to profile with perf after their measured run, e.g. 'a,c' (or 'all')",
    )
    args = p.parse_args()
    args.loadavg_before = (args.loadavg_before or Path("/proc/loadavg").read_text()).split()[:3]
    wanted = {k for k in re.split(r"[,\s]+", args.profile.strip()) if k}
    args.profile = {"baseline", *"abcdefhij"} if "all" in wanted else wanted - {"g"}
    if args.profile and not shutil.which("perf"):
        log("perf is missing (Debian: apt-get install linux-perf): no profiles")
        args.profile = set()

    cores = os.cpu_count() or 1
    if cores >= 2 and shutil.which("taskset"):
        args.server_core, args.client_core = 0, 1
        server_cores = 1
    else:
        args.server_core = args.client_core = None
        server_cores = cores

    procs = Procs(args.pids_file)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log("timing one Argon2id verify (m=19456 KiB, t=2, p=1)")
        argon = json.loads(
            subprocess.run(
                pinned(args.server_core, [str(args.argon2_bin), "20"]), capture_output=True, text=True, check=True
            ).stdout
        )
        log(f"one verify: {argon['per_verify_ms']:.2f} ms")
        db = args.tmpdir / "bench.db"
        counts, data = counting_phase(args, procs, db)
        results = load_phase(args, procs, db, data)
    finally:
        procs.stop_all()

    sync = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
    durability = f"SQLite WAL, synchronous={sync}"
    if os.environ.get("BENCH_DATABASE_URL"):
        # scripts/bench.sh says where it put a local server's processes.
        where = os.environ.get("BENCH_POSTGRES_CORES") or "unpinned"
        where = "unpinned" if where == "unpinned" else f"on core {where}, beside wrk"
        durability = f"PostgreSQL (local server, default settings, {where})"
    report = {
        "machine": machine_info(args),
        "settings": {
            "durability": durability,
            "server_pinning": "core 0" if args.server_core is not None else "not pinned",
            "client_pinning": "core 1" if args.client_core is not None else "not pinned",
            "server_cores": server_cores,
            "wrk_threads": args.threads,
            "connections": args.connections,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "rust_log": "warn",
            "auth_rate_limit_per_second": 0,
            "argon2": {"memory_kib": 19456, "iterations": 2, "parallelism": 1, "algorithm": "Argon2id"},
            "seed": {
                "users": list(data["users"]),
                "read_list_tasks": len(data["task_ids"]),
                "graphql_lists": data["gql_lists"],
                "tasks_per_graphql_list": 20,
            },
        },
        "argon2": argon,
        "statements": counts,
        "results": results,
    }
    report["budget"] = budget(results, counts, argon, server_cores)
    md = markdown(report)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out_dir / "latest.md").write_text(md)
    print(md)
    log(f"wrote {args.out_dir / 'latest.md'} and {args.out_dir / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
