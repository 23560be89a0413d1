"""What the browser tests share: Debian's Chromium driven by Playwright (no browser
download), started with the flags this machine's closed network needs."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make install` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_until(page, expression: str, timeout: float = 30000) -> None:
    """Wait until ``expression`` is true in the page. Playwright's ``wait_for_function``
    evaluates its predicate inside the page, which the suite's content security policy
    (no eval) forbids; ``page.evaluate`` runs through the DevTools protocol instead."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


def unlabelled_controls(page) -> list[str]:
    """Form controls without a label (screen readers would announce them nameless)."""
    return page.evaluate("""() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea')]
        .filter(i => !i.labels || i.labels.length === 0).map(i => i.id || i.name)""")


BIN = Path(sys.executable).parent / "taitotaso"


def suite_env(var: Path, **extra: str) -> dict:
    """The embedded default in ``var`` (no DATABASE_URL or REDIS_URL from outside)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {"TAITOTASO_VAR_DIR": str(var), **extra}


@contextmanager
def served(env: dict, var: Path):
    """`taitotaso serve` on a free port until the block ends; yields its base address.
    The server writes to ``var/server.log`` (a file: a full pipe would stop the server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    # the suite's published address (the issuer of credentials) is where it is served here
    env = {"TAITOTASO_PUBLIC_URL": base, **env}
    with (var / "server.log").open("wb") as log:
        proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(150):
                try:
                    if requests.get(f"{base}/healthz", timeout=2).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.3)
            else:
                pytest.fail("taitotaso serve did not start: " + server_log(var))
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def server_log(var: Path, tail: int = 6000) -> str:
    return (var / "server.log").read_bytes()[-tail:].decode(errors="replace")


# a test of four items, all scored: enough to reach the speaking part and a result quickly
SHORT_TEST = {"TAITOTASO_MIN_ITEMS": "4", "TAITOTASO_MAX_ITEMS": "4", "TAITOTASO_PRETEST_ITEMS": "0"}
SHORT_WRITTEN = "Minä olen Anna. Minä asun Espoossa. Minä pidän kahvista."


def answer_items_until_speaking(page, base: str, lang: str) -> int:
    """Answer a short test's items as they come (any answer will do: the first option, or a
    word in each field; on a block page, "yes" for every word at once) until the speaking
    part opens; returns how many scored items were answered (a text's questions, a page
    each, and a block of words are one item each, as the test's length counts them)."""
    pages = answered = 0
    while "/test" in page.url and pages < 40:
        answered = int(page.locator("progress").get_attribute("value")) + 1
        if page.locator("input[name=block_id]").count():
            for yes in page.locator("input[type=radio][value=yes]").all():
                yes.check()
        elif page.locator("input[type=radio][name=answer]").count():
            page.locator("input[type=radio][name=answer]").first.check()
        elif page.locator("input.gap").count():
            for gap in page.locator("input.gap").all():
                gap.fill("x")
        elif page.locator("textarea#answer").count():
            page.fill("#answer", SHORT_WRITTEN)
        else:
            page.fill("#answer", "talo")
        with page.expect_navigation():
            page.click("button[type=submit]")
        pages += 1
    assert page.url == f"{base}/{lang}/speaking", page.url
    return answered


def mailed_path(var: Path, address: str, part: str) -> str:
    """The path of the newest link containing ``part`` in a message to ``address``, from
    the outbox the embedded suite (no mail server) writes its messages to, ``var/outbox``."""
    import email
    import re

    for eml in sorted((var / "outbox").glob("*.eml"), reverse=True):
        message = email.message_from_bytes(eml.read_bytes())
        if message["To"] == address:
            found = re.search(r"https?://[^/\s]+(\S*" + re.escape(part) + r"\S*)",
                              message.get_payload(decode=True).decode())
            if found:
                return found.group(1)
    raise AssertionError(f"no message to {address} with a link to {part} in {var / 'outbox'}")
