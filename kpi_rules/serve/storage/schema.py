"""The tables as the newest schema version has them (migrate.py builds and upgrades them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Integer, LargeBinary, MetaData, Table, Text

metadata = MetaData()

schema_version = Table("kpi_schema_version", metadata, Column("version", Integer, nullable=False))

audit = Table(
    "audit", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # unique: one chain, no fork
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("role", Text),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("policy", Text),  # JSON {id, version, sha256, commit} or null
    Column("data_sha256", Text),
    Column("result_sha256", Text),
    Column("status", Integer, nullable=False),
    Column("prev", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

evaluations = Table(
    "evaluations", metadata,
    Column("id", Text, primary_key=True),
    Column("policy_id", Text, nullable=False),
    Column("policy_version", Text),
    Column("policy_sha256", Text, nullable=False),
    Column("policy_commit", Text),
    Column("period", Text),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("data_file", Text, nullable=False),
    Column("data_sha256", Text, nullable=False),
    Column("data_zlib", LargeBinary, nullable=False),
    Column("results_zlib", LargeBinary, nullable=False),
    Column("results_sha256", Text, nullable=False),
    Column("header", Text, nullable=False),  # the results document but its employees, as JSON
    Column("rows", Integer, nullable=False),
    Column("rated", Integer, nullable=False),
    Column("not_rated", Integer, nullable=False),
    Column("error", Integer, nullable=False),
    Column("options", Text, nullable=False, server_default="{}"),  # schema 2: how the data was read
    Column("scope_counts", LargeBinary),  # schema 2: rows per team and employee, per period (zlib JSON)
    Column("policy_file", Text),  # schema 2: the policy version it ran, to explain and report it later
    Column("policy_zlib", LargeBinary),
    Column("version", Integer, nullable=False, server_default="1"),  # schema 4: 1 + calibrations applied
)

evaluation_calibrations = Table(
    "evaluation_calibrations", metadata,
    Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),  # the evaluation's version it made
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("file", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("source_zlib", LargeBinary, nullable=False),
    Column("previous_sha256", Text, nullable=False),  # the results it replaced
    Column("results_sha256", Text, nullable=False),  # the results it made
    Column("summary", Text, nullable=False),  # the calibration's summary (JSON), as in the results
)

evaluation_rows = Table(
    "evaluation_rows", metadata,
    Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("employee_id", Text),
    Column("team", Text),
    Column("status", Text, nullable=False),
    Column("row", LargeBinary, nullable=False),  # the row's JSON, exactly as in the results document
)

web_sessions = Table(  # schema 3: the web app's sessions (only the SHA-256 of a session id is kept)
    "web_sessions", metadata,
    Column("id_sha256", Text, primary_key=True),
    Column("token_sha256", Text),  # the signed-in token's digest; null on an open (loopback, no tokens) server
    Column("csrf", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("seen", Float, nullable=False),
)

evaluation_tables = Table(  # schema 5: each evaluation's employee table index (storage/table_index.py)
    "evaluation_tables", metadata,
    Column("evaluation_id", Text, ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),  # the evaluation's version it indexes
    Column("table_zlib", LargeBinary, nullable=False),
)
