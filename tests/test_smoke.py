"""The seed's usage example, end to end on a local folder."""

from __future__ import annotations

from conftest import make_result
from modelreg import ModelRegistry


def test_seed_usage_example(registry: ModelRegistry) -> None:
    first = registry.register(
        make_result(1), data_range={"start": "2025-01-01", "end": "2026-01-26"}
    )
    assert registry.promote_to_production(first)
    challenger = registry.register(make_result(2))
    comparison = registry.compare_versions(challenger, "latest")
    assert comparison["direction_accuracy"]["winner"] == challenger
    assert registry.promote_to_production(challenger)
    assert registry.get_version_info("latest")["version"] == challenger
    assert [v.version for v in registry.list_versions(min_direction_accuracy=0.515)] == [challenger]
