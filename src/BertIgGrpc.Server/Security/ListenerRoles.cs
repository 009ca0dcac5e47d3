using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace BertIgGrpc.Server.Security;

/// <summary>What a Kestrel endpoint is for, from its name in <c>Kestrel:Endpoints</c>.</summary>
internal enum ListenerRole
{
    /// <summary>Endpoints named <c>Grpc*</c>: gRPC only (Explainer, health, reflection).</summary>
    Grpc,

    /// <summary>Any other name (<c>Http</c>): gRPC-Web, the dashboard, <c>/healthz</c>, and <c>/metrics</c> unless there is a Metrics endpoint.</summary>
    Web,

    /// <summary>The endpoint named <c>Metrics</c>: <c>/metrics</c> and <c>/healthz</c> only.</summary>
    Metrics,
}

/// <summary>Tags each connection with the role of the endpoint it came in on, set by a connection middleware.</summary>
internal sealed record ListenerRoleFeature(ListenerRole Role);

/// <summary>Endpoint metadata: the listener roles a route answers on (404 on the others).</summary>
internal sealed record ListenerRoleMetadata(ListenerRole[] Roles);

/// <summary>Serving each route only on the endpoints meant for it, so that e.g. <c>/metrics</c> is not reachable on the gRPC port.</summary>
internal static class ListenerRoles
{
    /// <summary>The name of the optional separate metrics endpoint.</summary>
    public const string MetricsEndpoint = "Metrics";

    /// <summary>The role of the endpoint called <paramref name="name"/>.</summary>
    public static ListenerRole Of(string name)
        => name.StartsWith("Grpc", StringComparison.OrdinalIgnoreCase) ? ListenerRole.Grpc
            : string.Equals(name, MetricsEndpoint, StringComparison.OrdinalIgnoreCase) ? ListenerRole.Metrics
            : ListenerRole.Web;

    /// <summary>Tags every connection of each configured endpoint with its role.</summary>
    public static void TagEndpoints(KestrelServerOptions kestrel, IConfiguration configuration)
    {
        var section = configuration.GetSection("Kestrel");
        var loader = kestrel.Configure(section, reloadOnChange: true);
        foreach (var endpoint in section.GetSection("Endpoints").GetChildren())
        {
            var feature = new ListenerRoleFeature(Of(endpoint.Key));
            loader.Endpoint(endpoint.Key, e => e.ListenOptions.Use(next => connection =>
            {
                connection.Features.Set(feature);
                return next(connection);
            }));
        }
    }

    /// <summary>Gets the role of the request's endpoint, or null when it was not configured by name (e.g. <c>--urls</c>).</summary>
    public static ListenerRole? RoleOf(HttpContext context) => context.Features.Get<ListenerRoleFeature>()?.Role;

    /// <summary>Gets whether the request came in on one of <paramref name="roles"/> (or on an unnamed endpoint).</summary>
    public static bool IsOn(HttpContext context, params ListenerRole[] roles) => RoleOf(context) is not { } role || roles.Contains(role);

    /// <summary>Restricts the endpoints to listeners with one of <paramref name="roles"/>.</summary>
    public static TBuilder OnListeners<TBuilder>(this TBuilder builder, params ListenerRole[] roles)
        where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(new ListenerRoleMetadata(roles));

    /// <summary>Answers 404 to a route reached on a listener it is not served on (after routing).</summary>
    public static IApplicationBuilder UseListenerRoles(this IApplicationBuilder app)
        => app.Use((context, next) =>
        {
            var allowed = context.GetEndpoint()?.Metadata.GetMetadata<ListenerRoleMetadata>();
            if (allowed is not null && !IsOn(context, allowed.Roles))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
}
