"""`make bench`: the service at ten times the real scale, measured against a floor.

1. Builds (or reuses) a PostgreSQL database seeded with ``seed_demo --scale 100``.
2. Serves it with gunicorn and the production settings (2 workers, persistent connections,
   DEBUG off, Redis cache when Redis answers) behind a header that stands in for the TLS proxy.
3. Drives each page with wrk on loopback: a warm-up, then several runs; medians quoted, and each
   figure set against the floor, ``/healthz`` (one trivial query), measured in the same run.
4. Times the aggregate SQL of ``/allocations/`` alone beside the page cold (one request at a
   time, alternating with runs of its SQL), for every combination of its six filters too; the
   full CSV (rows per second and the worker's memory growth), the PDFs, and ``make test``;
   prints ``EXPLAIN`` for the slowest queries of the pages.
5. Writes ``docs/benchmarks.md`` and prints it.

Environment: ``BENCH_DATABASE_URL`` (default: a ``fundtracker_bench`` database on the local
server; an existing one is migrated, not reseeded), ``BENCH_SCALE`` (100), ``BENCH_RUNS`` (3),
``BENCH_SECONDS`` (8 per run), ``BENCH_PORT`` (8765), ``BENCH_REDIS_URL`` (Redis database 7),
``BENCH_SKIP_TESTS=1`` to leave out the ``make test`` timing, ``BENCH_LABEL`` to name the run
in docs/benchmarks-history.md, where each run adds a line of its main figures.
"""

