"""Words of one or two letters ("so", "ai") hold no trigram: they are checked on the rows the longer
words narrowed, as a substring test, never handed to the trigram index, with the same results."""
from __future__ import annotations

import re

from schoolhub.lessons import queries

_CARD = re.compile(r'<li class="lesson-card">\s*<h2><a href="/lessons/(\d+)"')


def _listed(client, q: str) -> set[int]:
    r = client.get("/lessons", query_string={"q": q})
    assert r.status_code == 200
    return {int(m) for m in _CARD.findall(r.get_data(as_text=True))}


def test_short_words_match_inside_longer_ones(world, factory, db, app):
    two = factory.lesson(world.school, world.teacher, visibility="public", title="Hai lớp bảo mật",
                         body="Bật xác thực hai lớp.")
    song = factory.lesson(world.school, world.teacher, visibility="public", title="Sông quê em",
                          body="Nước sông và rác thải.")
    plain = factory.lesson(world.school, world.teacher, visibility="public", title="Robot", body="Động cơ.")
    client = app.test_client()
    assert _listed(client, "ai") == {two.id, song.id}  # hAI, thẢI
    assert _listed(client, "so") == {song.id}  # SÔng, as LIKE '%so%' found it
    assert _listed(client, "song ai") == {song.id}
    assert _listed(client, "c o") == {two.id, song.id, plain.id}  # only short words: still every match


def test_short_words_stay_out_of_the_index(app):
    with app.app_context():
        sql = str(queries.search(None, q="chuyen doi so").compile(compile_kwargs={"literal_binds": True}))
    assert "'%so%'" not in sql  # a LIKE of it would read the whole trigram index on PostgreSQL
    assert ("strpos(" in sql) or ("instr(" in sql)
