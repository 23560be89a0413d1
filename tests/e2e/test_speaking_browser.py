"""The optional speaking part in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) against `taitotaso serve` on the embedded default. Chromium's fake microphone
plays an espeak-ng recording of the read-aloud text; the real recogniser scores it."""
from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from scoring.speech.synthetic import synthesize, to_wav_bytes

from .conftest import (BIN, CHROMIUM, CHROMIUM_ARGS, SHORT_TEST, answer_items_until_speaking, served,
                       server_log, suite_env, unlabelled_controls, wait_until)


pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A short test (4 items) so that the speaking part comes quickly."""
    var = tmp_path_factory.mktemp("var")
    env = suite_env(var, **SHORT_TEST)
    subprocess.run([str(BIN), "db", "seed"], env=env, check=True, capture_output=True)
    with served(env, var) as base:
        yield base, var


@pytest.fixture(scope="module")
def fake_voice(tmp_path_factory) -> Path:
    """The file Chromium's fake microphone plays (16-bit PCM WAV). Chromium opens it when
    a page starts capturing, so a test may write the text it needs before pressing Record."""
    path = tmp_path_factory.mktemp("voice") / "voice.wav"
    path.write_bytes(to_wav_bytes(synthesize("Minun nimeni on Anna. Asun Espoossa perheeni kanssa.")))
    return path


@pytest.fixture(scope="module")
def mic_browser(fake_voice):
    """Chromium with a microphone: permission granted, the voice file as its input."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make install` installs it")
    from playwright.sync_api import sync_playwright

    args = CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                            f"--use-file-for-fake-audio-capture={fake_voice}",
                            "--autoplay-policy=no-user-gesture-required"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        b.close()


def named(page, role: str, name: str, element_id: str) -> bool:
    """The element has this role and accessible name, as Chromium tells screen readers."""
    found = page.get_by_role(role, name=name, exact=True)
    return found.count() == 1 and found.get_attribute("id") == element_id


def test_a_job_seeker_records_the_read_aloud_task_and_sees_its_score(server, mic_browser, fake_voice):
    base, var = server
    context = mic_browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(base + "/en/")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert answer_items_until_speaking(page, base, "en") == 4

    # the speaking page: optional, needs a microphone, can be skipped
    assert page.locator("h1").inner_text() == "Speaking (optional)"
    intro = page.locator(".speaking-intro").inner_text()
    assert "optional" in intro and "microphone" in intro
    assert page.locator("#skip-all").inner_text() == "Skip to my result"
    assert "Task 1 of 2" in page.locator(".speaking-task").inner_text()
    # with JavaScript and a microphone the recorder replaces the file field
    assert page.locator("#recorder").is_visible() and not page.locator("#file-answer").is_visible()
    assert not unlabelled_controls(page)
    assert named(page, "button", "Record", "record") and named(page, "button", "Stop", "stop")
    assert named(page, "meter", "Microphone level", "mic-level")
    assert page.is_disabled("#stop")
    assert page.locator("#seconds-left").inner_text() == "120"

    # the microphone plays the text of the page, read by espeak-ng
    text = page.locator(".speaking-task .stimulus").inner_text().replace("\n", " ")
    fake_voice.write_bytes(to_wav_bytes(synthesize(text, wpm=130)))

    # a recording that is too short is refused with a message next to the recorder
    page.focus("#record")
    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement && document.activeElement.id === 'stop'")
    page.wait_for_timeout(400)                 # a fraction of a second of sound
    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement && document.activeElement.id === 'send'")
    page.keyboard.press("Enter")
    alert = page.locator("#upload-error[role=alert]")
    alert.wait_for(state="visible", timeout=20000)
    assert re.search(r"too short|not a recording", alert.inner_text()), alert.inner_text()
    assert page.url == base + "/en/speaking"

    # record again with the keyboard: Record, about 4 s, Stop, Send
    assert page.evaluate("document.activeElement.id") == "record"
    assert page.locator("#record").inner_text() == "Record again"
    page.keyboard.press("Enter")
    wait_until(page, "document.activeElement && document.activeElement.id === 'stop'")
    assert "Recording" in page.locator("#rec-status").inner_text()
    # the level meter moves: the microphone works
    wait_until(page, "document.getElementById('mic-level').value > 0.05", timeout=5000)
    page.wait_for_timeout(4500)
    left = int(page.locator("#seconds-left").inner_text())
    assert 110 <= left <= 116, left  # the countdown runs
    page.screenshot(path=str(var / "speaking-recording-en.png"), full_page=True)
    page.keyboard.press("Enter")  # Stop
    wait_until(page, "document.activeElement && document.activeElement.id === 'send'")
    page.locator("#playback").wait_for(state="visible", timeout=5000)
    started = time.monotonic()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Send: on at once, without waiting for the score
    assert time.monotonic() - started < 10

    # task 2: the open question with its preparation time; skipped here
    assert page.url == base + "/en/speaking"
    assert "Task 2 of 2" in page.locator(".speaking-task").inner_text()
    assert page.locator("#prep").is_visible()
    prep = int(page.locator("#prep-left").inner_text())
    page.wait_for_timeout(1500)
    assert int(page.locator("#prep-left").inner_text()) < prep
    page.screenshot(path=str(var / "speaking-task2-en.png"), full_page=True)
    with page.expect_navigation():
        page.click("text=Skip this task and see my result")
    assert page.url == base + "/en/result"

    # the result comes at once; the speaking score arrives by polling
    assert page.locator(".overall .level").inner_text()
    section = page.locator("#speaking-results")
    assert section.locator("h2").inner_text() == "Speaking"
    assert section.locator(".speech-job h3").inner_text() == "Reading aloud"
    try:  # the scored answer, or the plain message of a failed job
        section.locator(".speech-level, .speech-failed").wait_for(timeout=120000)
    except Exception:
        pytest.fail("no score after 120 s: " + section.inner_html() + "\n" + server_log(var))
    level = section.locator(".speech-level")
    assert level.count() == 1, section.inner_html() + "\n" + server_log(var)
    said = level.inner_text()
    assert re.fullmatch(r"Level: [ABC][12]", said) or said.startswith("Too unclear to judge"), said
    assert section.locator(".transcript").inner_text().strip()
    assert section.locator(".read-text").count() == 1
    assert section.locator("progress").count() == 0
    page.screenshot(path=str(var / "speaking-result-en.png"), full_page=True)
    context.close()


def test_without_a_microphone_the_page_offers_a_file_and_the_skip(server, mic_browser):
    """A browser that refuses the microphone: the file field comes back with the reason."""
    base, _var = server
    context = mic_browser.new_context(locale="en-US")
    page = context.new_page()
    page.add_init_script("""navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('denied', 'NotAllowedError'));""")
    page.goto(base + "/fi/")
    with page.expect_navigation():
        page.click("button[type=submit]")
    answer_items_until_speaking(page, base, "fi")
    page.click("#record")
    alert = page.locator("#upload-error[role=alert]")
    alert.wait_for(state="visible")
    assert page.locator("#file-answer").is_visible()
    assert page.locator("#audio").get_attribute("accept") == "audio/*"
    assert not unlabelled_controls(page)
    with page.expect_navigation():
        page.click("#skip-all")
    assert page.url == base + "/fi/result"
    assert page.locator("#speaking-results").count() == 0
    context.close()
