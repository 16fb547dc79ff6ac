"""Which workflow event may follow which: 受理 → 派单 → 办理 → 反馈 → 回访 → 办结.

The rules live here, apart from the store, so the ingest API, the simulator
and the tests read one table. An event names the status it moves to; moving to
the same status is an escalation and must raise the handling level.
"""

from __future__ import annotations

from geo.domain import HANDLING_LEVELS, STATUSES
from geo.store.errors import Conflict

#: Handling levels low to high: an appeal escalates along this order, never back.
HANDLING_ORDER = tuple(HANDLING_LEVELS)

#: status → statuses an event may move it to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "accepted": frozenset({"dispatched"}),
    "dispatched": frozenset({"dispatched", "in_progress"}),  # re-dispatch upwards = escalation
    "in_progress": frozenset({"in_progress", "feedback"}),  # escalation while being handled
    "feedback": frozenset({"visited", "in_progress"}),  # return visit, or back for rework
    "visited": frozenset({"closed", "in_progress"}),  # close, or rework after an unresolved visit
    "closed": frozenset(),  # only a reopen, see REOPEN_TO
}
#: A closed appeal can only be reopened (``"reopen": true``), back to 办理.
REOPEN_TO = "in_progress"
#: Appeal columns an event to this status stamps with its time.
STAMPS = {
    "dispatched": "dispatched_at",
    "in_progress": "in_progress_at",
    "feedback": "feedback_at",
    "visited": "visited_at",
    "closed": "closed_at",
}


class TransitionRefused(Conflict):
    """An event the workflow does not allow from the appeal's current status."""


def check(current: str, current_handling: str, to_status: str, handling_level: str | None,
          reopen: bool = False) -> str:
    """The handling level after the event; raises TransitionRefused with the reason in Chinese."""
    new_level = handling_level or current_handling
    if to_status not in STATUSES:
        raise TransitionRefused(f"未知的状态 {to_status!r}")
    if new_level not in HANDLING_LEVELS:
        raise TransitionRefused(f"未知的处置层级 {new_level!r}")
    if HANDLING_ORDER.index(new_level) < HANDLING_ORDER.index(current_handling):
        raise TransitionRefused("处置层级不能下降")
    if current == "closed":
        if reopen and to_status == REOPEN_TO:
            return new_level
        raise TransitionRefused("诉求已办结，只能以 reopen=true 重新打开为“办理”")
    if reopen:
        raise TransitionRefused("只有已办结的诉求可以重新打开")
    if to_status not in TRANSITIONS[current]:
        allowed = "、".join(STATUSES[s] for s in sorted(TRANSITIONS[current], key=tuple(STATUSES).index))
        raise TransitionRefused(f"不能从“{STATUSES[current]}”变为“{STATUSES[to_status]}”，可变为：{allowed}")
    if to_status == current and HANDLING_ORDER.index(new_level) <= HANDLING_ORDER.index(current_handling):
        raise TransitionRefused(
            f"同一状态内的事件只能是升级：当前层级“{HANDLING_LEVELS[current_handling]}”，"
            f"新层级须高于它（社区 → 街道 → 区）"
        )
    return new_level
