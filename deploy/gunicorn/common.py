"""gunicorn settings shared by every Taitotaso service and by the whole-suite config.

Not a config on its own: each file beside it (testing.py, authoring.py, ...) and
deploy/gunicorn.conf.py execute this file into their own namespace and then set what is
theirs (wsgi_app, the mount prefix, per-service tuning). deploy/gunicorn is not a Python
package, so it is executed by path rather than imported.

Every setting can still be overridden on the command line or with GUNICORN_CMD_ARGS.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
# In a container cpu_count() is the node's, not the pod's limit: set WEB_CONCURRENCY.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = 30
graceful_timeout = 30
# Below nginx's upstream keepalive_timeout would race: the gateway keeps idle upstream
# connections for 4 s (deploy/nginx/nginx.conf), shorter than this, so it never reuses
# a connection gunicorn has just closed.
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files on tmpfs: the root filesystem is read-only in Kubernetes, and a slow
# disk must not make the arbiter think a worker hangs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
# The request id set by the gateway (X-Request-ID) ties these lines to nginx's and the app's.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s'


def _redacting_logger():
    """gunicorn's logger whose access lines never hold an employer link's token or a query
    string (services/common/log_redaction.py)."""
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        def atoms(self, resp, req, environ, request_time):
            from services.common.log_redaction import redact_atoms

            return redact_atoms(super().atoms(resp, req, environ, request_time))

    return RedactingLogger


logger_class = _redacting_logger()
# Addresses whose X-Forwarded-Proto is trusted: the gateway's ("*" where only it can
# reach the pods, as in deploy/compose.yaml and deploy/k8s).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# -- Prometheus metrics of all worker processes ----------------------------------------
# Each worker writes its numbers to files in this directory and /metrics sums them
# (services/common/observability.py); the arbiter empties it on start and marks a worker's
# files dead when the worker exits. Workers inherit the variable from the arbiter.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(os.environ.get("TMPDIR", "/tmp"), "taitotaso-metrics"))


def on_starting(server):
    import shutil

    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# -- mounting a service under a path prefix ----------------------------------------------
# gunicorn's own SCRIPT_NAME support (raw_env = ["SCRIPT_NAME=/results"]) refuses, with a
# 500, every request whose path does not start with the prefix (gunicorn >= 22). That
# breaks the results service's unprefixed /api/v1/results and /.well-known paths and the
# probes' /healthz, /readyz and /metrics. So the prefix is applied in WSGI instead, the way
# services/gateway.py mounts the services in one process: a path under the prefix gets
# SCRIPT_NAME=prefix and the rest as PATH_INFO; any other path passes unchanged.
def mounted_at(prefix, app):
    """``app`` answering under ``prefix`` and on unchanged other paths (one copy of it:
    ``taitotaso serve --service`` mounts the same way)."""
    from services.gateway import mounted_at as _mounted_at

    return _mounted_at(prefix, app)


def mount_hook(prefix):
    """A post_worker_init hook that wraps the worker's loaded app with ``mounted_at``."""

    def post_worker_init(worker):
        worker.wsgi = mounted_at(prefix, worker.wsgi)

    return post_worker_init
