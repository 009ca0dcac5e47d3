using BertIgGrpc.Contracts.Validation;
using BertIgGrpc.Engine;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace BertIgGrpc.Server.Grpc;

/// <summary>
/// Builds the <see cref="RpcException"/>s the server answers with. Rich details travel as a
/// <c>google.rpc.Status</c> in the <c>grpc-status-details-bin</c> trailer (Grpc.StatusProto).
/// </summary>
internal static class RpcErrors
{
    /// <summary>The trailer that carries the correlation id of an internal error.</summary>
    public const string CorrelationIdTrailer = "bertig-correlation-id";

    /// <summary>INVALID_ARGUMENT with one <c>google.rpc.BadRequest</c> field violation per broken rule; the message names every field.</summary>
    public static RpcException InvalidArgument(IReadOnlyList<FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        foreach (var violation in violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = violation.Field, Description = violation.Description });
        }

        var message = violations.Count == 1
            ? $"Invalid {violations[0].Field}: {violations[0].Description}"
            : "Invalid request: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}"));
        return new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = message,
            Details = { Any.Pack(badRequest) },
        }.ToRpcException();
    }

    /// <summary>INVALID_ARGUMENT for one field.</summary>
    public static RpcException InvalidArgument(string field, string description)
        => InvalidArgument([new FieldViolation(field, description)]);

    /// <summary>NOT_FOUND for a model name, with a <c>google.rpc.ResourceInfo</c> naming it.</summary>
    public static RpcException ModelNotFound(ModelNotFoundException exception)
        => new Google.Rpc.Status
        {
            Code = (int)Code.NotFound,
            Message = exception.Message,
            Details =
            {
                Any.Pack(new ResourceInfo { ResourceType = "bertig.v1.Model", ResourceName = exception.Name, Description = exception.Message }),
            },
        }.ToRpcException();

    /// <summary>RESOURCE_EXHAUSTED when every slot and queue place is taken.</summary>
    public static RpcException Busy(int maxConcurrent, int maxQueue)
        => new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = $"Server busy: {maxConcurrent} explanation(s) running and {maxQueue} queued (BertIg:Server:MaxConcurrentExplanations / MaxQueueLength). Retry later.",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }) },
        }.ToRpcException();

    /// <summary>RESOURCE_EXHAUSTED when the Predict token budget is taken and the Predict queue is full.</summary>
    public static RpcException PredictBusy(long maxTokens, long tokensInFlight, int maxQueue)
        => new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = $"Server busy: Predict calls of {tokensInFlight} tokens running (BertIg:Limits:MaxPredictTokensInFlight: {maxTokens}) and {maxQueue} queued "
                + "(BertIg:Server:MaxQueueLength). Retry later.",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }) },
        }.ToRpcException();

    /// <summary>
    /// RESOURCE_EXHAUSTED for a request over a configured limit, with a <c>google.rpc.QuotaFailure</c> naming the limit
    /// (no RetryInfo: the same request would be refused again).
    /// </summary>
    public static RpcException LimitExceeded(RequestLimitExceededException exception)
        => new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = exception.Message,
            Details =
            {
                Any.Pack(new QuotaFailure
                {
                    Violations = { new QuotaFailure.Types.Violation { Subject = exception.Limit, Description = exception.Message } },
                }),
            },
        }.ToRpcException();

    /// <summary>UNAVAILABLE while models load or the server shuts down.</summary>
    public static RpcException Unavailable(string reason)
        => new(new global::Grpc.Core.Status(StatusCode.Unavailable, $"Not serving: {reason}. Watch grpc.health.v1.Health for SERVING."));

    /// <summary>CANCELLED or DEADLINE_EXCEEDED, whichever ended the call.</summary>
    public static RpcException Cancelled(ServerCallContext context)
        => context.Deadline <= DateTime.UtcNow
            ? new(new global::Grpc.Core.Status(StatusCode.DeadlineExceeded, "Deadline exceeded; the explanation was stopped."))
            : new(new global::Grpc.Core.Status(StatusCode.Cancelled, "Call cancelled; the explanation was stopped."));

    /// <summary>
    /// INVALID_ARGUMENT for request bytes that do not decode as <paramref name="messageType"/> (not protobuf, truncated,
    /// invalid UTF-8 in a string), with the decoder's reason and the correlation id the server log also records.
    /// </summary>
    public static RpcException Malformed(string messageType, string reason, string correlationId)
    {
        var exception = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = $"The request is not a valid bertig.v1.{messageType} message: {reason} (correlation id {correlationId}).",
            Details = { Any.Pack(new ErrorInfo { Reason = "MALFORMED_REQUEST", Domain = "bertig.v1", Metadata = { ["correlation_id"] = correlationId } }) },
        }.ToRpcException();
        exception.Trailers.Add(CorrelationIdTrailer, correlationId);
        return exception;
    }

    /// <summary>INTERNAL carrying only a correlation id, which the server log also records with the exception.</summary>
    public static RpcException Internal(string correlationId)
    {
        var exception = new Google.Rpc.Status
        {
            Code = (int)Code.Internal,
            Message = $"Internal error (correlation id {correlationId}).",
            Details = { Any.Pack(new ErrorInfo { Reason = "INTERNAL", Domain = "bertig.v1", Metadata = { ["correlation_id"] = correlationId } }) },
        }.ToRpcException();
        exception.Trailers.Add(CorrelationIdTrailer, correlationId);
        return exception;
    }
}
