"""Every route of the app with real ids from the test world, for tests that walk the whole URL map
(security headers, hostile input). A route another domain adds later is walked too: an argument
this module does not know gets 1 (numbers) or "x" (text)."""
from __future__ import annotations

import io
from dataclasses import dataclass

from werkzeug.routing import Rule

SKIP_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    rule: Rule


def lesson_with_picture(world, factory, app, db):
    """A published school lesson by `teacher` with one picture attached (as the access matrix has)."""
    from schoolhub import files
    from schoolhub.lessons import services as lesson_services
    from tests.helpers.samples import png_bytes

    lesson = factory.lesson(world.school, world.teacher, visibility="school")
    stored = files.store(io.BytesIO(png_bytes()), "anh.png", app.config["UPLOAD_DIR"], max_bytes=10**6)
    with app.app_context():
        attachment = lesson_services.add_attachment(db, world.teacher, lesson, stored)
    db.commit()
    return lesson, attachment


def ids_for(world, lesson, attachment) -> dict:
    return {"commune_id": world.commune.id, "school_id": world.school.id, "unit_id": world.school.id,
            "class_id": world.school_class.id, "user_id": world.student.id, "lesson_id": lesson.id,
            "number": 1, "filename": "css/app.css"}


def routes(app, methods=("GET", "POST")) -> list[Route]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            if method in methods:
                found.append(Route(rule.endpoint, method, rule))
    return found


def int_arguments(rule: Rule) -> set[str]:
    return {name for name, conv in rule._converters.items() if type(conv).__name__.endswith("IntConverter")}


def build(rule: Rule, ids: dict, attachment=None, **override) -> str:
    """The rule's path with the world's ids (and `override` for some arguments)."""
    values = {}
    ints = int_arguments(rule)
    for name in rule.arguments:
        if name in override:
            values[name] = override[name]
        elif name == "token":
            values[name] = attachment.token if rule.endpoint == "files.serve" and attachment else "0" * 32
        elif name in ids:
            values[name] = ids[name]
        else:
            values[name] = 1 if name in ints else "x"
    path = rule.rule
    for name, value in values.items():
        for pattern in (f"<{name}>", *(f"<{conv}:{name}>" for conv in ("int", "path", "string"))):
            path = path.replace(pattern, str(value))
    return path
