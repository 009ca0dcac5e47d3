"""Exceptions raised by the client, with google.rpc.BadRequest field violations decoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import grpc

try:  # googleapis-common-protos, when installed, already registers google/rpc/*.proto
    from google.rpc import error_details_pb2, status_pb2  # type: ignore[import-not-found]
except ImportError:  # Debian and plain installs: our generated copies of the same files
    from ._gen.google.rpc import error_details_pb2, status_pb2

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    """One rejected request field."""

    #: Path of the field in the request, e.g. "text" or "texts[2]".
    field: str
    description: str


class BertIgError(Exception):
    """A call to the server failed; ``code`` is the gRPC status code."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


class ValidationError(BertIgError, ValueError):
    """The server rejected the request (INVALID_ARGUMENT); ``violations`` names the fields."""

    def __init__(self, message: str, violations: tuple[FieldViolation, ...]) -> None:
        super().__init__(grpc.StatusCode.INVALID_ARGUMENT, message)
        self.violations = violations

    def violation(self, field: str) -> Optional[FieldViolation]:
        """The violation reported for ``field``, if any."""
        return next((v for v in self.violations if v.field == field), None)


def field_violations(error: grpc.RpcError) -> tuple[FieldViolation, ...]:
    """Decodes google.rpc.BadRequest details from a failed call's trailers."""
    trailers = error.trailing_metadata() if isinstance(error, grpc.Call) else None
    for key, value in trailers or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        violations = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations.extend(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
        return tuple(violations)
    return ()


def from_rpc_error(error: grpc.RpcError) -> BertIgError:
    """Maps a grpc.RpcError to ValidationError (INVALID_ARGUMENT) or BertIgError."""
    code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
    message = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return ValidationError(message, field_violations(error))
    return BertIgError(code, message)
