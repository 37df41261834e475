"""Imports every domain's models so the metadata knows all tables (Alembic, tests): from DOMAINS."""
from schoolhub.domains import import_models

import_models()
