"""SQLAlchemy's compiled statements, found by the identity of a statement's cache key first
(schoolhub.statement_cache): the same answers as a look-up by value, in bounded memory."""
from __future__ import annotations

from sqlalchemy import Integer, bindparam, literal, select

from schoolhub import statement_cache
from schoolhub.db import make_engine
from schoolhub.statement_cache import CompiledCache


def _key(dialect, n: int) -> tuple:
    return (dialect, ("select", ("n", n)), (), False, False)


def test_a_key_is_found_by_identity_and_an_equal_key_by_value():
    cache, dialect = CompiledCache(10), object()
    key = _key(dialect, 1)
    cache[key] = "compiled 1"
    assert cache.get(key) == "compiled 1"
    assert cache.get(_key(dialect, 1)) == "compiled 1"  # built anew: the same statement, found by value
    assert cache.get(_key(dialect, 2)) is None
    assert cache.get(_key(object(), 1), "none") == "none"  # another dialect's compiled form is another


def test_identity_entries_stay_bounded_and_values_still_answer(monkeypatch):
    monkeypatch.setattr(statement_cache, "_IDENTITY_KEPT", 5)
    cache, dialect = CompiledCache(100), object()
    keys = [_key(dialect, n) for n in range(40)]
    for n, key in enumerate(keys):
        cache[key] = f"compiled {n}"
        assert len(cache._by_identity) <= 5
    assert [cache.get(key) for key in keys] == [f"compiled {n}" for n in range(40)]
    assert len(cache._by_identity) <= 5 and len(cache) == 40
    cache.clear()
    assert cache.get(keys[0]) is None and not cache._by_identity


def test_a_statement_reused_runs_with_each_runs_values(database_url):
    """The engine's cache: a statement built once answers with each run's values, and one built anew with
    other held values answers with its own (a compiled form holds no value)."""
    engine = make_engine(database_url)
    try:
        reused = select(bindparam("n", type_=Integer) + 1)
        with engine.connect() as conn:
            assert [conn.execute(reused, {"n": n}).scalar() for n in (1, 2, 3)] == [2, 3, 4]
            assert [conn.execute(select(literal(n) * 10)).scalar() for n in (1, 2)] == [10, 20]
        assert isinstance(engine.get_execution_options()["compiled_cache"], CompiledCache)
    finally:
        engine.dispose()
