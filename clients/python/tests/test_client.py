import pytest

from bertig_client import BertIgError, Client, Progress, Result, ValidationError


def test_explain_streams_progress_then_result_with_superb_on_top(client: Client) -> None:
    events = list(client.explain("This movie is superb"))

    progress = [e for e in events if isinstance(e, Progress)]
    assert progress, "no progress events"
    assert isinstance(events[-1], Result)
    assert all(isinstance(e, Progress) for e in events[:-1]), "progress after the result"
    assert 0 < progress[-1].steps_done <= progress[-1].steps_total
    result = events[-1]
    assert result.prediction is not None and result.prediction.label == "positive"
    assert result.top_token.token == "superb"
    assert abs(result.convergence_delta) < 0.1 * abs(result.score_input - result.score_baseline) + 1e-3
    # method and baseline were left unset (UNSPECIFIED): the result names the defaults the server used.
    assert (result.method, result.baseline) == ("GAUSS_LEGENDRE", "PAD")


def test_explain_unary_honours_options(client: Client) -> None:
    result = client.explain_unary("This movie is superb", n_steps=32, method="riemann_trapezoid")

    assert result.n_steps == 32
    assert result.method == "RIEMANN_TRAPEZOID"
    assert result.baseline == "PAD"
    assert result.top_token.token == "superb"


def test_predict_batch_keeps_order(client: Client) -> None:
    predictions = client.predict(["This movie is superb", "This movie is terrible and boring"])

    assert [p.label for p in predictions] == ["positive", "negative"]
    assert all(abs(sum(p.probabilities) - 1) < 1e-4 for p in predictions)


def test_list_models_has_default(client: Client) -> None:
    defaults = [m for m in client.list_models() if m.is_default]

    assert [m.name for m in defaults] == ["minilm-sentiment"]
    assert defaults[0].labels == ("negative", "positive")


def test_explain_unary_empty_text_raises_validation_error_for_text(client: Client) -> None:
    with pytest.raises(ValidationError) as raised:
        client.explain_unary("")

    assert raised.value.violation("text") is not None, raised.value.violations
    assert raised.value.violation("text").description
    assert isinstance(raised.value, ValueError)


def test_explain_stream_blank_text_raises_validation_error_for_text(client: Client) -> None:
    with pytest.raises(ValidationError) as raised:
        list(client.explain("   "))

    assert "text" in [v.field for v in raised.value.violations]


def test_predict_empty_list_raises_validation_error_for_texts(client: Client) -> None:
    with pytest.raises(ValidationError) as raised:
        client.predict([])

    assert any(v.field == "texts" for v in raised.value.violations), raised.value.violations


def test_unknown_method_name_fails_before_the_network(client: Client) -> None:
    with pytest.raises(ValueError, match="method must be one of GAUSS_LEGENDRE, RIEMANN_LEFT"):
        client.explain_unary("fine", method="simpson")
    # UNSPECIFIED is what leaving the option out sends, not a choice by name.
    with pytest.raises(ValueError, match="baseline must be one of PAD, MASK, UNK, ZERO, not 'unspecified'"):
        client.explain_unary("fine", baseline="unspecified")


def test_errors_are_bertig_errors_with_a_status_code(client: Client) -> None:
    with pytest.raises(BertIgError) as raised:
        client.explain_unary("This movie is superb", n_steps=100000)

    assert raised.value.code.name == "INVALID_ARGUMENT"
