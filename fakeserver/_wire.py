"""Render the engine's views as the service's JSON: key order, key presence, timestamps, bytes.

The Go service encodes structs with ``encoding/json``: keys come in struct order, ``omitempty`` fields
disappear when empty, maps (stage configs, history inputs and outputs) come out with their keys sorted,
and the encoder writes compact JSON (no spaces) followed by a newline. Timestamps are RFC 3339 in UTC
with the fractional seconds trimmed of trailing zeros (none at all on a whole second).

What differs between stack versions is read here from the version's row (:class:`StackVersion`):
``deletedAt`` on workflows, ``error`` and ``workflow`` on instances, and the ledger v2 / payments
shapes of activity outputs. The engine's views are version-free.

Everything here is plain dict building plus one ``json`` encoder call per body: the read endpoints
are on the fake's hot path.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from fakeserver._stack_versions import StackVersion
from fakeserver._views import (
    ActivityView,
    InstanceView,
    RunOutcome,
    StageHistoryView,
    StageStatusView,
    WorkflowView,
)

__all__ = [
    "activity",
    "activity_output",
    "data_body",
    "error_body",
    "format_time",
    "instance",
    "instance_list_body",
    "json_bytes",
    "run_outcome",
    "sorted_keys",
    "stage_history",
    "stage_status",
    "workflow",
]

# One encoder, built once: compact separators and raw UTF-8 like Go's encoder.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

# What Go's encoder writes differently from Python's once the text is compact and raw UTF-8:
# it escapes <, > and & (HTML safety) and U+2028/U+2029, and it writes \b and \f as \u0008, \u000c.
_GO_ESCAPE = re.compile("\\\\(.)|([<>&\u2028\u2029])", re.DOTALL)
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    "b": "\\u0008",
    "f": "\\u000c",
}


def _go_escape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped is None:
        return _GO_ESCAPES[match.group(2)]
    if escaped in "bf":
        return _GO_ESCAPES[escaped]
    return match.group(0)


def json_bytes(value: Any) -> bytes:
    """Encode ``value`` exactly as Go's ``json.Encoder`` would: compact, raw UTF-8, trailing newline.

    :param value: a JSON-ready value (dicts keep their key order).
    """
    text = _ENCODER.encode(value)
    # plain substring tests are much faster than one regex search on the hot path
    if (
        "<" in text
        or ">" in text
        or "&" in text
        or "\\b" in text
        or "\\f" in text
        or "\u2028" in text
        or "\u2029" in text
    ):
        text = _GO_ESCAPE.sub(_go_escape, text)
    return (text + "\n").encode("utf-8")


@functools.lru_cache(maxsize=65536)
def format_time(value: datetime) -> str:
    """RFC 3339 in UTC as Go writes a ``time.Time``: ``2023-04-13T08:39:07.1234Z``, no fraction on a
    whole second.

    Memoized: the same instants are rendered again on every read of a workflow or instance.

    :param value: an aware datetime (a naive one is taken as UTC).
    """
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6]
    elif value.tzinfo is not None and value.utcoffset() is not None:
        text = value.astimezone(UTC).isoformat()[:-6]
    if len(text) > 19:  # "YYYY-MM-DDTHH:MM:SS.ffffff"
        return text.rstrip("0") + "Z"
    return text + "Z"


def sorted_keys(value: Any) -> Any:
    """A copy of a JSON-ready value with every object's keys sorted, as Go encodes its maps.

    :param value: a JSON-ready value.
    """
    if isinstance(value, dict):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [sorted_keys(item) for item in value]
    return value


def workflow(view: WorkflowView, stack: StackVersion) -> dict[str, Any]:
    """A Workflow object: ``id``, ``config`` (``name``, ``stages``), ``createdAt``, ``updatedAt``,
    and ``deletedAt`` (always, ``null`` unless deleted) in the versions with soft delete.

    ``stages`` is rendered as stored (``None`` -> ``null``); the routes store it with sorted keys.

    :param view: the workflow.
    :param stack: the stack version spoken.
    """
    item: dict[str, Any] = {
        "id": view.id,
        "config": {"name": view.name, "stages": view.stages},
        "createdAt": format_time(view.created_at),
        "updatedAt": format_time(view.updated_at),
    }
    if stack.soft_delete:
        deleted = view.deleted_at
        item["deletedAt"] = None if deleted is None else format_time(deleted)
    return item


def stage_status(view: StageStatusView) -> dict[str, Any]:
    """A StageStatus object: ``stage``, ``instanceID``, ``startedAt``, ``terminatedAt`` (while ended),
    ``error`` (always).

    :param view: the stage row.
    """
    item: dict[str, Any] = {
        "stage": view.stage,
        "instanceID": view.instance_id,
        "startedAt": format_time(view.started_at),
    }
    if view.terminated_at is not None:
        item["terminatedAt"] = format_time(view.terminated_at)
    item["error"] = view.error
    return item


def _instance_fields(
    view: InstanceView, stack: StackVersion, rendered: dict[Any, Any] | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {"workflowID": view.workflow_id}
    embedded = view.workflow
    if embedded is not None and stack.instance_workflow:
        if rendered is None:
            item["workflow"] = workflow(embedded, stack)
        else:  # a list: a placeholder per workflow, spliced in once encoded (see instance_list_body)
            key = id(embedded)
            placeholder = rendered.get(key)
            if placeholder is None:
                placeholder = rendered[key] = f"{_PLACEHOLDER}{len(rendered)}"
                rendered[placeholder] = embedded
            item["workflow"] = placeholder
    item["id"] = view.id
    item["createdAt"] = format_time(view.created_at)
    item["updatedAt"] = format_time(view.updated_at)
    item["terminated"] = view.terminated
    if view.terminated_at is not None:
        item["terminatedAt"] = format_time(view.terminated_at)
    if view.status:
        item["status"] = [stage_status(row) for row in view.status]
    return item


def instance(
    view: InstanceView, stack: StackVersion, rendered: dict[Any, Any] | None = None
) -> dict[str, Any]:
    """An Instance object: ``workflowID``, ``workflow`` (versions that embed it, when read from
    storage), ``id``, ``createdAt``, ``updatedAt``, ``terminated``, ``terminatedAt`` (once ended),
    ``status`` (when there are stage rows), ``error`` (always, or only when set in later versions).

    :param view: the instance.
    :param stack: the stack version spoken.
    :param rendered: for :func:`instance_list_body` only: embedded workflows become placeholders.
    """
    item = _instance_fields(view, stack, rendered)
    if view.error or stack.instance_error_always:
        item["error"] = view.error
    return item


# Stands for an embedded workflow until it is spliced in: a NUL and a per-process random token.
_PLACEHOLDER = f"\x00workflow {secrets.token_hex(8)} "


def instance_list_body(views: list[InstanceView], stack: StackVersion) -> bytes:
    """``{"data": [instance...]}`` as bytes. The workflows the instances embed (versions that do) are
    encoded once each and spliced in: a listing repeats the same few workflows many times.

    :param views: the instances, in order.
    :param stack: the stack version spoken.
    """
    rendered: dict[Any, Any] = {}
    body = data_body([instance(view, stack, rendered) for view in views])
    for key, embedded in rendered.items():
        if isinstance(key, str):
            encoded = json_bytes(workflow(embedded, stack))[:-1]  # without the trailing newline
            body = body.replace(json_bytes(key)[:-1], encoded)
    return body


def run_outcome(outcome: RunOutcome, stack: StackVersion) -> dict[str, Any]:
    """The instance a run answers: as is without ``wait``; with ``wait`` the ``error`` key holds the
    wait error and is omitted on success.

    :param outcome: what ``Engine.run_workflow`` returned.
    :param stack: the stack version spoken.
    """
    if not outcome.waited:
        return instance(outcome.instance, stack)
    item = _instance_fields(outcome.instance, stack)
    if outcome.wait_error:
        item["error"] = outcome.wait_error
    return item


def stage_history(view: StageHistoryView) -> dict[str, Any]:
    """An instance-history item: ``name``, ``input`` (keys sorted), ``error`` (when set),
    ``terminated``, ``startedAt``, ``terminatedAt`` (once ended).

    :param view: the history item.
    """
    item: dict[str, Any] = {"name": view.name, "input": sorted_keys(view.input)}
    if view.error:
        item["error"] = view.error
    item["terminated"] = view.terminated
    item["startedAt"] = format_time(view.started_at)
    if view.terminated_at is not None:
        item["terminatedAt"] = format_time(view.terminated_at)
    return item


def _v2_transaction(tx: dict[str, Any]) -> dict[str, Any]:
    """A ledger v2 transaction as the v1 stage history shows it: ``id`` and, for ledger v1 clients,
    ``txid`` (the same number); ``reverted``; ``reference`` only when set."""
    item = {key: value for key, value in tx.items() if key != "reference" or value}
    item["id"] = tx["txid"]
    item["reverted"] = False
    return item


def _v2_account(account: dict[str, Any]) -> dict[str, Any]:
    """The ledger's account (``AccountWithVolumesAndBalances``) without its empty maps (omitempty)."""
    return {key: value for key, value in account.items() if value or not isinstance(value, dict)}


