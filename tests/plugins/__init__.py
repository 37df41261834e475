"""Fixture plugins, one per domain plus core, loaded through `pytest_plugins` in tests/conftest.py.

- core.py      the app on a migrated database, a rolled-back transaction per test, clients,
               `login_as`, `count_queries`, the base `factory` (units, classes, users) and `world`
- accounts.py  accounts' factory methods (deactivate)
- lessons.py   lessons' factory methods (lesson, attachment)
- access.py    `check_access`: the access-matrix runner every domain's test_access.py calls

A domain adds its factory methods by implementing the hook `pytest_schoolhub_factory_parts`
(hookspecs.py) in its plugin: `factory.<method>` then works in every test and in the browser harness.
"""
