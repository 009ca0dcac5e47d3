"""The numbers the Python client receives, checked against Captum 0.8.0's LayerIntegratedGradients on the classifier
the reference vectors were computed on (tests/BertIgGrpc.Engine.Tests/reference/): every token within 2e-5 of the
largest attribution, as the engine's own test requires."""

import json
from pathlib import Path

import pytest

from bertig_client import Client
from conftest import REFERENCE_MODEL, reference_model_dir

REFERENCE = Path(__file__).resolve().parents[3] / "tests" / "BertIgGrpc.Engine.Tests" / "reference"


@pytest.mark.parametrize("file, steps, method", [
    ("text1_n50.json", 50, "GAUSS_LEGENDRE"),
    ("text3_n300.json", 300, "GAUSS_LEGENDRE"),
    ("text1_n50_trap.json", 50, "RIEMANN_TRAPEZOID"),
])
def test_explain_reference_classifier_matches_captum(client: Client, file: str, steps: int, method: str) -> None:
    if reference_model_dir() is None:
        pytest.skip("BERTIG_REFERENCE_MODEL_DIR is not set (dotnet test tests/BertIgGrpc.Clients.Tests sets it)")
    reference = json.loads((REFERENCE / file).read_text())

    result = client.explain_unary(reference["text"], model=REFERENCE_MODEL, target=reference["target"],
                                  n_steps=steps, method=method)

    assert [t.id for t in result.tokens] == reference["ids"]
    assert result.n_steps == steps
    assert result.score_input == pytest.approx(reference["logits"][reference["target"]], abs=1e-3)
    assert result.score_baseline == pytest.approx(reference["baseline_logits"][reference["target"]], abs=1e-3)
    scale = max(abs(a) for a in reference["attributions"])
    for i, (expected, token) in enumerate(zip(reference["attributions"], result.tokens, strict=True)):
        assert abs(expected - token.attribution) <= 2e-5 * scale, \
            f"token {i} {token.token!r}: Captum {expected}, served {token.attribution}"
    assert result.convergence_delta == pytest.approx(reference["delta"], abs=1e-3)
