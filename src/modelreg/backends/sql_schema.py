"""The catalog's tables (SQLAlchemy Core), as the newest migration leaves them.

`migrations/` creates and changes them; this module describes them for queries. A version's
metadata is stored whole as JSON; the columns beside it (status, dates, the metrics table)
exist so that `list_versions` filters, orders and limits in the database.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)

__all__ = [
    "EVENT_SECOND",
    "OWNED_BY_VERSION",
    "SCHEMA_VERSION_TABLE",
    "artifacts",
    "events",
    "metadata",
    "models",
    "pointers",
    "version_metrics",
    "version_tags",
    "versions",
]

#: where alembic records the schema revision (named so it never clashes with an app's own)
SCHEMA_VERSION_TABLE = "modelreg_schema_version"

#: autoincrementing 64-bit keys; SQLite only autoincrements a plain INTEGER PRIMARY KEY
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

models = Table(
    "modelreg_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(), nullable=False),
    #: the model's own record: its description and tags (None until one is set)
    Column("meta", JSON, nullable=True),
    #: one more at every write transaction of the model (readers' caches compare it)
    Column("revision", BigInteger, nullable=False, server_default="0"),
)

versions = Table(
    "modelreg_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("modelreg_models.id"), nullable=False),
    Column("name", String(32), nullable=False),
    Column("stamp", DateTime(), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("training_date", DateTime(), nullable=False),
    Column("registered_at", DateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("meta", JSON, nullable=False),
    UniqueConstraint("model_id", "name", name="uq_modelreg_versions_model_name"),
    Index("ix_modelreg_versions_order", "model_id", "stamp", "counter"),
    Index("ix_modelreg_versions_trained", "model_id", "training_date"),
)


def _owning_version() -> Column[int]:
    """The key column of a row owned by one version: gone with it (`OWNED_BY_VERSION`)."""
    return Column(
        "version_id",
        BigId,
        ForeignKey("modelreg_versions.id", ondelete="CASCADE"),
        primary_key=True,
    )


version_metrics = Table(
    "modelreg_version_metrics",
    metadata,
    _owning_version(),
    Column("name", String(255), primary_key=True),
    Column("value", Float, nullable=False),
    Index("ix_modelreg_metrics_value", "name", "value"),
)

#: an index of each version's tags (the tags themselves are in `versions.meta`)
version_tags = Table(
    "modelreg_version_tags",
    metadata,
    _owning_version(),
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Index("ix_modelreg_tags_lookup", "key", "value"),
)

pointers = Table(
    "modelreg_pointers",
    metadata,
    Column("model_id", Integer, ForeignKey("modelreg_models.id"), primary_key=True),
    Column("channel", String(63), primary_key=True),
    Column("version", String(32), nullable=False),
    Column("updated_at", DateTime(), nullable=False),
)

events = Table(
    "modelreg_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", Integer, ForeignKey("modelreg_models.id"), nullable=False),
    Column("timestamp", String(40), nullable=False),
    Column("action", String(32), nullable=False),
    Column("version", String(32)),
    Column("channel", String(63)),
    Column("body", JSON, nullable=False),
    Index("ix_modelreg_events_model", "model_id", "id"),
    Index("ix_modelreg_events_channel", "model_id", "channel", "id"),
)

#: the channels that have a recovered move (rare: `verify --repair`), which `sql_history` must
#: read from the whole log; partial, so it holds only those events
_RECOVERED = literal_column("action") == literal_column("'recover'")
Index(
    "ix_modelreg_events_recovered",
    events.c.model_id,
    events.c.channel,
    sqlite_where=_RECOVERED,
    postgresql_where=_RECOVERED,
)

#: the second an event's version name was made in (`YYYYMMDD_HHMMSS`, its first 15
#: characters), indexed so a register finds the names its second has had without reading the
#: log; constants inline, so PostgreSQL and SQLite match the query to the index's expression
EVENT_SECOND = func.substr(events.c.version, literal_column("1"), literal_column("15"))
Index("ix_modelreg_events_second", events.c.model_id, EVENT_SECOND)

artifacts = Table(
    "modelreg_artifacts",
    metadata,
    _owning_version(),
    Column("name", String(1024), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("uri", Text, nullable=False),
    Index("ix_modelreg_artifacts_sha256", "sha256"),
)

#: the tables whose rows belong to one version, deleted with it
OWNED_BY_VERSION = (artifacts, version_metrics, version_tags)
