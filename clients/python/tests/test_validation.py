"""The client's pre-send checks (buf.validate rules read from the descriptors) against the server's verdicts."""

import grpc
import pytest

from bertig_client import Client, ValidationError
from bertig_client._gen.bertig.v1 import explainer_pb2 as pb
from bertig_client.validation import unsupported_rules

# Requests that break rules, as keyword arguments of Client.explain_unary / Client.predict.
BAD_EXPLAINS = [
    pytest.param(dict(text=""), id="empty_text"),
    pytest.param(dict(text=" \t "), id="blank_text"),
    pytest.param(dict(text="fine", n_steps=5000), id="too_many_steps"),
    pytest.param(dict(text="fine", target=-1), id="negative_target"),
    pytest.param(dict(text="fine", target=" "), id="blank_target_label"),
    pytest.param(dict(text="fine", tolerance=1.5), id="tolerance_over_one"),
    pytest.param(dict(text="fine", internal_batch_size=2000, max_steps=-3), id="two_fields"),
    pytest.param(dict(text="fine", model="m" * 129), id="long_model_name"),
]


class _CountingInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self) -> None:
        self.calls = 0

    def intercept_unary_unary(self, continuation, client_call_details, request):
        self.calls += 1
        return continuation(client_call_details, request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        self.calls += 1
        return continuation(client_call_details, request)


def _fields(error: ValidationError) -> list[str]:
    return sorted(v.field for v in error.violations)


def test_every_rule_in_the_contract_is_checked_by_the_client() -> None:
    for message in (pb.ExplainRequest, pb.ExplainUnaryRequest, pb.PredictRequest):
        assert unsupported_rules(message.DESCRIPTOR) == [], message.DESCRIPTOR.full_name


def test_invalid_requests_are_refused_before_any_call(server_address: str) -> None:
    counter = _CountingInterceptor()
    with Client(channel=grpc.intercept_channel(grpc.insecure_channel(server_address), counter), timeout=60) as client:
        with pytest.raises(ValidationError) as raised:
            client.explain_unary("fine", n_steps=5000)
        assert _fields(raised.value) == ["n_steps"]
        assert "2048" in raised.value.violation("n_steps").description
        with pytest.raises(ValidationError):
            list(client.explain(""))
        with pytest.raises(ValidationError) as raised:
            client.predict(["fine", "  "])
        assert _fields(raised.value) == ["texts[1]"]
        assert counter.calls == 0
        # A valid request goes through the same client.
        assert client.predict("This movie is superb")[0].label == "positive"
        assert counter.calls == 1


@pytest.mark.parametrize("kwargs", BAD_EXPLAINS)
def test_local_verdict_and_field_paths_equal_the_servers(server_address: str, kwargs: dict) -> None:
    with Client(server_address, timeout=60) as local, Client(server_address, timeout=60, validate=False) as remote:
        with pytest.raises(ValidationError) as refused:
            local.explain_unary(**kwargs)
        with pytest.raises(ValidationError) as rejected:
            remote.explain_unary(**kwargs)
    assert refused.value.message.startswith("request not sent")
    assert not rejected.value.message.startswith("request not sent")
    assert _fields(refused.value) == _fields(rejected.value)
