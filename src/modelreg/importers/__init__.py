"""Bringing versions over from other model registries (MLflow), through the public facade.

`import_from_mlflow("sqlite:///mlflow.db", "models/")` is what `modelreg migrate --from
mlflow:sqlite:///mlflow.db --to models/` runs; it returns one `MlflowImportReport` a model.
Each source is read with its own client, an optional extra imported only when an import runs.
"""

from __future__ import annotations

from .mlflow_import import MODEL_FORMATS, MlflowImportReport, import_from_mlflow

__all__ = ["MODEL_FORMATS", "MlflowImportReport", "import_from_mlflow"]
