"""gunicorn settings for schoolhub, read with `gunicorn -c deploy/gunicorn.conf.py 'schoolhub:create_app()'`.

Every value can be changed through the environment, so one file serves every app server:
SCHOOLHUB_BIND (default 127.0.0.1:8000: only the reverse proxy on this machine reaches it),
SCHOOLHUB_WORKERS (default: 2 x cores + 1, at most 8; `flask --app schoolhub check-config` reads
the same variable), SCHOOLHUB_THREADS (default 1: sync workers, which the proxy shields from slow
phones), SCHOOLHUB_FORWARDED_ALLOW_IPS (the proxy's address, default 127.0.0.1).
The app's own settings (SCHOOLHUB_SECRET_KEY, SCHOOLHUB_DATABASE_URL, ...) are read by create_app.
"""
import multiprocessing
import os

bind = os.environ.get("SCHOOLHUB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SCHOOLHUB_WORKERS") or os.environ.get("WEB_CONCURRENCY")
              or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("SCHOOLHUB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"

# A lesson save with a 20 MB file on a school's uplink can take a while; the proxy buffers uploads.
timeout = int(os.environ.get("SCHOOLHUB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then, so a slow leak never grows without bound.
max_requests = 5000
max_requests_jitter = 500

# Only the proxy's X-Forwarded-* headers are believed (the app's PROXY_COUNT does the same for Flask).
forwarded_allow_ips = os.environ.get("SCHOOLHUB_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips

accesslog = os.environ.get("SCHOOLHUB_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = os.environ.get("SCHOOLHUB_ERROR_LOG", "-")
loglevel = os.environ.get("SCHOOLHUB_LOG_LEVEL", "info")
# Requests are bounded before Flask sees them (MAX_CONTENT_LENGTH bounds the body).
limit_request_line = 8190
limit_request_fields = 100


def post_worker_init(worker):
    """Once a worker has loaded the app: put what start-up built (modules, the URL map, SQLAlchemy's
    mappers, the app's statements) out of the garbage collector's reach. Those ~120,000 objects never
    become garbage, yet every full collection walked them all again, about once in a hundred requests
    of a list page (measured at the province preset: 0.8–0.9 ms per request of the lesson list, against
    0.06 ms once frozen). What the requests create is still collected as before."""
    import gc

    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # built on the first query otherwise, after the freeze
    gc.collect()
    gc.freeze()
