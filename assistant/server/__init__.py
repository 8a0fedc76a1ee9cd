"""The fleet server: ``create_app()`` in :mod:`assistant.server.app`, run by ``drivetalk serve``.

Modules: ``app`` (factory, lifespan), ``routes_*`` (REST, WebSocket, operations),
``stream`` / ``stream_protocol`` (the audio WebSocket), ``keys`` / ``auth`` /
``ratelimit`` / ``limits`` (who may do what, how much), ``tenants`` /
``sessions`` / ``assembly`` (whose data, which conversation), ``speech``
(the shared recognizer and TTS), ``schemas`` / ``handlers`` (the HTTP edge),
``admission`` (``busy`` instead of late replies), ``observe`` / ``logs`` /
``metrics`` / ``probes`` (request ids, the log, what ``/metrics`` shows),
``docs`` (Swagger UI served offline), ``tls`` (HTTPS certificate checks);
with ``server.database_url`` (a fleet): ``session_store`` (sessions any
replica takes up), ``shared_ratelimit`` (one bucket per key for all
replicas), ``inbound_fanout`` (pushes reach the car's replica, LISTEN/NOTIFY);
the engines themselves are in :mod:`assistant.storage`.
"""
