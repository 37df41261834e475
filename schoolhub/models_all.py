"""Imports every domain's models so the metadata knows all tables (Alembic, tests)."""
from schoolhub import audit  # noqa: F401
from schoolhub.accounts import models as accounts_models  # noqa: F401
from schoolhub.lessons import models as lessons_models  # noqa: F401
