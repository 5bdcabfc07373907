"""docker-compose.yml (for our users; no Docker engine runs here) stays valid: the production
shape with PostgreSQL, Redis, web, worker and beat sharing one app definition, each service
with its healthcheck, and the image (Dockerfile, .dockerignore) built the way
tests/helpdesk/test_production_image.py runs it."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def _services():
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_file_defines_the_production_shape():
    services = _services()
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "helpdesk.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://")
        assert env["CACHE_URL"].startswith("redis://")  # one cache for every web process (throttle)
        assert env["HELPDESK_SITE_URL"].startswith("${HELPDESK_SITE_URL:?")  # required, no default
        assert services[name]["image"] == services["web"]["image"]
    assert services["web"]["command"] == "sh docker/start-web.sh"
    assert services["worker"]["command"] == "sh docker/start-worker.sh"
    assert services["beat"]["command"] == "sh docker/start-beat.sh"
    assert "gunicorn" in (ROOT / "docker" / "start-web.sh").read_text()
    assert "worker" in (ROOT / "docker" / "start-worker.sh").read_text()
    assert "beat" in (ROOT / "docker" / "start-beat.sh").read_text()


def test_exactly_one_beat_and_no_beat_inside_a_worker():
    services = _services()
    beats = [name for name, s in services.items() if "beat" in str(s.get("command", ""))]
    assert beats == ["beat"]
    assert "-B" not in (ROOT / "docker" / "start-worker.sh").read_text().split()
    assert "deploy" not in services["beat"]  # no replicas


def test_every_long_running_service_has_a_healthcheck():
    services = _services()
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    web = services["web"]["healthcheck"]["test"]
    assert "docker/healthcheck-web.py" in web and any("/health/" in part for part in web)
    assert "docker/healthcheck-worker.sh" in services["worker"]["healthcheck"]["test"]
    worker_check = (ROOT / "docker" / "healthcheck-worker.sh").read_text()
    assert re.search(r"inspect ping .*--destination \"celery@\$\{HOSTNAME", worker_check)
    for name in ("migrate", "web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def test_volumes_keep_the_data_and_the_private_files():
    compose = yaml.safe_load(COMPOSE.read_text())
    assert {"pgdata", "redisdata", "private-media"} <= set(compose["volumes"])
    services = compose["services"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("web", "worker", "beat"):
        assert "private-media:/app/var/private" in services[name]["volumes"]
        assert services[name]["environment"]["HELPDESK_PRIVATE_MEDIA_ROOT"] == "/app/var/private"


def test_the_image_builds_static_under_production_and_runs_as_a_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = " ".join(line for line in dockerfile.splitlines() if line.startswith("RUN"))
    assert "docker/build-static.sh" in runs
    assert "helpdesk.settings.local" not in dockerfile
    assert "DJANGO_SETTINGS_MODULE=helpdesk.settings.production" in (ROOT / "docker" / "build-static.sh").read_text()
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)
    assert "chown -R app:app /app/var" in dockerfile
    assert dockerfile.rstrip().splitlines()[-1] == 'CMD ["sh", "docker/start-web.sh"]'


def test_dockerignore_keeps_secrets_and_data_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", ".git", ".venv", "var/", ".celery/", "db.sqlite3", "media/", "staticfiles/"} <= ignored
    assert {".pytest_cache", ".mypy_cache", ".coverage", "__pycache__"} <= ignored
