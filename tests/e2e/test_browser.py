"""The browser page in real headless Chromium, a Korean WAV as the microphone.

Specification: with an API key the page opens a session and its WebSocket;
holding the talk button streams the microphone as PCM, shows the live
partial transcript, then the final transcript, the understood intent and the
assistant's reply, whose audio arrives and is played; the text box works as
a fallback.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from assistant.server.app import create_app
from tests.assistant.audio.wavgen import espeak, silence_then
from tests.assistant.server.live import Live, make_key, serve, server_settings

pytestmark = [pytest.mark.browser, pytest.mark.vosk, pytest.mark.espeak, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("needs espeak-ng and sox")
    root = tmp_path_factory.mktemp("mic")
    speech = espeak("안녕하세요 오늘 날씨가 좋네요", root / "speech.wav")
    return silence_then(root / "mic.wav", speech, lead=0.6, tail=1.0)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = server_settings(tmp_path_factory.mktemp("browser"))
    with serve(create_app(settings)) as running:
        yield running


@pytest.fixture(scope="module")
def page(live: Live, mic_wav: Path) -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={mic_wav}%noloop",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context()
            context.grant_permissions(["microphone"], origin=live.url)
            tab = context.new_page()
            tab.set_default_timeout(60_000)
            yield tab
        finally:
            browser.close()


def test_connect_with_a_key(live: Live, page: Page) -> None:
    key = make_key(live.app.state.server.settings, "acme", "browser-car")
    page.goto(f"{live.url}/")
    page.fill("#key", key)
    page.click("#connect")
    page.wait_for_selector("#talk:not([hidden])")
    assert "Connected" in page.text_content("#status")


def test_typed_fallback_shows_intent_and_reply(page: Page) -> None:
    page.fill("#text", "what's on my calendar tomorrow")
    page.press("#text", "Enter")
    page.wait_for_selector("#replies li")
    page.wait_for_function("document.querySelector('#intent').textContent.length > 0")
    assert page.text_content("#intent").startswith("query_calendar")


def test_push_to_talk_streams_the_microphone(page: Page) -> None:
    replies_before = page.locator("#replies li").count()
    page.hover("#ptt")
    page.mouse.down()
    try:
        page.wait_for_function(
            "document.querySelector('#partial').textContent.trim().length > 0", timeout=30_000
        )
        page.wait_for_timeout(2500)
    finally:
        page.mouse.up()
    page.wait_for_function(f"document.querySelectorAll('#replies li').length > {replies_before}")
    transcript = page.text_content("#transcript")
    assert transcript.strip()
    assert transcript != "what's on my calendar tomorrow"
    assert page.text_content("#intent").startswith("none")
    page.wait_for_function("Number(document.querySelector('#player').dataset.bytes) > 44")


def test_a_tester_picks_mandarin_and_the_session_answers_in_it(live: Live, page: Page) -> None:
    key = make_key(live.app.state.server.settings, "acme", "browser-car-zh")
    page.goto(f"{live.url}/")
    page.fill("#key", key)
    page.select_option("#locale", "zh")
    page.click("#connect")
    page.wait_for_selector("#talk:not([hidden])")
    assert page.get_attribute("#talk", "data-locale") == "zh"
    assert page.get_attribute("#text", "placeholder") == "或者输入：给李娜发消息"
    page.fill("#text", "明天有什么安排")
    page.press("#text", "Enter")
    page.wait_for_selector("#replies li")
    page.wait_for_function("document.querySelector('#intent').textContent.length > 0")
    assert page.text_content("#intent").startswith("query_calendar")
    assert page.text_content("#replies li").startswith("明天你有")
    page.fill("#text", "안녕하세요")
    page.press("#text", "Enter")
    page.wait_for_function("document.querySelectorAll('#replies li').length > 1")
    assert page.locator("#replies li").nth(1).text_content() == "抱歉，我只听得懂中文和英文。"
