"""modelreg's side of every comparison: the operations `_mlflow_side.MLflowSide` mirrors.

Any location works: a folder, a SQL catalog (`postgresql://...` with `artifacts=`) or a
`modelreg server` (`http://...`). Models are pickles, loaded trusted, as MLflow's are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import workload

from modelreg import ModelRegistry


class ModelregSide:
    def __init__(self, location: str | Path, model: Any, **options: Any) -> None:
        self.registry = ModelRegistry(
            location, auto_cleanup=False, model_format="pickle", trust_pickle=True, **options
        )
        self.model = model
        self.names: list[str] = []
        self.seed = 0
        self.freed = 0.0
        self.flip = 0

    def close(self) -> None:
        self.registry.close()

    def register(self) -> None:
        self.seed += 1
        result = workload.training_result(self.model, self.seed)
        self.names.append(self.registry.register(result, workload.DATA_RANGE))

    def register_and_promote(self) -> None:
        self.register()
        self.registry.promote_to_production(self.names[-1])

    def promote(self) -> None:
        self.flip += 1
        self.registry.promote_to_production(self.names[-1 - self.flip % 2])

    def load_version(self) -> None:
        assert self.registry.load_version(self.names[-3]) is not None

    def load_alias(self) -> None:
        assert self.registry.load_version("latest") is not None

    def production_metadata(self) -> dict[str, Any]:
        info = self.registry.get_version_info("latest")
        assert info is not None
        return info

    def compare(self) -> None:
        self.registry.compare_versions(self.names[-1], self.names[-2])

    def search(self) -> None:
        self.registry.list_versions(**workload.FILTER, limit=workload.LIMIT)

    def latest(self) -> None:
        self.registry.list_versions(limit=workload.LIMIT)

    def list_all(self) -> None:
        self.registry.list_versions()

    def delete_oldest(self, du: Any) -> None:
        root = Path(self.registry.path)
        before = du(root)
        name = self.names.pop(0)
        assert self.registry.delete_version(name)
        self.freed = before - du(root)
