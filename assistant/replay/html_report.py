"""``--html FILE``: one self-contained page a QA lead reads instead of the JSON.

The page holds, top to bottom: the gate's verdict (every limit and the
baseline comparison, failed ones first), the headline figures, accuracy
charts per SNR, noise, voice, speech rate and flow (tags of the cases), the
reply latency distribution with its p50 / p95 / p99, the intent confusion
matrix, the regressed cases, and a table of every failing case with what
was said, heard and understood (then every case, folded away). Charts are inline SVG drawn by
:mod:`assistant.replay.charts`; there is no script and nothing is fetched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from importlib import resources

from assistant.models import Intent
from assistant.replay.baseline import Comparison
from assistant.replay.charts import Series, bar_chart, confusion_matrix, histogram
from assistant.replay.metrics import LATENCY_LABELS, Figures, Percentiles, by_tag
from assistant.replay.report import AUDIO_TAGS, TAG_ORDER
from assistant.replay.results import CaseResult, TurnResult

_TAG_TITLES = {
    "snr": "Accuracy per SNR (dB)",
    "noise": "Accuracy per noise type",
    "voice": "Accuracy per voice",
    "rate": "Accuracy per speech rate (words per minute)",
    "flow": "Accuracy per flow",
}

#: Inlined into the page: the report is one file.
_STYLE = (resources.files("assistant.replay") / "report.css").read_text(encoding="utf-8")


def html_report(
    results: Sequence[CaseResult],
    figures: Figures,
    verdicts: Mapping[str, str | None],
    *,
    header: str,
    audio: bool,
    comparison: Comparison | None = None,
    generated: datetime | None = None,
) -> str:
    """The whole report page as text."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>DriveTalk replay report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>DriveTalk replay report</h1>",
        f'<p class="sub">{escape(header)} &middot; {when}</p>',
        _gate(verdicts),
        _tiles(figures),
        _tag_charts(results, audio),
        _latency(results, figures),
        _confusion(results),
        _regressions(comparison),
        _failing(results, audio),
        _all_cases(results, audio),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _gate(verdicts: Mapping[str, str | None]) -> str:
    if not verdicts:
        return '<div class="gate pass" id="gate"><b>No gate set</b> (see README: replay gate)</div>'
    failed = [(k, why) for k, why in verdicts.items() if why is not None]
    passed = [k for k, why in verdicts.items() if why is None]
    items = [f'<li class="bad">{escape(k)}: {escape(why or "")}</li>' for k, why in failed]
    items += [f'<li class="ok">{escape(k)}: met</li>' for k in passed]
    state = "fail" if failed else "pass"
    title = f"Gate FAILED: {len(failed)} of {len(verdicts)}" if failed else "Gate passed"
    return (
        f'<div class="gate {state}" id="gate" data-state="{state}"><b>{title}</b>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _tiles(figures: Figures) -> str:
    which, reply = figures.reply_latency
    tiles = [
        ("cases passed", _pct(figures.case_pass_rate)),
        ("intent accuracy", _pct(figures.intent_accuracy)),
        ("command acceptance", _pct(figures.command_acceptance)),
        ("slot accuracy", _pct(figures.slot_accuracy)),
        ("task success", _pct(figures.task_success)),
        ("word error rate", _pct(figures.wer)),
        ("cases / turns", f"{figures.cases} / {figures.turns}"),
        ("cases with errors", str(figures.errors)),
    ]
    if reply is not None:
        tiles += [
            (f"{LATENCY_LABELS[which]} p{p}", f"{reply.at(p) * 1000:.0f} ms") for p in (50, 95, 99)
        ]
    cells = "".join(
        f'<div class="tile"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
        for k, v in tiles
    )
    return f'<h2>Summary</h2><div class="tiles" id="summary">{cells}</div>'


def _tag_charts(results: Sequence[CaseResult], audio: bool) -> str:
    grouped = by_tag(results)
    keys = [k for k in TAG_ORDER if k in grouped and (audio or k not in AUDIO_TAGS)]
    if not keys:
        return ""
    figures = [
        f'<figure id="by-{escape(key)}"><figcaption>{escape(_TAG_TITLES[key])}</figcaption>'
        + _tag_chart(key, grouped[key], audio)
        + "</figure>"
        for key in keys
    ]
    note = (
        ""
        if audio
        else '<p class="sub">Transcript mode: the recording tags (SNR, noise, voice, rate) '
        "are not charted, nothing was heard.</p>"
    )
    table = _tag_table({key: grouped[key] for key in keys}, audio)
    return f'<h2>Accuracy by tag</h2>{note}<div class="charts">{"".join(figures)}</div>{table}'


def _tag_table(grouped: Mapping[str, Mapping[str, Figures]], audio: bool) -> str:
    """The charted figures as numbers, with the WER and the p95 reply latency per value."""
    heads = ["tag", "value", "cases", "passed", "intent", "command"]
    heads += ["WER"] if audio else []
    rows = []
    for key, groups in grouped.items():
        for value, fig in groups.items():
            _which, reply = fig.reply_latency
            cells = [
                _pct(fig.case_pass_rate),
                _pct(fig.intent_accuracy),
                _pct(fig.command_acceptance),
                *([_pct(fig.wer)] if audio else []),
                "–" if reply is None else f"{reply.p95 * 1000:.0f} ms",
            ]
            rows.append(
                f"<tr><td>{escape(key)}</td><td>{escape(value)}</td>"
                f'<td class="n">{fig.cases}</td>'
                + "".join(f'<td class="n">{c}</td>' for c in cells)
                + "</tr>"
            )
    head = "".join(f"<th>{h}</th>" for h in [*heads, "reply p95"])
    return (
        '<details id="by-tag-table"><summary>The same figures as a table</summary>'
        f"<table><tr>{head}</tr>{''.join(rows)}</table></details>"
    )


def _tag_chart(key: str, groups: Mapping[str, Figures], audio: bool) -> str:
    values = list(groups.values())
    series = [
        Series("intent accuracy", tuple(f.intent_accuracy for f in values)),
        Series("command acceptance", tuple(f.command_acceptance for f in values)),
    ]
    if audio:
        series.append(Series("word accuracy", tuple(f.word_accuracy for f in values)))
    return bar_chart(_TAG_TITLES[key], list(groups), series, counts=[f.cases for f in values])


def _latency(results: Sequence[CaseResult], figures: Figures) -> str:
    which, reply = figures.reply_latency
    values = [
        v * 1000 for r in results for t in r.turns if (v := getattr(t.latency, which)) is not None
    ]
    rows = "".join(
        f"<tr><td>end of speech &rarr; {escape(LATENCY_LABELS[name])}</td>"
        + "".join(f'<td class="n">{_ms(p, q)}</td>' for q in (50, 95, 99))
        + f'<td class="n">{p.count if p else 0}</td></tr>'
        for name, p in figures.latency.items()
    )
    table = (
        "<table><tr><th>latency</th><th>p50</th><th>p95</th><th>p99</th><th>turns</th></tr>"
        f"{rows}</table>"
    )
    if reply is None or not values:
        return f"<h2>Latency</h2><p>No reply latency was measured.</p>{table}"
    markers = {f"p{q}": reply.at(q) * 1000 for q in (50, 95, 99)}
    chart = histogram(f"end of speech to {LATENCY_LABELS[which]}", values, markers)
    caption = f"End of speech &rarr; {escape(LATENCY_LABELS[which])}, per turn (ms)"
    return (
        f'<h2>Latency</h2><figure id="latency"><figcaption>{caption}</figcaption>{chart}'
        f"</figure>{table}"
    )


def _ms(p: Percentiles | None, q: int) -> str:
    return "–" if p is None else f"{p.at(q) * 1000:.0f} ms"


def _confusion(results: Sequence[CaseResult]) -> str:
    pairs = Counter((t.expected_intent, t.intent) for r in results for t in r.turns)
    if not pairs:
        return ""
    seen = {name for pair in pairs for name in pair}
    labels: list[str] = [i.value for i in Intent if i.value in seen]
    labels += sorted(seen - set(labels))
    chart = confusion_matrix("intent confusion matrix", labels, pairs)
    return (
        '<h2>Intent confusion matrix</h2><figure id="confusion"><figcaption>Rows: the intent '
        "expected; columns: the intent understood (turns)</figcaption>"
        f"{chart}</figure>"
    )


def _regressions(comparison: Comparison | None) -> str:
    if comparison is None:
        return ""
    head = f"<h2>Against the baseline</h2><p>Baseline {escape(str(comparison.path))}: "
    head += f"{len(comparison.regressions)} regressed, {len(comparison.fixed)} fixed, "
    head += f"{len(comparison.new)} new.</p>"
    if not comparison.regressions:
        return head
    rows = "".join(
        f"<tr><td>{escape(r.id)}</td><td>{'<br>'.join(escape(x) for x in r.reasons)}</td></tr>"
        for r in comparison.regressions
    )
    return (
        f'{head}<table id="regressions"><tr><th>case</th><th>what got worse</th></tr>{rows}</table>'
    )


def _failing(results: Sequence[CaseResult], audio: bool) -> str:
    failing = [r for r in results if not r.passed]
    if not failing:
        return '<h2>Failing cases</h2><p id="failing">None: every case passed.</p>'
    rows = "".join(_failing_row(r, audio) for r in failing)
    heard = "<th>heard</th>" if audio else ""
    return (
        f"<h2>Failing cases ({len(failing)} of {len(results)})</h2>"
        f'<table id="failing"><tr><th>case</th><th>tags</th><th>problems</th>'
        f"<th>said</th>{heard}<th>understood</th></tr>{rows}</table>"
    )


def _failing_row(result: CaseResult, audio: bool) -> str:
    tags = ", ".join(f"{k}={v}" for k, v in sorted(result.tags.items()))
    problems = "<br>".join(escape(p) for p in result.problems())
    bad = [t for t in result.turns if not t.accepted] or list(result.turns[-1:])
    said = "<br>".join(escape(t.transcript) for t in bad)
    heard = f"<td>{'<br>'.join(escape(t.heard) for t in bad)}</td>" if audio else ""
    understood = "<br>".join(
        f"{escape(t.intent)} <span class='sub'>(expected {escape(t.expected_intent)})</span>"
        for t in bad
    )
    return (
        f'<tr class="case" data-case="{escape(result.id, quote=True)}"><td>{escape(result.id)}'
        f"</td><td><code>{escape(tags)}</code></td><td>{problems}</td><td>{said}</td>{heard}"
        f"<td>{understood}</td></tr>"
    )


def _all_cases(results: Sequence[CaseResult], audio: bool) -> str:
    """Every case in one folded table: result, tags, turns accepted, WER, slowest reply."""
    rows = "".join(_case_row(r, audio) for r in results)
    wer = "<th>WER</th>" if audio else ""
    return (
        f'<details id="all-cases"><summary>All {len(results)} cases</summary><table>'
        f"<tr><th>case</th><th>result</th><th>tags</th><th>turns ok</th>{wer}"
        f"<th>slowest reply</th></tr>{rows}</table></details>"
    )


def _case_row(result: CaseResult, audio: bool) -> str:
    state = "pass" if result.passed else "ERROR" if result.error else "FAIL"
    tags = ", ".join(f"{k}={v}" for k, v in sorted(result.tags.items()))
    ok = sum(t.accepted for t in result.turns)
    words = [t.words for t in result.turns if t.words is not None]
    reference = sum(w.reference_words for w in words)
    rate = sum(w.errors for w in words) / reference if reference else None
    wer = f'<td class="n">{_pct(rate)}</td>' if audio else ""
    replies = [v for t in result.turns if (v := _reply_seconds(t)) is not None]
    slowest = f"{max(replies) * 1000:.0f} ms" if replies else "–"
    css = "ok" if result.passed else "bad"
    return (
        f"<tr><td>{escape(result.id)}</td><td class='{css}'>{state}</td>"
        f"<td><code>{escape(tags)}</code></td><td class='n'>{ok}/{result.planned_turns}</td>"
        f"{wer}<td class='n'>{slowest}</td></tr>"
    )


def _reply_seconds(turn: TurnResult) -> float | None:
    """End of speech to the first reply audio, else to the reply text."""
    audio = turn.latency.reply_audio
    return audio if audio is not None else turn.latency.reply_text
