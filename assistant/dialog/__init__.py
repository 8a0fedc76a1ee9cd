"""The dialog manager: a pure state machine plus the runner that carries out its actions.

Public API::

    engine.step(state, event, now) -> (state, actions)   pure, no I/O
    events    Utterance, Timeout, Incoming, BargeIn, Fetched, Done, Failed, DeliveryFailed
    actions   Speak, Listen, SendMessage, MarkRead, FetchUnread, FetchEvents,
              CreateEvent, CancelEvent, StopSpeaking
    state     DialogState, Policy (timeouts, announcement policy, spoken length)
    runner    DialogRunner: parser + connector + outbox + speech sink around step();
              hear(heard) -> Turn, the one turn API of chat, server and replay
    turn      Turn: transcript, parse, replies, actions, awaiting_answer
    backend_calls  carry_out(action, ...): sends through the outbox, reads, calendar
    sink      SpeechSink (say / stop / aclose): speech out and barge-in
    voice     listen_loop(runner, listener, chunks): speech turns from the ASR

The runner is built by the composition root, :mod:`assistant.compose`.

Everything the assistant says is in ``catalogue/<locale>.yaml`` (``en``,
``zh``); the locale travels in ``Policy.locale``. ``speech`` renders times,
durations and counts the way people say them (``speech_zh`` in Mandarin);
``names`` says colleagues and groups by their name in the session's language.
"""
