"""How the client retries calls refused with UNAVAILABLE, as gRPC's own retry policy (the C# client's defaults)."""

from __future__ import annotations

import dataclasses
import json


@dataclasses.dataclass(frozen=True)
class Retry:
    """Retrying of calls answered UNAVAILABLE: what a server answers while it shuts down, and what a connection
    that cannot be opened gives. grpcio tries such a call again within its deadline, waiting a random time up to
    ``initial_backoff`` seconds, the bound growing by ``backoff_multiplier`` to ``max_backoff``; a streaming call only
    until its first response. No other status is retried. ``max_attempts`` counts the first attempt (1 turns retrying
    off; gRPC allows at most 5)."""

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 5.0
    backoff_multiplier: float = 2.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 5:
            raise ValueError(f"max_attempts must be 1 to 5 (gRPC's limit), not {self.max_attempts}")
        if not 0 < self.initial_backoff <= self.max_backoff or not self.backoff_multiplier > 0:
            raise ValueError("initial_backoff must be positive and not above max_backoff; backoff_multiplier positive")

    def channel_options(self) -> list[tuple[str, object]]:
        """The grpcio channel options that apply this policy to the bertig.v1.Explainer service (none for 1 attempt)."""
        if self.max_attempts == 1:
            return []
        policy = {"maxAttempts": self.max_attempts, "initialBackoff": f"{self.initial_backoff}s",
                  "maxBackoff": f"{self.max_backoff}s", "backoffMultiplier": self.backoff_multiplier,
                  "retryableStatusCodes": ["UNAVAILABLE"]}
        config = {"methodConfig": [{"name": [{"service": "bertig.v1.Explainer"}], "retryPolicy": policy}]}
        return [("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(config))]
