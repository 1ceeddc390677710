"""Every hook of jifen. Each docstring here is the hook's reference documentation.

Plugins implement hooks with `jifen.hookimpl` and are found through the ``jifen``
entry-point group. Registration hooks receive a ``register`` callback: call it once per
contribution; the core validates each contribution and records which plugin gave it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from rich.console import Console

    from jifen.clock import MovableClock
    from jifen.config import CatalogueItem
    from jifen.jobs import JobFunction
    from jifen.model import AccountType, PointKind, SubjectType, TransactionView
    from jifen.model.claims import Claim
    from jifen.platform import Platform
    from jifen.scenarios import AllocationMode, ScenarioSpec
    from jifen.scoring import Score, ScoreRequest

hookspec = pluggy.HookspecMarker("jifen")


@hookspec
def register_point_kinds(register: Callable[[PointKind], None]) -> None:
    """Register point kinds (JF-KIND-4).

    Called once when the plugin manager is built. Call ``register(PointKind(...))`` for each kind
    the plugin adds. The core's own plugin registers ``material`` and ``moral`` this way. A name
    registered twice is an error naming both plugins.

    Args:
        register: callback taking a [`PointKind`][jifen.model.PointKind].
    """


@hookspec
def register_account_types(register: Callable[[AccountType], None]) -> None:
    """Register ledger account types.

    Called once when the plugin manager is built. The core registers ``subject`` (a subject's
    own account), ``issuance``, ``expiry`` and ``settlement``; a plugin adds the system accounts
    its scenario needs (for example a funding pool).

    Args:
        register: callback taking a [`AccountType`][jifen.model.AccountType].
    """


@hookspec
def register_subject_types(register: Callable[[SubjectType], None]) -> None:
    """Register subject types (JF-SUB-1).

    Called once when the plugin manager is built. The core registers resident, household,
    grid_worker, department, merchant and organisation; plugins MAY add more.

    Args:
        register: callback taking a [`SubjectType`][jifen.model.SubjectType].
    """


@hookspec
def register_migrations(register: Callable[[Path], None]) -> None:
    """Contribute a directory of Alembic migrations for a plugin's own tables.

    Call ``register(path)`` with the plugin's versions directory. Its first revision has
    ``down_revision = None``, a ``branch_labels`` tuple naming the plugin and
    ``depends_on`` the core revision whose tables it references (e.g. ``"0003"``); `jifen db
    upgrade` then brings the core and every plugin branch to their heads. Plugin tables follow
    the core's rule: ``tenant_id`` leads every primary and foreign key (JF-ORG-1).

    Args:
        register: callback taking the `Path` of a versions directory.
    """


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add sub-commands to the ``jifen`` command line.

    Called once when the CLI starts. Add commands or groups with ``app.command()`` or
    ``app.add_typer(...)``.

    Args:
        app: the root Typer application of the ``jifen`` command.
    """


@hookspec
def ledger_transaction_committed(tenant_id: uuid.UUID, transaction: TransactionView) -> None:
    """React to a ledger transaction after it has committed.

    Called once per transaction, after the database transaction that wrote it has committed,
    and never for a retry answered from the idempotency record. An exception raised here is
    logged and does not undo the posting; do durable work idempotently, keyed by
    ``transaction.id``.

    Args:
        tenant_id: the tenant the transaction belongs to.
        transaction: the committed transaction with its postings.
    """


@hookspec
def register_catalogue_items(register: Callable[[CatalogueItem], None]) -> None:
    """Contribute catalogue items that a plugin's earning source needs (JF-CAT-1).

    Called by `jifen tenant apply` for every tenant file applied. Call
    ``register(CatalogueItem(...))`` for each item. An item joins the tenant's catalogue unless
    the tenant file defines an item with the same code (the city's own definition wins); it is
    published, versioned and approved with the rest of the file (JF-CAT-3, JF-CAT-6), and the
    catalogue records which plugin contributed it.

    Args:
        register: callback taking a [`CatalogueItem`][jifen.config.CatalogueItem].
    """


