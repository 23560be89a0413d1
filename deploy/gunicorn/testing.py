"""gunicorn config of the testing service: the job seeker's pages and /api/v1/sessions.

    gunicorn -c deploy/gunicorn/testing.py

It owns the root path: no mount prefix.
"""
import pathlib

_common = pathlib.Path(__file__).with_name("common.py")  # shared settings, executed here
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.testing.app:create_app()"
proc_name = "taitotaso-testing"
mount_prefix = ""
