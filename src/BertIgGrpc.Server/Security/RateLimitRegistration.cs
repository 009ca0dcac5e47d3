using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace BertIgGrpc.Server.Security;

/// <summary>Registers the per-caller token-bucket rate limiter from <see cref="RateLimitOptions"/>; rejections answer RESOURCE_EXHAUSTED (gRPC) or 429.</summary>
internal static class RateLimitRegistration
{
    public static void Add(IServiceCollection services, RateLimitOptions limit)
    {
        if (limit.PermitsPerSecond < 1 || limit.Burst < 1)
        {
            throw new InvalidOperationException($"BertIg:RateLimit:PermitsPerSecond and Burst must be 1 or more; got {limit.PermitsPerSecond} and {limit.Burst}.");
        }

        services.AddRateLimiter(options =>
        {
            options.AddPolicy(SecurityExtensions.RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(CallerKey(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Burst,
                TokensPerPeriod = limit.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
            options.OnRejected = (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1);
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecurityExtensions).FullName!);
                SecurityLog.RateLimited(logger, context.Request.Path, CallerKey(context));
                if (GrpcHttpResponse.IsGrpc(context.Request))
                {
                    return new ValueTask(GrpcHttpResponse.WriteAsync(context, SecurityErrors.RateLimited(retryAfter)));
                }

                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
        });
    }

    /// <summary>
    /// Who a call counts against: the authenticated caller (API key id, token subject or certificate name), else the
    /// remote IP address (a certificate that did not authenticate is not trusted to name a caller).
    /// </summary>
    private static string CallerKey(HttpContext context)
        => context.User.Identity is { IsAuthenticated: true, Name: { } name } ? "caller:" + name
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
