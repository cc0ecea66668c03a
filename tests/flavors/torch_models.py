"""Small torch modules for the torch flavor tests, importable as the flavor requires."""

from __future__ import annotations

import torch


class TinyNet(torch.nn.Module):
    """Two layers, constructor arguments recorded in `init_kwargs`, a shared weight."""

    def __init__(self, n_in: int, hidden: int = 4) -> None:
        super().__init__()
        self.init_kwargs = {"n_in": n_in, "hidden": hidden}
        self.first = torch.nn.Linear(n_in, hidden)
        self.second = torch.nn.Linear(hidden, 1)
        self.alias = self.second  # a shared tensor: plain save_file would refuse it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(torch.relu(self.first(x)))
