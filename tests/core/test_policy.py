"""The policy is complete and agrees with itself.

- every action has a rule with a docstring, and is asked somewhere outside the policy modules;
- every scope (the SQL twin of a listing rule) returns exactly the rows its rule allows, over
  generated combinations (a domain provides them as the fixture `scope_case_<action>`);
- views, worklists, home panels, the menu and templates decide nothing by role;
- the worklist costs at most one statement, and none for a user no provider concerns.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from schoolhub import policy
from schoolhub.domains import DOMAINS, import_policies

import_policies()
ROOT = Path(__file__).resolve().parents[2]
OURS = [a for a in policy.Action if policy.RULES.get(a) is None
        or policy.RULES[a].check.__module__.startswith("schoolhub.")]


def _source_files():
    for path in sorted((ROOT / "schoolhub").rglob("*.py")):
        yield path
    for path in sorted((ROOT / "templates").rglob("*.html")):
        yield path


def _is_policy_module(path: Path) -> bool:
    return path.name == "policy.py" or path.parent.name == "policy"


def test_every_action_has_a_documented_rule():
    problems = []
    for action in OURS:
        found = policy.RULES.get(action)
        if found is None:
            problems.append(f"{action}: no rule")
        elif not (found.check.__doc__ or "").strip():
            problems.append(f"{action}: rule {found.check.__qualname__} has no docstring")
        if not action.doc.strip():
            problems.append(f"{action}: no description where it is defined")
    assert not problems, "\n".join(problems)


def test_every_scope_has_a_rule_and_a_docstring():
    for action, found in policy.SCOPES.items():
        assert action in policy.RULES, f"scope without a rule: {action}"
        assert (found.clause.__doc__ or "").strip(), f"scope of {action} has no docstring"


def test_every_action_is_asked_somewhere():
    """An action nobody asks is either dead or a check someone forgot to make."""
    texts = {path: path.read_text(encoding="utf-8") for path in _source_files()}
    unasked = []
    for action in OURS:
        constant = action.upper()
        pattern = re.compile(rf"\b{constant}\b|[\"']{action}[\"']")
        asked = False
        for path, text in texts.items():
            for line in text.splitlines():
                if not pattern.search(line):
                    continue
                if re.search(r"=\s*define\(|@rule\(|@scope\(", line):
                    continue  # where it is defined, not where it is asked
                if _is_policy_module(path) and not re.search(r"\b(can|units_where|require|load_visible)\(", line):
                    continue
                asked = True
                break
            if asked:
                break
        if not asked:
            unasked.append(action)
    assert not unasked, f"actions asked nowhere: {unasked}"


ROLE_DECISION = re.compile(
    r"(==|!=|\bin\b) *\(?\s*Role\.|Role\.[A-Z_]+ *(==|!=)|\.role *(==|!=|\bin\b)|\brole *== *.")


def _decision_files():
    for path in sorted((ROOT / "schoolhub").rglob("*.py")):
        if re.match(r"(views.*|worklist|panels)\.py$", path.name) or path.name == "views_common.py":
            yield path
    yield from sorted((ROOT / "templates").rglob("*.html"))


def test_no_role_decisions_outside_the_policy():
    found = []
    for path in _decision_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_DECISION.search(line):
                found.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert not found, "ask the policy instead of comparing roles:\n" + "\n".join(found)


def test_the_role_lint_would_catch_a_role_comparison():
    for bad in ("if m.role == Role.OFFICER:", "{% if m.role in (Role.SCHOOL_ADMIN, Role.TEACHER) %}",
                "x = Role.STUDENT == membership.role", "if role == 'officer':"):
        assert ROLE_DECISION.search(bad), bad


# ---- scopes agree with their rules ------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(policy.SCOPES))
def test_scope_agrees_with_its_rule(action, request, app, db):
    """For every generated object and principal, the SQL lists exactly what the rule allows."""
    try:
        objects, principals = request.getfixturevalue(f"scope_case_{action}")
    except pytest.FixtureLookupError:
        pytest.fail(f"no fixture scope_case_{action}: a scope needs generated cases to be checked against its rule")
    found = policy.SCOPES[action]
    ids = [o.id for o in objects]
    assert len(ids) >= 10, "too few generated objects to mean anything"
    disagreements = []
    with app.test_request_context():
        for name, user in principals.items():
            user = AnonymousUserMixin() if user is None else user
            allowed = {o.id for o in objects if policy.can(action, o, user=user)}
            listed = set(db.scalars(select(found.model.id).where(found.model.id.in_(ids), policy.visible(action, user))))
            if allowed != listed:
                disagreements.append(f"{name}: rule allows {sorted(allowed)}, scope lists {sorted(listed)}")
    assert not disagreements, "\n".join(disagreements)


# ---- a rule asked for a whole list ------------------------------------------------------------

def test_can_each_answers_what_can_answers_for_each(world, app):
    """can_each (a list's rows asked at once, with a rule's `each` where it has one) gives every
    principal, for every target, the answer can gives: the admin of the school manages its teachers and
    students but not themselves, the other school's people or the officer; a visitor manages nobody."""
    from schoolhub.accounts.rows import Held, Listed

    targets = [world.officer, world.admin, world.other_admin, world.teacher, world.other_teacher,
               world.student, world.other_student, world.outsider,
               Listed(world.student.id, (Held(world.student.memberships[0].role, world.school),)),
               Listed(world.admin.id, (Held(world.teacher.memberships[0].role, world.school),))]
    principals = {"officer": world.officer, "admin": world.admin, "other admin": world.other_admin,
                  "teacher": world.teacher, "student": world.student, "visitor": AnonymousUserMixin()}
    action = policy.Action.MANAGE_USER
    assert policy.RULES[action].each is not None  # the rule answers lists itself
    with app.test_request_context():
        for name, user in principals.items():
            one_by_one = [policy.can(action, target, user=user) for target in targets]
            assert policy.can_each(action, targets, user=user) == one_by_one, name
        assert policy.can_each(action, targets, user=world.admin) == [
            False, False, False, True, False, True, False, False, True, False]
        # A rule with no `each` is asked object by object.
        assert policy.can_each(policy.Action.VIEW_ROSTER, [world.school, world.other_school],
                               user=world.teacher) == [True, False]


