"""gunicorn config of Katso, the material library (services/library), at /katso.

    gunicorn -c deploy/gunicorn/library.py
"""
import pathlib

_common = pathlib.Path(__file__).with_name("common.py")  # shared settings, executed here
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.library.app:create_app()"
proc_name = "taitotaso-library"
mount_prefix = "/katso"  # the SCRIPT_NAME the app sees (see mounted_at in common.py)
post_worker_init = mount_hook(mount_prefix)
# Printing cards to PDF (WeasyPrint) and resizing uploaded photos (up to 8.3 MB) take time.
timeout = 60
