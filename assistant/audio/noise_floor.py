"""An adaptive noise floor: how loud the cabin is when nobody speaks.

A car's noise changes with speed, road and weather, and a VAD on its own
often calls steady road roar or a blower "speech" (webrtcvad does so almost
always at 5-10 dB SNR). The floor follows the quiet frames of the stream
(minimum statistics): it drops quickly to a quieter frame and rises only
slowly, so a few seconds of speech barely lift it, while a car that speeds
up is followed within seconds. A frame is loud enough to be speech only if
its energy is ``margin_db`` above the floor.
"""

from __future__ import annotations

import math

import numpy as np

#: Energy of digital silence, in dB relative to full scale.
SILENT_DB = -100.0


def frame_db(frame: bytes) -> float:
    """Mean power of an int16 frame in dB relative to a full-scale square wave."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    power = float(np.mean(samples * samples)) / (32768.0 * 32768.0) if len(samples) else 0.0
    return 10 * math.log10(power) if power > 1e-10 else SILENT_DB


class NoiseFloor:
    """Minimum-statistics noise tracker, one per stream."""

    def __init__(
        self,
        frame_seconds: float,
        margin_db: float,
        *,
        rise_db_per_s: float = 3.0,
        fall_seconds: float = 0.15,
    ) -> None:
        self.margin_db = margin_db
        self._rise = rise_db_per_s * frame_seconds
        #: Share of the way to a quieter frame covered in one frame.
        self._fall = 1.0 - math.exp(-frame_seconds / fall_seconds)
        self.level: float | None = None

    def reset(self) -> None:
        """Forget the stream (a new one starts)."""
        self.level = None

    def loud_enough(self, energy_db: float) -> bool:
        """Track one frame's energy; whether it stands ``margin_db`` above the floor.

        Digital silence (a muted or gated client sending zeros between
        turns) is not loud and says nothing about the cabin: once noise has
        been heard, it leaves the floor where the noise had it. Followed, it
        would drag the floor to -100 dB, from where it climbs back at
        ``rise_db_per_s``: for many seconds every noise frame would count as
        loud, and word endings would run on in the VAD's hysteresis
        (measured in BENCHMARKS.md, "Early end, third pass"). A stream that
        starts silent (a clean recording) keeps its floor at silence.
        """
        if energy_db <= SILENT_DB and self.level is not None:
            return False
        if self.level is None:
            self.level = energy_db
        elif energy_db < self.level:
            self.level += (energy_db - self.level) * self._fall
        else:
            self.level += min(energy_db - self.level, self._rise)
        return energy_db >= self.level + self.margin_db
