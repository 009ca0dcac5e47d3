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

    @classmethod
    def from_proto(cls, m: pb.Prediction) -> "Prediction":
        return cls(m.label, m.index, m.probability, tuple(m.logits), tuple(m.probabilities))


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
