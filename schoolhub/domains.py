"""How domains plug in: `create_app` imports each package named in DOMAINS and calls its
`init_app(app)`, which registers blueprints, CLI commands, to-do providers, home-page panels,
navigation entries, template vocabulary and demo data here (indico's modules are the model).

Adding a domain edits no core module but the DOMAINS list (or the app's DOMAINS setting).
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

# In dependency order: a domain may use the models, queries and services of those before it.
DOMAINS: tuple[str, ...] = ("schoolhub.accounts", "schoolhub.lessons")


@dataclass(frozen=True)
class Panel:
    """A box on the home page: `context(session, user)` returns the template's variables, or None to hide it."""

    order: int
    template: str
    context: Callable


@dataclass(frozen=True)
class NavEntry:
    """A link in the main menu."""

    label: str
    url: str


@dataclass(frozen=True)
class DemoStep:
    """Demo data a domain adds: `seed(session, demo)` with the shared `Demo` record."""

    order: int
    seed: Callable


@dataclass
class Registry:
    """What the domains of one app contributed."""

    domains: list[str] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    nav: list[Callable] = field(default_factory=list)  # nav(user) -> list[NavEntry]
    providers: list = field(default_factory=list)  # worklist.Provider
    demo: list[DemoStep] = field(default_factory=list)
    scale: list[DemoStep] = field(default_factory=list)  # seed(run: scale.ScaleRun): the seed-scale generator
    audit_labels: dict = field(default_factory=dict)  # audit action name -> lazy label
    # Tables of figures kept on write, each with recount(conn), which counts it again from the rows.
    figures: list[tuple] = field(default_factory=list)
    # endpoint -> [(name, column(user))]: what a page asks of the principal alone (see add_page_question).
    page_questions: dict[str, list[tuple[str, Callable]]] = field(default_factory=dict)

    def add_panel(self, order: int, template: str, context: Callable) -> None:
        self.panels.append(Panel(order, template, context))
        self.panels.sort(key=lambda p: p.order)

    def add_nav(self, entries: Callable) -> None:
        self.nav.append(entries)

    def add_audit_labels(self, labels: dict) -> None:
        """Name the audit actions a domain writes, as the audit log page shows them."""
        self.audit_labels.update(labels)

    def add_figures(self, table, recount: Callable) -> None:
        """A table of figures the domain keeps on write, and `recount(conn)` that counts it again from
        the rows (`flask recount` runs every one)."""
        self.figures.append((table, recount))

    def add_page_question(self, endpoint: str, name: str, column: Callable) -> None:
        """A question the page at `endpoint` asks on every GET: `column(user)`, a scalar SELECT built from
        the principal alone (like the worklist's questions). It is asked in the statement that loads the
        user (worklist.joined_to), its answer read with worklist.page_answer(name, user)."""
        self.page_questions.setdefault(endpoint, []).append((name, column))

    def add_demo(self, order: int, seed: Callable) -> None:
        self.demo.append(DemoStep(order, seed))
        self.demo.sort(key=lambda d: d.order)

    def add_scale(self, order: int, seed: Callable) -> None:
        self.scale.append(DemoStep(order, seed))
        self.scale.sort(key=lambda d: d.order)


def registry(app: Flask | None = None) -> Registry:
    """The registry of `app` (default: the current app)."""
    return (app or current_app).extensions["schoolhub.registry"]


def init_domains(app: Flask) -> None:
    """Import every configured domain and let it register itself."""
    reg = Registry()
    app.extensions["schoolhub.registry"] = reg
    for name in app.config["DOMAINS"]:
        module = importlib.import_module(name)
        module.init_app(app)
        reg.domains.append(name)


def import_models(domains=DOMAINS) -> None:
    """Import the core models and every domain's `models` module, so the metadata knows every table."""
    importlib.import_module("schoolhub.audit")
    for name in domains:
        if importlib.util.find_spec(f"{name}.models") is not None:
            importlib.import_module(f"{name}.models")


def import_policies(domains=DOMAINS) -> None:
    """Import every domain's `policy` module, so every action has its rule (tests, tools)."""
    for name in domains:
        if importlib.util.find_spec(f"{name}.policy") is not None:
            importlib.import_module(f"{name}.policy")
