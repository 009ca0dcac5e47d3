"""The options on top of an explanation: long texts in windows, every class, faithfulness."""

import pytest

from bertig_client import Client, ValidationError, Window

#: About 700 WordPiece tokens: over the default model's limit of 512.
LONG_REVIEW = " ".join(
    ["The film opens with a superb long shot of the harbour.", "Some scenes drag and the dialogue is clumsy.",
     "The music is lovely and moving."][i % 3] for i in range(75))


def test_explain_long_text_in_windows_covers_the_whole_text(client: Client) -> None:
    result = client.explain_unary(LONG_REVIEW, long_text="windows", window_stride=100, n_steps=4)

    assert len(result.windows) >= 3 and all(isinstance(w, Window) for w in result.windows)
    assert result.prediction is not None and result.prediction.windows == len(result.windows)
    assert not result.truncated
    assert (result.windows[0].start, result.windows[-1].end) == (0, len(LONG_REVIEW))
    starts = [w.token_start for w in result.windows]
    assert starts[0] == 1 and all(0 < b - a <= 100 for a, b in zip(starts, starts[1:])), starts
    assert all(w.prediction is not None and w.prediction.label in ("negative", "positive") for w in result.windows)
    assert [t for t in result.tokens if not t.special][-1].end == len(LONG_REVIEW)
    # Token ranges index result.tokens: from the first text token (after [CLS]) to the last (before [SEP]).
    assert (result.windows[0].token_start, result.windows[-1].token_end) == (1, len(result.tokens) - 1)


def test_predict_long_text_in_windows_averages_them_and_is_refused_otherwise(client: Client) -> None:
    long, short = client.predict([LONG_REVIEW, "This movie is superb"], long_text="WINDOWS")

    assert long.windows >= 2 and short.windows == 0
    with pytest.raises(ValidationError, match="512"):
        client.predict(LONG_REVIEW)
    with pytest.raises(ValueError, match="long_text must be one of TRUNCATE, WINDOWS, not 'split'"):
        client.predict(LONG_REVIEW, long_text="split")


def test_explain_all_targets_and_faithfulness(client: Client) -> None:
    result = client.explain_unary("This movie is superb", all_targets=True, faithfulness=True, n_steps=20)

    assert [t.label for t in result.per_target] == ["negative", "positive"]
    positive = result.per_target[1]
    assert positive.attribution_sum == pytest.approx(result.attribution_sum, abs=1e-4)
    assert max((t for t in positive.tokens if not t.special), key=lambda t: t.attribution).token == "superb"
    assert min((t for t in result.per_target[0].tokens if not t.special), key=lambda t: t.attribution).token == "superb"
    f = result.faithfulness
    assert f is not None and [(round(p.fraction, 1), p.tokens) for p in f.points] == [
        (0.1, 1), (0.2, 1), (0.3, 2), (0.4, 2), (0.5, 2)]
    assert f.comprehensiveness_aopc > f.random_comprehensiveness_aopc
    assert f.sufficiency_aopc < f.random_sufficiency_aopc
    assert (f.random_rankings, f.replacement_token) == (10, "[PAD]")