# ---- the worklist -----------------------------------------------------------------------------

def test_worklist_costs_at_most_one_statement(world, factory, app, db, count_queries):
    from schoolhub.worklist import items_for

    factory.school(world.commune, name="Trường Mầm non Hoa Sen")  # no admin yet: the officer has work
    factory.school_class(world.school, "9C", 9)  # empty: the admin has work
    factory.lesson(world.school, world.teacher, is_core=True, audiences=("teachers",))  # the teachers' reading
    db.commit()
    costs = {}
    for name in ("officer", "admin", "teacher", "other_teacher", "student", "outsider"):
        user = getattr(world, name)
        _units = [m.unit for m in user.memberships]  # loaded beforehand, as the login loader loads them
        with app.test_request_context(), count_queries() as statements:
            items = items_for(user)
        costs[name] = (len(statements), sum(i.count for i in items))
    assert all(n <= 1 for n, _count in costs.values()), costs
    assert costs["officer"][1] >= 1 and costs["admin"][1] >= 2 and costs["teacher"][1] == 1
    # A student is asked only about core material for students (none here): one statement, nothing listed.
    # No provider concerns an outside judge: not even one statement.
    assert costs["student"] == (1, 0) and costs["outsider"] == (0, 0)
    # Core material for students does go on their worklist.
    factory.lesson(world.school, world.teacher, title="An toàn trên mạng", is_core=True, audiences=("students",))
    with app.test_request_context():
        assert [item.count for item in items_for(world.student)] == [1]


def test_domains_list_is_what_the_app_loaded(app):
    from schoolhub.domains import registry

    assert tuple(registry(app).domains) == tuple(DOMAINS)
