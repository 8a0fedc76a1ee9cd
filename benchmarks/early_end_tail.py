"""The VAD's tail on the replay set's short answers, per end rule, in audio time.

For the 30 short answers of the English replay set ("yes", "no", "the first
one", ...), silero's probability and each frame's level above the noise
floor are computed once; then simple end rules are replayed on them: the
VAD end minus the true end (the end of the rendered speech) and when the
end is declared, for pauses of 96, 128 and 192 ms. Last, the same answers
after 3 s of digital silence (a gated client between turns), with the
noise floor following the zeros (as before the third early-end pass) or
left where the noise had it. Usage::

    .venv/bin/python benchmarks/early_end_tail.py
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vad_bench import read_float

from assistant.audio.noise_floor import SILENT_DB, NoiseFloor, frame_db
from assistant.audio.vad import make_classifier
from assistant.replay.manifest import load_manifest
from assistant.replay.synth import TRAIL_S

RATE = 16000
m = load_manifest(Path(__file__).resolve().parent.parent / "audio_samples")
short = {
    "yes",
    "no",
    "yes please",
    "yes send it",
    "the first one",
    "the one in sales",
    "no keep it",
    "stop",
    "send it",
    "cancel",
    "never mind",
}
rows = []
for case in m.cases:
    if case.locale != "en":
        continue
    for t in case.turns:
        if t.transcript.strip("'").lower() in short or t.transcript.lower() in short:
            rows.append((case.id, t))
print(len(rows), "short turns")


def frames(path):
    s = read_float(path)
    pcm = (np.clip(s * 32767, -32768, 32767)).astype("<i2").tobytes()
    cls = make_classifier("silero", RATE, aggressiveness=2, frame_ms=30, threshold=0.5)
    n = cls.frame_samples * 2
    out = []
    floor = NoiseFloor(cls.frame_samples / RATE, 3.0)
    for i in range(0, len(pcm) - n + 1, n):
        f = pcm[i : i + n]
        p = cls._model.probability(f)
        db = frame_db(f)
        floor.loud_enough(db)
        out.append((p, db - floor.level))
    return out, len(s) / RATE - TRAIL_S


data = [(cid, t, *frames(t.audio)) for cid, t in rows]
fs = 512 / RATE


def pp(values):
    """p50 / p95 of ``values`` (ms)."""
    return f"{np.percentile(values, 50):5.0f} / {np.percentile(values, 95):5.0f}"


def simulate(fr, true_end, pause_ms, rule):
    start = None
    silent = 0
    voiced_run = 0
    for i, (p, above) in enumerate(fr):
        in_speech = start is not None
        v = rule(p, above, in_speech)
        voiced_run = voiced_run + 1 if v else 0
        silent = 0 if v else silent + 1
        if start is None:
            if voiced_run * fs * 1000 >= 150:
                start = i
            continue
        if silent * fs * 1000 >= pause_ms:
            end = (i + 1 - silent) * fs
            declared = (i + 1) * fs
            return end - true_end, declared - true_end
    return None, None


rules = {
    "current (0.35 in speech, +3 dB)": lambda p, a, s: (
        (p >= (0.35 if s else 0.5)) and (a >= 3 or not s)
    ),
    "0.5 in speech, +3 dB": lambda p, a, s: (p >= 0.5) and (a >= 3 or not s),
    "0.35, +6 dB": lambda p, a, s: (p >= (0.35 if s else 0.5)) and (a >= 6 or not s),
    "0.35, +9 dB": lambda p, a, s: (p >= (0.35 if s else 0.5)) and (a >= 9 or not s),
    "0.5, +6 dB": lambda p, a, s: (p >= 0.5) and (a >= 6 or not s),
    "0.7, +6 dB": lambda p, a, s: (p >= (0.7 if s else 0.5)) and (a >= 6 or not s),
}
for name, rule in rules.items():
    for pause in (96, 128, 192):
        ends, decl = [], []
        for _cid, _t, fr, te in data:
            e, d = simulate(fr, te, pause, rule)
            if e is not None:
                ends.append(e)
                decl.append(d)
        ends = np.array(ends) * 1000
        decl = np.array(decl) * 1000
        print(
            f"{name:34s} pause {pause}: n={len(ends)} VAD end - true end {pp(ends)}"
            f"  declared {pp(decl)}  ended over 150 ms early {int((ends < -150).sum())}"
        )

print("--- after 3 s of digital silence (a gated client between turns) ---")


def frames2(path, skip_zero):
    s = read_float(path)
    pcm = bytes(RATE * 2 * 3) + (np.clip(s * 32767, -32768, 32767)).astype("<i2").tobytes()
    cls = make_classifier("silero", RATE, aggressiveness=2, frame_ms=30, threshold=0.5)
    n = cls.frame_samples * 2
    out = []
    floor = NoiseFloor(cls.frame_samples / RATE, 3.0)
    lead = (np.clip(s[: int(0.25 * RATE)] * 32767, -32768, 32767)).astype("<i2").tobytes()
    floor.level = frame_db(lead)
    for i in range(0, len(pcm) - n + 1, n):
        f = pcm[i : i + n]
        p = cls._model.probability(f)
        db = frame_db(f)
        if db <= SILENT_DB and not skip_zero:
            # How the floor followed zeros before: down toward -100 dB.
            floor.level += (db - floor.level) * floor._fall
        else:
            floor.loud_enough(db)
        out.append((p, db - floor.level))
    return out, len(s) / RATE - TRAIL_S + 3


for skip in (False, True):
    d2 = [(cid, t, *frames2(t.audio, skip)) for cid, t in rows]
    rule = rules["current (0.35 in speech, +3 dB)"]
    ends = []
    for _cid, _t, fr, te in d2:
        e, dd = simulate(fr, te, 192, rule)
        if e is not None:
            ends.append(e)
    ends = np.array(ends) * 1000
    print(f"floor left where the noise had it={skip}: VAD end - true end p50/p95 {pp(ends)}")
