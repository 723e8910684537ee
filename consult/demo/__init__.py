"""The demo community (`consult demo`): 和平里社区 with ~800 residents, and 石桥村 beside it."""

from __future__ import annotations

from consult.demo.loader import DEMO_PASSWORD, load_demo

__all__ = ["DEMO_PASSWORD", "load_demo"]
