namespace BertIgGrpc.Server.Security;

/// <summary>The security layer's log lines (event ids 4xx; the server's own are in <c>ServerLog</c>).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Security: authentication {Auth}; rate limit {RateLimit}; reflection {Reflection}; metrics {Metrics}; dashboard {Dashboard}; gRPC-Web CORS {Cors}; allowed hosts {AllowedHosts}")]
    public static partial void Configured(ILogger logger, string auth, string rateLimit, string reflection, string metrics, string dashboard, string cors, string allowedHosts);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "{Path} rejected: {StatusCode} ({Detail}) from {RemoteIp}")]
    public static partial void Rejected(ILogger logger, string path, string statusCode, string detail, string remoteIp);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "{Path} rejected: rate limit reached for {Caller}")]
    public static partial void RateLimited(ILogger logger, string path, string caller);
}
