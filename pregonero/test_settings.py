"""Settings for the test suite: the real settings plus fast hashing, a temporary
media folder, in-process tasks and locmem e-mail."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("PREGONERO_TESTING", "1")

from pregonero.settings import *  # noqa: F403

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pregonero-test-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="pregonero-test-static-"))
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
}
from cryptography.fernet import Fernet  # noqa: E402

PREGONERO_TOKEN_KEYS = [Fernet.generate_key().decode()]
PREGONERO_SANDBOX_URL = ""
PREGONERO_TRAINING = False
PREGONERO_RECONCILE_AFTER_SECONDS = 0.0
PREGONERO_DISPATCH_LEAD_SECONDS = 0.0
