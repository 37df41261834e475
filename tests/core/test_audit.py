"""The audit log records who did what from where; services never read the request themselves."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from schoolhub.audit import AuditLog

ROOT = Path(__file__).resolve().parents[2]


def test_an_action_through_the_web_records_the_address(world, login_as, db):
    c = login_as(world.officer)
    r = c.post(f"/communes/{world.commune.id}/schools/new", data={"code": "TH-AUDIT", "name": "Trường Tiểu học Kiểm Tra",
                                                                 "level": "tieu_hoc"},
               environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 302
    entry = db.scalar(select(AuditLog).where(AuditLog.action == "unit.create", AuditLog.detail.like("TH-AUDIT%")))
    assert entry is not None and entry.actor_id == world.officer.id and entry.ip_address == "203.0.113.9"


def test_an_action_from_the_command_line_records_no_address(app, db):
    result = app.test_cli_runner().invoke(args=["create-user", "can.bo.cli", "--name", "Trần Văn Cán",
                                                "--password", "mat-khau-dai-57"])
    assert result.exit_code == 0, result.output
    assert all(e.ip_address is None for e in db.scalars(select(AuditLog)))


def test_services_do_not_read_the_request():
    import re

    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "schoolhub").rglob("*services*.py")
                 if re.search(r"from flask import[^\n]*\brequest\b|flask\.request|has_request_context",
                              p.read_text(encoding="utf-8"))]
    assert not offenders, offenders
