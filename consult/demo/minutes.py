"""Demo: signed minutes (issue 5). The past council meeting's minutes are written by the
recorder and signed by the recorder, the chair and a supervisor — published, with a PDF anyone
can check on the verification page; the meeting in session has the recorder's draft."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from consult.accounts.models import User
from consult.actor import Actor
from consult.crypto.fields import FieldCipher
from consult.documents import service as documents
from consult.documents.models import MinutesState
from consult.documents.toolkit import toolkit
from consult.extensions import db
from consult.meetings.models import Meeting
from consult.registry.enrolment import actor_for
from consult.registry.models import Community

#: The demo signers' passphrase (each signer chose it at their first signature, in the story).
SIGNING_PASSPHRASE = "demo-signing-2026"  # noqa: S105 - printed by `consult demo`

PAST_TEXT = """会议由居委会主任王建华主持，陈晓燕记录，应到居民代表 3 人，实到 2 人，符合法定人数。

会议通报了社区公共收益（广告位、停车场）第四季度的收支情况，与会代表逐项核对了票据。
"""
PAST_NOTES = """- 第四季度公共收益合计 **48,600 元**，支出 31,200 元（绿化养护、楼道照明更换）。
- 代表建议下季度起在公告栏按月公开明细。
- 表决结果见下。"""
DRAFT_TEXT = "会议正在进行，记录人边听边记：\n\n- 停车收费办法征求意见，已有两位代表发言。"


def _user(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _signer(community: Community, email: str) -> Actor | None:
    user = _user(email)
    return actor_for(user, community.id) if user is not None else None


def ensure_minutes(
    actor: Actor, community: Community, past: Meeting, running: Meeting, cipher: FieldCipher
) -> dict[str, Any]:
    """The past meeting's minutes, published; the running meeting's draft. Idempotent."""
    del actor, cipher  # each step is taken by the person whose role it is
    recorder = _signer(community, "recorder@heping.demo")
    chair = _signer(community, "chair@heping.demo")
    supervisor = _signer(community, "supervisor@heping.demo")
    if recorder is None or chair is None or supervisor is None:
        return {}
    minutes = documents.current_minutes(recorder, past)
    if minutes is None:
        minutes = documents.save_minutes(recorder, past, PAST_TEXT, {past.agenda[0].id: PAST_NOTES})
    if minutes.minutes_state is MinutesState.DRAFT or minutes.state == MinutesState.SIGNING:
        tools = toolkit()
        done = {s.role for s in documents.signatures(minutes)}
        for role, who in (("recorder", recorder), ("chair", chair), ("supervisor", supervisor)):
            if role not in done:
                documents.sign_minutes(who, past, role, SIGNING_PASSPHRASE, tools)
    if documents.current_minutes(recorder, running) is None:
        documents.save_minutes(recorder, running, DRAFT_TEXT, {})
    return {
        "meeting": f"/meetings/{past.id}",
        "pdf": f"/meetings/{past.id}/minutes.pdf",
        "verify": "/documents/verify",
        "passphrase": SIGNING_PASSPHRASE,
    }
