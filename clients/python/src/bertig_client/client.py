"""The Pythonic client for bertig.v1.Explainer."""

from __future__ import annotations

import collections
from typing import Iterator, Optional, Sequence, Union

import grpc

from ._gen.bertig.v1 import explainer_pb2 as pb
from ._gen.bertig.v1 import explainer_pb2_grpc as pb_grpc
from .errors import ValidationError, from_rpc_error
from .retry import Retry
from .validation import violations
from .models import ExplainEvent, ModelInfo, Prediction, Progress, Result

_UNSET = object()


class Client:
    """A client for the BertIgGrpc explainer service.

    >>> with Client("127.0.0.1:50051") as client:
    ...     result = client.explain_unary("This movie is superb")

    Failed calls raise :class:`~bertig_client.ValidationError` for rejected requests (with the
    offending fields in ``.violations``) and :class:`~bertig_client.BertIgError` otherwise.
    """

    def __init__(self, target: str = "127.0.0.1:50051", *, channel: Optional[grpc.Channel] = None,
                 timeout: Optional[float] = None, api_key: Optional[str] = None, tls: bool = False,
                 root_certificates: Optional[bytes] = None, certificate_chain: Optional[bytes] = None,
                 private_key: Optional[bytes] = None, validate: bool = True, retry: Retry = Retry(),
                 channel_options: Sequence[tuple[str, object]] = ()) -> None:
        """
        :param target: host:port of the gRPC endpoint.
        :param channel: an existing channel to use instead; not closed by us.
        :param timeout: default deadline in seconds for every call.
        :param api_key: API key (or token) sent as ``authorization: Bearer <value>`` on every call; over plaintext
            only to a loopback address.
        :param tls: connect with TLS (implied by the three PEM arguments below).
        :param root_certificates: PEM CA certificate(s) to trust instead of the system's roots.
        :param certificate_chain: PEM client certificate for mutual TLS (with ``private_key``).
        :param private_key: PEM private key of ``certificate_chain``.
        :param validate: check each request against the contract's buf.validate rules before sending it, raising
            :class:`~bertig_client.ValidationError` without a call (the server checks the same rules either way).
        :param retry: how calls answered UNAVAILABLE (a server shutting down) are tried again, within their deadline;
            ``Retry(max_attempts=1)`` turns it off. Applies to the channel this client creates.
        :param channel_options: more grpcio channel options for the channel this client creates, after the retry's,
            e.g. ``[("grpc.lb_policy_name", "round_robin")]`` for a ``dns:///`` name with several servers.
        """
        self._owns_channel = channel is None
        if channel is None:
            tls = tls or root_certificates is not None or certificate_chain is not None or private_key is not None
            if api_key is not None and not tls and target.rsplit(":", 1)[0] not in _LOOPBACK_HOSTS:
                raise ValueError(f"api_key is only sent over TLS (or to a loopback address); {target} would expose it")
            options = [*retry.channel_options(), *channel_options]
            channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(
                root_certificates, private_key, certificate_chain), options) if tls else grpc.insecure_channel(target, options)
        self._channel = channel
        calls = grpc.intercept_channel(channel, _BearerAuth(api_key)) if api_key is not None else channel
        self._stub = pb_grpc.ExplainerStub(calls)
        self._timeout = timeout
        self._validate = validate

    def explain(self, text: str, *, model: str = "", text_pair: str = "",
                target: Union[int, str, None] = None, n_steps: int = 0, method: Optional[str] = None,
                baseline: Optional[str] = None, internal_batch_size: int = 0, tolerance: float = 0.0,
                max_steps: int = 0, truncate: bool = False, multiply_by_inputs: Optional[bool] = None,
                long_text: Optional[str] = None, window_stride: int = 0, all_targets: bool = False,
                faithfulness: bool = False, timeout: Optional[float] = None) -> Iterator[ExplainEvent]:
        """Streams :class:`Progress` events, then one :class:`Result`.

        ``target`` is a class index or label (None explains the predicted class); ``method`` and
        ``baseline`` are IntegrationMethod / Baseline value names, with or without the prefix and in any case
        ("riemann_trapezoid", "INTEGRATION_METHOD_RIEMANN_TRAPEZOID", "zero"). None and zero values leave the
        choice to the server (Gauss-Legendre, PAD, 50 steps); results name what was used.
        ``long_text`` ("truncate" or "windows"; None refuses texts over the model's token limit unless ``truncate``)
        with ``window_stride`` (tokens between window starts; 0 is half a window) fills ``Result.windows``;
        ``all_targets`` fills ``Result.per_target`` (one attribution list per class) and ``faithfulness`` fills
        ``Result.faithfulness`` (ERASER comprehensiveness and sufficiency against random rankings).
        """
        request = _explain_request(pb.ExplainRequest, text, model, text_pair, target, n_steps, method, baseline,
                                   internal_batch_size, tolerance, max_steps, truncate, multiply_by_inputs,
                                   long_text, window_stride, all_targets, faithfulness)
        self._check(request)
        call = self._stub.Explain(request, timeout=self._deadline(timeout))
        try:
            for event in call:
                kind = event.WhichOneof("event")
                if kind == "progress":
                    yield Progress.from_proto(event.progress)
                elif kind == "result":
                    yield Result.from_proto(event.result)
                # Unknown (newer) event kinds are skipped rather than failing the stream.
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        finally:
            # Stopping iteration early cancels the server's work.
            call.cancel()

    def explain_unary(self, text: str, *, model: str = "", text_pair: str = "",
                      target: Union[int, str, None] = None, n_steps: int = 0, method: Optional[str] = None,
                      baseline: Optional[str] = None, internal_batch_size: int = 0, tolerance: float = 0.0,
                      max_steps: int = 0, truncate: bool = False, multiply_by_inputs: Optional[bool] = None,
                      long_text: Optional[str] = None, window_stride: int = 0, all_targets: bool = False,
                      faithfulness: bool = False, timeout: Optional[float] = None) -> Result:
        """Explains ``text`` with the ExplainUnary RPC and returns the :class:`Result` (same options as explain)."""
        request = _explain_request(pb.ExplainUnaryRequest, text, model, text_pair, target, n_steps, method, baseline,
                                   internal_batch_size, tolerance, max_steps, truncate, multiply_by_inputs,
                                   long_text, window_stride, all_targets, faithfulness)
        self._check(request)
        try:
            return Result.from_proto(self._stub.ExplainUnary(request, timeout=self._deadline(timeout)).result)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error

    def predict(self, texts: Union[str, Sequence[str]], *, model: str = "", truncate: bool = False,
                long_text: Optional[str] = None, window_stride: int = 0,
                timeout: Optional[float] = None) -> list[Prediction]:
        """Classifies one text or several; returns one Prediction per text, in order.

        ``long_text="windows"`` classifies a text over the model's token limit by the mean of its overlapping
        windows' logits (``Prediction.windows`` says how many).
        """
        request = pb.PredictRequest(texts=[texts] if isinstance(texts, str) else list(texts),
                                    model=model, truncate=truncate, window_stride=window_stride,
                                    long_text=_enum_value(pb.LongText, "LONG_TEXT_", long_text, "long_text"))
        self._check(request)
        try:
            response = self._stub.Predict(request, timeout=self._deadline(timeout))
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        return [Prediction.from_proto(p) for p in response.predictions]

    def list_models(self, *, timeout: Optional[float] = None) -> list[ModelInfo]:
        """The models the server has loaded."""
        try:
            response = self._stub.ListModels(pb.ListModelsRequest(), timeout=self._deadline(timeout))
        except grpc.RpcError as error:
            raise from_rpc_error(error) from error
        return [ModelInfo.from_proto(m) for m in response.models]

    def close(self) -> None:
        """Closes the channel if this client created it."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, request: object) -> None:
        """Raises ValidationError, before any call, when ``request`` breaks a buf.validate rule of the contract."""
        if not self._validate:
            return
        found = violations(request)  # type: ignore[arg-type]
        if found:
            raise ValidationError("request not sent: " + "; ".join(v.description for v in found), found)

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        return timeout if timeout is not None else self._timeout


_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                           "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    pass


class _BearerAuth(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <api key>`` to every call (works over TLS and plaintext loopback alike)."""

    def __init__(self, api_key: str) -> None:
        self._header = ("authorization", f"Bearer {api_key}")

    def _with_key(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        return _CallDetails(details.method, details.timeout, [*(details.metadata or ()), self._header],
                            details.credentials, getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._with_key(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._with_key(client_call_details), request)


def _explain_request(message: type, text: str, model: str, text_pair: str, target: Union[int, str, None],
                     n_steps: int, method: Optional[str], baseline: Optional[str], internal_batch_size: int,
                     tolerance: float, max_steps: int, truncate: bool, multiply_by_inputs: Optional[bool],
                     long_text: Optional[str], window_stride: int, all_targets: bool, faithfulness: bool):
    """Builds ``message`` (ExplainRequest or ExplainUnaryRequest: the same fields) from the keyword options."""
    request = message(
        text=text, model=model, text_pair=text_pair, n_steps=n_steps,
        method=_enum_value(pb.IntegrationMethod, "INTEGRATION_METHOD_", method, "method"),
        baseline=_enum_value(pb.Baseline, "BASELINE_", baseline, "baseline"),
        internal_batch_size=internal_batch_size, tolerance=tolerance, max_steps=max_steps, truncate=truncate,
        long_text=_enum_value(pb.LongText, "LONG_TEXT_", long_text, "long_text"), window_stride=window_stride,
        all_targets=all_targets, faithfulness=faithfulness)
    # bool is an int subclass: a bool target is a caller mistake, not class 0/1.
    if isinstance(target, bool):
        raise TypeError("target must be a class index (int) or label (str), not bool")
    if isinstance(target, int):
        request.target_index = target
    elif isinstance(target, str):
        request.target_label = target
    elif target is not None:
        raise TypeError(f"target must be int, str or None, not {type(target).__name__}")
    if multiply_by_inputs is not None:
        request.multiply_by_inputs = multiply_by_inputs
    return request


def _enum_value(enum: object, prefix: str, name: Optional[str], parameter: str) -> int:
    """The number of a named enum value; None is 0 (UNSPECIFIED: the server's default), which is not a choice by name."""
    if name is None:
        return 0
    choices = {key[len(prefix):]: number for key, number in enum.items()  # type: ignore[attr-defined]
               if key != prefix + "UNSPECIFIED"}
    key = name.upper()
    key = key[len(prefix):] if key.startswith(prefix) else key
    if key not in choices:
        raise ValueError(f"{parameter} must be one of {', '.join(choices)}, not {name!r}")
    return choices[key]
