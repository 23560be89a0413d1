"""gunicorn settings for the whole suite in one process group (services/gateway.py).

    gunicorn -c deploy/gunicorn.conf.py                    # services.gateway:create_app()
    gunicorn -c deploy/gunicorn.conf.py 'services.testing.app:create_app()'   # one service

A service deployed on its own has its own config in deploy/gunicorn/ (its mount prefix,
timeouts); the settings they all share are in deploy/gunicorn/common.py.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; run `taitotaso db upgrade` before and
`taitotaso worker` beside it. Every setting can be overridden with GUNICORN_CMD_ARGS.
"""
import pathlib

_common = pathlib.Path(__file__).parent / "gunicorn" / "common.py"  # shared settings
exec(compile(_common.read_text(), str(_common), "exec"))

wsgi_app = "services.gateway:create_app()"  # an app given on the command line wins
proc_name = "taitotaso"
# The gateway takes the slowest of the services it mounts (scoring) as its timeout.
timeout = 120
graceful_timeout = 120
