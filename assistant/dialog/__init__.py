"""The dialog manager: a pure state machine plus the runner that carries out its actions.

Public API::

    engine.step(state, event, now) -> (state, actions)   pure, no I/O
    events    Utterance, Timeout, Incoming, BargeIn, Fetched, Done, Failed, DeliveryFailed
    actions   Speak, Listen, SendMessage, MarkRead, FetchUnread, FetchEvents,
              CreateEvent, CancelEvent, StopSpeaking
    state     DialogState, Policy (timeouts, announcement policy, spoken length)
    runner    DialogRunner: parser + connector + outbox + speaker around step()
    session   open_session(settings, ...): the wiring ``drivetalk chat`` uses
    voice     listen_loop(runner, listener, chunks): speech turns from the ASR

Everything the assistant says is in ``catalogue/<locale>.yaml`` (``en``,
``zh``); the locale travels in ``Policy.locale``. ``speech`` renders times,
durations and counts the way people say them (``speech_zh`` in Mandarin);
``names`` says colleagues and groups by their name in the session's language.
"""
