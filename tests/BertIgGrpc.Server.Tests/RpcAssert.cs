using Google.Rpc;
using Grpc.Core;

namespace BertIgGrpc.Server.Tests;

/// <summary>Helpers to read the rich error details (google.rpc.Status) the server puts in trailers.</summary>
internal static class RpcAssert
{
    /// <summary>Runs <paramref name="call"/>, expects <paramref name="code"/>, and returns the exception.</summary>
    public static async Task<RpcException> ThrowsAsync(StatusCode code, Func<Task> call)
    {
        var exception = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(code == exception.StatusCode, $"Expected {code}, got {exception.StatusCode}: {exception.Status.Detail}");
        return exception;
    }

    /// <summary>Returns the BadRequest field violations in the status details (asserting there are some).</summary>
    public static IReadOnlyList<BadRequest.Types.FieldViolation> FieldViolations(RpcException exception)
    {
        var status = exception.GetRpcStatus();
        Assert.NotNull(status);
        var badRequest = status.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        Assert.NotEmpty(badRequest.FieldViolations);
        return badRequest.FieldViolations;
    }

    /// <summary>Expects INVALID_ARGUMENT with a violation on <paramref name="field"/> (or an item of it, e.g. <c>texts[1]</c>), named in the message too.</summary>
    public static async Task<BadRequest.Types.FieldViolation> InvalidFieldAsync(string field, Func<Task> call)
    {
        var exception = await ThrowsAsync(StatusCode.InvalidArgument, call);
        var violations = FieldViolations(exception);
        var violation = violations.FirstOrDefault(v => v.Field == field || v.Field.StartsWith(field + "[", StringComparison.Ordinal));
        Assert.True(violation is not null, $"No violation on '{field}'; got: {string.Join(", ", violations.Select(v => v.Field))}");
        Assert.Contains(violation.Field, exception.Status.Detail, StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(violation.Description));
        return violation;
    }
}
