# The helpdesk image: web (gunicorn), worker and beat share it (docker-compose.yml).
# Its build and start commands are scripts in docker/, which CI runs as they are
# (tests/helpdesk/test_production_image.py) since no Docker engine runs on our machines.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The paper forms' PDFs (WeasyPrint): pango to lay them out, a CJK font to print Chinese.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*

# An unprivileged user runs everything; the code stays root-owned and read-only for it.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY requirements.lock .
# Every pin carries its hashes: pip refuses a file that differs from the locked one.
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
# Static files under the production settings (the manifest the running app reads), then the
# only writable places: the private media volume (customer archive documents).
RUN sh docker/build-static.sh \
 && mkdir -p /app/var/private \
 && chown -R app:app /app/var

USER app
EXPOSE 8000
# Web by default; compose runs the worker and beat with their own scripts.
CMD ["sh", "docker/start-web.sh"]
