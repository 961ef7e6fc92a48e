"""The scenario every SDK driver runs: setup calls to the fake's control API, then SDK steps.

It is plain JSON (written to a file the drivers read), so the Python and JavaScript drivers run the
same steps. Arguments use the Python SDKs' snake_case request fields; ``JS_KEYS`` renames them for
the npm SDK. A string ``"$name"`` is an id saved by an earlier step.
"""

from __future__ import annotations

from typing import Any

from fakeserver._stack_versions import stack_version

PAYMENT_1 = "3c1e8a52-0d1f-4b8e-9a55-2f1c6f6f0b01"
PAYMENT_2 = "7d2f9b63-1e2a-4c9f-8b66-3a2d7a7a1c02"
WALLET_1 = "0b6c7f1e-4a53-4d8e-9f0a-1c2b3d4e5f61"  # on ledger "default", as the accounts
WALLET_2 = "9e8d7c6b-5a49-4382-8716-05f4e3d2c1b0"  # on ledger "wallets": cross-ledger sends
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
CONNECT_ID = "acct_1MatrixConnect"

METHODS = {  # operation -> method names across releases (Python; the JS driver camel-cases them)
    "getServerInfo": ["get_server_info_orchestration", "orchestrationget_server_info", "get_server_info"],
    "createWorkflow": ["create_workflow"],
    "listWorkflows": ["list_workflows"],
    "getWorkflow": ["get_workflow"],
    "deleteWorkflow": ["delete_workflow"],
    "runWorkflow": ["run_workflow"],
    "listInstances": ["list_instances"],
    "getInstance": ["get_instance"],
    "sendEvent": ["send_event"],
    "cancelEvent": ["cancel_event"],
    "getInstanceHistory": ["get_instance_history"],
    "getInstanceStageHistory": ["get_instance_stage_history"],
}
JS_KEYS = {"flow_id": "flowId", "workflow_id": "workflowID", "instance_id": "instanceID"}
JS_KEYS["request_body"] = "requestBody"


def _account(address: str, ledger: str = "default") -> dict[str, Any]:
    return {"account": {"id": address, "ledger": ledger}}


def _wallet(wallet_id: str) -> dict[str, Any]:
    return {"wallet": {"id": wallet_id, "balance": "main"}}


def _send(source: dict[str, Any], destination: dict[str, Any], amount: int | None = 100) -> dict[str, Any]:
    send: dict[str, Any] = {"source": source, "destination": destination}
    if amount is not None:
        send["amount"] = {"amount": amount, "asset": "USD/2"}
    return {"send": send}


