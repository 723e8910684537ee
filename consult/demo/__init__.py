"""The demo community (`consult demo`)."""

from __future__ import annotations

from typing import Any


def load_demo() -> dict[str, Any]:
    raise NotImplementedError("the demo is being built")