@hookspec
def check_claim_evidence(tenant_id: uuid.UUID, item: CatalogueItem,
                         evidence: Mapping[str, str]) -> str | None:
    """Check the evidence of a claim before it is accepted.

    Called for every claim submitted, after the core's own checks (evidence present where the
    item requires it). Every implementation is called; return ``None`` to accept, or a message
    saying what is wrong. Any message refuses the claim with `claim.invalid_evidence` and nothing
    is written.

    Args:
        tenant_id: the tenant of the claim.
        item: the catalogue item version in force on the date of the deed.
        evidence: the claim's evidence references (name → value).
    """


@hookspec
def claim_finalised(tenant_id: uuid.UUID, claim: Claim, transaction: TransactionView) -> None:
    """React to an award or deduction that has become final and posted to the ledger.

    Called after the database transaction that made the claim final has committed (at the end
    of its notice, at approval when the item needs no notice, or at submission for auto-awarded
    items). An exception raised here is logged and undoes nothing; do durable work idempotently,
    keyed by ``claim.id``.

    Args:
        tenant_id: the tenant of the claim.
        claim: the claim, in state ``final``.
        transaction: the ledger transaction that posted it.
    """


@hookspec(firstresult=True)
def compute_score(request: ScoreRequest) -> Score | None:
    """Compute a subject's contribution score with its explanation (JF-SCORE-1..3).

    Called whenever a score is needed: for one subject, for many at once (once per subject),
    and for a scenario's decision. Only the first answer counts: plugins registered later are
    asked first, and the first that returns a score wins (JF-SCORE-3); return ``None`` to leave
    the subject to the next plugin. The built-in ``jifen.builtins.default_score`` answers last
    with [`default_method`][jifen.scoring.default_method], the sum within the window with
    per-category weights.

    The score is checked before it is used: it must be for the request's tenant, subject and
    ``as_of``, and its ``value`` must equal the sum of its counted lines' contributions and of
    its categories' contributions, exactly (JF-SCORE-2); otherwise `plugin.invalid`. Its
    ``method`` and ``method_version`` are recorded with every score used for a decision.

    Args:
        request: the subject, the instant ``as_of``, the settings in force at the subject's
            org unit, the tenant's time zone, and the history of the subject's moral account
            up to ``as_of`` (a [`ScoreRequest`][jifen.scoring.ScoreRequest]).

    Returns:
        A [`Score`][jifen.scoring.Score] naming the method and its version, or ``None``.
    """


@hookspec
def seed_demo(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock,
              console: Console) -> None:
    """Add a plugin's part to `jifen demo`, once, when the demo city is first made.

    Called after the core's four months of claims (March–June 2024), in the order plugins were
    registered. ``platform`` runs on the demo's movable ``clock`` (set it forward as the story
    needs; never back before July 2024), ``tenant_id`` is the demo city (the tenant file
    `jifen/data/kangbashi.yaml`, with its funding pools), and ``console`` is where to print
    a short summary of what was done. Find people with `jifen.subjects.find_by_code` (the demo's
    residents have external references ``demo:<name>``).

    Args:
        platform: the demo platform.
        tenant_id: the demo city.
        clock: the demo's clock.
        console: a rich console for the plugin's summary.
    """


@hookspec
def register_scenarios(register: Callable[[ScenarioSpec], None]) -> None:
    """Register scenarios: benefits that moral points unlock (JF-SCN-1).

    Called when the scenarios are first needed, and again whenever the set of registered
    plugins changes. Call ``register(ScenarioSpec(...))`` once per scenario: its code, name,
    provider, the benefit a code shows, its allocation mode, eligibility (minimum score,
    residence, required categories, consent — default required), use effect (``none``,
    ``consume`` or ``mark``, with ``consume_points``), rule version and mode options. The spec
    is validated, its options by its mode's options model; a code registered twice, or a mode
    no plugin registers, is an error naming the plugins. A tenant may override the
    eligibility values and options in its tenant file (``scenarios:``); decisions record the
    resolved rule and its version.

    Args:
        register: callback taking a [`ScenarioSpec`][jifen.scenarios.ScenarioSpec].
    """


