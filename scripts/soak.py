"""`make soak`: mixed traffic for five minutes, PostgreSQL restarted under it, every write counted.

1. Starts a private PostgreSQL cluster (``initdb`` into a temporary folder, its own port), so
   that restarting it disturbs no other database on the machine; builds a database there with
   ``seed_demo`` at the default scale.
2. Serves it with gunicorn and the production settings (2 workers, persistent connections with
   health checks, DEBUG off, Redis cache when Redis answers) behind a header that stands in for
   the TLS proxy.
3. Drives mixed traffic from threads of virtual users: the public pages and the API (some
   requests with a query string the cache has not seen, so that they reach the database); PCC
   office users filing the spend returns their awards are due, through the portal's form; analysts
   declaring their interests, saving draft scores and submitting reviews through the scoring
   form. Each user gets a CSRF token from the form page, as a browser does.
4. At three fifths of the run, stops PostgreSQL (``pg_ctl stop -m fast``, which ends every
   connection as a restart does), waits, starts it again, and watches ``/healthz``. One analyst
   saves drafts back to back from just before the stop to just after the restart, so that
   transactions are under way when the connections go.
5. Afterwards checks the database: every write the service acknowledged is there, and no
   service left half its work (a spend return without its event, a submitted review without
   all its scores or its event, an event without what it records, a review holding parts of
   two writes).
6. Writes the figures into ``docs/reliability.md`` (between the ``soak`` markers) and prints
   them. Exits 1 when a check fails.

Environment: ``SOAK_SECONDS`` (300), ``SOAK_USERS`` (6 virtual users), ``SOAK_OUTAGE_SECONDS``
(5, how long PostgreSQL stays down), ``SOAK_PORT`` (8766, gunicorn), ``SOAK_PG_PORT`` (55432,
the private cluster), ``SOAK_PG_BIN`` (PostgreSQL's programs; default: the newest under
``/usr/lib/postgresql``), ``SOAK_REDIS_URL`` (``redis://127.0.0.1:6379/6``; flushed at the
start), ``SOAK_SEND_BACK`` (150 returns sent back to be corrected), ``SOAK_KEEP=1`` to leave the
cluster's folder and log in place for a post-mortem.
"""

import contextlib
import datetime
import http.client
import json
import os
import platform
import pwd
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django_command import SESSION_FOR, Project

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PORT = int(os.environ.get("SOAK_PORT", "8766"))
PG_PORT = int(os.environ.get("SOAK_PG_PORT", "55432"))
SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
USERS = int(os.environ.get("SOAK_USERS", "6"))
OUTAGE_SECONDS = float(os.environ.get("SOAK_OUTAGE_SECONDS", "5"))
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/6")
DATABASE_NAME = "sd_soak"
DATABASE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE_NAME}"
HOST = f"127.0.0.1:{PORT}"
# The proxy in front of gunicorn terminates TLS and says so; production settings redirect
# plain HTTP otherwise, and the CSRF check compares the Origin with the HTTPS address.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Origin": f"https://{HOST}"}
# The burst of drafts starts this long before PostgreSQL stops and ends this long after it is back.
BURST_LEAD_SECONDS = 2
# The service must answer /healthz again this soon after PostgreSQL accepts connections.
RECOVERY_LIMIT_SECONDS = 10
# Pause between one virtual user's requests: a busy person, not a flood (the machine is shared).
THINK_SECONDS = (0.02, 0.15)
UNAVAILABLE_HEADING = b"Sorry, the service is unavailable"
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# Returns waiting to be checked that the Home Office sends back before the run, so that the
# offices have corrections to send all through the run, not only the few quarters unreported.
SEND_BACK = int(os.environ.get("SOAK_SEND_BACK", "150"))
REPORT = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


PROJECT = Project(DATABASE_URL, "soak-test-only-secret-key-not-for-production-0123456789abcdef")
env_for, manage, shell = PROJECT.env, PROJECT.manage, PROJECT.shell


# --------------------------------------------------------------------------- PostgreSQL


