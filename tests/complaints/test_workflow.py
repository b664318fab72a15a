"""The workflow's table (``complaints.workflow``): what the sets derived from it say, that every
state is reachable and every open one can end, that every action the pages offer is a row of
it, and that nothing outside the module writes a report's state."""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

from complaints import workflow
from complaints.workflow import By, CitizenAction, StaffAction, Status, To

ROOT = Path(__file__).resolve().parents[2]
APPS = ["lapor", "routing", "complaints", "dashboard", "reports", "open311", "demo"]
# The report's state, as the workflow keeps it: written by complaints/workflow.py alone.
STATE_FIELDS = {
    "status",
    "current_agency",
    "current_agency_id",
    "due_at",
    "routing_step",
    "moved_at",
    "version",
}


def successors(status: str) -> set[str]:
    return {t.target for t in workflow.TRANSITIONS if status in t.sources and t.target}


class TestSetsFromTheTable:
    def test_closed_are_completed_and_archived_and_the_rest_are_open(self) -> None:
        assert workflow.CLOSED == {Status.COMPLETED, Status.ARCHIVED}
        assert workflow.OPEN == set(Status.values) - workflow.CLOSED

    def test_the_named_sets(self) -> None:
        assert workflow.ROUTING == {Status.SUBMITTED}
        assert workflow.QUEUE == {Status.AWAITING_VERIFICATION, Status.IN_PROGRESS}
        assert workflow.DEADLINE == {
            Status.AWAITING_VERIFICATION,
            Status.DISPOSED,
            Status.IN_PROGRESS,
        }
        assert workflow.AWAITING_CITIZEN == {Status.RESPONDED}
        assert workflow.NOT_PUBLIC == {Status.ARCHIVED}

    def test_the_reporter_hears_of_the_hand_over_the_answer_the_end_and_an_escalation(
        self,
    ) -> None:
        E = workflow.EventType
        assert workflow.REPORTER_EVENTS == {
            E.DISPOSED,
            E.ESCALATED,
            E.INTERIM_REPLY,
            E.INSPECTION,
            E.EXTENDED,
            E.RESPONDED,
            E.COMPLETED,
            E.AUTO_COMPLETED,
            E.ARCHIVED,
            # A duplicate's reporter hears it follows another report, and when it no longer does.
            E.MERGED,
            E.UNMERGED,
        }

    def test_in_order_follows_a_reports_life(self) -> None:
        assert workflow.in_order(workflow.OPEN) == [
            Status.SUBMITTED,
            Status.AWAITING_VERIFICATION,
            Status.DISPOSED,
            Status.IN_PROGRESS,
            Status.RESPONDED,
        ]


class TestTheTableHangsTogether:
    def test_every_status_is_reached_from_submission(self) -> None:
        seen = {workflow.SUBMIT.target}
        todo = deque(seen)
        while todo:
            for following in successors(todo.popleft()) - seen:
                seen.add(following)
                todo.append(following)
        assert seen == set(Status.values)

    @pytest.mark.parametrize("status", sorted(workflow.OPEN))
    def test_every_open_status_can_end(self, status: str) -> None:
        seen, todo = {status}, deque([status])
        while todo:
            for following in successors(todo.popleft()) - seen:
                seen.add(following)
                todo.append(following)
        assert seen & workflow.CLOSED

    def test_hand_overs_change_the_holder_and_the_holder_changes_only_so(self) -> None:
        for t in workflow.TRANSITIONS:
            if t.hand_over:
                assert t.to is not To.SAME, t
            elif t.to is not To.SAME:
                # Routing's stop in a queue: the holder is where the rules stopped, no hand-over.
                assert t is workflow.AWAIT_VERIFICATION, t

    def test_names_are_unique(self) -> None:
        names = [t.name for t in workflow.TRANSITIONS]
        assert len(names) == len(set(names))

    def test_every_action_offered_is_a_row_and_every_row_of_staff_or_citizen_has_one(
        self,
    ) -> None:
        actions = {t.action for t in workflow.TRANSITIONS if t.action is not None}
        assert set(StaffAction) | set(CitizenAction) == actions
        for t in workflow.TRANSITIONS:
            if t.by in workflow.STAFF:
                assert isinstance(t.action, StaffAction), t
            elif t.by is By.CITIZEN and t is not workflow.SUBMIT:
                assert isinstance(t.action, CitizenAction), t
            else:
                assert t.action is None, t

    def test_only_changes_raise_the_version(self) -> None:
        for t in workflow.TRANSITIONS:
            if t.target or t.deadline or t.to is not To.SAME:
                assert t.changes or t is workflow.SUBMIT, t


def _writes_state(node: ast.AST) -> str | None:
    """A description of a write of a report's state in ``node``, or None."""
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in STATE_FIELDS
                and not (isinstance(target.value, ast.Name) and target.value.id == "self")
            ):
                return ast.unparse(target)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chain = ast.unparse(node.func)
        writes = {"update", "create", "bulk_update", "get_or_create", "update_or_create"}
        if "Complaint" in chain and node.func.attr in writes:
            keywords = {k.arg for k in node.keywords if k.arg}
            if keywords & STATE_FIELDS:
                return chain
    return None


def test_no_module_but_the_workflow_writes_a_reports_state() -> None:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "complaints/workflow.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
                write = _writes_state(node)
                if write is not None:
                    found.append(f"{relative}:{getattr(node, 'lineno', 0)}: {write}")
    assert found == []


def test_the_check_finds_a_write() -> None:
    """The scan above can fail: it sees each way of writing a report's state."""
    for source in (
        "complaint.status = 'ARCHIVED'",
        "report.version += 1",
        "Complaint.objects.filter(pk=1).update(due_at=None)",
        "Complaint.objects.create(status='SUBMITTED')",
    ):
        assert any(_writes_state(node) for node in ast.walk(ast.parse(source))), source
    assert not any(_writes_state(n) for n in ast.walk(ast.parse("self.version = version")))
