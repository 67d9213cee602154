"""Who may see what: display tokens for walls (and, later, leaders' and analysts' accounts).

Kept in one SQLite file (`COCKPIT_ACCOUNTS_DB`), never in the snapshot store: snapshots are
immutable published data, accounts and tokens change every day."""
