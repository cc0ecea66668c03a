"""The workload both suites measure: one small scikit-learn model, its metrics and features.

`build_registry` is the fast path for large registries: it writes the same files `register`
writes (model.pkl, metadata.json with hashes, the audit log, the production pointer) without
fsync, hard-linking one model.pkl into every version so 100,000 versions fit in memory and disk.
"""

from __future__ import annotations

import os
import pickle
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FEATURES = [f"feature_{i}" for i in range(8)]
DATA_RANGE = {"start": "2025-01-01", "end": "2026-01-26"}
HYPERPARAMETERS = {"n_estimators": 10, "max_depth": 5, "random_state": 0}
#: the filter `list` is measured with: about a quarter of the versions pass it
FILTER = {"min_metrics": {"direction_accuracy": 0.55}, "max_metrics": {"rmse": 0.03}}
LIMIT = 10
#: the tag filter timed beside the metric one: one version in 35 holds both tags
TAG_FILTER = {"owner": "alice", "dataset": "v3"}
_OWNERS = ("alice", "bob", "carol", "dan", "erin", "frank", "grace")


def tags(i: int) -> dict[str, str]:
    """Version `i`'s tags: an owner of seven and a dataset of five, as a team's would spread."""
    return {"owner": _OWNERS[i % len(_OWNERS)], "dataset": f"v{i % 5}"}


_LINKS_PER_FILE = 50_000


def train() -> Any:
    """A ~49 KB RandomForestRegressor, the same in every run."""
    import numpy as np
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, len(FEATURES)))
    y = X @ rng.normal(size=len(FEATURES)) + rng.normal(scale=0.1, size=2000)
    return RandomForestRegressor(**HYPERPARAMETERS).fit(X, y)


def metrics(rng: random.Random) -> dict[str, float]:
    return {
        "direction_accuracy": round(rng.uniform(0.45, 0.65), 4),
        "profit_factor": round(rng.uniform(0.8, 1.6), 4),
        "rmse": round(rng.uniform(0.01, 0.05), 5),
        "sharpe": round(rng.uniform(-0.5, 2.0), 4),
    }


def training_result(model: Any, seed: int) -> Any:
    from modelreg import TrainingResult

    return TrainingResult(
        model=model,
        metrics=metrics(random.Random(seed)),
        features=list(FEATURES),
        hyperparameters=dict(HYPERPARAMETERS),
    )


def build_registry(root: Path, count: int, model: Any, *, seed: int = 0) -> list[str]:
    """Write `count` versions the way `register` lays them out; returns names, oldest first."""
    from modelreg._fsutil import hash_file
    from modelreg.events import Event, encode_event
    from modelreg.metadata import build_metadata, encode_metadata, iso_utc, version_fields

    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    source = root.parent / f"{root.name}.model.pkl"
    source.write_bytes(payload)
    digest, size = hash_file(source)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    names, events = [], []
    for i in range(count):
        moment = start + timedelta(minutes=i)
        name = moment.strftime("%Y%m%d_%H%M%S")
        fields = version_fields(
            metrics=metrics(rng),
            features=FEATURES,
            training_date=moment,
            data_range=DATA_RANGE,
            hyperparameters=HYPERPARAMETERS,
        )
        meta = build_metadata(
            fields,
            version=name,
            registered_at=moment,
            files={"model.pkl": {"sha256": digest, "bytes": size}},
            artifacts={"model": {"flavor": "pickle", "files": ["model.pkl"]}},
        )
        meta["tags"] = tags(i)
        folder = root / name
        folder.mkdir()
        if i % _LINKS_PER_FILE == 0:  # ext4 allows 65,000 links to one file
            source = root.parent / f"{root.name}.model.{i}.pkl"
            source.write_bytes(payload)
        os.link(source, folder / "model.pkl")
        (folder / "metadata.json").write_bytes(encode_metadata(meta))
        events.append(encode_event(Event(iso_utc(moment), "register", version=name, user="bench")))
        names.append(name)
    with open(root / "events.jsonl", "ab") as log:
        log.writelines(events)
    return names


def fill_catalog(url: str, template: str, count: int, *, first: int = 0, seed: int = 0) -> None:
    """The SQL catalog's fast fill: `count` copies of version `template`'s rows, all older.

    Each copy has a name of its own (one minute apart from 2020-01-01 + `first` minutes, so
    fills add up), its own metrics (in
    the metadata and the metrics table), the template's artifacts (the same blob) and its
    register event, as `register` leaves them; so a scan of the audit log sees every copy.
    """
    import sqlalchemy as sa

    from modelreg.backends.sql_schema import (
        artifacts,
        events,
        models,
        version_metrics,
        version_tags,
        versions,
    )
    from modelreg.events import Event
    from modelreg.metadata import iso_utc

    engine = sa.create_engine(url)
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            row = conn.execute(versions.select().where(versions.c.name == template)).one()
            files = [
                dict(r._mapping)
                for r in conn.execute(artifacts.select().where(artifacts.c.version_id == row.id))
            ]
            for batch in range(first, first + count, 1000):
                rows, logged, values = [], [], []
                for i in range(batch, min(batch + 1000, first + count)):
                    moment = start + timedelta(minutes=i)
                    name = moment.strftime("%Y%m%d_%H%M%S")
                    numbers = metrics(rng)
                    naive = moment.replace(tzinfo=None)
                    meta = {
                        **row.meta,
                        "version": name,
                        "metrics": numbers,
                        "registered_at": iso_utc(moment),
                        "training_date": iso_utc(moment),
                        "deployment_status": "registered",
                        "tags": tags(i),
                    }
                    rows.append(
                        {
                            "model_id": row.model_id,
                            "name": name,
                            "stamp": naive,
                            "counter": 0,
                            "training_date": naive,
                            "registered_at": naive,
                            "status": "registered",
                            "meta": meta,
                        }
                    )
                    values.append(numbers)
                    event = Event(iso_utc(moment), "register", version=name, user="bench")
                    logged.append(
                        {
                            "model_id": row.model_id,
                            "timestamp": event.timestamp,
                            "action": event.action,
                            "version": name,
                            "channel": None,
                            "body": event.to_dict(),
                        }
                    )
                ids = conn.execute(
                    versions.insert().returning(versions.c.id, sort_by_parameter_order=True),
                    rows,
                ).scalars()
                details_metrics, details_files, details_tags = [], [], []
                for version_id, numbers, meta in zip(
                    ids, values, (r["meta"] for r in rows), strict=True
                ):
                    details_tags += [
                        {"version_id": version_id, "key": k, "value": v}
                        for k, v in meta["tags"].items()
                    ]
                    details_metrics += [
                        {"version_id": version_id, "name": k, "value": v}
                        for k, v in numbers.items()
                    ]
                    details_files += [{**f, "version_id": version_id} for f in files]
                conn.execute(version_metrics.insert(), details_metrics)
                conn.execute(artifacts.insert(), details_files)
                conn.execute(version_tags.insert(), details_tags)
                conn.execute(events.insert(), logged)
            if "revision" in models.c:  # as every write transaction does (a catalog before
                # revision 0005 has none): a server's kept answers are now stale
                bump = models.update().where(models.c.id == row.model_id)
                conn.execute(bump.values(revision=models.c.revision + 1))
    finally:
        engine.dispose()
