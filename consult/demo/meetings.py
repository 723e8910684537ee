"""Demo meetings of 和平里社区, through the real services: a residents' meeting (one person per
household) and a representative council of the demo representatives; a noticed meeting coming
up with an ordinary and a major item, and a past council meeting, adjourned, with attendance.

Idempotent: a body or meeting with the same name or title is left alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from consult import clock
from consult.actor import Actor
from consult.extensions import db
from consult.meetings import service
from consult.meetings.models import Body, Meeting
from consult.registry.models import Community

ASSEMBLY = "和平里社区居民会议"
COUNCIL = "和平里社区居民代表会议"
UPCOMING = "居民会议：加装电梯与年度工作报告"
PAST = "居民代表会议：第四季度例会"


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


def ensure_meetings(actor: Actor, community: Community, reps: list[int]) -> list[dict[str, Any]]:
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
        service.adjourn_meeting(actor, past, at=starts + timedelta(hours=1, minutes=30))
    return [
        {
            "title": m.title,
            "state": m.state,
            "staff_page": f"/meetings/{m.id}",
            "public_page": f"/notices/{m.id}",
            "ical": f"/notices/{m.id}.ics",
        }
        for m in (upcoming, past)
    ]
