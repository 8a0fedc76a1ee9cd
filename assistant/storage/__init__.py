"""Where the server keeps what outlives a process: SQLite on one machine, PostgreSQL for a fleet.

Stores (API keys, outboxes, ...) talk to a :class:`~assistant.storage.database.Database`
and never to a driver directly, so each store has one body of SQL for both
engines (written with ``?`` placeholders) and a versioned schema
(:mod:`assistant.storage.migrations`) applied when it opens.
"""
