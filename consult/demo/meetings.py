"""Demo meetings of 和平里社区, through the real services: a residents' meeting (one person per
household) and a representative council of the demo representatives; a noticed meeting coming
up with an ordinary and a major item (the lift item with a site sketch, a PNG drawn in code), and
a past council meeting, adjourned, with attendance and a closed secret vote (result, receipts,
signed ledger); and a council meeting in session now, one
representative signed in, so a newcomer can sign in the next at the desk and watch the chair's
console turn the quorum green; an election meeting noticed with its candidates (who may not
hold proxies there); and a vote of all households open for two weeks, so the demo resident can
vote on a phone and keep a receipt.

Idempotent: a body or meeting with the same name or title is left alone.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from consult import clock
from consult.accounts.models import User
from consult.actor import Actor
from consult.crypto.fields import FieldCipher
from consult.demo.minutes import ensure_minutes
from consult.extensions import db
from consult.meetings import attachments, candidates, charter, service
from consult.meetings.models import Body, Meeting
from consult.registry.enrolment import actor_for
from consult.registry.models import Community
from consult.voting import service as voting
from consult.voting.models import Vote

ASSEMBLY = "和平里社区居民会议"
COUNCIL = "和平里社区居民代表会议"
UPCOMING = "居民会议：加装电梯与年度工作报告"
PAST = "居民代表会议：第四季度例会"
NOW_IN_SESSION = "居民代表会议：小区停车管理协商（进行中）"
ELECTION = "居民会议：第十二届社区居民委员会换届选举"
STANDALONE = "快递驿站选址（全体户代表表决）"
SKETCH = "3号楼5号楼加装电梯位置示意图.png"


def _body(community: Community, name: str) -> Body | None:
    return db.session.execute(
        select(Body).where(Body.community_id == community.id, Body.name == name)
    ).scalar_one_or_none()


def _meeting(community: Community, title: str) -> Meeting | None:
    return db.session.execute(
        select(Meeting).where(Meeting.community_id == community.id, Meeting.title == title)
    ).scalar_one_or_none()


def _at(community: Community, day: datetime, hour: int) -> datetime:
    zone = ZoneInfo(community.timezone)
    local = day.astimezone(zone).date()
    return datetime.combine(local, time(hour, 0), tzinfo=zone)


def site_sketch(width: int = 240, height: int = 150) -> bytes:
    """A small PNG drawn in code: two buildings (3号楼, 5号楼) and where each lift would go."""
    paper, building, lift, path = b"\xf4\xf1\xea", b"\x9a\x8f\x80", b"\x8b\x1a\x1a", b"\xd9\xd2\xc5"

    def colour(x: int, y: int) -> bytes:
        for left in (30, 140):
            if left <= x < left + 70 and 30 <= y < 110:
                # The lift shaft, on the front of each building.
                return lift if left + 28 <= x < left + 42 and 96 <= y < 110 else building
        return path if 118 <= y < 130 else paper

    raw = b"".join(b"\x00" + b"".join(colour(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _voter(community: Community, resident_id: int) -> Actor | None:
    user = db.session.execute(select(User).where(User.resident_id == resident_id)).scalar()
    return actor_for(user, community.id) if user is not None else None


def ensure_meetings(
    actor: Actor, community: Community, reps: list[int], cipher: FieldCipher
) -> list[dict[str, Any]]:
    """The demo's bodies and meetings; returns each meeting's title and addresses."""
    assembly = _body(community, ASSEMBLY) or (
        service.create_body(
            actor, community, kind="residents_meeting", name=ASSEMBLY, mode="households"
        ).body
    )
    now = clock.now()
    council = _body(community, COUNCIL) or (
        service.create_body(
            actor,
            community,
            kind="representative_council",
            name=COUNCIL,
            members=reps,
            # The representatives were elected before the past meeting.
            term_start=service.local_date(community, now) - timedelta(days=365),
        ).body
    )
    if charter.latest_charter(community.id) is None:
        # The community's charter asks more than the statute for major matters (URC25-24:
        # a majority of those present): two thirds, so the meeting page shows 章程加严.
        charter.adopt_charter(
            actor,
            community,
            title="和平里社区居民自治章程",
            article=12,
            effective_from=service.local_date(community, now),
            decision_reference="2025年12月居民会议通过",
            rules=[
                {
                    "body": "residents_meeting",
                    "decision_type": "major",
                    "threshold": {"basis": "present", "op": ">=", "num": 2, "den": 3},
                }
            ],
        )
    upcoming = _meeting(community, UPCOMING)
    if upcoming is None:
        upcoming = service.create_meeting(
            actor,
            community,
            body_id=assembly.id,
            title=UPCOMING,
            starts_at=_at(community, now + timedelta(days=21), 19),
            location="和平里社区党群服务中心二楼活动室",
            agenda=[
                service.NewItem("社区居民委员会年度工作报告", "ordinary"),
                service.NewItem("3号楼、5号楼加装电梯方案及费用分摊", "major"),
            ],
        )
        # The lift item's site sketch, attached while the agenda can still change.
        attachments.add_attachment(
            actor, upcoming, item=upcoming.agenda[1], filename=SKETCH, content=site_sketch()
        )
        service.notice_meeting(actor, upcoming, at=now)
    past = _meeting(community, PAST)
    if past is None:
        starts = _at(community, now - timedelta(days=30), 15)
        past = service.create_meeting(
            actor,
            community,
            body_id=council.id,
            title=PAST,
            starts_at=starts,
            location="和平里社区居委会会议室",
            agenda=[service.NewItem("社区公共收益使用情况通报", "ordinary")],
        )
        service.notice_meeting(actor, past, at=starts - timedelta(days=12))
        service.open_meeting(actor, past, at=starts - timedelta(minutes=20))
        for n, resident_id in enumerate(reps[:-1]):
            service.record_attendance(
                actor,
                past,
                resident_id=resident_id,
                status="present",
                at=starts - timedelta(minutes=15 - n),
            )
        # The representatives vote on the item (secret ballot, on their phones), as it was then.
        with clock.frozen_at(starts + timedelta(minutes=40)):
            vote = voting.create_vote(actor, past.agenda[0], secret=True)
            voting.open_vote(actor, vote)
            for n, resident_id in enumerate(reps[:-1]):
                voter = _voter(community, resident_id)
                if voter is not None:
                    voting.cast_ballot(voter, vote, choice="yes" if n < 2 else "abstain")
        with clock.frozen_at(starts + timedelta(minutes=50)):
            voting.close_vote(actor, vote, cipher)
        service.adjourn_meeting(actor, past, at=starts + timedelta(hours=1, minutes=30))
    running = _meeting(community, NOW_IN_SESSION)
    if running is None:
        starts = (now + timedelta(minutes=30)).replace(second=0, microsecond=0)
        running = service.create_meeting(
            actor,
            community,
            body_id=council.id,
            title=NOW_IN_SESSION,
            starts_at=starts,
            location="和平里社区居委会会议室",
            agenda=[
                service.NewItem("小区停车收费与车位分配办法（征求意见）", "consultation"),
                service.NewItem("夜间消防通道占用处理办法", "ordinary"),
            ],
            short_notice_reason="消防通道夜间被占用问题突出，街道要求本周内协商处理",
        )
        service.notice_meeting(actor, running, at=now)
        service.open_meeting(actor, running, at=now)
        service.record_attendance(actor, running, resident_id=reps[0], status="present", at=now)
    election = _meeting(community, ELECTION)
    if election is None:
        election = service.create_meeting(
            actor,
            community,
            body_id=assembly.id,
            title=ELECTION,
            starts_at=_at(community, now + timedelta(days=28), 9),
            location="和平里社区党群服务中心一楼大厅",
            agenda=[service.NewItem("选举第十二届社区居民委员会成员", "election")],
        )
        item = election.agenda[0]
        notes = (
            "经社区党组织会议研究提名",
            "居民14人联名提名，联名表已存档",
            "居民11人联名提名，联名表已存档",
        )
        for n, resident_id in enumerate(reps):
            candidates.register_candidate(
                actor,
                item,
                resident_id=resident_id,
                nominated_by="party_organization" if n == 0 else "voters",
                nomination_note=notes[n % len(notes)],
            )
        # The voter roll went up on the notice board the same day (URC25-09: 20 days ahead).
        candidates.record_voter_roll(
            actor, item, published_on=service.local_date(community, now), where="社区公告栏"
        )
        service.notice_meeting(actor, election, at=now)
    # A vote of all households, open for two weeks: the demo resident can vote on a phone.
    standalone = db.session.execute(
        select(Vote).where(Vote.body_id == assembly.id, Vote.title == STANDALONE)
    ).scalar_one_or_none()
    if standalone is None:
        standalone = voting.create_standalone_vote(
            actor,
            assembly,
            title=STANDALONE,
            secret=True,
            options=["设在北门", "设在南门", "两处都设"],
        )
        voting.open_vote(actor, standalone, closes_at=now + timedelta(days=14))
    # The past meeting's minutes, signed by the recorder, the chair and a supervisor.
    signed = ensure_minutes(actor, community, past, running, cipher)
    return [
        {
            "title": m.title,
            "state": m.state,
            "staff_page": f"/meetings/{m.id}",
            "public_page": f"/notices/{m.id}",
            "ical": f"/notices/{m.id}.ics",
            "votes": [f"/votes/{v.id}" for v in voting.votes_of_meeting(m)],
            **({"minutes": signed} if m is past and signed else {}),
        }
        for m in (upcoming, past, running, election)
    ]