def _payments_2024(payment: dict[str, Any]) -> dict[str, Any]:
    """A payment as the 2024 payments API sends it: ``connectorID``, ``sourceAccountID``,
    ``destinationAccountID`` (the stored ``accountID`` unless given) and ``amount``; no ``accountID``;
    ``provider`` only when set."""
    item = {
        key: value for key, value in payment.items() if key != "accountID" and (key != "provider" or value)
    }
    item.setdefault("connectorID", "")
    item.setdefault("sourceAccountID", "")
    item.setdefault("destinationAccountID", payment.get("accountID", ""))
    item["amount"] = payment["initialAmount"]
    return item


def activity_output(name: str, output: dict[str, Any], stack: StackVersion) -> dict[str, Any]:
    """An activity's output as the stack version's stage history shows it (without the name wrapper).

    :param name: the activity name.
    :param output: the output as the bank produced it (mid-2023 shapes).
    :param stack: the stack version spoken.
    """
    if stack.ledger_v2:
        if name == "CreateTransaction":
            return {"data": [_v2_transaction(output["data"])]}
        if name == "GetAccount":
            return {"data": _v2_account(output["data"])}
    if name == "GetPayment":
        payment = output["data"]
        if stack.payment_accounts:
            return {"data": _payments_2024(payment)}
        return {"data": {key: value for key, value in payment.items() if key not in _LATER_PAYMENT_KEYS}}
    return output


