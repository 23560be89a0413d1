"""gunicorn config of the scoring service, on the unchanged paths /api/v1/scoring/...

    gunicorn -c deploy/gunicorn/scoring.py

Requests are CPU-heavy (written-answer features, uploads of recordings up to 11 MB that
are checked before they are queued for `taitotaso worker`): fewer threads per worker, so
that one process's threads do not fight over the GIL, and a longer timeout.
"""
import pathlib

_common = pathlib.Path(__file__).with_name("common.py")  # shared settings, executed here
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.scoring.app:create_app(warm_up=True)"
proc_name = "taitotaso-scoring"
mount_prefix = ""
threads = min(threads, 2)  # noqa: F821 (from common.py)
timeout = 120
graceful_timeout = 120  # a rollout lets running requests finish (pod grace period is longer)
