"""Running the project's ``manage.py`` against one database with the settings a load run needs;
shared by the benchmark (bench.py) and the soak run (soak.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Code for ``Project.shell`` to begin with: ``session_for(user)``, the key of a saved session
# signed in as ``user`` (one a user), which for Home Office staff has also passed the second
# factor with a confirmed authenticator device, so that a load run reaches every signed-in page.
SESSION_FOR = r"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

sessions = {}

def session_for(user):
    if user.pk not in sessions:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.UserBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if user.is_staff or user.groups.exists():
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="Load test", defaults={"confirmed": True}
            )
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.set_expiry(24 * 3600)
        session.save()
        sessions[user.pk] = session.session_key
    return sessions[user.pk]
"""


class Project:
    def __init__(self, database_url: str, secret_key: str) -> None:
        self.database_url = database_url
        self.secret_key = secret_key

    def env(self, settings: str, **extra) -> dict:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=settings,
            DATABASE_URL=self.database_url,
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CONN_MAX_AGE="600",
            LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    def manage(
        self, *args: str, settings: str = "fundtracker.settings.dev", capture=False, **extra
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(settings, **extra),
            text=True,
            capture_output=capture,
        )
        if result.returncode:
            # A captured command's error would otherwise vanish with its output.
            sys.stderr.write(result.stderr or "")
            raise subprocess.CalledProcessError(result.returncode, ["manage.py", *args[:1]])
        return result.stdout if capture else None

    def shell(self, code: str, **kwargs) -> str:
        """The last line a ``manage.py shell -c`` snippet prints."""
        output = self.manage("shell", "-v", "0", "-c", code, capture=True, **kwargs)
        return output.strip().splitlines()[-1]
