"""Accounts: the organisation tree, classes, users, memberships, rosters and login."""
from __future__ import annotations

from flask import Flask


def _load_user(user_id: str):
    """The session's user. For a request that writes, read in a transaction of its own first, so the
    write lock (SQLite's BEGIN IMMEDIATE) is taken by the view's work alone, and a busy or absent
    database still finds the user known (their page, their name) when the error page is drawn."""
    from flask import request

    from schoolhub.accounts import queries
    from schoolhub.db import WRITE_METHODS, get_session, writing

    db = get_session()
    if request.method not in WRITE_METHODS:
        return queries.user_for_session(db, user_id)
    with writing(False):
        user = queries.user_for_session(db, user_id)
        db.commit()
    return user


def init_app(app: Flask) -> None:
    """Register the accounts domain: its blueprints, login loader, CLI, worklist, home panels, menu, demo."""
    from schoolhub.accounts import (  # noqa: F401  (vocab: labels of roles and levels)
        cli,
        counts,
        demo,
        models,
        panels,
        policy,
        queries,
        rows,
        scale,
        sortkeys,
        views_admin,
        views_audit,
        views_auth,
        views_roster,
        views_school,
        vocab,
        worklist,
    )
    from schoolhub.domains import registry
    from schoolhub.security import login_manager

    assert policy  # the rules are registered on import
    counts.install()  # schools' figures follow every flush
    sortkeys.install()  # and the memberships' copy of their users' list order
    login_manager.user_loader(_load_user)
    for bp in (views_auth.bp, views_admin.bp, views_school.bp, views_roster.bp, views_audit.bp):
        app.register_blueprint(bp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    reg = registry(app)
    reg.providers.extend(worklist.PROVIDERS)
    reg.add_panel(30, "accounts/_home_officer.html", panels.commune_schools)
    reg.add_panel(40, "accounts/_home_staff.html", panels.staff_schools)
    reg.add_panel(50, "accounts/_home_student.html", panels.own_class)
    reg.add_panel(90, "accounts/_home_no_role.html", panels.no_role)
    reg.add_nav(panels.nav)
    reg.add_demo(10, demo.seed)
    reg.add_scale(10, scale.seed)
    reg.add_audit_labels(vocab.AUDIT_LABELS)
    reg.add_figures(models.UnitCount.__table__, counts.recount)
    reg.add_figures(models.ClassCount.__table__, counts.recount_classes)
    app.jinja_env.globals["people_rows"] = rows.people_rows
    app.jinja_env.globals["school_rows"] = rows.school_rows
    app.jinja_env.globals["commune_school_rows"] = rows.commune_school_rows
