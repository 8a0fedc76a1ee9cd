"""The HTML replay report: one self-contained file whose charts render in real Chromium.

Specification: ``--html`` writes one page with nothing to fetch (no script,
no stylesheet or image link; inline SVG only) holding the gate verdict, the
headline figures, accuracy bars per SNR, noise, voice, speech rate and flow
(one bar per value and series), the reply latency histogram with p50 / p95 /
p99 lines, the intent confusion matrix (a cell per expected x understood
pair), the regressed cases and the failing cases. Headless Chromium (Debian's
/usr/bin/chromium through Playwright) loads it with the network blocked,
draws every chart without a console error, and a screenshot is kept.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.replay.baseline import Comparison, Regression
from assistant.replay.charts import bins
from assistant.replay.html_report import html_report
from assistant.replay.metrics import Threshold, summarise
from assistant.replay.results import CaseResult, Latency, TurnResult
from assistant.replay.scoring import WordErrors
from tests.assistant.replay.test_cli_replay import read_jsonl, replay
from tests.chromium import chromium

DATA = yaml.safe_load(
    (Path(__file__).parent / "data" / "report_results.yaml").read_text(encoding="utf-8")
)


def results() -> list[CaseResult]:
    """The cases of data/report_results.yaml as replay results."""
    made = []
    for case in DATA["cases"]:
        turns = tuple(
            TurnResult(
                index=i,
                transcript=f"said {i}",
                heard=f"heard {i}",
                expected_intent=expected,
                intent=got,
                confidence=0.9,
                expected_slots={},
                slots={},
                words=WordErrors(errors, 0, 0, 5),
                latency=Latency(final=ms / 2000, reply_text=ms / 1000),
            )
            for i, (expected, got, errors, ms) in enumerate(case["turns"], start=1)
        )
        made.append(CaseResult(case["id"], case["tags"], turns, planned_turns=len(turns)))
    return made


def page(*, audio: bool = True, comparison: Comparison | None = None) -> str:
    found = results()
    figures = summarise(found)
    gate = [Threshold("wer", 0.1, upper=True), Threshold("intent_accuracy", 0.5)]
    verdicts = {t.label: t.check(figures) for t in gate}
    return html_report(
        found, figures, verdicts, header="replay of 6 cases", audio=audio, comparison=comparison
    )


def values(tag: str) -> set[str]:
    return {case["tags"][tag] for case in DATA["cases"]}


# -- the file ----------------------------------------------------------------------


def test_the_page_is_one_file_that_fetches_nothing() -> None:
    text = page()
    assert text.startswith("<!DOCTYPE html>")
    for fetch in ("<script", "<link", "<img", "src=", "href=", "@import", "url("):
        assert fetch not in text
    # The only URL is the SVG namespace, which names and never fetches.
    assert set(re.findall(r"https?://[^\"' ]+", text)) == {"http://www.w3.org/2000/svg"}


def test_text_from_the_manifest_is_escaped() -> None:
    text = page()
    assert "odd-<b>name</b>" not in text
    assert "odd-&lt;b&gt;name&lt;/b&gt;" in text


def test_the_gate_verdict_leads_the_page() -> None:
    text = page()
    gate = text[text.index('id="gate"') :]
    assert 'data-state="fail"' in text
    assert gate.index("wer&lt;=0.1: wer 17.8% is over 10.0%") < gate.index(
        "intent_accuracy&gt;=0.5: met"
    )


def test_transcript_mode_charts_no_recording_tags() -> None:
    text = page(audio=False)
    assert 'id="by-flow"' in text
    for tag in ("snr", "noise", "voice", "rate"):
        assert f'id="by-{tag}"' not in text
    assert "word accuracy" not in text


def test_the_charted_figures_are_also_a_table() -> None:
    text = page()
    table = text[text.index('<details id="by-tag-table">') : text.index("</details>")]
    values_charted = sum(len(values(tag)) for tag in ("snr", "noise", "voice", "rate", "flow"))
    assert table.count("<tr><td>") == values_charted
    # SNR 5: two cases, 2 of 4 turns understood, 6 word errors in 20 words.
    assert (
        '<tr><td>snr</td><td>5</td><td class="n">2</td><td class="n">0.0%</td>'
        '<td class="n">50.0%</td><td class="n">50.0%</td><td class="n">30.0%</td>'
    ) in table


def test_every_case_is_in_the_folded_table() -> None:
    text = page()
    table = text[text.index('<details id="all-cases">') :]
    assert "All 6 cases" in table
    assert table.count("<tr><td>") == len(DATA["cases"])
    assert "<td>ask-clean</td><td class='ok'>pass</td>" in table
    assert "<td>send-5-engine</td><td class='bad'>FAIL</td>" in table
    assert "910 ms" in table  # send-5-engine's slowest reply


def test_regressions_are_listed() -> None:
    comparison = Comparison(
        Path("before.jsonl"),
        (Regression("send-10-road", ("slowest reply text 380 ms (was 120 ms)",)),),
        fixed=("ask-clean",),
    )
    text = page(comparison=comparison)
    assert "1 regressed, 1 fixed, 0 new" in text
    assert "slowest reply text 380 ms (was 120 ms)" in text


def test_the_command_writes_the_report(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report" / "replay.html"
    jsonl = tmp_path / "results.jsonl"
    assert (
        replay(
            str(manifest), "--transcripts", "--no-tts", "--html", str(out), "--jsonl", str(jsonl)
        )
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert "Failing cases (1 of 3)" in text
    assert 'data-case="wrong-expectation"' in text
    assert text.count('class="cell"') == len({"send_message", "confirm", "none"}) ** 2
    assert read_jsonl(jsonl)[-1]["cases"] == 3


# -- in Chromium ---------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.browser
@pytest.mark.slow
def test_the_charts_render_in_chromium(browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(page(), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []

    def nothing_but_the_file(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", nothing_but_the_file)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.goto(report.as_uri())

    series = 3  # intent accuracy, command acceptance, word accuracy
    for tag in ("snr", "noise", "voice", "rate", "flow"):
        bars = tab.locator(f"#by-{tag} svg rect.bar")
        assert bars.count() == len(values(tag)) * series, tag
        assert set(bars.evaluate_all("b => b.map(x => x.dataset.category)")) == values(tag)
    snr5 = tab.locator('#by-snr rect.bar[data-category="5"][data-series="intent accuracy"]')
    assert float(snr5.get_attribute("data-value") or "") == pytest.approx(2 / 4)

    latencies = [ms for case in DATA["cases"] for *_rest, ms in case["turns"]]
    _width, counts = bins(latencies)
    hist = tab.locator("#latency svg rect.bin")
    assert hist.count() == len(counts)
    assert sum(int(n) for n in hist.evaluate_all("b => b.map(x => x.dataset.count)")) == len(
        latencies
    )
    markers = tab.locator("#latency svg line.marker")
    assert markers.evaluate_all("m => m.map(x => x.dataset.name)") == ["p50", "p95", "p99"]

    intents = {t for case in DATA["cases"] for turn in case["turns"] for t in turn[:2]}
    cells = tab.locator("#confusion svg rect.cell")
    assert cells.count() == len(intents) ** 2
    counted = cells.evaluate_all("c => c.map(x => Number(x.dataset.count))")
    assert sum(counted) == len(latencies)
    wrong = tab.locator(
        '#confusion rect.cell[data-expected="cancel_event"][data-understood="query_calendar"]'
    )
    assert wrong.get_attribute("data-count") == "1"

    failing = tab.locator("#failing tr.case")
    assert failing.evaluate_all("r => r.map(x => x.dataset.case)") == [
        "send-5-engine",
        "cancel-5-road",
        "odd-<b>name</b>",
    ]
    # Every chart is laid out with a size (drawn, not just present in the DOM).
    boxes = tab.locator("svg.chart").evaluate_all(
        "s => s.map(x => { const r = x.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert len(boxes) == 7
    assert all(w > 100 and h > 100 for w, h in boxes)

    shot = tmp_path / "report.png"
    tab.screenshot(path=str(shot), full_page=True)
    blank = tmp_path / "blank.png"
    tab.set_content("<html><body></body></html>")
    tab.screenshot(path=str(blank), full_page=False)
    context.close()
    assert problems == []
    assert fetched == []
    width, height = png_size(shot.read_bytes())
    assert width == 1280
    assert height > 1500  # the whole page, charts and tables
    # A drawn page compresses far worse than an empty one of the same width.
    assert shot.stat().st_size > 20 * blank.stat().st_size
