"""The test kit's plugins (tests/plugins/): fixtures per domain, and helpers in tests/helpers/."""

pytest_plugins = [
    "tests.plugins.core",
    "tests.plugins.accounts",
    "tests.plugins.lessons",
    "tests.plugins.access",
]