import datetime
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django_command import SESSION_FOR, Project

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fundtracker_bench"
)
SCALE = int(os.environ.get("BENCH_SCALE", "100"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 8
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
# The proxy in front of gunicorn terminates TLS and says so; production settings redirect
# plain HTTP otherwise.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
MIN_BIDS = 50_000

WRK_SCRIPT = r"""
local path_base = os.getenv("BENCH_PATH")
local bust = os.getenv("BENCH_BUST") == "1"
wrk.headers["X-Forwarded-Proto"] = "https"
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
local counter = 0
request = function()
  local path = path_base
  if bust then
    counter = counter + 1
    local sep = string.find(path, "?", 1, true) and "&" or "?"
    path = path .. sep .. "_bench=" .. tostring(math.random(1, 1000000000)) .. "-" .. counter
  end
  return wrk.format("GET", path)
end
local non2xx = 0
response = function(status, headers, body)
  if status ~= 200 then non2xx = non2xx + 1 end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p95_us\": %d, " ..
    "\"p99_us\": %d, \"errors\": %d, \"status_errors\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


PROJECT = Project(DATABASE_URL, "benchmark-only-secret-key-not-for-production-0123456789")
env_for, manage, shell = PROJECT.env, PROJECT.manage, PROJECT.shell


# --------------------------------------------------------------------------- set-up


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk:
        return wrk
    log("installing wrk from Debian's packages")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def ensure_database() -> dict:
    import psycopg2

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    started = time.monotonic()
    manage("migrate", "--no-input", "-v", "0")
    bids = int(shell("from bids.models import Bid; print(Bid.objects.count())"))
    seeded = None
    if bids < MIN_BIDS:
        log(f"seeding --scale {SCALE} (about 4 minutes on this machine)")
        seed_started = time.monotonic()
        manage("seed_demo", "--scale", str(SCALE), "--force")
        seeded = time.monotonic() - seed_started
    # VACUUM as well as ANALYZE: a freshly seeded table's visibility map is empty, and counts
    # answered from an index alone need it.
    shell(
        "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE'); print(1)"
    )
    counts = json.loads(
        shell(
            "import json\n"
            "from bids.models import *\n"
            "from forces.models import Force\n"
            "print(json.dumps({"
            "'rounds': FundingRound.objects.count(), 'forces': Force.objects.count(),"
            "'bids': Bid.objects.count(), 'reviews': Review.objects.count(),"
            "'awards': Award.objects.count(), 'tranches': Tranche.objects.count(),"
            "'payments': Payment.objects.count(), 'spend returns': SpendReturn.objects.count()}))"
        )
    )
    counts["_seed_seconds"] = seeded
    counts["_setup_seconds"] = time.monotonic() - started
    return counts


def fixtures() -> dict:
    """What the signed-in pages and the profiles need: a session, a force, an award, a bid."""
    code = r"""
import json
from django.contrib.auth.models import User
from django.db.models import Count, Q
from bids.models import Award, Bid, FundingRound

analyst = User.objects.get(username="analyst")
session_key = session_for(analyst)
award = Award.objects.published().select_related("bid").order_by("-total").first()
bid = Bid.objects.filter(status="under_review").annotate(n=Count("reviews")).order_by("-n").first()
# The panel pack holds a category's recommended bids: the largest such group of 150 to 250.
panel = (
    Bid.objects.filter(status="recommended")
    .values("round__slug", "spend_category__slug")
    .annotate(n=Count("id"))
    .filter(n__gte=150, n__lte=250)
    .order_by("-n")
    .first()
)
from bids.models import AllocationCell, FundingRound
from forces.models import Force
busiest = (
    AllocationCell.objects.filter(round__in=FundingRound.objects.published())
    .values("round", "round__slug", "round__fund__slug", "financial_year")
    .annotate(n=Count("id"))
    .order_by("-n")
    .first()
)
notts = Force.objects.select_related("region").get(slug="nottinghamshire")
category = (
    AllocationCell.objects.filter(round=busiest["round"])
    .values("category__slug")
    .annotate(n=Count("id"))
    .order_by("-n")
    .first()
)
print(json.dumps({
    "filters": {
        "fund": busiest["round__fund__slug"],
        "round": busiest["round__slug"],
        "financial_year": str(busiest["financial_year"]),
        "region": notts.region.slug,
        "force": notts.slug,
        "category": category["category__slug"],
    },
    "session": session_key,
    "award": award.bid.reference,
    "bid": bid.reference if bid else None,
    "panel_round": panel["round__slug"],
    "panel_category": panel["spend_category__slug"],
    "panel_bids": panel["n"],
}))
"""
    return json.loads(shell(SESSION_FOR + code))


def redis_answers() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
        return True
    except Exception:
        return False


class Server:
    """gunicorn with the production settings, two workers."""

    def __init__(self, cache_url: str):
        self.cache_url = cache_url
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "fundtracker.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=env_for("fundtracker.settings.production", CACHE_URL=self.cache_url),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request("/healthz"), timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                # Not listening yet, or too slow to answer on a busy machine.
                time.sleep(0.3)
        self.__exit__()
        raise SystemExit("gunicorn did not answer /healthz within a minute")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]


def request(path: str, cookie: str = "") -> urllib.request.Request:
    headers = dict(PROXY_HEADERS)
    if cookie:
        headers["Cookie"] = cookie
    return urllib.request.Request(BASE + path, headers=headers)


def fetch(path: str, cookie: str = "") -> tuple[int, bytes, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request(path, cookie), timeout=120) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, time.perf_counter() - started


# --------------------------------------------------------------------------- measuring


def wrk_run(wrk: str, script: Path, path: str, seconds: int, cookie="", bust=False) -> dict:
    env = dict(os.environ, BENCH_PATH=path, BENCH_COOKIE=cookie, BENCH_BUST="1" if bust else "0")
    result = subprocess.run(
        [
            wrk,
            "-t",
            "2",
            "-c",
            str(CONNECTIONS),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            BASE,
        ],
        env=env,
        check=True,
        text=True,
        capture_output=True,
    )
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("BENCH "))
    data = json.loads(line[len("BENCH ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def measure(wrk, script, name, path, cookie="", bust=False, warm=True) -> dict:
    status, body, _ = fetch(path, cookie)
    if status != 200:
        raise SystemExit(f"{name}: {path} answered {status}: {body[:300]!r}")
    if warm:
        wrk_run(wrk, script, path, 2, cookie, bust)
    runs = [wrk_run(wrk, script, path, SECONDS, cookie, bust) for _ in range(RUNS)]
    result = {
        "name": name,
        "path": path,
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p95_ms": statistics.median(r["p95_us"] for r in runs) / 1000,
        "errors": sum(r["errors"] + r["status_errors"] for r in runs),
        "runs": len(runs),
    }
    log(
        f"{name}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p95 {result['p95_ms']:.1f} ms, errors {result['errors']}"
    )
    return result


def filter_combinations(values: dict) -> list[str]:
    """``/allocations/`` under every combination of its six filters (64 pages)."""
    names = list(values)
    paths = []
    for chosen in itertools.product([False, True], repeat=len(names)):
        params = {name: values[name] for name, on in zip(names, chosen, strict=True) if on}
        paths.append("/allocations/" + (f"?{urlencode(params)}" if params else ""))
    return paths


class MemorySampler(threading.Thread):
    """Peak resident memory of the gunicorn workers, sampled every 10 ms."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.baseline = {pid: self.rss(pid) for pid in pids}
        self.peak = dict(self.baseline)
        self.running = True

    @staticmethod
    def rss(pid: int) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def run(self):
        while self.running:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], self.rss(pid))
            time.sleep(0.01)

    def growth(self) -> int:
        return max(self.peak[pid] - self.baseline[pid] for pid in self.pids)


