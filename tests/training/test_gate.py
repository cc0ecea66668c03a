"""The champion/challenger gate: promote_if_better's decisions, one case at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_result
from modelreg import InvalidInputError, ModelRegistry, PromotionConflict


def _version(registry: ModelRegistry, **metrics: float) -> str:
    return registry.register(make_result(**metrics))


@pytest.fixture
def champion(registry: ModelRegistry) -> str:
    version = _version(registry, direction_accuracy=0.5, profit_factor=1.25, rmse=0.02)
    assert registry.promote_if_better(version).promoted
    return version


def test_the_first_model_is_promoted(registry: ModelRegistry) -> None:
    version = _version(registry, direction_accuracy=0.4)
    decision = registry.promote_if_better(version)
    assert decision.promoted and decision.production is None
    assert registry.channels()["production"] == version


def test_a_winner_on_every_metric_is_promoted(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.75, profit_factor=1.5, rmse=0.01)
    decision = registry.promote_if_better(challenger)
    assert decision.promoted and decision.production == champion
    assert registry.channels()["production"] == challenger
    assert registry.history()[-1].reason == "; ".join(decision.reasons)
    assert decision.comparison["rmse"]["winner"] == challenger  # lower rmse wins


def test_a_loser_on_one_metric_is_not_promoted(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.75, profit_factor=1.5, rmse=0.03)
    decision = registry.promote_if_better(challenger)
    assert not decision.promoted
    assert registry.channels()["production"] == champion
    assert any(r.startswith("rmse") and "not better" in r for r in decision.reasons)


def test_only_the_named_metrics_decide(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.75, profit_factor=1.5, rmse=0.03)
    decision = registry.promote_if_better(challenger, metrics=["direction_accuracy"])
    assert decision.promoted
    assert [r.split(":")[0] for r in decision.reasons] == ["direction_accuracy"]


def test_a_tie_is_not_an_improvement(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.5, profit_factor=1.25, rmse=0.02)
    decision = registry.promote_if_better(challenger)
    assert not decision.promoted
    assert registry.channels()["production"] == champion


@pytest.mark.parametrize(
    ("accuracy", "promoted"),
    [(0.625, False), (0.75, True), (0.875, True)],  # needs +0.25: short, exactly, beyond
)
def test_min_improvement(
    registry: ModelRegistry, champion: str, accuracy: float, promoted: bool
) -> None:
    challenger = _version(registry, direction_accuracy=accuracy)
    decision = registry.promote_if_better(
        challenger, metrics=["direction_accuracy"], min_improvement=0.25
    )
    assert decision.promoted is promoted


def test_min_improvement_per_metric(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.625, profit_factor=1.5)
    gate = {"direction_accuracy": 0.25, "profit_factor": 0.125}
    assert not registry.promote_if_better(
        challenger, metrics=["direction_accuracy", "profit_factor"], min_improvement=gate
    ).promoted
    gate["direction_accuracy"] = 0.125
    assert registry.promote_if_better(
        challenger, metrics=["direction_accuracy", "profit_factor"], min_improvement=gate
    ).promoted


def test_a_metric_missing_on_either_side_blocks(registry: ModelRegistry, champion: str) -> None:
    challenger = _version(registry, direction_accuracy=0.9)
    decision = registry.promote_if_better(challenger, metrics=["direction_accuracy", "sharpe"])
    assert not decision.promoted
    assert "sharpe: missing on one side" in decision.reasons


def test_production_already_is_the_version(registry: ModelRegistry, champion: str) -> None:
    decision = registry.promote_if_better(champion)
    assert not decision.promoted and decision.reasons == ["already production"]


def test_production_moved_meanwhile_is_a_conflict(
    registry: ModelRegistry, champion: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer promotes between the comparison and the promotion."""
    other_writer = ModelRegistry(tmp_path / "models")
    sneaky = _version(other_writer, direction_accuracy=0.99, profit_factor=9.0, rmse=0.001)
    challenger = _version(registry, direction_accuracy=0.75, profit_factor=1.5, rmse=0.01)
    compare = registry.compare_versions

    def compare_then_someone_promotes(a: str, b: str, **options: bool) -> dict:
        found = compare(a, b, **options)
        assert other_writer.promote_to_production(sneaky)
        return found

    monkeypatch.setattr(registry, "compare_versions", compare_then_someone_promotes)
    with pytest.raises(PromotionConflict, match="compare again"):
        registry.promote_if_better(challenger)
    assert registry.channels()["production"] == sneaky


def test_production_rescored_on_the_challengers_data(
    registry: ModelRegistry, champion: str
) -> None:
    """Registered metrics come from different periods; fresh scores on one period decide."""
    challenger = _version(registry, direction_accuracy=0.45, profit_factor=1.0)
    assert not registry.promote_if_better(challenger, metrics=["direction_accuracy"]).promoted
    decision = registry.promote_if_better(
        challenger,
        metrics=["direction_accuracy"],
        production_metrics={"direction_accuracy": 0.4},
    )
    assert decision.promoted
    assert decision.comparison["direction_accuracy"]["value2"] == 0.4
    with pytest.raises(InvalidInputError, match="production_metrics"):
        registry.promote_if_better(challenger, production_metrics={"sharpe": float("nan")})
