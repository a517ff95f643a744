"""With the documented production variables, `manage.py check --deploy` reports nothing."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (tests/browser.py) is no production setting.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "MODELLA_DEBUG": "0",
        "MODELLA_SECRET_KEY": secrets.token_urlsafe(50),
        "MODELLA_ALLOWED_HOSTS": "models.example.org",
        "MODELLA_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "MODELLA_DEBUG": "0", "MODELLA_SECRET_KEY": "", "MODELLA_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "MODELLA_SECRET_KEY" in result.stderr
