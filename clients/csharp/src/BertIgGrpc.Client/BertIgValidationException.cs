using BertIgGrpc.Contracts.Validation;
using Grpc.Core;

namespace BertIgGrpc.Client;

/// <summary>
/// A request broke the contract's rules. Thrown before the network when the client's own check finds the mistake,
/// and for a server answer of INVALID_ARGUMENT, with the violations read from its <c>google.rpc.BadRequest</c> details;
/// callers handle both the same way.
/// </summary>
public sealed class BertIgValidationException : Exception
{
    /// <summary>Creates the exception from violations found by the client.</summary>
    /// <param name="violations">The broken rules (at least one).</param>
    public BertIgValidationException(IReadOnlyList<FieldViolation> violations)
        : this(violations, null, null)
    {
    }

    /// <summary>Creates the exception with its violations, an optional summary and the exception it came from.</summary>
    /// <param name="violations">The broken rules.</param>
    /// <param name="message">A summary; by default one is built from the violations.</param>
    /// <param name="innerException">The server's <see cref="RpcException"/>, when the server found the mistake.</param>
    public BertIgValidationException(IReadOnlyList<FieldViolation> violations, string? message, Exception? innerException)
        : base(message ?? Describe(violations), innerException)
    {
        ArgumentNullException.ThrowIfNull(violations);
        Violations = violations;
    }

    /// <summary>Gets the broken rules, each naming the proto field path (e.g. <c>text</c>, <c>texts[2]</c>).</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>Gets whether the server (not the client's own check) rejected the request.</summary>
    public bool IsFromServer => InnerException is RpcException;

    /// <summary>
    /// Converts an INVALID_ARGUMENT answer: violations come from the <c>google.rpc.BadRequest</c> detail in the
    /// <c>grpc-status-details-bin</c> trailer; an answer without that detail yields no violations and the status text as message.
    /// </summary>
    /// <param name="exception">The server's exception.</param>
    /// <returns>The validation exception, with <paramref name="exception"/> as inner exception.</returns>
    public static BertIgValidationException FromRpcException(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var violations = new List<FieldViolation>();
        var badRequest = exception.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        if (badRequest is not null)
        {
            foreach (var v in badRequest.FieldViolations)
            {
                violations.Add(new FieldViolation(v.Field, v.Description));
            }
        }

        var message = violations.Count > 0
            ? Describe(violations)
            : $"The server rejected the request: {exception.Status.Detail}";
        return new BertIgValidationException(violations, message, exception);
    }

    private static string Describe(IReadOnlyList<FieldViolation> violations)
    {
        ArgumentNullException.ThrowIfNull(violations);
        return violations.Count == 0
            ? "The request is invalid."
            : "The request is invalid: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}"));
    }
}