def measure_csv(server: Server) -> dict:
    # Once to load the code paths, then the measured run.
    fetch("/allocations.csv?financial_year=2016")
    sampler = MemorySampler(server.workers())
    sampler.start()
    started = time.perf_counter()
    rows = 0
    with urllib.request.urlopen(request("/allocations.csv?_bench=full"), timeout=600) as response:
        for _ in response:
            rows += 1
    seconds = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    rows -= 1  # the header
    result = {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "memory_growth_mb": sampler.growth() / 2**20,
    }
    log(
        f"CSV: {rows:,} rows in {seconds:.2f} s = {result['rows_per_second']:,.0f} rows/s, "
        f"worker memory growth {result['memory_growth_mb']:.1f} MB"
    )
    return result


def measure_pdf(name: str, path: str, cookie: str = "") -> dict:
    times = []
    for attempt in range(3):
        status, body, seconds = fetch(
            f"{path}{'&' if '?' in path else '?'}_bench={attempt}", cookie
        )
        if status != 200 or not body.startswith(b"%PDF"):
            raise SystemExit(f"{name}: {path} answered {status}")
        times.append(seconds)
    # The first request renders from nothing (the cache was emptied when the server started);
    # the target is on that one, the slowest a user meets. Later ones may come from a cache.
    result = {
        "name": name,
        "path": path,
        "seconds": times[0],
        "repeat": statistics.median(times[1:]),
        "bytes": len(body),
    }
    log(
        f"{name}: first {times[0]:.2f} s, then {result['repeat']:.2f} s ({len(body) / 1024:.0f} KB)"
    )
    return result


def measure_signed_in_cold(name: str, path: str, cookie: str, rounds: int = 7) -> dict:
    """A signed-in page one request at a time, each just after the review pages' cached figures
    are dropped, as any change to a submitted bid or a review drops them."""
    import redis

    # The token the review pages keep their figures under (bids/derived.py), as the cache
    # names it in Redis: without it, every figure is worked out again.
    key = shell(
        "from django.core.cache import cache\n"
        "from bids.derived import REVIEW_FIGURES_KEY\n"
        "print(cache.make_key(REVIEW_FIGURES_KEY))",
        settings="fundtracker.settings.production",
        CACHE_URL=REDIS_URL,
    )
    client = redis.Redis.from_url(REDIS_URL)
    times = []
    for attempt in range(rounds):
        client.delete(key)
        status, _, seconds = fetch(f"{path}{'&' if '?' in path else '?'}_cold={attempt}", cookie)
        if status != 200:
            raise SystemExit(f"{name}: {path} answered {status}")
        times.append(seconds)
    result = {
        "name": name,
        "path": path,
        "p50_ms": statistics.median(times) * 1000,
        "max_ms": max(times) * 1000,
    }
    log(
        f"{name}, figures dropped first: p50 {result['p50_ms']:.1f} ms,"
        f" slowest {result['max_ms']:.1f} ms"
    )
    return result


