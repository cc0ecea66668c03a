"""BackendContract: every rule of `Backend`'s docstrings, checked on the primitives alone.

A new backend subclasses it and provides a `backend` fixture (a fresh, empty backend). The
facade-level suite (`modelreg.testing.facade`) then checks the same backend under
`ModelRegistry`; together they are the proof that a backend needs nothing unwritten.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from ..backends.base import Backend, Debris
from ..errors import VersionExistsError, VersionNotFoundError
from ..events import Event, event_key, pointer_history
from ..integrity import hash_folder, verify_files
from ..metadata import METADATA_FILE, build_metadata, decode_metadata, iso_utc, version_fields
from ..query import VersionQuery
from .support import registered_at

__all__ = ["BackendContract"]

_NAME = "20260126_103000"
_OTHER = "20260126_103001"


def _publish(
    backend: Backend,
    name: str = _NAME,
    rmse: float = 0.1,
    files: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Stage `files` (default one model file and one in a subfolder) and publish them."""
    files = files or {"model.bin": b"weights", "extra/notes.txt": b"hello"}
    with backend.staging() as staged:
        for filename, data in files.items():
            target = staged / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        hashed = hash_folder(staged)
        fields = version_fields(metrics={"rmse": rmse}, features=["a", "b"])
        meta = build_metadata(
            fields, version=name, registered_at=registered_at(), files=hashed, artifacts={}
        )
        backend.prepare_publish(staged, hashed)
        with backend.transaction():
            backend.publish(staged, name, meta)
    return meta


def _event(action: str, version: str | None = _NAME, seconds: int = 0, **more: Any) -> Event:
    return Event(iso_utc(registered_at(seconds)), action, version=version, user="tester", **more)


