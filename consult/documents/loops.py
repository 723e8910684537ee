"""Running pyHanko's event-loop-based work from ordinary (synchronous) code.

pyHanko's synchronous entry points start an asyncio event loop of their own, which Python
refuses inside a thread whose loop is already running (an async server worker; a test process
where a browser driver keeps a loop alive). There the work goes to a short-lived thread of its
own, and the caller waits for it: the same result, the same exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def outside_any_loop(work: Callable[[], T]) -> T:
    """`work()`, in this thread unless an event loop is running in it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()  # no loop here: the ordinary case (a gunicorn sync worker, the CLI)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="consult-pdf") as pool:
        return pool.submit(work).result()
