"""gunicorn config of the results service: pages at /results, and /api/v1/results/... and
/.well-known/... (keys that verify result credentials) on unchanged paths.

    gunicorn -c deploy/gunicorn/results.py

Needs TAITOTASO_SIGNING_KEYS: the directory of the Ed25519 signing keys (a mounted secret).
"""
import pathlib

_common = pathlib.Path(__file__).with_name("common.py")  # shared settings, executed here
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.results.app:create_app()"
proc_name = "taitotaso-results"
# Only paths under /results get the prefix; /api/v1/results and /.well-known pass as they
# are, which gunicorn's own SCRIPT_NAME would refuse (see mounted_at in common.py).
mount_prefix = "/results"
post_worker_init = mount_hook(mount_prefix)