#: Payment fields of the 2024 payments API a test may give the bank; the mid-2023 API has none of them.
_LATER_PAYMENT_KEYS = frozenset(("connectorID", "sourceAccountID", "destinationAccountID"))


def activity(view: ActivityView, stack: StackVersion) -> dict[str, Any]:
    """A stage-history item: ``name``, ``input`` / ``output`` wrapped in ``{name: ...}`` (keys sorted),
    ``error``, ``terminated``, ``startedAt``, ``terminatedAt``, ``lastFailure``, ``attempt``,
    ``nextExecution``; the optional ones only when set.

    :param view: the activity.
    :param stack: the stack version spoken (the shapes of ledger and payments outputs; with
        ``openapi_shapes``, the payloads as :func:`as_declared` rewrites them).
    """
    input = sorted_keys(view.input)
    output = None if view.output is None else sorted_keys(activity_output(view.name, view.output, stack))
    if stack.openapi_shapes:
        input, output = as_declared(view.name, input, output)
    item: dict[str, Any] = {"name": view.name, "input": {view.name: input}}
    if output is not None:
        item["output"] = {view.name: output}
    if view.error:
        item["error"] = view.error
    item["terminated"] = view.terminated
    item["startedAt"] = format_time(view.started_at)
    if view.terminated_at is not None:
        item["terminatedAt"] = format_time(view.terminated_at)
    if view.last_failure:
        item["lastFailure"] = view.last_failure
    item["attempt"] = view.attempt
    if view.next_execution is not None:
        item["nextExecution"] = format_time(view.next_execution)
    return item


def as_declared(name: str, input: Any, output: Any) -> tuple[Any, Any]:
    """An activity's input and output in the shape flows' ``openapi/v1.yaml`` (and the official SDKs
    generated from it) declare, where the service really sends another (``openapi_shapes``):

    * the CreateTransaction output's ``data`` is the transaction, not a one-element list (flows
      ``internal/workflow/manager.go`` ``ReadStageHistory`` makes the list);
    * a DebitWallet/CreditWallet ``metadata`` and a CreditWallet ``sources`` that the service sends
      as ``null`` (nil Go maps) are ``{}`` and ``[]``;
    * the AddAccountMetadata input names the account ``id``, not ``account``.

    Only these three; the payloads are fresh copies, so rewriting them in place is safe.
    """
    if name == "CreateTransaction" and output is not None:
        data = output.get("data")
        if isinstance(data, list) and len(data) == 1:
            output["data"] = data[0]
    elif name in ("DebitWallet", "CreditWallet"):
        data = input.get("data")
        if isinstance(data, dict):
            if data.get("metadata", {}) is None:
                data["metadata"] = {}
            if name == "CreditWallet" and data.get("sources", []) is None:
                data["sources"] = []
    elif name == "AddAccountMetadata" and "account" in input:
        input = sorted_keys({"id" if key == "account" else key: value for key, value in input.items()})
    return input, output


def data_body(payload: Any) -> bytes:
    """The success envelope ``{"data": payload}`` as bytes.

    :param payload: the JSON-ready payload.
    """
    return json_bytes({"data": payload})


def error_body(error_code: str, error_message: str) -> bytes:
    """The error envelope ``{"errorCode", "errorMessage"}`` as bytes, each key omitted when empty.

    :param error_code: the service's error code (``VALIDATION``, ``NOT_FOUND``, ``INTERNAL_ERROR``).
    :param error_message: the message text.
    """
    body: dict[str, str] = {}
    if error_code:
        body["errorCode"] = error_code
    if error_message:
        body["errorMessage"] = error_message
    return json_bytes(body)
