"""Production: every secret and host from the environment, HTTPS only, hashed static files."""

from .base import *  # noqa: F403
from .base import STORAGES, env, env_bool, env_list

SECRET_KEY = env("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Production sits behind one reverse proxy, which sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For.
FUNDTRACKER_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1"))
FUNDTRACKER_OTP_REQUIRED = True
