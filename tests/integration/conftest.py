from __future__ import annotations

import re

import tempfile
from pathlib import Path

import pytest

from item_bank.audio import synthesise
from item_bank.content import load_content
from item_bank.repository import ItemRepository
from services.common.config import Config
from services.common.db import Database
from services.testing.app import create_app

ITEMS = load_content()
# a well-written answer for writing tasks, which have no key
GOOD_TEXT = ("Hyvä vastaanottaja, kirjoitan teille, koska haluaisin kertoa kokemuksistani. "
             "Olen työskennellyt Espoossa kolme vuotta ravintola-alalla, ja työni on ollut "
             "monipuolista. Vastasin asiakaspalvelusta, tilauksista ja uusien työntekijöiden "
             "perehdyttämisestä. Mielestäni tärkeintä on, että työyhteisössä luotetaan toisiin "
             "ja ongelmista puhutaan avoimesti. Lisäksi olen opiskellut suomea aktiivisesti, "
             "sillä haluan edetä urallani. Toivon, että voisimme keskustella asiasta tarkemmin. "
             "Ystävällisin terveisin Olga Petrova")
KEYS = {item.id: (item.key if item.key is not None else GOOD_TEXT) for item in ITEMS}
AUDIO_CACHE = Path(tempfile.gettempdir()) / "taitotaso-test-audio"  # as tests/conftest.py


def make_audio(text: str, cefr: str) -> bytes:
    """Real espeak-ng synthesis, cached across tests by its recipe."""
    return synthesise(text, cefr, AUDIO_CACHE)


# the credentials of a service allowed to call the scoring API (TAITOTASO_SCORING_CLIENTS)
SCORING_SECRET = "tests-scoring-client-secret-0123456789"
SCORING_AUTH = {"Authorization": f"Bearer {SCORING_SECRET}"}


def as_scoring_client(client):
    """A test client that sends the scoring API credentials with every request."""
    client.environ_base["HTTP_AUTHORIZATION"] = SCORING_AUTH["Authorization"]
    return client


def seeded_config(tmp_path, database_url: str, redis_url: str | None, **overrides) -> Config:
    overrides.setdefault("scoring_clients", {"tests": SCORING_SECRET})
    # exposure counts read afresh for each choice, so that which items a test gets does not
    # depend on how fast the tests before it ran (production reads them once a second;
    # tests/integration/test_session_path.py tests that)
    overrides.setdefault("exposure_refresh_seconds", 0.0)
    cfg = Config.from_env(database_url=database_url, redis_url=redis_url, var_dir=tmp_path,
                          secret_key="test-secret", testing=True, **overrides)
    db = Database(cfg.database_url)
    db.upgrade()
    with db.session() as s:
        ItemRepository(s).seed(ITEMS, make_audio=make_audio)
    db.dispose()
    return cfg


def csrf(html: str) -> str:
    """The form token of a page (forms refuse a POST without it)."""
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def mailed_link(app, address: str, path: str) -> str:
    """The path of the newest link containing ``path`` in a message to ``address``, from the
    outbox a suite without a mail server writes its messages to (services/common/mail.py)."""
    import email

    outbox = Path(app.extensions["taitotaso.resources"].config.var_dir) / "outbox"
    for eml in sorted(outbox.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(eml.read_bytes())
        if message["To"] == address:
            found = re.search(r"https?://[^/\s]+(\S*" + re.escape(path) + r"\S*)",
                              message.get_payload(decode=True).decode())
            if found:
                return found.group(1)
    raise AssertionError(f"no message to {address} with a link to {path} in {outbox}")


def confirm_sign_up(client, app, address: str, lang: str = "en"):
    """Follow the sign-up link mailed to ``address`` in ``client``: the page, then its button."""
    link = mailed_link(app, address, f"/results/{lang}/sign-up/confirm/")
    page = client.get(link)
    assert page.status_code == 200, (link, page.status_code)
    return client.post(link, data={"_csrf": csrf(page.text)})


@pytest.fixture(params=["sqlite", "postgres"])
def config(request, tmp_path):
    """The embedded default (SQLite, in-process queue) and production (PostgreSQL, Redis)."""
    if request.param == "sqlite":
        return seeded_config(tmp_path, f"sqlite:///{tmp_path / 'tt.db'}", None)
    pg = request.getfixturevalue("pg_url")
    redis_url = request.getfixturevalue("redis_url")
    return seeded_config(tmp_path, pg, redis_url)


@pytest.fixture
def app(config):
    application = create_app(config)
    yield application
    application.extensions["taitotaso.resources"].db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Taker:
    """A job seeker through the JSON API."""

    def __init__(self, client, ui_language="fi", self_assessment=None):
        self.client = client
        body = {"ui_language": ui_language}
        if self_assessment is not None:
            body["self_assessment"] = self_assessment
        r = client.post("/api/v1/sessions", json=body)
        assert r.status_code == 201, r.json
        self.id, self.token = r.json["id"], r.json["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def next(self):
        return self.client.get(f"/api/v1/sessions/{self.id}/next", headers=self.headers)

    def answer(self, item_id, answer):
        return self.client.post(f"/api/v1/sessions/{self.id}/responses", headers=self.headers,
                                json={"item_id": item_id, "answer": answer})

    def result(self):
        return self.client.get(f"/api/v1/sessions/{self.id}/result", headers=self.headers)

    def finish(self, choose=lambda item: KEYS[item["id"]]):
        served = []
        while True:
            r = self.next()
            assert r.status_code == 200, r.json
            if r.json["done"]:
                return served
            item = r.json["item"]
            served.append(item)
            a = self.answer(item["id"], choose(item))
            assert a.status_code == 201, a.json
