"""run_workflow(check_variables=True) (issue 15, item 6): an opt-in client-side check."""

from __future__ import annotations

import pytest

from fakeserver import FakeOrchestration
from formance_orchestration import OrchestrationClient


def test_missing_variables_are_named_before_the_run(
    orchestration_fake: FakeOrchestration, orchestration_client: OrchestrationClient
) -> None:
    send = {
        "source": {"account": {"id": "world"}},
        "destination": {"account": {"id": "users:${user}"}},
        "amount": {"asset": "USD/2", "amount": "${amount}"},
    }
    workflow = orchestration_client.create_workflow({"stages": [{"send": send}]}).data
    with pytest.raises(ValueError, match=r"uses \$\{amount\}, \$\{user\}, not given"):
        orchestration_client.run_workflow(workflow.id, check_variables=True)
    with pytest.raises(ValueError, match=r"uses \$\{amount\}, not given"):
        orchestration_client.run_workflow(workflow.id, {"user": "1"}, check_variables=True)
    assert [c.operation for c in orchestration_fake.calls].count("runWorkflow") == 0
    run = orchestration_client.run_workflow(workflow.id, {"user": "1", "amount": "5"}, check_variables=True)
    assert orchestration_fake.bank.balance("users:1", "USD/2") == 5 and run.data.id