SQL_PROBE = r"""
import json, statistics, time, urllib.request
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fundtracker import cache as public_cache
from django.contrib.auth.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

pages = json.loads(open(PAGES_FILE).read())
analyst = User.objects.get(username="analyst")
results = {}
slowest = []
def alone(sql):
    # A server-side cursor's DECLARE is timed as the query it declares.
    if sql.startswith("DECLARE "):
        return sql[sql.index(" FOR ") + len(" FOR "):]
    return sql


def run_alone(cursor, sql):
    started = time.perf_counter()
    cursor.execute(sql)
    if cursor.description:
        cursor.fetchall()
    return time.perf_counter() - started


def cold_page(path, attempt):
    # One request to the running server that misses the cache, timed from outside.
    bust = f"{'&' if '?' in path else '?'}_probe={time.time_ns()}-{attempt}"
    request = urllib.request.Request(BASE + path + bust, headers={"X-Forwarded-Proto": "https"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        assert response.status == 200, path
    return time.perf_counter() - started


for name, path, signed_in, timed in pages:
    client = Client(HTTP_HOST="localhost")
    if signed_in:
        client.force_login(analyst)
        # The session has passed the second factor, as the load test's session has.
        session = client.session
        device = TOTPDevice.objects.filter(user=analyst).first()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    cache.clear()
    # Loads code paths, and what the server keeps while nothing public changes (the dashboard's
    # filter lists, the review pages' figures), as the server under load has them.
    client.get(path, secure=True)
    # Then the page itself is missed, as the server's cold requests miss it (their query
    # strings are new), and its queries are captured.
    response_key = public_cache._response_key
    public_cache._response_key = lambda request: response_key(request) + ":probe"
    try:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
    finally:
        public_cache._response_key = response_key
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code} in the SQL probe")
    queries = [alone(q["sql"]) for q in captured.captured_queries]
    per_query = [[] for _ in queries]
    page_times = []
    with connection.cursor() as cursor:
        # A timed page alternates one cold request to the server with one run of its queries,
        # so both are measured under the same load from the rest of the machine.
        for attempt in range(timed or 3):
            if timed:
                page_times.append(cold_page(path, attempt))
            for index, sql in enumerate(queries):
                per_query[index].append(run_alone(cursor, sql))
    timings = [statistics.median(times) for times in per_query]
    for seconds, sql in zip(timings, queries):
        slowest.append((seconds, name, sql))
    sql_rounds = [sum(times[i] for times in per_query) for i in range(len(page_times))]
    results[name] = {
        "status": response.status_code,
        "queries": len(queries),
        "sql_ms": (statistics.median(sql_rounds) if timed else sum(timings)) * 1000,
        "page_ms": statistics.median(page_times) * 1000 if timed else None,
        "page_p95_ms": sorted(page_times)[round(0.95 * (len(page_times) - 1))] * 1000
        if timed
        else None,
    }
slowest.sort(reverse=True)
explains = []
seen = set()
with connection.cursor() as cursor:
    for seconds, name, sql in slowest:
        if sql in seen:
            continue
        seen.add(sql)
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        explains.append({"page": name, "ms": seconds * 1000, "sql": sql, "plan": plan})
        if len(explains) == 3:
            break
print("PROBE " + json.dumps({"pages": results, "explains": explains}))
"""


