"""Running the project's ``manage.py`` against one database with the settings a load run needs;
shared by the benchmark (bench.py) and the soak run (soak.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
