"""Plain dataclasses for what the service returns, decoupled from the generated messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from ._gen.bertig.v1 import explainer_pb2 as pb


@dataclass(frozen=True)
class Token:
    """One token (or whole word) with its attribution towards the target class."""

    token: str
    id: int
    #: Character offsets (UTF-16 code units, end exclusive) into text or text_pair.
    start: int
    end: int
    attribution: float
    attribution_normalized: float
    segment: int
    #: True for [CLS], [SEP] and other special tokens.
    special: bool

    @classmethod
    def from_proto(cls, m: pb.TokenAttribution) -> "Token":
        return cls(m.token, m.id, m.start, m.end, m.attribution, m.attribution_normalized, m.segment, m.special)


@dataclass(frozen=True)
class Prediction:
    label: str
    index: int
    probability: float
    logits: tuple[float, ...]
    probabilities: tuple[float, ...]
    #: long_text="windows": how many windows' logits were averaged (0 when the text fitted one run).
    windows: int = 0
    #: True when the text was cut to the model's token limit.
    truncated: bool = False

    @classmethod
    def from_proto(cls, m: pb.Prediction) -> "Prediction":
        return cls(m.label, m.index, m.probability, tuple(m.logits), tuple(m.probabilities), m.windows, m.truncated)


@dataclass(frozen=True)
class Window:
    """One window of a long_text="windows" explanation: ``Result.tokens[token_start:token_end]``, ``text[start:end]``."""

    index: int
    token_start: int
    token_end: int
    #: Character span (UTF-16 code units, end exclusive) of the window in the text.
    start: int
    end: int
    #: The model's prediction for the window alone.
    prediction: Optional[Prediction]
    score_input: float
    score_baseline: float
    convergence_delta: float
    n_steps: int

    @classmethod
    def from_proto(cls, m: pb.ExplainWindow) -> "Window":
        return cls(m.index, m.token_start, m.token_end, m.start, m.end,
                   Prediction.from_proto(m.prediction) if m.HasField("prediction") else None,
                   m.score_input, m.score_baseline, m.convergence_delta, m.n_steps)


@dataclass(frozen=True)
class TargetAttributions:
    """all_targets: the attributions towards one class."""

    index: int
    label: str
    tokens: tuple[Token, ...]
    words: tuple[Token, ...]
    score_input: float
    score_baseline: float
    convergence_delta: float
    attribution_sum: float
    n_steps: int

    @classmethod
    def from_proto(cls, m: pb.TargetAttributions) -> "TargetAttributions":
        return cls(m.index, m.label, tuple(Token.from_proto(t) for t in m.tokens),
                   tuple(Token.from_proto(t) for t in m.words), m.score_input, m.score_baseline,
                   m.convergence_delta, m.attribution_sum, m.n_steps)


@dataclass(frozen=True)
class FaithfulnessPoint:
    """ERASER scores when the top ``fraction`` of the text tokens (``tokens`` of them) is removed or kept alone."""

    fraction: float
    tokens: int
    comprehensiveness: float
    sufficiency: float
    random_comprehensiveness: float
    random_sufficiency: float


@dataclass(frozen=True)
class Faithfulness:
    """ERASER faithfulness of the result's ranking: higher comprehensiveness and lower sufficiency than the random
    rankings' mean the attributions point at the tokens the model relies on."""

    points: tuple[FaithfulnessPoint, ...]
    comprehensiveness_aopc: float
    sufficiency_aopc: float
    random_comprehensiveness_aopc: float
    random_sufficiency_aopc: float
    random_rankings: int
    replacement_token: str

    @classmethod
    def from_proto(cls, m: pb.Faithfulness) -> "Faithfulness":
        points = tuple(FaithfulnessPoint(p.fraction, p.tokens, p.comprehensiveness, p.sufficiency,
                                         p.random_comprehensiveness, p.random_sufficiency) for p in m.points)
        return cls(points, m.comprehensiveness_aopc, m.sufficiency_aopc, m.random_comprehensiveness_aopc,
                   m.random_sufficiency_aopc, m.random_rankings, m.replacement_token)


@dataclass(frozen=True)
class Progress:
    """A progress event of a streaming explanation, with the running partial attributions."""

    steps_done: int
    steps_total: int
    tokens: tuple[Token, ...]
    elapsed_ms: float

    @classmethod
    def from_proto(cls, m: pb.ExplainProgress) -> "Progress":
        return cls(m.steps_done, m.steps_total, tuple(Token.from_proto(t) for t in m.tokens), m.elapsed_ms)


@dataclass(frozen=True)
class Result:
    """The final explanation."""

    tokens: tuple[Token, ...]
    words: tuple[Token, ...]
    prediction: Optional[Prediction]
    target_index: int
    target_label: str
    score_input: float
    score_baseline: float
    #: sum(attributions) - (score_input - score_baseline); near 0 means the integral converged.
    convergence_delta: float
    n_steps: int
    #: The integration rule used, as its IntegrationMethod value name without the prefix, e.g. "GAUSS_LEGENDRE".
    method: str
    model: str
    execution_provider: str
    elapsed_ms: float
    #: The baseline used, as its Baseline value name without the prefix, e.g. "PAD".
    baseline: str
    truncated: bool
    attribution_sum: float
    #: long_text="windows": the windows in text order (empty otherwise); tokens and words cover the whole text.
    windows: tuple[Window, ...] = ()
    #: all_targets: one entry per class, in logit order (empty otherwise).
    per_target: tuple[TargetAttributions, ...] = ()
    #: faithfulness=True: the ERASER scores (None otherwise).
    faithfulness: Optional[Faithfulness] = None

    @property
    def top_token(self) -> Token:
        """The non-special token with the largest attribution."""
        return max((t for t in self.tokens if not t.special), key=lambda t: t.attribution)

    @classmethod
    def from_proto(cls, m: pb.ExplainResult) -> "Result":
        return cls(
            tokens=tuple(Token.from_proto(t) for t in m.tokens),
            words=tuple(Token.from_proto(t) for t in m.words),
            prediction=Prediction.from_proto(m.prediction) if m.HasField("prediction") else None,
            target_index=m.target_index,
            target_label=m.target_label,
            score_input=m.score_input,
            score_baseline=m.score_baseline,
            convergence_delta=m.convergence_delta,
            n_steps=m.n_steps,
            method=pb.IntegrationMethod.Name(m.method).removeprefix("INTEGRATION_METHOD_"),
            model=m.model,
            execution_provider=m.execution_provider,
            elapsed_ms=m.elapsed_ms,
            baseline=pb.Baseline.Name(m.baseline).removeprefix("BASELINE_"),
            truncated=m.truncated,
            attribution_sum=m.attribution_sum,
            windows=tuple(Window.from_proto(w) for w in m.windows),
            per_target=tuple(TargetAttributions.from_proto(t) for t in m.per_target),
            faithfulness=Faithfulness.from_proto(m.faithfulness) if m.HasField("faithfulness") else None,
        )


#: What Client.explain yields: progress events, then one Result.
ExplainEvent = Union[Progress, Result]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    labels: tuple[str, ...]
    max_tokens: int
    cut_tensor: str
    sha256: str
    is_default: bool
    execution_provider: str
    hidden_size: int

    @classmethod
    def from_proto(cls, m: pb.ModelInfo) -> "ModelInfo":
        return cls(m.name, tuple(m.labels), m.max_tokens, m.cut_tensor, m.sha256, m.is_default,
                   m.execution_provider, m.hidden_size)
