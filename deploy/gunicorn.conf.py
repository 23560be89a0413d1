"""gunicorn settings for one service or the whole suite in production.

    gunicorn -c deploy/gunicorn.conf.py 'services.gateway:create_app()'
    gunicorn -c deploy/gunicorn.conf.py 'services.testing.app:create_app()'

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; run `taitotaso db upgrade` before and
`taitotaso worker` beside it. Every setting can be overridden with GUNICORN_CMD_ARGS.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
