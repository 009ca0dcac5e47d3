"""bertig-client: a Python client for the BertIgGrpc explainer (Integrated Gradients for BERT
classifiers). The gRPC stubs under ``_gen`` are generated from protos/ by build_protos.py."""

from .client import Client
from .errors import BertIgError, FieldViolation, ValidationError
from .models import ExplainEvent, ModelInfo, Prediction, Progress, Result, Token

__all__ = [
    "BertIgError",
    "Client",
    "ExplainEvent",
    "FieldViolation",
    "ModelInfo",
    "Prediction",
    "Progress",
    "Result",
    "Token",
    "ValidationError",
]
