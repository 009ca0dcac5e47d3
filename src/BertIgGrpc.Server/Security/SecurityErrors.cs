using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace BertIgGrpc.Server.Security;

/// <summary>The statuses callers get from the security layer (built like <c>RpcErrors</c>, with rich details where useful).</summary>
internal static class SecurityErrors
{
    /// <summary>UNAUTHENTICATED: no credentials, or credentials that are not valid; says what to send.</summary>
    public static RpcException Unauthenticated(string? problem, AuthOptions auth)
    {
        var accepted = new List<string>();
        if (auth.ApiKeys.Count > 0)
        {
            accepted.Add("an API key");
        }

        if (auth.Jwt.Enabled)
        {
            accepted.Add("a JWT");
        }

        var ways = accepted.Count > 0 ? $"send {string.Join(" or ", accepted)} as 'authorization: Bearer <value>' metadata" : null;
        if (auth.ClientCertificates.Enabled)
        {
            ways = ways is null ? "connect with a client certificate issued by the configured CA" : ways + ", or connect with a client certificate issued by the configured CA";
        }

        var message = problem is null ? $"Missing credentials: {ways}." : $"Invalid credentials: {problem} To call this server, {ways}.";
        return new RpcException(new global::Grpc.Core.Status(StatusCode.Unauthenticated, message));
    }

    /// <summary>PERMISSION_DENIED: the caller is known but not allowed.</summary>
    public static RpcException PermissionDenied(string reason)
        => new(new global::Grpc.Core.Status(StatusCode.PermissionDenied, $"Permission denied: {reason}"));

    /// <summary>RESOURCE_EXHAUSTED with a <c>google.rpc.RetryInfo</c> saying when the caller may call again.</summary>
    public static RpcException RateLimited(TimeSpan retryAfter)
        => new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = $"Rate limit reached for this caller (BertIg:RateLimit). Retry after {retryAfter.TotalSeconds:0.###} s.",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        }.ToRpcException();
}
