"""Lessons: Resolution 57 lesson material that teachers write, publish and share."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the lessons domain: its blueprint, file owner, worklist, home panels, vocabulary, demo."""
    from schoolhub.domains import registry
    from schoolhub.lessons import (
        cards,
        chips,
        counts,
        demo,
        models,
        panels,
        policy,
        queries,
        rows,
        scale,
        views,
        views_edit,
        views_history,
        views_informed,
        vocab,
        worklist,
    )

    assert policy and views_edit and views_history and views_informed  # rules and routes register on import
    app.register_blueprint(views.bp)
    counts.install()  # who confirmed core material follows every flush
    models.register_attachments(app)  # lessons' files are served at /files/<token>, to whoever may read the lesson
    reg = registry(app)
    reg.providers.extend(worklist.PROVIDERS)
    reg.add_panel(20, "lessons/_home_latest.html", panels.latest)
    reg.add_panel(35, "lessons/_home_informed.html", panels.informed)
    reg.add_panel(45, "lessons/_home_school_informed.html", panels.school_informed)
    reg.add_demo(20, demo.seed)
    reg.add_scale(20, scale.seed)
    reg.add_audit_labels(vocab.AUDIT_LABELS)
    reg.add_figures(models.CoreReader.__table__, counts.recount)
    reg.add_figures(models.SchoolLessons.__table__, counts.recount_shelves)
    reg.add_figures(models.InformedCount.__table__, counts.recount_informed)  # after core_readers: it reads them
    # The list's school filter and counts, asked with the reader (one round trip less on every list and search).
    reg.add_page_question("lessons.index", queries.SHELF, queries.lesson_shelf_column)
    # The home page's newest lessons, likewise (every role's home shows them).
    reg.add_page_question("core.home", queries.NEWEST, lambda user: queries.newest_column(user, panels.LATEST))

    app.jinja_env.globals["lesson_chips"] = chips.lesson_chips
    app.jinja_env.globals["lesson_card"] = cards.lesson_card
    app.jinja_env.globals["lesson_cards"] = cards.lesson_cards
    app.jinja_env.globals["feed_entries"] = cards.feed_entries
    app.jinja_env.globals["informed_rows"] = rows.informed_rows

    @app.context_processor
    def _lesson_vocab():
        from flask_babel import get_locale

        labels = vocab.labels_in(str(get_locale()))
        grades = labels["GRADE_LABELS"]
        return {"TOPICS": labels["TOPICS"], "SUBJECTS": labels["SUBJECTS"], "AUDIENCES": labels["AUDIENCES"],
                "GRADE_LABELS": grades, "grade_label": lambda g: grades[g] if g in grades else vocab.grade_label(g),
                "LessonStatus": vocab.LessonStatus, "Visibility": vocab.Visibility}
