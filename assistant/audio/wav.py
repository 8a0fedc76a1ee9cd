"""RIFF/WAVE parsing that the stdlib ``wave`` module cannot do.

``wave`` rejects IEEE float and WAVE_FORMAT_EXTENSIBLE files, which is what
most recording tools write for 24-bit, float or multichannel audio. This
parser reads the chunk list itself, accepts integer PCM (8/16/24/32-bit),
IEEE float (32/64-bit) in plain or extensible form, and refuses everything
else (A-law, mu-law, ADPCM, odd widths) with a specific error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from assistant.audio.formats import PcmFormat, SampleFormat
from assistant.errors import AudioFormatError

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

#: The 14 bytes every KSDATAFORMAT_SUBTYPE GUID shares after its format tag.
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

_KNOWN_TAGS = {
    0x0002: "Microsoft ADPCM",
    0x0006: "A-law",
    0x0007: "mu-law",
    0x0011: "IMA ADPCM",
    0x0055: "MPEG layer 3",
}

_INT_FORMATS = {
    8: SampleFormat.U8,
    16: SampleFormat.S16,
    24: SampleFormat.S24,
    32: SampleFormat.S32,
}
_FLOAT_FORMATS = {32: SampleFormat.F32, 64: SampleFormat.F64}


@dataclass(frozen=True, slots=True)
class WavHeader:
    """Where the samples of a WAV file are and how they are encoded."""

    format: PcmFormat
    data_offset: int
    data_size: int

    @property
    def frames(self) -> int:
        """Number of whole frames in the data chunk."""
        return self.data_size // self.format.frame_bytes

    @property
    def duration(self) -> float:
        """Length of the audio in seconds."""
        return self.frames / self.format.rate


def read_wav_header(fh: BinaryIO, file_size: int) -> WavHeader:
    """Parse the RIFF header and chunk list up to the start of the ``data`` chunk.

    Leaves ``fh`` positioned at the first sample. A data chunk whose declared
    size runs past the end of the file (streaming writers leave 0 or
    0xFFFFFFFF there) is clamped to what is actually present.
    """
    riff = fh.read(12)
    if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file (no RIFF/WAVE header)")
    fmt: PcmFormat | None = None
    while True:
        chunk_id, size = _read_chunk_header(fh)
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(_read_exact(fh, size, "fmt chunk"))
            _skip_pad(fh, size)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError("WAV data chunk comes before its fmt chunk")
            offset = fh.tell()
            available = max(0, file_size - offset)
            data_size = min(size, available) if size else available
            data_size -= data_size % fmt.frame_bytes
            if data_size == 0:
                raise AudioFormatError("WAV file contains no audio samples")
            return WavHeader(format=fmt, data_offset=offset, data_size=data_size)
        else:
            fh.seek(size + (size & 1), 1)


def _read_chunk_header(fh: BinaryIO) -> tuple[bytes, int]:
    head = fh.read(8)
    if len(head) == 0:
        raise AudioFormatError("WAV file has no data chunk")
    if len(head) < 8:
        raise AudioFormatError("truncated WAV header")
    chunk_id, size = struct.unpack("<4sI", head)
    return chunk_id, size


def _read_exact(fh: BinaryIO, size: int, what: str) -> bytes:
    data = fh.read(size)
    if len(data) < size:
        raise AudioFormatError(f"truncated WAV header ({what})")
    return data


def _skip_pad(fh: BinaryIO, size: int) -> None:
    if size & 1:
        fh.seek(1, 1)


def _parse_fmt(body: bytes) -> PcmFormat:
    if len(body) < 16:
        raise AudioFormatError("truncated WAV header (fmt chunk shorter than 16 bytes)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE:
        tag = _extensible_subformat(body)
    sample = _sample_format(tag, bits)
    fmt = PcmFormat(rate=rate, channels=channels, sample=sample)
    if block_align != fmt.frame_bytes:
        raise AudioFormatError(
            f"inconsistent WAV header: block align {block_align} for {channels} x {bits}-bit"
        )
    return fmt


def _extensible_subformat(body: bytes) -> int:
    if len(body) < 40:
        raise AudioFormatError("truncated WAV header (extensible fmt chunk)")
    guid = body[24:40]
    if guid[2:] != _GUID_TAIL:
        raise AudioFormatError("unsupported WAV encoding (unknown extensible sub-format)")
    return int(struct.unpack("<H", guid[:2])[0])


def _sample_format(tag: int, bits: int) -> SampleFormat:
    if tag == WAVE_FORMAT_PCM:
        table, kind = _INT_FORMATS, "integer PCM"
    elif tag == WAVE_FORMAT_IEEE_FLOAT:
        table, kind = _FLOAT_FORMATS, "float"
    else:
        name = _KNOWN_TAGS.get(tag, f"format tag 0x{tag:04x}")
        raise AudioFormatError(f"unsupported WAV encoding: {name} (only PCM and float)")
    if bits not in table:
        raise AudioFormatError(f"unsupported WAV sample width: {bits}-bit {kind}")
    return table[bits]
