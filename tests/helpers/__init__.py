"""Plain helpers any test module may import: sample bytes, hostile text, page checkers, the access-matrix rows.

Test modules import only from `tests.helpers` and `tests.plugins` (tests/core/test_test_kit.py checks it);
fixtures live in the plugins under tests/plugins/, listed in tests/conftest.py.
"""
