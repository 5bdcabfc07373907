"""Web healthcheck (docker-compose.yml): GET /health/ on this container within 5 s.
Exit 0 only when it answers 200 (every check "ok"). Usage: python docker/healthcheck-web.py [URL]"""

import sys
import urllib.error
import urllib.request

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/health/"
try:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a fixed local URL)
        sys.exit(0 if response.status == 200 else 1)
except (urllib.error.URLError, OSError) as exc:
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
