"""gunicorn config of the authoring service (staff sign-in, item bank), at /authoring.

    gunicorn -c deploy/gunicorn/authoring.py
"""
import pathlib

_common = pathlib.Path(__file__).with_name("common.py")  # shared settings, executed here
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.authoring.app:create_app()"
proc_name = "taitotaso-authoring"
mount_prefix = "/authoring"  # the SCRIPT_NAME the app sees (see mounted_at in common.py)
post_worker_init = mount_hook(mount_prefix)
# Saving an item synthesises its listening audio, and QTI imports (up to 200 MB) are parsed
# in the request: give them longer than the default 30 s.
timeout = 60
