using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Security;

/// <summary>
/// Authentication (API keys, JWT, mTLS), per-caller rate limiting, and the exposure controls (which listener serves
/// what, allowed host names, CORS, security headers), all with ASP.NET Core's own building blocks.
/// </summary>
public static class SecurityExtensions
{
    /// <summary>The authorization policy every protected endpoint requires.</summary>
    public const string CallerPolicy = "bertig-caller";

    /// <summary>The rate limiter policy of the gRPC services.</summary>
    public const string RateLimitPolicy = "bertig-per-caller";

    private const string CorsPolicy = "bertig-grpc-web";
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    // The dashboard needs nothing but its own files and its own origin for gRPC-Web.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Reads <see cref="SecurityOptions"/> and registers what they turn on. Throws naming the setting when one is invalid
    /// (a malformed key, a missing CA file...), so a misconfigured server never starts open.
    /// </summary>
    public static SecurityOptions AddBertIgSecurity(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var security = configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();
        var services = builder.Services;
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName);

        if (!string.IsNullOrWhiteSpace(security.Metrics.Url) && configuration[$"Kestrel:Endpoints:{ListenerRoles.MetricsEndpoint}:Url"] is null)
        {
            configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"Kestrel:Endpoints:{ListenerRoles.MetricsEndpoint}:Url"] = security.Metrics.Url,
                [$"Kestrel:Endpoints:{ListenerRoles.MetricsEndpoint}:Protocols"] = "Http1",
            });
        }

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            ListenerRoles.TagEndpoints(kestrel, context.Configuration);
            if (security.Auth.ClientCertificates.Enabled)
            {
                // Ask for a certificate during the handshake but let the certificate handler judge it, so that a
                // missing or foreign one is answered UNAUTHENTICATED (and health stays open) instead of a TLS failure.
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = static (_, _, _) => true;
                });
            }
        });

        services.PostConfigure<HostFilteringOptions>(options =>
        {
            if (string.IsNullOrWhiteSpace(configuration["AllowedHosts"]))
            {
                options.AllowedHosts = DefaultAllowedHosts(configuration);
            }
        });

        if (security.GrpcWeb.CorsOrigins.Count > 0)
        {
            services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
                .WithOrigins([.. security.GrpcWeb.CorsOrigins])
                .WithMethods("POST")
                .WithHeaders("authorization", "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout")
                .WithExposedHeaders("grpc-status", "grpc-message", "grpc-status-details-bin")));
        }

        if (security.Auth.Enabled)
        {
            AuthenticationRegistration.Add(services, security.Auth);
        }

        if (security.RateLimit.Enabled)
        {
            RateLimitRegistration.Add(services, security.RateLimit);
        }

        return security;
    }

    /// <summary>
    /// Serves the dashboard's files (with a strict Content-Security-Policy and the usual security headers) on the web
    /// listener only, when <c>wwwroot</c> exists and <c>BertIg:Dashboard:Enabled</c>. Returns whether it does.
    /// Call before routing.
    /// </summary>
    public static bool UseBertIgDashboard(this WebApplication app, SecurityOptions security)
    {
        app.Use((context, next) =>
        {
            if (!GrpcHttpResponse.IsGrpc(context.Request))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
            }

            return next(context);
        });

        var webRoot = app.Environment.WebRootPath;
        var hasDashboard = security.Dashboard.Enabled && !string.IsNullOrEmpty(webRoot) && Directory.Exists(webRoot);
        if (hasDashboard)
        {
            app.UseWhen(context => ListenerRoles.IsOn(context, ListenerRole.Web), web =>
            {
                web.UseDefaultFiles();
                web.UseStaticFiles();
            });
        }

        return hasDashboard;
    }

    /// <summary>After routing and gRPC-Web: listener roles, CORS, authentication, rate limiting, authorization.</summary>
    public static WebApplication UseBertIgSecurity(this WebApplication app, SecurityOptions security)
    {
        app.UseListenerRoles();
        if (security.GrpcWeb.CorsOrigins.Count > 0)
        {
            app.UseCors();
        }

        if (security.Auth.Enabled)
        {
            app.UseAuthentication();
        }

        // After authentication, so a known caller is limited per key, token or certificate; before authorization, so
        // that guessing keys is limited per IP address as well.
        if (security.RateLimit.Enabled)
        {
            app.UseRateLimiter();
        }

        if (security.Auth.Enabled)
        {
            app.UseAuthorization();
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SecurityExtensions).FullName!);
        var auth = security.Auth;
        SecurityLog.Configured(
            logger,
            auth.Enabled ? string.Join(" + ", new[] { auth.ApiKeys.Count > 0 ? $"{auth.ApiKeys.Count} API key(s)" : null, auth.Jwt.Enabled ? "JWT" : null, auth.ClientCertificates.Enabled ? "client certificates" : null }.OfType<string>()) : "off",
            security.RateLimit.Enabled ? $"{security.RateLimit.PermitsPerSecond}/s, burst {security.RateLimit.Burst}" : "off",
            security.Reflection.Enabled ? "on" : "off",
            security.Metrics.Enabled ? (HasMetricsListener(app.Configuration) ? "on its own endpoint" : "on the Http endpoint") : "off",
            security.Dashboard.Enabled ? "on" : "off",
            security.GrpcWeb.CorsOrigins.Count > 0 ? string.Join(", ", security.GrpcWeb.CorsOrigins) : "off",
            string.Join(";", app.Services.GetRequiredService<IOptions<HostFilteringOptions>>().Value.AllowedHosts));
        return app;
    }

    /// <summary>Requires an allowed caller (when authentication is on), applies the per-caller rate limit and gRPC-Web CORS (when on).</summary>
    public static TBuilder RequireBertIgCaller<TBuilder>(this TBuilder builder, SecurityOptions security)
        where TBuilder : IEndpointConventionBuilder
    {
        if (security.Auth.Enabled)
        {
            builder.RequireAuthorization(CallerPolicy);
        }

        if (security.RateLimit.Enabled)
        {
            builder.RequireRateLimiting(RateLimitPolicy);
        }

        return builder.WithBertIgCors(security);
    }

    /// <summary>Lets the configured origins call these gRPC-Web endpoints cross-origin.</summary>
    public static TBuilder WithBertIgCors<TBuilder>(this TBuilder builder, SecurityOptions security)
        where TBuilder : IEndpointConventionBuilder
        => security.GrpcWeb.CorsOrigins.Count > 0 ? builder.RequireCors(CorsPolicy) : builder;

    /// <summary>Gets whether a Kestrel endpoint named <c>Metrics</c> is configured.</summary>
    public static bool HasMetricsListener(IConfiguration configuration)
        => configuration.GetSection($"Kestrel:Endpoints:{ListenerRoles.MetricsEndpoint}").Exists();

    /// <summary>
    /// The host names requests may name when <c>AllowedHosts</c> is not set: those of the configured endpoint URLs, with
    /// the loopback names for a loopback address, or any host (<c>*</c>) when an endpoint binds every interface.
    /// </summary>
    internal static string[] DefaultAllowedHosts(IConfiguration configuration)
    {
        var urls = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"])
            .Concat((configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .OfType<string>()
            .ToList();
        var hosts = new List<string>();
        foreach (var url in urls)
        {
            var host = BindingAddressHost(url);
            if (host is "*" or "+" or "0.0.0.0" or "[::]" or "::")
            {
                return ["*"];
            }

            if (host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)))
            {
                hosts.AddRange(LoopbackHosts);
            }
            else
            {
                hosts.Add(host);
            }
        }

        return hosts.Count == 0 ? LoopbackHosts : [.. hosts.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static string BindingAddressHost(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? i + 3 : 0)..];
        var end = rest.StartsWith('[') ? rest.IndexOf(']') + 1 : rest.IndexOfAny([':', '/']);
        return (end > 0 ? rest[..end] : rest).ToLowerInvariant();
    }
}
