"""The governed part of the server: who may call (identity), how much (quotas), what is recorded
(audit log), kept in one SQL database (SQLite by default, PostgreSQL for several instances)."""
