"""A service's app on a real socket, for testing an HTTP adapter against its provider;
stopped and started again at will (on the same port)."""
from __future__ import annotations

import threading

from werkzeug.serving import make_server


class Served:
    def __init__(self, app):
        self.app = app
        self.port = 0
        self.server = None
        self.start()

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
