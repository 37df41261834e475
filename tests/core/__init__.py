"""Core tests: the app shell, configuration, files, markup, i18n, migrations, the test kit."""
