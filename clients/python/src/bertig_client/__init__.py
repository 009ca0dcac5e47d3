"""bertig-client: a Python client for the BertIgGrpc explainer (Integrated Gradients for BERT
classifiers). The gRPC stubs under ``_gen`` are generated from protos/ by build_protos.py."""

from .client import Client
from .errors import BertIgError, FieldViolation, ValidationError
from .models import (ExplainEvent, Faithfulness, FaithfulnessPoint, ModelInfo, Prediction, Progress, Result,
                     TargetAttributions, Token, Window)
from .retry import Retry

__all__ = [
    "BertIgError",
    "Client",
    "ExplainEvent",
    "Faithfulness",
    "FaithfulnessPoint",
    "FieldViolation",
    "ModelInfo",
    "Prediction",
    "Progress",
    "Result",
    "Retry",
    "TargetAttributions",
    "Token",
    "ValidationError",
    "Window",
]
