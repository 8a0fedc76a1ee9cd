"""The replay harness: recorded utterances through the whole pipeline, scored.

``drivetalk replay`` (``assistant/cli/replay.py``) is the front door; the
pieces, each usable alone::

    manifest   load_manifest() -> Manifest of Case / Turn (pydantic at the edge)
    frontend   hear_file(): a WAV through endpointing and recognition
    backend    fresh_local_backend(), configured_backend(), RecordingConnector
    speaker    TimingSpeaker: synthesises replies, notes first-audio time
    runner     replay(), Replayer: cases through parser, dialog and backend
    scoring    word_errors(), slot_errors(), outcome_errors()
    metrics    summarise(), by_tag(), parse_threshold()
    report     jsonl_report(), junit_report(), rich tables
    noise      car-cabin noise generators and SNR mixing (for the synthetic set)
    synth      espeak-ng utterances with noise (scripts/make_audio_samples.py)
"""