class BackendContract:
    """Subclass with a `backend` fixture returning a fresh, empty `Backend`."""

    # --- staging and publishing -----------------------------------------------------------

    def test_staging_folders_are_fresh_empty_and_removed(self, backend: Backend) -> None:
        with backend.staging() as one, backend.staging() as two:
            assert one != two and one.is_dir() and two.is_dir()
            assert list(one.iterdir()) == [] and list(two.iterdir()) == []
            (one / "x").write_bytes(b"x")
        assert not one.exists() and not two.exists()

    def test_a_published_version_reads_back(self, backend: Backend) -> None:
        meta = _publish(backend)
        assert backend.version_names() == [_NAME]
        stored = backend.read_metadata(_NAME)
        assert stored is not None
        assert stored["version"] == _NAME and stored["files"] == meta["files"]
        assert stored["metrics"] == {"rmse": 0.1}

    def test_a_taken_name_is_version_exists(self, backend: Backend) -> None:
        _publish(backend)
        with pytest.raises(VersionExistsError):
            _publish(backend, rmse=0.5, files={"model.bin": b"other"})
        stored = backend.read_metadata(_NAME)
        assert stored is not None and stored["metrics"] == {"rmse": 0.1}

    def test_read_metadata_is_a_fresh_dict(self, backend: Backend) -> None:
        _publish(backend)
        first = backend.read_metadata(_NAME)
        assert first is not None
        first["metrics"]["rmse"] = 99.0
        first["deployment_status"] = "changed"
        again = backend.read_metadata(_NAME)
        assert again is not None and again["metrics"] == {"rmse": 0.1}
        assert again["deployment_status"] == "registered"

    def test_metadata_in_a_transaction_is_the_callers_own(self, backend: Backend) -> None:
        """Inside a writer's transaction too, where a catalog answers from what it read or
        holds back: every read is a fresh dict, and a dict changed after it was written
        changes nothing stored."""
        _publish(backend)
        with backend.transaction():
            backend.set_pointer("production", _NAME)
        with backend.transaction_for_move(_NAME, "production") as (meta, holder, held):
            assert meta is not None and held is not None and holder == _NAME
            assert meta is not held and meta == held  # the candidate holds the channel
            meta["metrics"]["rmse"] = 99.0
            again = backend.read_metadata(_NAME)
            assert again is not None and again["metrics"] == {"rmse": 0.1}
            written = {**again, "note": {"text": "kept"}}
            backend.write_metadata(_NAME, written)
            written["note"]["text"] = "changed after the write"
            for _ in range(2):
                read = backend.read_metadata(_NAME)
                assert read is not None and read["note"] == {"text": "kept"}
                read["note"]["text"] = "changed by a reader"
        stored = backend.read_metadata(_NAME)
        assert stored is not None and stored["note"] == {"text": "kept"}
        assert stored["metrics"] == {"rmse": 0.1}

    def test_a_missing_version_is_none_or_version_not_found(self, backend: Backend) -> None:
        assert backend.read_metadata(_NAME) is None
        with pytest.raises(VersionNotFoundError), backend.local_folder(_NAME):
            pass
        with pytest.raises(VersionNotFoundError):
            backend.open_artifact(_NAME, "model.bin")

    def test_a_missing_artifact_of_a_present_version_is_version_not_found(
        self, backend: Backend
    ) -> None:
        _publish(backend)
        with pytest.raises(VersionNotFoundError):
            backend.open_artifact(_NAME, "absent.bin")

    def test_the_local_folder_holds_every_artifact_and_the_metadata(self, backend: Backend) -> None:
        meta = _publish(backend)
        with backend.local_folder(_NAME) as folder:
            verify_files(folder, meta["files"], version=_NAME)
            assert (folder / "extra" / "notes.txt").read_bytes() == b"hello"
            stored = decode_metadata((folder / METADATA_FILE).read_bytes(), where=str(folder))
            assert stored["version"] == _NAME

    def test_the_local_folder_agrees_with_the_default_copy(self, backend: Backend) -> None:
        """`local_folder` is derived: an override (the version's own folder, a cache) must
        hold what the default assembles from `read_metadata` and `open_artifact`."""
        meta = _publish(backend)
        with backend.local_folder(_NAME) as own, Backend.local_folder(backend, _NAME) as copy:
            for filename in meta["files"]:
                assert (own / filename).read_bytes() == (copy / filename).read_bytes()
            theirs = decode_metadata((copy / METADATA_FILE).read_bytes(), where=str(copy))
            assert decode_metadata((own / METADATA_FILE).read_bytes(), where=str(own)) == theirs
        assert not copy.exists()
        with backend.local_folder_of(meta) as given:  # the metadata a load has read already
            for filename in meta["files"]:
                with backend.open_artifact(_NAME, filename) as stored:
                    assert (given / filename).read_bytes() == stored.read()

    def test_open_artifact_streams_the_bytes(self, backend: Backend) -> None:
        _publish(backend)
        with backend.open_artifact(_NAME, "extra/notes.txt") as handle:
            assert handle.read() == b"hello"

    def test_write_metadata_replaces_it(self, backend: Backend) -> None:
        meta = _publish(backend)
        with backend.transaction():
            backend.write_metadata(_NAME, {**meta, "deployment_status": "production"})
        stored = backend.read_metadata(_NAME)
        assert stored is not None and stored["deployment_status"] == "production"
        assert stored["files"] == meta["files"]

    def test_the_model_record_is_replaced_whole_and_read_fresh(self, backend: Backend) -> None:
        """The metadata of the name None: the model's own description and tags."""
        assert backend.read_metadata(None) is None
        record = {"description": "# Ridge\n*v3*", "tags": {"team": "fx"}}
        with backend.transaction():
            backend.write_metadata(None, record)
        first = backend.read_metadata(None)
        assert first == record
        first["tags"]["team"] = "changed"
        assert backend.read_metadata(None) == record
        with backend.transaction():
            backend.write_metadata(None, {"tags": {"team": "rates"}})
        assert backend.read_metadata(None) == {"tags": {"team": "rates"}}

    def test_the_model_record_is_no_version(self, backend: Backend) -> None:
        with backend.transaction():
            backend.write_metadata(None, {"tags": {"team": "rates"}})
        meta = _publish(backend)  # versions do not see it, nor it them
        assert backend.version_names() == [_NAME]
        assert "tags" not in (backend.read_metadata(_NAME) or {})
        with backend.transaction():
            backend.write_metadata(_NAME, {**meta, "tags": {"team": "fx"}})
        assert backend.read_metadata(None) == {"tags": {"team": "rates"}}
        with backend.transaction():
            backend.delete_version(_NAME)
        assert backend.version_names() == []
        assert backend.read_metadata(None) == {"tags": {"team": "rates"}}

    def test_a_deleted_version_is_gone_and_its_name_free(self, backend: Backend) -> None:
        _publish(backend)
        _publish(backend, _OTHER)
        with backend.transaction():
            backend.delete_version(_NAME)
        assert backend.read_metadata(_NAME) is None
        assert backend.version_names() == [_OTHER]
        _publish(backend, rmse=0.3)
        stored = backend.read_metadata(_NAME)
        assert stored is not None and stored["metrics"] == {"rmse": 0.3}

    # --- pointers -------------------------------------------------------------------------

    def test_pointers_are_set_moved_and_removed(self, backend: Backend) -> None:
        _publish(backend)
        _publish(backend, _OTHER)
        assert backend.pointers() == {} and backend.get_pointer("production") is None
        with backend.transaction():
            backend.set_pointer("production", _NAME)
            backend.set_pointer("staging", _OTHER)
        assert backend.pointers() == {"production": _NAME, "staging": _OTHER}
        assert backend.get_pointer("production") == _NAME
        with backend.transaction():
            backend.set_pointer("production", _OTHER)
            backend.set_pointer("staging", None)
        assert backend.pointers() == {"production": _OTHER}
        assert backend.get_pointer("production") == _OTHER
        assert backend.get_pointer("staging") is None

    def test_get_pointer_agrees_with_pointers(self, backend: Backend) -> None:
        """`get_pointer` is derived: an override for speed must answer as the default does."""
        _publish(backend)
        with backend.transaction():
            backend.set_pointer("canary", _NAME)
        for channel in ("canary", "production"):
            assert backend.get_pointer(channel) == Backend.get_pointer(backend, channel)

    def test_a_moves_reads_answer_as_the_primitives_do(self, backend: Backend) -> None:
        """`metadata_and_holder` and `transaction_for_move`: what a promote reads first."""
        _publish(backend)
        _publish(backend, _OTHER, rmse=0.3)
        assert backend.metadata_and_holder(_NAME, "production") == (
            backend.read_metadata(_NAME),
            None,
            None,
        )
        with backend.transaction():
            backend.set_pointer("production", _OTHER)
        expected = (backend.read_metadata(_NAME), _OTHER, backend.read_metadata(_OTHER))
        assert backend.metadata_and_holder(_NAME, "production") == expected
        with backend.transaction_for_move(_NAME, "production") as found:
            assert found == expected
            backend.set_pointer("production", _NAME)
            assert backend.metadata_and_holder(_NAME, "production")[1] == _NAME
        assert backend.get_pointer("production") == _NAME
        assert backend.metadata_and_holder("20260126_103059", "staging") == (None, None, None)

    def test_a_read_with_the_pointers_answers_as_the_primitives_do(self, backend: Backend) -> None:
        """`metadata_and_pointers`, `metadata_at`, `query_with_pointers`: one moment's reads."""
        _publish(backend)
        _publish(backend, _OTHER, rmse=0.3)
        assert backend.metadata_and_pointers(None, "production") == (None, {})
        assert backend.metadata_at("production") == (None, None)
        with backend.transaction():
            backend.set_pointer("production", _NAME)
            backend.set_pointer("staging", _OTHER)
        pointers = {"production": _NAME, "staging": _OTHER}
        assert backend.metadata_and_pointers(None, "staging") == (
            backend.read_metadata(_OTHER),
            pointers,
        )
        assert backend.metadata_and_pointers(_NAME) == (backend.read_metadata(_NAME), pointers)
        assert backend.metadata_and_pointers("20260126_103059") == (None, pointers)
        assert backend.metadata_at("staging") == (_OTHER, backend.read_metadata(_OTHER))
        page, found = backend.query_with_pointers(VersionQuery(status="production"))
        assert [meta["version"] for meta in page] == [_NAME] and found == pointers
        assert page == backend.query(VersionQuery(status="production", production=_NAME))
        assert backend.query_with_pointers(VersionQuery(min_metrics={"rmse": 9.0}))[0] == []
        full = backend.query_with_total(VersionQuery(limit=1))  # a full page: counted
        assert (full[0], full[1], full[2]) == (backend.query(VersionQuery(limit=1)), pointers, 2)
        archived = backend.query_with_total(VersionQuery(status="archived", limit=1))
        assert archived[0] == [] and archived[2] == 0
        assert backend.query_with_total(VersionQuery(limit=0))[::2] == ([], 2)

    # --- events and writers ---------------------------------------------------------------

    def test_events_read_back_in_the_order_appended(self, backend: Backend) -> None:
        events = [
            _event("register", seconds=5),
            _event("promote", seconds=1, channel="production", reason="first"),
            _event("register", _OTHER, seconds=3),
        ]
        with backend.transaction():
            for event in events:
                backend.append_event(event)
        assert backend.read_events() == events
        assert backend.recent_events(registered_at(3)) == [events[0], events[2]]

    def test_pointer_moves_are_the_channels_history_newest_first(self, backend: Backend) -> None:
        """Many pages of them, other channels' and other actions' events between; a recovered
        move takes effect where it says (`details.before`), not where it was appended."""
        with backend.transaction():
            for i in range(40):
                backend.append_event(_event("promote", f"{_NAME}_{i + 2}", channel="production"))
                backend.append_event(_event("register", f"{_NAME}_{i + 2}"))
                backend.append_event(_event("promote", _OTHER, channel="staging"))
            backend.append_event(_event("rollback", f"{_NAME}_3", channel="production"))
            backend.append_event(_event("request", _OTHER, channel="production"))
        moves = backend.pointer_moves("production")
        assert next(moves) == _event("rollback", f"{_NAME}_3", channel="production")
        expected = pointer_history(backend.read_events(), "production")[::-1]
        assert [*backend.pointer_moves("production")] == expected and len(expected) == 41
        lost = _event("promote", f"{_NAME}_9", channel="production")
        with backend.transaction():  # what verify --repair appends for a move the log lost
            backend.append_event(
                _event(
                    "recover",
                    _NAME,
                    channel="production",
                    details={"recovers": "promote", "before": event_key(lost)},
                )
            )
            read_inside = [*backend.pointer_moves("production")]
        expected = pointer_history(backend.read_events(), "production")[::-1]
        assert expected[0].action == "rollback" and expected[expected.index(lost) + 1].action == (
            "recover"
        )
        assert read_inside == expected == [*backend.pointer_moves("production")]
        assert [*backend.pointer_moves("canary")] == []

    def test_names_used_in_a_second_include_deleted_ones(self, backend: Backend) -> None:
        """What register skips: every name of that second the log holds, and no other."""
        base = registered_at().strftime("%Y%m%d_%H%M%S")
        with backend.transaction():
            backend.append_event(_event("register", base))
            backend.append_event(_event("register", base + "_2"))
            backend.append_event(_event("delete", base + "_2"))
            backend.append_event(_event("register", base + "_13"))
            backend.append_event(_event("register", _OTHER, seconds=1))
            backend.append_event(_event("promote", base, channel="production"))
            backend.append_event(_event("note", None))
        assert backend.names_used_at(registered_at()) == {base, base + "_2", base + "_13"}
        assert backend.names_used_at(registered_at(2)) == set()

    def test_transaction_is_reentrant(self, backend: Backend) -> None:
        with backend.transaction(), backend.transaction():
            backend.append_event(_event("register"))
        assert len(backend.read_events()) == 1

    def test_transaction_creates_the_storage(self, backend: Backend) -> None:
        with backend.transaction():
            pass
        assert backend.version_names() == [] and backend.read_events() == []

    def test_transaction_keeps_other_writers_out(self, backend: Backend) -> None:
        inside = threading.Event()
        order: list[str] = []

        def other() -> None:
            inside.wait(10)
            with backend.transaction():
                order.append("other")

        thread = threading.Thread(target=other)
        thread.start()
        with backend.transaction():
            inside.set()
            thread.join(0.3)  # it must still be waiting
            order.append("first")
        thread.join(10)
        assert order == ["first", "other"]

    # --- derived --------------------------------------------------------------------------

    def test_query_filters_and_orders_newest_first(self, backend: Backend) -> None:
        _publish(backend, _NAME, rmse=0.1)
        _publish(backend, _OTHER, rmse=0.3)
        everything = backend.query(VersionQuery(production=_NAME))
        assert [m["version"] for m in everything] == [_OTHER, _NAME]
        assert [m["deployment_status"] for m in everything] == ["registered", "production"]
        cheap = backend.query(VersionQuery(max_metrics={"rmse": 0.2}))
        assert [m["version"] for m in cheap] == [_NAME]

    def test_check_artifacts_accepts_what_was_published(self, backend: Backend) -> None:
        meta = _publish(backend)
        backend.check_artifacts(_NAME, meta["files"])

    def test_no_debris_after_clean_writes(self, backend: Backend) -> None:
        _publish(backend)
        with backend.transaction():
            backend.delete_version(_NAME)
        leftovers: list[Debris] = [d for d in backend.debris() if d.kind == "staging"]
        assert leftovers == []
        for item in backend.debris():
            backend.remove_debris(item)
        assert backend.debris() == []

    def test_debris_walked_is_debris_whatever_the_walk_saw(self, backend: Backend) -> None:
        _publish(backend)
        _publish(backend, _OTHER)
        each = {name: backend.version_debris(name) for name in backend.version_names()}
        walked = {name: found for name, found in each.items() if found is not None}
        assert backend.debris_walked(walked) == backend.debris()
        assert backend.debris_walked({}) == backend.debris()

    def test_model_names_include_its_own(self, backend: Backend) -> None:
        _publish(backend)
        assert backend.model in backend.model_names()