@hookspec
def register_allocation_modes(register: Callable[[AllocationMode], None]) -> None:
    """Register allocation modes: how a scenario's benefit is allocated (JF-SCN-1..4).

    Called like [`register_scenarios`](#register_scenarios). Call
    ``register(AllocationMode(name=..., options=..., decide=...))`` once per mode. ``options``
    is a pydantic model that validates the options of every scenario using the mode;
    ``decide(request)`` receives a [`DecisionRequest`][jifen.scenarios.DecisionRequest] (the
    kind of decision, the resolved rule, the recorded inputs) and returns the result as a
    JSON object. It must be a pure function of its request, so that a decision can be
    replayed (JF-SCN-5). Every mode answers the check kinds (``check``, ``assertion``,
    ``benefit_code``) with at least ``eligible`` and ``reasons``, and ``valid_until`` when a
    positive answer can be proven with a benefit code. The built-in modes ``threshold``,
    ``quota_round`` and ``capacity`` are registered this way by
    ``jifen.builtins.scenario_modes``; a name registered twice is an error naming both plugins.

    Args:
        register: callback taking an [`AllocationMode`][jifen.scenarios.AllocationMode].
    """


@hookspec
def register_routers(register: Callable[[APIRouter, str], None]) -> None:
    """Mount a plugin's own HTTP endpoints on the API server (JF-API-1).

    Called once by `jifen.api.create_app`, after the core's routers are included. Call
    ``register(router, prefix)`` once per FastAPI ``APIRouter``; ``prefix`` is where it is
    mounted and must start with ``/v1/`` (for example ``/v1/tenants/{tenant}/surveys``). The
    plugin's endpoints get the core's conventions for free: problem documents for every
    `JifenError`, the ``Idempotency-Key`` rule on writes, and the bearer-token dependencies of
    `jifen.api.deps` (``Auth``, ``TenantAuth``) for roles. Their operations appear in
    ``/openapi.json``.

    A plugin's web pages are registered the same way with a prefix under ``/t/{tenant}/`` (for
    example ``/t/{tenant}/merchant``), beside the core's pages and left out of the OpenAPI
    document. Give such a router ``route_class=jifen.web.pages.PageRoute`` (errors become an
    HTML page, a missing login a redirect to the login form) and use the helpers of
    `jifen.web.pages` (``page_context`` for the signed-in caller, ``check_csrf`` on forms,
    ``language``); templates may extend the core's ``base.html``. Any other prefix is
    `plugin.invalid`.

    Args:
        register: callback taking a FastAPI ``APIRouter`` and the prefix to mount it at.
    """


@hookspec
def register_jobs(register: Callable[[str, float, JobFunction], None]) -> None:
    """Register periodic jobs that the server's scheduler (and `jifen jobs run`) runs.

    Called when the scheduler starts and by `jifen jobs run`. Call
    ``register(name, interval, function)`` once per job: ``name`` is unique (e.g.
    ``"notices.close"``), ``interval`` the seconds between runs, and ``function(platform,
    tenant_id)`` does one run for one tenant. The scheduler calls it for every tenant, one job at
    a time; it must be idempotent (a run that finds nothing to do does nothing), because runs
    repeat, overlap restarts and may be started by hand. An exception is logged and the next
    tenant runs. The core's own jobs, ``notices.close`` (`Claims.close_notices`) and
    ``ledger.expire`` (`Ledger.expire`), come from the built-in plugin
    ``jifen.builtins.core_jobs`` through this hook. A name registered twice is `plugin.invalid`.

    Args:
        register: callback taking the job's name, its interval in seconds and its function.
    """
