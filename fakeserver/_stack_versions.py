"""The one table of what each Formance stack release changes in the Orchestration v1 API.

A fake speaks one stack version's dialect, chosen when it is made (``stack_version=``). Everything
that differs between releases is a field of :class:`StackVersion`, read by the rendering and
decoding layers (``_wire.py``, ``_routes.py``, ``_resolve.py``, ``_send.py``); the engine only carries
the row.

Versions are named as users name their stacks. Each row says which releases speak it and cites the
upstream source it was established from (formancehq/stack, formancehq/flows; see the README table).
"""

from __future__ import annotations

import attrs

__all__ = [
    "DEFAULT_STACK_VERSION",
    "STACK_VERSIONS",
    "StackVersion",
    "UnknownStackVersion",
    "stack_version",
]


@attrs.frozen(kw_only=True)
class StackVersion:
    """What one stack release's Orchestration v1 API looks like on the wire.

    :param name: the version as users name their stack (``v1.0``...).
    :param releases: the stack releases that speak it.
    :param service_version: what ``GET /_info`` answers.
    :param internal_error_code: the ``errorCode`` of a 500.
    :param stage_history_not_found: the ``errorMessage`` of the stage-history 404.
    :param soft_delete: ``DELETE /workflows/{id}`` exists and workflows carry ``deletedAt``.
    :param instance_error_always: instances carry ``error`` even when empty.
    :param instance_workflow: instances read from the database embed their ``workflow``.
    :param ledger_v2: the send stage talks to ledger v2: a CreateTransaction output is a one-element
        list of ``{id, txid, reverted, ...}``, GetAccount omits its empty maps.
    :param payment_accounts: GetPayment outputs carry ``connectorID``, ``sourceAccountID``,
        ``destinationAccountID`` and ``amount`` (payments API of 2024), not ``accountID``.
    :param running_any_case: ``GET /instances?running=`` also takes ``1`` and any case of ``true``
        (go-libs ``QueryParamBool``); mid-2023 took exactly ``true``.
    :param stages_2024: the stage schemas and send stage of stack v2.0+: send ``metadata`` and
        ``timestamp`` passed on to every activity, wallets by id or name (``ListWallets``), payment
        destinations with ``waitingValidation``/``connectorId`` and the ``formanceAccountID`` key,
        the ``update`` stage (``AddAccountMetadata``), every ``${var}`` of a string interpolated.
    :param send_2025: the send stage of flows v2.6: accounts and payment sources with
        ``throughAccount``/``allowOverdraft`` (overdrafts sent as Numscript), payment sources with
        ``ledger``/``holdingAccount``, payment destinations with ``type``/``sourceAccount``, payouts
        debited first and made with ``CreateTransferInitiation`` for any provider.
    :param openapi_shapes: not a release difference but a choice of the fake's user (off in every
        row): stage-history payloads in the shape flows' ``openapi/v1.yaml`` and the official SDKs
        declare, where the service really sends another (see :func:`fakeserver._wire.activity`).
    """

    name: str
    releases: str
    service_version: str
    internal_error_code: str
    stage_history_not_found: str
    soft_delete: bool
    instance_error_always: bool
    instance_workflow: bool
    ledger_v2: bool
    payment_accounts: bool
    running_any_case: bool
    stages_2024: bool
    send_2025: bool
    openapi_shapes: bool = False


_V1_0 = StackVersion(
    name="v1.0",
    releases="the mid-2023 stack (Orchestration from formancehq/stack main, June 2023)",
    service_version="develop",
    internal_error_code="INTERNAL_ERROR",
    stage_history_not_found="resource not found",
    soft_delete=False,
    instance_error_always=True,
    instance_workflow=False,
    ledger_v2=False,
    payment_accounts=False,
    running_any_case=False,
    stages_2024=False,
    send_2025=False,
)

_V2_0 = attrs.evolve(
    _V1_0,
    name="v2.0",
    releases="stack v2.0.x, v2.1.x and v3.0.x (ee/orchestration v2.0, flows v2.1.0)",
    service_version="v2.0.33",
    internal_error_code="INTERNAL",
    stage_history_not_found="Instance not found",
    soft_delete=True,
    instance_error_always=False,
    ledger_v2=True,
    payment_accounts=True,
    running_any_case=True,
    stages_2024=True,
)

_V3_1 = attrs.evolve(
    _V2_0,
    name="v3.1",
    releases="stack v3.1.x and v3.2.0 to v3.2.4 (flows v2.4)",
    service_version="v2.4.1",
    instance_workflow=True,
)

# formancehq/stack v3.2.5 to v3.2.7 Justfile: ORCHESTRATION_VERSION := "v2.6.0" (v3.2.0 to v3.2.4:
# v2.4.1). From flows v2.4.1 to v2.6.0 only the send stage changed: internal/workflow/stages/send/
# send.go and run.go, activities/activity_transfer_initiation.go (and openapi/v1.yaml).
_V3_2_5 = attrs.evolve(
    _V3_1,
    name="v3.2.5",
    releases="stack v3.2.5 to v3.2.7 (flows v2.6)",
    service_version="v2.6.0",
    send_2025=True,
)

_TABLE: dict[str, StackVersion] = {row.name: row for row in (_V1_0, _V2_0, _V3_1, _V3_2_5)}

#: Every stack version the fake speaks, oldest first.
STACK_VERSIONS: tuple[str, ...] = tuple(_TABLE)
#: The version a fake speaks unless told otherwise: the latest.
DEFAULT_STACK_VERSION: str = STACK_VERSIONS[-1]


class UnknownStackVersion(ValueError):
    """A stack version the fake does not speak; the message lists the ones it does."""

    def __init__(self, name: object) -> None:
        super().__init__(f"unknown stack version {name!r}: expected one of {', '.join(STACK_VERSIONS)}")
        self.name = name


def stack_version(name: str | StackVersion) -> StackVersion:
    """The table row of a stack version.

    :param name: a name from :data:`STACK_VERSIONS` (or a row, returned as is).
    :raises UnknownStackVersion: for any other name (a ``ValueError`` listing the valid ones).
    """
    if isinstance(name, StackVersion):
        return name
    row = _TABLE.get(name) if isinstance(name, str) else None
    if row is None:
        raise UnknownStackVersion(name)
    return row
