"""The replay harness: recorded utterances through the whole pipeline, scored.

``drivetalk replay`` (``assistant/cli/replay.py``) is the front door; the
pieces, each usable alone::

    manifest   load_manifest() -> Manifest of Case / Turn; every problem at once
    manifest_schema  the pydantic models of the file, problems as lines
    directory  directory_store(): a manifest's own contacts as a fresh store
    frontend   hear_file(): a WAV through endpointing and recognition
    backend    fresh_local_backend(), configured_backend(), RecordingConnector
    speaker    TimingSpeaker: synthesises replies, notes first-audio time
    runner     replay(), Replayer: cases through parser, dialog and backend
    scoring    word_errors(), slot_errors(), outcome_errors()
    metrics    summarise(), by_tag(), Threshold, parse_threshold()
    gate       the gate's limits from options, manifest and [replay.gate]
    baseline   load_baseline(), compare(): the cases that regressed
    report     jsonl_report(), junit_report(), rich tables
    html_report, charts   the self-contained HTML report and its inline SVG
    noise      car-cabin noise generators and SNR mixing (for the synthetic set)
    synth      espeak-ng utterances with noise (scripts/make_audio_samples.py)
"""
