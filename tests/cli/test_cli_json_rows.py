"""`list --json` streams: row by row, the same text as one json.dumps of the whole list."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest
from click.testing import CliRunner

from modelreg.cli._common import emit_json_rows

_ROWS: list[dict[str, Any]] = [
    {"version": "20260126_103000", "metrics": {"auc": 0.5}, "tags": {}, "note": "a\nb"},
    {"version": "20260126_103001", "features": ["x", "y"], "data_range": None},
    {"version": "20260126_103002", "channels": [], "path": "models/20260126_103002"},
]


@pytest.mark.parametrize("count", [0, 1, 2, 3])
@pytest.mark.parametrize("batch", [1, 2, 512])
def test_rows_print_as_the_whole_list_would(count: int, batch: int) -> None:
    @click.command()
    def show() -> None:
        emit_json_rows(iter(_ROWS[:count]), batch=batch)

    result = CliRunner().invoke(show)
    assert result.exit_code == 0, result.output
    assert result.output == json.dumps(_ROWS[:count], indent=2) + "\n"