def main_stages(version: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, stage) of the main workflow: every send pair, wait_event, delay (and update from v2.0)."""
    stripe = {"payment": {"psp": "stripe"}}
    stages = [
        ("send account->account", _send(_account("users:001"), _account("bank"))),
        ("send account->account (other ledger)", _send(_account("users:001"), _account("bank", "other"))),
        ("send account->wallet", _send(_account("users:001"), _wallet(WALLET_1))),
        ("send wallet->account", _send(_wallet(WALLET_1), _account("bank"))),
        ("send wallet->wallet (other ledger)", _send(_wallet(WALLET_1), _wallet(WALLET_2))),
        ("send account->payment (stripe)", _send(_account("users:stripe"), stripe)),
        ("send wallet->payment (stripe)", _send(_wallet(WALLET_2), stripe)),
        ("send payment->account", _send({"payment": {"id": PAYMENT_1}}, _account("bank"), None)),
        ("send payment->wallet", _send({"payment": {"id": PAYMENT_2}}, _wallet(WALLET_1), None)),
        ("wait_event", {"wait_event": {"event": "go"}}),
        ("delay", {"delay": {"duration": "1m"}}),
    ]
    if stack_version(version).stages_2024:
        update = {"account": {"id": "bank", "ledger": "default", "metadata": {"checked": "yes"}}}
        stages.append(("update", {"update": update}))
    return stages


def build(version: str, url: str) -> dict[str, Any]:
    """The scenario for a fake of stack ``version`` at ``url``."""
    row = stack_version(version)
    connect = {"stripeConnectID": CONNECT_ID, "formanceAccountID": CONNECT_ID}
    setup: list[list[Any]] = [
        ["POST", "/_fake/reset", {}],
        ["POST", "/_fake/ledgers/default/accounts/users:001/fund", {"asset": "USD/2", "amount": 100000}],
        ["POST", "/_fake/ledgers/default/accounts/users:stripe", {"metadata": connect}],
        ["POST", "/_fake/ledgers/default/accounts/users:stripe/fund", {"asset": "USD/2", "amount": 1000}],
        ["POST", "/_fake/wallets", {"id": WALLET_1, "name": "one", "ledger": "default"}],
        ["POST", "/_fake/wallets", {"id": WALLET_2, "name": "two", "ledger": "wallets", "metadata": connect}],
        ["POST", f"/_fake/wallets/{WALLET_1}/fund", {"asset": "USD/2", "amount": 10000}],
        ["POST", f"/_fake/wallets/{WALLET_2}/fund", {"asset": "USD/2", "amount": 10000}],
        ["POST", "/_fake/payments", {"id": PAYMENT_1, "amount": 500, "asset": "USD/2"}],
        ["POST", "/_fake/payments", {"id": PAYMENT_2, "amount": 700, "asset": "USD/2"}],
        ["DELETE", "/_fake/calls", None],
    ]
    stages = main_stages(version)
    main = {"name": "matrix-main", "stages": [stage for _, stage in stages]}
    quick = {"name": "matrix-quick", "stages": [_send(_account("users:001"), _account("bank"), 1)]}
    cancel = {"name": "matrix-cancel", "stages": [{"wait_event": {"event": "never"}}]}
    go = {"name": "go"}
    advance = ["POST", "/_fake/clock/advance", {"seconds": 3600}]

    def s(name: str, operation: str, args: Any = None, **extra: Any) -> dict[str, Any]:
        return {"name": name, "operation": operation, "args": args, **extra}

    steps = [
        s("getServerInfo", "getServerInfo"),
        s("createWorkflow (main)", "createWorkflow", main, save={"wf_main": "data.id"}),
        s("createWorkflow (quick)", "createWorkflow", quick, save={"wf_quick": "data.id"}),
        s("createWorkflow (cancel)", "createWorkflow", cancel, save={"wf_cancel": "data.id"}),
        s("listWorkflows", "listWorkflows"),
        s("getWorkflow", "getWorkflow", {"flow_id": "$wf_main"}),
        s(
            "runWorkflow (no wait)",
            "runWorkflow",
            {"workflow_id": "$wf_main", "request_body": {}},
            save={"inst_main": "data.id"},
        ),
        s("listInstances (workflow)", "listInstances", {"workflow_id": "$wf_main"}),
        s("getInstance (waiting)", "getInstance", {"instance_id": "$inst_main"}),
        s("sendEvent", "sendEvent", {"instance_id": "$inst_main", "request_body": go}, after=[advance]),
        s("getInstance (terminated)", "getInstance", {"instance_id": "$inst_main"}),
        s("getInstanceHistory", "getInstanceHistory", {"instance_id": "$inst_main"}),
    ]
    for number, (kind, _) in enumerate(stages):
        args = {"instance_id": "$inst_main", "number": number}
        steps.append(s(f"getInstanceStageHistory: {kind}", "getInstanceStageHistory", args))
    steps += [
        s(
            "runWorkflow (wait=true)",
            "runWorkflow",
            {"workflow_id": "$wf_quick", "wait": True, "request_body": {}},
            save={"inst_quick": "data.id"},
        ),
        s(
            "runWorkflow (cancel)",
            "runWorkflow",
            {"workflow_id": "$wf_cancel", "request_body": {}},
            save={"inst_cancel": "data.id"},
        ),
        s("listInstances (running)", "listInstances", {"running": True}),
        s("cancelEvent", "cancelEvent", {"instance_id": "$inst_cancel"}),
        s("getInstance (cancelled)", "getInstance", {"instance_id": "$inst_cancel"}),
    ]
    if row.soft_delete:
        steps += [
            s("deleteWorkflow", "deleteWorkflow", {"flow_id": "$wf_quick"}),
            s("listWorkflows (after delete)", "listWorkflows"),
        ]
    unknown_instance = {"instance_id": UNKNOWN_ID}
    internal = {"status": 500, "errorCode": row.internal_error_code}
    steps += [
        s(
            "error: getWorkflow (unknown id) 500",
            "getWorkflow",
            {"flow_id": UNKNOWN_ID},
            expectError=internal,
        ),
        s("error: getInstance (unknown id) 500", "getInstance", unknown_instance, expectError=internal),
        s(
            "error: getInstanceStageHistory (unknown id) 404",
            "getInstanceStageHistory",
            {"instance_id": UNKNOWN_ID, "number": 0},
            expectError={"status": 404, "errorCode": "NOT_FOUND"},
        ),
    ]
    return {
        "url": url,
        "stackVersion": version,
        "setup": setup,
        "steps": steps,
        "methods": METHODS,
        "jsKeys": JS_KEYS,
        "ids": {},
    }
