"""The production-shape tests share one run of the image's build step (collectstatic under the
production settings compresses ~40 MB: ~35 s of CPU), done once per test session."""

import subprocess
import time

import pytest


@pytest.fixture(scope="session")
def production_static(tmp_path_factory):
    """(static_root, seconds): `docker/build-static.sh` run once, as the Dockerfile runs it."""
    from tests.helpdesk.test_production_image import ROOT, TIMEOUT, _compose_env, _need_services

    _need_services()
    static_root = tmp_path_factory.mktemp("production") / "staticfiles"
    env = _compose_env("postgres://unused@127.0.0.1:1/unused", static_root, 0)
    started = time.monotonic()
    result = subprocess.run(
        ["sh", "docker/build-static.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, f"build-static failed:\n{result.stdout}\n{result.stderr}"
    assert (static_root / "staticfiles.json").is_file()
    return static_root, round(time.monotonic() - started, 1)