class Cluster:
    """A PostgreSQL cluster of our own in a temporary folder, run as the ``postgres`` user
    when this script runs as root (``initdb`` refuses root)."""

    def __init__(self, port: int):
        self.port = port
        self.bin = Path(os.environ.get("SOAK_PG_BIN") or self._newest_bin())
        self.folder = Path(tempfile.mkdtemp(prefix="fundtracker-soak-"))
        self.data = self.folder / "data"
        self.as_user = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @staticmethod
    def _newest_bin() -> str:
        found = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
        )
        if not found:
            raise SystemExit("No PostgreSQL programs under /usr/lib/postgresql: set SOAK_PG_BIN.")
        return str(found[-1].parent)

    def run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self.as_user, str(self.bin / program), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode:
            raise subprocess.CalledProcessError(
                result.returncode, f"{program} {' '.join(args)}", stderr=result.stderr
            )

    def pg_ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), *args)

    def __enter__(self):
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c max_connections=40"
        )
        self.pg_ctl("-l", str(self.folder / "postgresql.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        # "fast" ends every session at once, as a restart or a fail-over does.
        self.pg_ctl("-m", "fast", "-w", "stop")

    def __exit__(self, *exc):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        if os.environ.get("SOAK_KEEP") == "1":
            log(f"cluster kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True
        ).stdout
        # "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        return out.split()[2] if out else "?"


def create_database() -> dict:
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=PG_PORT, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    admin.close()
    started = time.monotonic()
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--force", "-v", "0")
    shell("from django.db import connection; connection.cursor().execute('ANALYZE'); print(1)")
    counts = json.loads(shell(COUNTS))
    log(
        f"database ready in {time.monotonic() - started:.0f} s: "
        + ", ".join(f"{n:,} {k}" for k, n in counts.items())
    )
    return counts


COUNTS = r"""
import json
from bids.models import Award, Bid, BidEvent, Review, SpendReturn, Tranche
print(json.dumps({
    "bids": Bid.objects.count(), "reviews": Review.objects.count(),
    "awards": Award.objects.count(), "tranches": Tranche.objects.count(),
    "spend returns": SpendReturn.objects.count(), "events": BidEvent.objects.count(),
}))
"""


# --------------------------------------------------------------------------- the work to do


WORK = r"""
import json
from django.db.models import Q
from django.utils import timezone
from django.contrib.auth.models import User
from bids.models import Award, Bid, Criterion, Review, SpendReturn
from bids.permissions import ANALYSTS
from bids.services import spend_return_verify
from bids.views.portal.following import spend_returns_due
from forces.models import Force, OfficeMembership, Region

# The Home Office sends back some of the returns still waiting to be checked, so that the
# offices have corrections to send as well as the quarters they have not reported.
analyst = User.objects.get(username="analyst")
waiting = SpendReturn.objects.filter(
    status=SpendReturn.Status.SUBMITTED, tranche__status__in=["released", "closed"]
).order_by("pk")[:SEND_BACK]
for spend_return in waiting:
    spend_return_verify(
        spend_return=spend_return, by=analyst, accept=False,
        reason="Say what the money bought, item by item.",
    )

today = timezone.localdate()
spend = []
for membership in OfficeMembership.objects.select_related("user", "force"):
    # Quarters never reported and returns the Home Office sent back to be corrected.
    for due in spend_returns_due(membership.force_id, today):
        spend.append({
            "user": membership.user.username, "session": session_for(membership.user),
            "bid": due.tranche.award.bid.reference, "year": due.tranche.financial_year,
            "quarter": due.quarter,
        })

criteria = {}
for c in Criterion.objects.order_by("round_id", "order", "pk"):
    criteria.setdefault(c.round_id, []).append({"id": c.pk, "max": c.max_score})
reviews = []
open_reviews = (
    Review.objects.filter(
        reviewer__groups__name=ANALYSTS, reviewer__is_active=True, submitted_at=None,
        bid__status__in=[Bid.Status.UNDER_REVIEW, Bid.Status.CLARIFICATION_REQUESTED],
    )
    .filter(Q(conflict_declared_at=None) | Q(has_conflict=False))
    .select_related("reviewer", "bid")
)
for review in open_reviews:
    if review.bid.round_id not in criteria:
        continue
    reviews.append({
        "user": review.reviewer.username, "session": session_for(review.reviewer),
        "review": review.pk, "bid": review.bid.reference,
        "declared": review.conflict_declared_at is not None,
        "criteria": criteria[review.bid.round_id],
    })

award = Award.objects.published().select_related("bid")
print(json.dumps({
    "spend": spend,
    "reviews": reviews,
    "forces": list(Force.objects.values_list("slug", flat=True)),
    "regions": list(Region.objects.values_list("slug", flat=True)),
    "awards": list(award.values_list("bid__reference", flat=True)[:200]),
    "started": timezone.now().isoformat(),
}))
"""


# --------------------------------------------------------------------------- HTTP


@dataclass
class Result:
    kind: str
    status: int  # 0: no answer at all (connection refused, reset, timed out)
    started: float
    ended: float
    plain_503: bool = False

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class Browser:
    """One virtual user's connection and cookies; every answer recorded."""

    def __init__(self, results: list, lock: threading.Lock, session: str = ""):
        self.cookies = {"sessionid": session} if session else {}
        self.results = results
        self.lock = lock
        self.connection = None
        self.form_token = ""

    def request(self, kind: str, method: str, path: str, form: dict | None = None):
        """(status, headers, body); status 0 when nothing came back."""
        headers = dict(PROXY_HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{HOST}{path}"
        started = time.monotonic()
        status, answer_headers, content = 0, {}, b""
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(HOST, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
            status = response.status
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    if str(morsel["max-age"]) == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.coded_value
            if response.will_close:
                self.close()
            # The token a browser sends is the one in the form it fills in.
            token = CSRF_INPUT.search(content)
            if token:
                self.form_token = token.group(1).decode()
        except (OSError, http.client.HTTPException):
            self.close()
        ended = time.monotonic()
        plain = status == 503 and (
            UNAVAILABLE_HEADING in content
            or (path.startswith("/api/") and b"cannot reach its database" in content)
            or (path == "/healthz" and content == b"database unavailable\n")
        )
        with self.lock:
            self.results.append(Result(kind, status, started, ended, plain))
        return status, answer_headers, content

    def get(self, kind: str, path: str):
        return self.request(kind, "GET", path)

    def post(self, kind: str, path: str, form: dict):
        return self.request(kind, "POST", path, {**form, "csrfmiddlewaretoken": self.form_token})

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def location(headers: dict) -> str:
    """Where a redirect leads, as a path with its fragment."""
    parts = urlsplit(headers.get("location", ""))
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    work: dict
    deadline: float
    results: list = field(default_factory=list)
    acknowledged: list = field(default_factory=list)
    attempted: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def __post_init__(self):
        self.spend = list(self.work["spend"])
        self.reviews = list(self.work["reviews"])
        random.Random(2016).shuffle(self.spend)
        random.Random(2017).shuffle(self.reviews)
        # One review is kept for the burst of drafts around the outage.
        declared = [r for r in self.reviews if r["declared"]]
        self.burst_item = (declared or self.reviews or [None])[0]
        if self.burst_item is not None:
            self.reviews.remove(self.burst_item)

    def take(self, queue: list):
        with self.lock:
            return queue.pop() if queue else None

    def token(self, what: str) -> str:
        with self.lock:
            self.counter += 1
            return f"Soak {what} {self.counter} {uuid.uuid4().hex[:8]}"

    def note(self, record: dict, acknowledged: bool, began: float) -> None:
        record["began"], record["at"] = began, time.monotonic()
        with self.lock:
            self.attempted.append(record)
            if acknowledged:
                self.acknowledged.append(record)

    # ---- the public

    def public_paths(self, rng: random.Random) -> tuple[str, str]:
        w = self.work
        year = rng.choice([2016, 2017, 2018])
        choices = [
            ("page", "/"),
            ("page", "/allocations/"),
            ("page", f"/allocations/?financial_year={year}"),
            ("page", "/forces/"),
            ("page", f"/forces/{rng.choice(w['forces'])}/"),
            ("page", f"/regions/{rng.choice(w['regions'])}/"),
            ("page", "/awards/"),
            ("api", "/api/v1/awards/"),
            ("api", f"/api/v1/awards/?financial_year={year}"),
            ("api", "/api/v1/allocations/?group_by=category"),
            ("api", "/api/v1/allocations/?group_by=region"),
        ]
        if w["awards"]:
            choices.append(("page", f"/awards/{rng.choice(w['awards'])}/"))
        kind, path = rng.choice(choices)
        # One in three asks for something the cache has probably not seen, so that it reaches
        # the database (the cache keys on the whole query string). The API refuses parameters
        # it does not know, so it gets a filter or a page size instead.
        if rng.random() < 1 / 3:
            if path.startswith("/api/v1/awards/"):
                extra = f"page_size={rng.randint(1, 500)}"
            elif path.startswith("/api/"):
                extra = f"force={rng.choice(w['forces'])}"
            else:
                extra = f"soak={rng.getrandbits(40)}"
            path += ("&" if "?" in path else "?") + extra
        return f"public {kind}", path

    def visitor(self, seed: int) -> None:
        rng = random.Random(seed)
        browser = Browser(self.results, self.lock)
        while time.monotonic() < self.deadline:
            kind, path = self.public_paths(rng)
            browser.get(kind, path)
            time.sleep(rng.uniform(*THINK_SECONDS))

    # ---- PCC offices and analysts

    def paced(self, rng: random.Random, interval: float, browser: "Browser", pages) -> None:
        """Read ``pages`` until the next write is due: the work is spread over the whole run,
        so that writes are under way when PostgreSQL goes."""
        until = min(time.monotonic() + interval * rng.uniform(0.5, 1.5), self.deadline)
        while time.monotonic() < until:
            kind, path = rng.choice(pages)
            browser.get(kind, path)
            time.sleep(rng.uniform(*THINK_SECONDS))

    def file_spend_return(self, item: dict, browser: "Browser", rng: random.Random) -> None:
        spend_page = f"/portal/bids/{item['bid']}/spend/"
        form_page = f"{spend_page}{item['year']}/q{item['quarter']}/"
        if browser.get("office page", spend_page)[0] != 200:
            return
        if browser.get("office page", form_page)[0] != 200:
            return
        amount = f"{rng.randint(0, 250_000)}.{rng.randint(0, 99):02d}"
        narrative = self.token("spend")
        began = time.monotonic()
        status, headers, _ = browser.post(
            "office write", form_page, {"amount_spent": amount, "narrative": narrative}
        )
        ok = status == 302 and location(headers) == f"{spend_page}#tranche-{item['year']}"
        self.note(
            {
                "kind": "spend return",
                "bid": item["bid"],
                "year": item["year"],
                "quarter": item["quarter"],
                "amount": amount,
                "narrative": narrative,
                "status": status,
            },
            ok,
            began,
        )

    def office(self, seed: int, interval: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < self.deadline:
            item = self.take(self.spend)
            if item is None:
                # Every return due is in: keep reading, as an office does.
                kind, path = self.public_paths(rng)
                Browser(self.results, self.lock).get(kind, path)
                time.sleep(rng.uniform(*THINK_SECONDS))
                continue
            browser = Browser(self.results, self.lock, item["session"])
            self.file_spend_return(item, browser, rng)
            spend_page = f"/portal/bids/{item['bid']}/spend/"
            pages = [("office page", "/portal/"), ("office page", spend_page)]
            self.paced(rng, interval, browser, pages)
            browser.close()

    def declare(self, item: dict, browser: "Browser") -> bool:
        bid_page = f"/review/bids/{item['bid']}/"
        page = f"{bid_page}review/interests/"
        if browser.get("analyst page", page)[0] != 200:
            return False
        began = time.monotonic()
        status, headers, _ = browser.post("analyst write", page, {"has_conflict": "no"})
        ok = status == 302 and location(headers) == f"{bid_page}review/"
        record = {"kind": "declaration", "review": item["review"], "status": status}
        self.note(record, ok, began)
        return ok

    def score(self, item: dict, browser: "Browser", rng: random.Random, submitting: bool) -> bool:
        """Save a draft or submit, through the scoring form; whether the service said it did."""
        bid_page = f"/review/bids/{item['bid']}/"
        score_page = f"{bid_page}review/"
        scores = {c["id"]: rng.randint(0, c["max"]) for c in item["criteria"]}
        # A draft leaves the last criterion out; the submission scores every one.
        scored = scores if submitting else dict(list(scores.items())[:-1])
        comments = self.token("submission" if submitting else "draft")
        form = {"recommendation": rng.choice(["fund", "fund_with_conditions", "do_not_fund"])}
        for criterion, value in scored.items():
            form[f"score_{criterion}"] = str(value)
            # The write's own text in every row it touches: a review whose rows disagree was
            # half-written.
            form[f"justification_{criterion}"] = f"Justified ({comments})."
        form["comments"] = comments
        if submitting:
            form.update(action="submit", confirm="on")
        began = time.monotonic()
        status, headers, _ = browser.post("analyst write", score_page, form)
        if submitting:
            ok = status == 302 and location(headers) == f"{bid_page}#reviews"
        else:
            # A refusal redirects to the same page, so the message says which it was.
            ok = status == 302 and location(headers) == score_page
            if ok:
                follow, _, page = browser.get("analyst page", score_page)
                ok = follow == 200 and b"Your draft review has been saved" in page
        record = {
            "kind": "review submission" if submitting else "draft review",
            "review": item["review"],
            "comments": comments,
            "scores": {str(k): v for k, v in scored.items()},
            "status": status,
        }
        self.note(record, ok, began)
        return ok

    def review(self, item: dict, browser: "Browser", rng: random.Random, interval: float):
        bid_page = f"/review/bids/{item['bid']}/"
        score_page = f"{bid_page}review/"
        pages = [("analyst page", "/review/"), ("analyst page", bid_page)]
        if not item["declared"]:
            if not self.declare(item, browser):
                return
            self.paced(rng, interval, browser, pages)
        drafts = rng.randint(1, 3)
        for number in range(drafts + 1):
            if time.monotonic() >= self.deadline:
                return
            if browser.get("analyst page", score_page)[0] != 200:
                return
            if not self.score(item, browser, rng, submitting=number == drafts):
                return
            self.paced(rng, interval, browser, pages)

    def burst(self, item: dict, stop: threading.Event) -> None:
        """Draft after draft with no pause from just before PostgreSQL stops until just after
        it is back, then the submission: transactions are under way when the connections go,
        and keep arriving while there is no database."""
        rng = random.Random(2026)
        browser = Browser(self.results, self.lock, item["session"])
        score_page = f"/review/bids/{item['bid']}/review/"
        if not item["declared"] and not self.declare(item, browser):
            return
        # The form page sets the CSRF cookie; the token stays good through the outage.
        browser.get("analyst page", score_page)
        while not stop.is_set():
            if not self.score(item, browser, rng, submitting=False):
                # Refused: try again shortly, as a person would, not hundreds of times a second.
                time.sleep(0.2)
        while time.monotonic() < self.deadline:
            if self.score(item, browser, rng, submitting=True):
                break
            time.sleep(0.5)
        browser.close()

    def analyst(self, seed: int, interval: float) -> None:
        rng = random.Random(seed)
        while time.monotonic() < self.deadline:
            item = self.take(self.reviews)
            if item is None:
                # Every review is in: keep reading, as an analyst does.
                kind, path = self.public_paths(rng)
                Browser(self.results, self.lock).get(kind, path)
                time.sleep(rng.uniform(*THINK_SECONDS))
                continue
            browser = Browser(self.results, self.lock, item["session"])
            self.review(item, browser, rng, interval)
            browser.close()


class HealthWatch(threading.Thread):
    """``/healthz`` every 100 ms: when the service noticed the outage and when it was back."""

    def __init__(self, deadline: float):
        super().__init__(daemon=True)
        self.deadline = deadline
        self.samples: list[tuple[float, int]] = []
        self.results: list[Result] = []

    def run(self):
        browser = Browser(self.results, threading.Lock())
        while time.monotonic() < self.deadline:
            status, _, _ = browser.get("health check", "/healthz")
            self.samples.append((time.monotonic(), status))
            time.sleep(0.1)


# --------------------------------------------------------------------------- the server


class Server:
    """gunicorn with the production settings, two workers."""

    def __init__(self, cache_url: str):
        self.cache_url = cache_url
        self.process = None
        self.log = None

    def __enter__(self):
        self.log = tempfile.NamedTemporaryFile(
            "w+", prefix="soak-gunicorn-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "fundtracker.wsgi",
                "--workers",
                "2",
                "--bind",
                HOST,
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env_for("fundtracker.settings.production", CACHE_URL=self.cache_url),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        browser = Browser([], threading.Lock())
        while time.monotonic() < deadline:
            if browser.get("start", "/healthz")[0] == 200:
                return self
            time.sleep(0.3)
        raise SystemExit("gunicorn did not answer /healthz within a minute")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def errors_logged(self) -> list[str]:
        """Lines of the server's log that speak of a failure other than the database's."""
        self.log.flush()
        self.log.seek(0)
        return [
            line.rstrip()
            for line in self.log
            if re.search(r"Traceback|Internal Server Error|WORKER TIMEOUT", line)
        ]


def redis_cache_url() -> str:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
        client.flushdb()
        return REDIS_URL
    except Exception:
        return "locmem://"


# --------------------------------------------------------------------------- checks


CHECK = r"""
import json
from collections import Counter
from decimal import Decimal
from django.db.models import F
from django.utils.dateparse import parse_datetime
from bids.models import BidEvent, Criterion, Review, Score, SpendReturn
from fundtracker.years import fy_label

data = json.load(open(CHECK_FILE))
started = parse_datetime(data["started"])
acked = data["acknowledged"]
attempted = data["attempted"]
missing = []

# Every write the service acknowledged is there, as it was sent.
for w in acked:
    if w["kind"] == "spend return":
        row = SpendReturn.objects.filter(
            tranche__award__bid__reference=w["bid"], tranche__financial_year=w["year"],
            quarter=w["quarter"],
        ).first()
        amount = Decimal(w["amount"])
        if row is None or row.narrative != w["narrative"] or row.amount_spent != amount:
            missing.append(w)
    elif w["kind"] == "declaration":
        row = Review.objects.get(pk=w["review"])
        if row.conflict_declared_at is None or row.has_conflict:
            missing.append(w)
    elif w["kind"] == "review submission":
        row = Review.objects.get(pk=w["review"])
        scores = {str(s.criterion_id): s.value for s in row.scores.all()}
        if row.submitted_at is None or row.comments != w["comments"] or scores != w["scores"]:
            missing.append(w)

# A draft may be overwritten by a later write of the same reviewer, acknowledged or not (the
# answer to a write that committed can be lost in the outage): the review holds the last
# acknowledged draft or something sent after it.
sent = {}
for w in attempted:
    if w["kind"] in ("draft review", "review submission"):
        sent.setdefault(w["review"], []).append(w["comments"])
for w in acked:
    if w["kind"] == "draft review":
        later = sent[w["review"]][sent[w["review"]].index(w["comments"]):]
        if Review.objects.get(pk=w["review"]).comments not in later:
            missing.append(w)

broken = []
# A spend return sent during the soak has exactly one event saying so, and every such event
# has its return.
returns = SpendReturn.objects.filter(submitted_at__gte=started).select_related(
    "tranche__award__bid"
)
events = Counter(
    (e.bid_id, e.note.split(":")[0])
    for e in BidEvent.objects.filter(at__gte=started, action=BidEvent.Action.SPEND_RETURN_SUBMITTED)
)
for r in returns:
    key = (r.tranche.award.bid_id, f"{fy_label(r.tranche.financial_year)} Q{r.quarter}")
    if events.pop(key, 0) != 1:
        broken.append(f"spend return {r.pk} without exactly one event")
broken += [f"spend event without its return: {key}" for key in events]

# A review submitted during the soak has every criterion scored and justified, a
# recommendation and its event; every submission event has its submitted review.
submitted = Review.objects.filter(submitted_at__gte=started).select_related("bid")
events = Counter(
    (e.bid_id, e.actor_id)
    for e in BidEvent.objects.filter(at__gte=started, action=BidEvent.Action.REVIEW_SUBMITTED)
)
criteria = Counter(Criterion.objects.values_list("round_id", flat=True))
for r in submitted:
    scores = list(r.scores.all())
    if len(scores) != criteria[r.bid.round_id] or any(not s.justification for s in scores):
        broken.append(f"review {r.pk} submitted without all its scores")
    if not r.recommendation:
        broken.append(f"review {r.pk} submitted without a recommendation")
    if events.pop((r.bid_id, r.reviewer_id), 0) != 1:
        broken.append(f"review {r.pk} submitted without exactly one event")
broken += [f"submission event without its review: {key}" for key in events]

# Every write of a review puts its own text in the comments and in each justification, so a
# review whose rows carry different texts, or fewer scores than that write sent, was half-written.
sent_scores = {w["comments"]: len(w["scores"]) for w in attempted if "scores" in w}
for r in Review.objects.filter(comments__startswith="Soak ").prefetch_related("scores"):
    scores = list(r.scores.all())
    expected = sent_scores.get(r.comments)
    texts = {s.justification for s in scores}
    if len(scores) != expected or texts != ({f"Justified ({r.comments})."} if expected else set()):
        broken.append(f"review {r.pk} holds parts of different writes")

# No score of a review belongs to a criterion of another round.
strays = Score.objects.exclude(criterion__round_id=F("review__bid__round_id")).count()
if strays:
    broken.append(f"{strays} scores against another round's criteria")

counted = Counter(w["kind"] for w in acked)
found = Counter(w["kind"] for w in acked if w not in missing)
print(json.dumps({
    "acknowledged": dict(counted), "found": dict(found), "missing": missing[:20],
    "broken": broken[:20], "broken_count": len(broken),
    "spend_returns_written": returns.count(), "reviews_submitted": submitted.count(),
}, default=str))
"""


def check_database(load: Load) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(
            {
                "started": load.work["started"],
                "acknowledged": load.acknowledged,
                "attempted": load.attempted,
            },
            handle,
        )
    try:
        return json.loads(shell(f"CHECK_FILE = {handle.name!r}\n" + CHECK))
    finally:
        os.unlink(handle.name)


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summarise(results: list[Result], outage: tuple[float, float]) -> dict:
    down, back = outage

    def during(r: Result) -> bool:
        return r.ended >= down and r.started <= back

    kinds = defaultdict(list)
    for r in results:
        kinds[r.kind].append(r)
    rows = []
    for kind in sorted(kinds):
        items = kinds[kind]
        outside = [r for r in items if not during(r)]
        inside = [r for r in items if during(r)]
        served = [r.seconds * 1000 for r in outside if 200 <= r.status < 400]
        rows.append(
            {
                "kind": kind,
                "requests": len(items),
                "ok_outside": len(served),
                "p50_ms": statistics.median(served) if served else 0.0,
                "p95_ms": percentile(served, 0.95),
                "errors_outside": sum(1 for r in outside if r.status >= 500 or r.status == 0),
                "other_4xx_outside": sum(1 for r in outside if 400 <= r.status < 500),
                "during": len(inside),
                "ok_during": sum(1 for r in inside if 200 <= r.status < 400),
                "plain_503_during": sum(1 for r in inside if r.plain_503),
                "other_failures_during": sum(
                    1 for r in inside if (r.status >= 500 or r.status == 0) and not r.plain_503
                ),
                "refused_during": sum(1 for r in inside if r.status == 0),
            }
        )
    return {"kinds": rows}


def machine(cluster: Cluster) -> str:
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) / 2**20
    load = os.getloadavg()[0]
    return (
        f"{platform.machine()}, {os.cpu_count()} cores shared with other work (load average"
        f" {load:.1f} at the end), {memory:.0f} GiB memory, Python {platform.python_version()},"
        f" PostgreSQL {cluster.version()} (a private cluster), {platform.platform()}"
    )


def figures(data: dict) -> str:
    o = data["outage"]
    c = data["check"]
    lines = [
        BEGIN,
        "",
        "Written by `make soak` (scripts/soak.py); each run replaces this section.",
        "",
        f"- Date: {data['date']}; run of {data['seconds']} s with {data['users']} virtual users"
        f" (one in three each of visitors, PCC office users and analysts), 2 gunicorn workers,"
        f" cache {data['cache']}.",
        f"- Machine: {data['machine']}.",
        "- Data: seed_demo at the default scale ("
        + ", ".join(f"{n:,} {k}" for k, n in data["counts"].items())
        + ").",
        f"- Verdict: **{'passed' if data['passed'] else 'FAILED'}**"
        + ("" if data["passed"] else " — " + "; ".join(data["failures"])),
        "",
        "### Requests",
        "",
        "Outside the outage: answers, and the latency of those served (2xx and redirects). During"
        " the outage: every request that was in flight at any moment between PostgreSQL going"
        " down and `/healthz` answering 200 again.",
        "",
        "| kind | requests | served outside | p50 ms | p95 ms | 4xx outside | 5xx outside |"
        " during outage | served during | plain 503 during | other failures during |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in data["summary"]["kinds"]:
        lines.append(
            f"| {row['kind']} | {row['requests']:,} | {row['ok_outside']:,} |"
            f" {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['other_4xx_outside']} |"
            f" {row['errors_outside']} |"
            f" {row['during']:,} | {row['ok_during']:,} | {row['plain_503_during']:,} |"
            f" {row['other_failures_during']} |"
        )
    total = sum(r["requests"] for r in data["summary"]["kinds"])
    lines += [
        "",
        f"{total:,} requests in all. Served during the outage means answered from the cache"
        " (public pages and the API) or without the database.",
        "",
        "### Writes",
        "",
        "| write | acknowledged by the service | found in the database afterwards |",
        "|---|---:|---:|",
    ]
    for kind, count in sorted(c["acknowledged"].items()):
        lines.append(f"| {kind} | {count:,} | {c['found'].get(kind, 0):,} |")
    lines += [
        "",
        f"Attempted writes: {data['attempted']:,}; acknowledged {data['acknowledged']:,}; the"
        " others were refused with 503 during the outage or cut short by it.",
        f"Half-written work found (spend return without its event or the reverse, submitted"
        f" review without all its scores, its recommendation or its event, review holding"
        f" scores and comments of different writes):"
        f" {c['broken_count']}.",
        "",
        "### The outage",
        "",
        f"- PostgreSQL stopped with `pg_ctl stop -m fast` at {o['at']:.0f} s into the run, started"
        f" again {o['down_seconds']:.1f} s later.",
        f"- `/healthz` first answered 503 {o['noticed_after']:.2f} s after the stop.",
        f"- Writes: an analyst saved drafts back to back from {BURST_LEAD_SECONDS} s before the"
        f" stop to {BURST_LEAD_SECONDS} s after the restart. Writes in flight when PostgreSQL"
        f" stopped: {o['writes_in_flight']}; sent after that and before `/healthz` answered 200"
        f" again: {o['writes_during']}, of which {o['writes_during_acknowledged']} acknowledged"
        " (after the restart).",
        f"- Recovery: `/healthz` answered 200 again {o['recovered_after']:.2f} s after PostgreSQL"
        f" accepted connections (limit {RECOVERY_LIMIT_SECONDS} s), with no restart of gunicorn;"
        f" the first write after it was acknowledged {o['first_write_after']:.1f} s after"
        " PostgreSQL was back.",
        f"- 5xx answers outside the outage: {data['errors_outside']}; plain 503 answers during it:"
        f" {data['plain_503']:,}; other failures during it (500, 502, no answer):"
        f" {data['other_failures_during']}.",
        f"- Errors in gunicorn's log other than the outage's: {len(data['log_errors'])}.",
        "",
        END,
    ]
    return "\n".join(lines)


def write_report(section: str) -> None:
    text = REPORT.read_text() if REPORT.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    REPORT.write_text(before + section + after)


# --------------------------------------------------------------------------- main


def main() -> int:
    os.chdir(ROOT)
    started = time.monotonic()
    with Cluster(PG_PORT) as cluster:
        log(f"private PostgreSQL {cluster.version()} on port {PG_PORT} in {cluster.folder}")
        counts = create_database()
        manage("collectstatic", "--no-input", "-v", "0", settings="fundtracker.settings.production")
        work = json.loads(shell(f"SEND_BACK = {SEND_BACK}\n" + SESSION_FOR + WORK))
        log(f"work: {len(work['spend'])} spend returns due, {len(work['reviews'])} open reviews")
        cache_url = redis_cache_url()
        with Server(cache_url) as server:
            log(f"gunicorn up (workers {server.worker_pids()}), cache {cache_url}")
            begin = time.monotonic()
            deadline = begin + SECONDS
            load = Load(work, deadline)
            watch = HealthWatch(deadline)
            # Every third user a visitor, a PCC office user, an analyst; the writes each
            # office user and analyst owes are spread over the run (an analyst's review is a
            # declaration, two drafts on average and the submission).
            offices = len(range(1, USERS, 3))
            analysts = len(range(2, USERS, 3))
            spend_interval = SECONDS * offices / max(len(work["spend"]), 1)
            review_interval = SECONDS * analysts / max(4 * len(work["reviews"]), 1)
            threads = []
            for n in range(USERS):
                if n % 3 == 0:
                    target, args = load.visitor, (n,)
                elif n % 3 == 1:
                    target, args = load.office, (n, spend_interval)
                else:
                    target, args = load.analyst, (n, review_interval)
                threads.append(threading.Thread(target=target, args=args, daemon=True))
            for thread in [watch, *threads]:
                thread.start()
            time.sleep(max(SECONDS * 0.6 - BURST_LEAD_SECONDS, 0))
            end_burst = threading.Event()
            if load.burst_item is not None:
                burst = threading.Thread(
                    target=load.burst, args=(load.burst_item, end_burst), daemon=True
                )
                burst.start()
                threads.append(burst)
            time.sleep(BURST_LEAD_SECONDS)
            log("stopping PostgreSQL")
            down = time.monotonic()
            cluster.stop()
            time.sleep(OUTAGE_SECONDS)
            cluster.start()
            up = time.monotonic()
            log(f"PostgreSQL back after {up - down:.1f} s")
            time.sleep(BURST_LEAD_SECONDS)
            end_burst.set()
            for thread in [watch, *threads]:
                thread.join(timeout=SECONDS + 120)
            log_errors = server.errors_logged()
        samples = watch.samples
        noticed = next((t for t, s in samples if t >= down and s != 200), None)
        first_write = min((w["at"] for w in load.acknowledged if w["at"] >= up), default=None)
        recovered = next((t for t, s in samples if t >= up and s == 200), None)
        back = recovered or deadline
        results = load.results + watch.results
        summary = summarise(results, (down, back))
        check = check_database(load)

    kinds = summary["kinds"]
    errors_outside = sum(r["errors_outside"] for r in kinds)
    other_failures = sum(r["other_failures_during"] for r in kinds)
    plain_503 = sum(r["plain_503_during"] for r in kinds)
    failures = []
    client_errors = sum(r["other_4xx_outside"] for r in kinds)
    if client_errors:
        failures.append(f"{client_errors} 4xx answers outside the outage")
    if errors_outside:
        failures.append(f"{errors_outside} 5xx or unanswered requests outside the outage")
    if other_failures:
        failures.append(f"{other_failures} failures other than a plain 503 during the outage")
    if not plain_503:
        failures.append("no plain 503 during the outage")
    if noticed is None:
        failures.append("/healthz never failed during the outage")
    if recovered is None or recovered - up > RECOVERY_LIMIT_SECONDS:
        failures.append("the service did not recover in time")
    if check["missing"]:
        failures.append(f"{len(check['missing'])} acknowledged writes missing")
    if check["broken_count"]:
        failures.append(f"{check['broken_count']} half-written records")
    if not load.acknowledged:
        failures.append("no write was acknowledged")
    # The 503s of the outage are logged by Django as "Service Unavailable", not tracebacks.
    if log_errors:
        failures.append(f"{len(log_errors)} errors in gunicorn's log")
    data = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(),
        "seconds": SECONDS,
        "users": USERS,
        "cache": "Redis" if cache_url.startswith("redis") else "local memory",
        "machine": machine(cluster),
        "counts": counts,
        "summary": summary,
        "check": check,
        "attempted": len(load.attempted),
        "acknowledged": len(load.acknowledged),
        "errors_outside": errors_outside,
        "other_failures_during": other_failures,
        "plain_503": plain_503,
        "log_errors": log_errors,
        "outage": {
            "at": down - begin,
            "down_seconds": up - down,
            "noticed_after": (noticed - down) if noticed else float("nan"),
            "recovered_after": (recovered - up) if recovered else float("nan"),
            "first_write_after": (first_write - up) if first_write else float("nan"),
            "writes_in_flight": sum(1 for w in load.attempted if w["began"] <= down <= w["at"]),
            "writes_during": sum(1 for w in load.attempted if down < w["began"] <= back),
            "writes_during_acknowledged": sum(
                1 for w in load.acknowledged if down < w["began"] <= back
            ),
        },
        "passed": not failures,
        "failures": failures,
    }
    section = figures(data)
    write_report(section)
    print(section)
    if log_errors:
        log(f"gunicorn's log, kept for a post-mortem: {server.log.name}")
    else:
        os.unlink(server.log.name)
    for item in check["missing"] + check["broken"]:
        log(f"check: {item}")
    verdict = "passed" if not failures else "FAILED"
    log(f"done in {(time.monotonic() - started) / 60:.1f} min: {verdict}")
    return 0 if not failures else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(f"soak: {error.cmd} failed with {error.returncode}\n{error.stderr or ''}")
