"""Signing and checking a PDF from code running inside an event loop (an async worker; a test
process where a browser driver keeps one running): pyHanko's own loop cannot start there, so
the work runs on a thread of its own (consult.documents.loops) with the same result."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import weasyprint

from consult.documents import pki
from consult.documents.loops import outside_any_loop
from consult.documents.signing import sign_pdf
from consult.documents.verify import verify_pdf

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
T = TypeVar("T")


def _in_a_fresh_thread(work: Callable[[], T]) -> T:
    """Each scenario starts in a thread with no loop of its own (the test process itself may
    have one running: the browser tests' driver)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_signing_and_checking_inside_a_running_loop() -> None:
    ca = pki.make_community_ca("和平里社区", "和平里", now=NOW)  # a Chinese code, too
    signer = pki.issue_signer_certificate(
        ca, person_name="王主任", role="chair", community_name="和平里社区", user_id=1, now=NOW
    )
    plain = bytes(weasyprint.HTML(string="<p>会议记录</p>").write_pdf())

    async def inside() -> tuple[bool, bool]:
        asyncio.get_running_loop()  # a loop is running here
        signed = sign_pdf(plain, signer, field="sig-chair", certify=True, signed_at=NOW)
        report = verify_pdf(signed, trust_roots=[ca.certificate], now=NOW)
        return report.ok, report.all_trusted

    assert _in_a_fresh_thread(lambda: asyncio.run(inside())) == (True, True)


def test_outside_any_loop_runs_in_place_when_no_loop_runs() -> None:
    def scenario() -> tuple[bool, bool]:
        here = threading.get_ident()

        async def inside() -> int:
            return outside_any_loop(threading.get_ident)

        return outside_any_loop(threading.get_ident) == here, asyncio.run(inside()) != here

    assert _in_a_fresh_thread(scenario) == (True, True)
