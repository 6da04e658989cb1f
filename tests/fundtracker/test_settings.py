import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_the_deployment_checks():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "fundtracker.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-for-the-check-0123456789-abcdef",
        "ALLOWED_HOSTS": "funding.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "fundtracker.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def _production_values(*names: str, **environ: str) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "fundtracker.settings.production",
        "SECRET_KEY": "a-long-random-production-secret-key-for-the-check-0123456789-abcdef",
        "ALLOWED_HOSTS": "funding.example.org",
        **environ,
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_keep_cookies_and_transport_safe():
    values = _production_values(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "FUNDTRACKER_OTP_REQUIRED",
        "FUNDTRACKER_TRUSTED_PROXY_COUNT",
    )

    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": True,
        "FUNDTRACKER_OTP_REQUIRED": True,
        # One reverse proxy, which appends the client's address to X-Forwarded-For.
        "FUNDTRACKER_TRUSTED_PROXY_COUNT": 1,
    }


def test_production_counts_as_many_proxies_as_it_is_told():
    values = _production_values("FUNDTRACKER_TRUSTED_PROXY_COUNT", TRUSTED_PROXY_COUNT="2")

    assert values == {"FUNDTRACKER_TRUSTED_PROXY_COUNT": 2}


def test_sessions_are_read_from_the_cache_only_when_every_worker_shares_it():
    shared = _production_values("SESSION_ENGINE", CACHE_URL="redis://127.0.0.1:6379/0")
    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    # One process's memory would let a worker keep a session another worker has ended.
    local = _production_values("SESSION_ENGINE", CACHE_URL="locmem://")
    assert local["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