def probe_sql(pages: list[tuple[str, str, bool, int]]) -> dict:
    """Each page's queries, their count and their time run alone; EXPLAIN of the slowest.

    A page with a number of rounds (the last item) is also requested cold from the running
    server, each request alternating with a run of the page's queries; medians."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(pages, handle)
    code = f"PAGES_FILE = {handle.name!r}\nBASE = {BASE!r}\n" + SQL_PROBE
    line = shell(code, settings="fundtracker.settings.production", CACHE_URL="locmem://")
    os.unlink(handle.name)
    return json.loads(line.removeprefix("PROBE "))


def measure_tests() -> dict | None:
    """``make test``'s wall time, and whether it passed: a failure is printed and recorded, and
    the figures measured before it are still written."""
    if os.environ.get("BENCH_SKIP_TESTS") == "1":
        return None
    log("timing make test")
    started = time.monotonic()
    run = subprocess.run(
        ["make", "test"],
        cwd=ROOT,
        env=dict(
            os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:5432/fundtracker_benchtest"
        ),
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    passed = run.returncode == 0
    if not passed:
        print("\n".join((run.stdout + run.stderr).splitlines()[-60:]), file=sys.stderr)
    log(f"make test: {seconds:.0f} s, {'passed' if passed else 'FAILED'}")
    return {"seconds": seconds, "passed": passed}


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def machine() -> str:
    cpus = os.cpu_count()
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 2**20
    pg = subprocess.run(
        ["psql", "-At", "-h", "127.0.0.1", "-U", "postgres", "-c", "SHOW server_version"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (
        f"{platform.machine()}, {cpus} cores, {memory:.0f} GiB memory, Python "
        f"{platform.python_version()}, PostgreSQL {pg}, {platform.platform()}"
    )


def report(data: dict) -> str:
    floor = data["floor"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (scripts/bench.py); each run replaces this file.",
        "",
        f"- Date: {data['date']}",
        f"- Machine: {data['machine']}",
        f"- Server: gunicorn, 2 workers, production settings, persistent database connections,"
        f" cache {data['cache']}; load from wrk on loopback ({CONNECTIONS} connections, 2"
        f" threads), after a warm-up, median of {RUNS} runs of {SECONDS} s.",
        "- Data: "
        + ", ".join(f"{n:,} {k}" for k, n in data["counts"].items() if not k.startswith("_")),
        "",
        "## Requests per second and latency",
        "",
        "| page | req/s | p50 ms | p95 ms | ratio to floor | target | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in data["pages"]:
        ratio = row["rps"] / floor["rps"]
        target, ok = row.get("target", ("", True))
        lines.append(
            f"| {row['name']} (`{row['path']}`) | {row['rps']:,.0f} | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {ratio:.0%} | {target} | {verdict(ok) if target else ''} |"
        )
    if data.get("signed_in_cold"):
        lines += [
            "",
            "The signed-in pages keep some figures between requests (the queue's counts by status"
            " and filter lists, a bid's similar bids, the round's requests by year), dropped by"
            " any change to a submitted bid or a review; the page itself is built on every"
            " request. The same pages one request at a time, each just after those figures were"
            " dropped:",
            "",
        ]
        for row in data["signed_in_cold"]:
            lines.append(
                f"- {row['name']} (`{row['path']}`): p50 {row['p50_ms']:.1f} ms,"
                f" slowest {row['max_ms']:.1f} ms"
            )
    cold = data["cold"]
    probe_pages = data["probe"]["pages"]
    alone = probe_pages["/allocations/"]
    sql = alone["sql_ms"]
    queries = alone["queries"]
    combos = []
    for path in data["combinations"]:
        page = probe_pages[path]
        combos.append((page["page_ms"] / max(page["sql_ms"], 0.001), path, page))
    combos.sort(key=lambda item: item[0], reverse=True)
    worst_ratio = combos[0][0]
    worst_time = max(page["page_ms"] for _, _, page in combos)
    lines += [
        "",
        "## Cold `/allocations/` against its SQL",
        "",
        "The page's SQL is every query of one cold request, each run alone: a request that"
        " misses the page, after one that loaded what the server keeps while nothing public"
        " changes (the filters' lists), as the server's cold requests do. The page's cold"
        " time is one request at a time to the server, each a cache miss. The two alternate,"
        " nine times (five for each filter combination; medians), so both meet the same load"
        " from the rest of the machine and"
        " neither waits behind other requests. Under load (the table above) the cold p95 must"
        " stay within 500 ms.",
        "",
        f"- Aggregate SQL of the page run alone ({queries} queries): {sql:.1f} ms",
        f"- Cold page, one request at a time, each beside a run of its SQL: p50"
        f" {alone['page_ms']:.1f} ms ({alone['page_ms'] / max(sql, 0.001):.2f} × the SQL;"
        f" target ≤ 1.5 ×: {verdict(alone['page_ms'] <= 1.5 * sql)}), p95"
        f" {alone['page_p95_ms']:.1f} ms",
        f"- Cold page under load ({CONNECTIONS} connections): p50 {cold['p50_ms']:.1f} ms,"
        f" p95 {cold['p95_ms']:.1f} ms (target ≤ 500 ms: {verdict(cold['p95_ms'] <= 500)})",
        f"- Every combination of the six filters ({len(combos)} pages, measured the same"
        f" way): slowest {worst_time:.1f} ms (target ≤ 500 ms:"
        f" {verdict(worst_time <= 500)}), largest ratio to its SQL {worst_ratio:.2f} × (target"
        f" ≤ 1.5 ×: {verdict(worst_ratio <= 1.5)}). The ten largest ratios:",
        "",
        "| filters | queries | SQL alone, ms | cold p50, ms | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for ratio, path, page in combos[:10]:
        query = path.partition("?")[2] or "(none)"
        lines.append(
            f"| `{query}` | {page['queries']} | {page['sql_ms']:.1f} | {page['page_ms']:.1f} |"
            f" {ratio:.2f} |"
        )
    lines += [
        "",
        "## Downloads",
        "",
        f"- `/allocations.csv`, all tranches: {data['csv']['rows']:,} rows in"
        f" {data['csv']['seconds']:.2f} s = {data['csv']['rows_per_second']:,.0f} rows/s (target ≥"
        f" 50,000: {verdict(data['csv']['rows_per_second'] >= 50_000)}); worker memory growth"
        f" {data['csv']['memory_growth_mb']:.1f} MB (target < 50 MB:"
        f" {verdict(data['csv']['memory_growth_mb'] < 50)})",
    ]
    for pdf in data["pdfs"]:
        lines.append(
            f"- {pdf['name']} (`{pdf['path']}`): first render {pdf['seconds']:.2f} s"
            f" (then {pdf.get('repeat', pdf['seconds']):.2f} s),"
            f" {pdf['bytes'] / 1024:.0f} KB (target ≤ 3 s: {verdict(pdf['seconds'] <= 3)})"
        )
    if data["tests"] is not None:
        outcome = "" if data["tests"]["passed"] else " (**failed**: the run's log has the failures)"
        lines.append(f"- `make test` wall time: {data['tests']['seconds']:.0f} s{outcome}")
    lines += [
        "",
        "## Queries per page (full data set)",
        "",
        "Each page's queries as the server runs them while nothing public changes: the first"
        " request after a change reads the filters' lists or the review figures again (the"
        " tests pin that count too).",
        "",
        "| page | queries | SQL run alone, ms |",
        "|---|---:|---:|",
    ]
    for name, row in data["probe"]["pages"].items():
        if name in data["combinations"] and name != "/allocations/":
            continue  # in the table of filter combinations above
        lines.append(f"| `{name}` | {row['queries']} | {row['sql_ms']:.1f} |")
    lines += ["", "## The three slowest queries", ""]
    for item in data["probe"]["explains"]:
        lines += [
            f"### {item['ms']:.1f} ms, from `{item['page']}`",
            "",
            "```sql",
            item["sql"],
            "```",
            "",
            "```",
            item["plan"],
            "```",
            "",
        ]
    history = ROOT / "docs" / "benchmarks-history.md"
    if history.exists():
        lines += ["", history.read_text().strip(), ""]
    return "\n".join(lines) + "\n"


HISTORY_HEADER = (
    "| date | commit | label | floor req/s | /allocations/ cold alone p50 ms | its SQL ms |"
    " cold p95 under load ms | slowest filter combination ms | CSV rows/s | CSV memory MB |"
    " report PDF s |"
)


def record_history(data: dict) -> None:
    """One line per run in docs/benchmarks-history.md, under the design notes written by hand,
    so every change shows its figures before and after."""
    path = ROOT / "docs" / "benchmarks-history.md"
    text = path.read_text() if path.exists() else "# Benchmark history\n"
    if HISTORY_HEADER not in text:
        text = text.rstrip() + "\n\n## Runs\n\nOne line per `make bench` (label from"
        text += " `BENCH_LABEL`).\n\n" + HISTORY_HEADER + "\n" + "|---" * 11 + "|\n"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    pdf = next((p for p in data["pdfs"] if p["path"].startswith("/allocations/")), None)
    worst = max(data["probe"]["pages"][path]["page_ms"] for path in data["combinations"])
    pdf_seconds = f"{pdf['seconds']:.2f}" if pdf else "-"
    line = (
        f"| {data['date']} {time.strftime('%H:%M')} | {commit or '-'} |"
        f" {os.environ.get('BENCH_LABEL', '')} | {data['floor']['rps']:,.0f} |"
        f" {data['probe']['pages']['/allocations/']['page_ms']:.1f} |"
        f" {data['probe']['pages']['/allocations/']['sql_ms']:.1f} |"
        f" {data['cold']['p95_ms']:.1f} | {worst:.1f} |"
        f" {data['csv']['rows_per_second']:,.0f} | {data['csv']['memory_growth_mb']:.1f} |"
        f" {pdf_seconds} |"
    )
    path.write_text(text.rstrip() + "\n" + line + "\n")


def main() -> None:
    os.chdir(ROOT)
    wrk = ensure_wrk()
    started = time.monotonic()
    log(f"database {DATABASE_URL}")
    counts = ensure_database()
    log("data: " + ", ".join(f"{n:,} {k}" for k, n in counts.items() if not k.startswith("_")))
    manage("collectstatic", "--no-input", "-v", "0", settings="fundtracker.settings.production")
    info = fixtures()
    cookie = f"sessionid={info['session']}"
    cache_url = REDIS_URL if redis_answers() else "locmem://"
    if cache_url.startswith("redis"):
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    script = Path(tempfile.mkdtemp()) / "bench.lua"
    script.write_text(WRK_SCRIPT)

    warm_target = lambda row, floor: (  # noqa: E731
        "≥ 50 % of floor",
        row["rps"] >= 0.5 * floor["rps"],
    )
    public = [
        ("/allocations/ (warm)", "/allocations/"),
        ("API allocations by category", "/api/v1/allocations/?group_by=category"),
        ("API awards", "/api/v1/awards/"),
        ("Forces", "/forces/"),
        ("A force", "/forces/nottinghamshire/"),
        ("An award", f"/awards/{info['award']}/"),
    ]
    signed_in = [
        ("Review queue (50 rows)", "/review/"),
        ("Review bid page", f"/review/bids/{info['bid']}/"),
    ]
    with Server(cache_url) as server:
        log(f"gunicorn up (workers {server.workers()}), cache {cache_url}")
        floor = measure(wrk, script, "Floor: /healthz", "/healthz")
        pages = [floor]
        for name, path in public:
            row = measure(wrk, script, name, path)
            row["target"] = warm_target(row, floor)
            pages.append(row)
        cold = measure(wrk, script, "/allocations/ (cold)", "/allocations/", bust=True)
        cold["target"] = ("p95 ≤ 500 ms", cold["p95_ms"] <= 500)
        pages.append(cold)
        for name, path in signed_in:
            row = measure(wrk, script, name, path, cookie=cookie)
            row["target"] = ("p95 ≤ 150 ms", row["p95_ms"] <= 150)
            pages.append(row)
        signed_in_cold = (
            [measure_signed_in_cold(name, path, cookie) for name, path in signed_in]
            if cache_url.startswith("redis")
            else []
        )
        csv = measure_csv(server)
        panel = (
            f"/review/rounds/{info['panel_round']}/panel-pack.pdf?category={info['panel_category']}"
        )
        pdfs = [
            measure_pdf("Allocations report PDF", "/allocations/report.pdf"),
            measure_pdf(f"Panel pack PDF ({info['panel_bids']} bids)", panel, cookie),
        ]
        combinations = filter_combinations(info["filters"])
        log(
            f"timing each page's SQL alone, and the dashboard cold under {len(combinations)}"
            " filter combinations beside its SQL"
        )
        probe = probe_sql(
            [(path, path, False, 9 if path == "/allocations/" else 0) for _, path in public]
            + [(path, path, True, 0) for _, path in signed_in]
            + [(path, path, False, 5) for path in combinations if path != "/allocations/"]
        )
        alone = probe["pages"]["/allocations/"]
        log(
            f"/allocations/ cold, one request at a time: p50 {alone['page_ms']:.1f} ms beside"
            f" its SQL alone {alone['sql_ms']:.1f} ms"
        )
    tests = measure_tests()
    data = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "cache": "Redis" if cache_url.startswith("redis") else "local memory",
        "counts": counts,
        "floor": floor,
        "pages": pages,
        "cold": cold,
        "signed_in_cold": signed_in_cold,
        "combinations": combinations,
        "csv": csv,
        "pdfs": pdfs,
        "probe": probe,
        "tests": tests,
    }
    record_history(data)
    text = report(data)
    (ROOT / "docs" / "benchmarks.md").write_text(text)
    print(text)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min")
    if tests is not None and not tests["passed"]:
        sys.exit("make test failed: its last lines are above")


if __name__ == "__main__":
    main()
