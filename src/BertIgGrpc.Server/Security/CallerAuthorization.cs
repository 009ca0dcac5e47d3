using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace BertIgGrpc.Server.Security;

/// <summary>An authenticated caller is allowed: a JWT carries the required scope, a certificate's subject is on the allowed list.</summary>
internal sealed class CallerAllowedRequirement : IAuthorizationRequirement;

/// <summary>Checks <see cref="CallerAllowedRequirement"/> against <c>BertIg:Auth</c>; failing it is PERMISSION_DENIED.</summary>
internal sealed class CallerAllowedHandler(IOptions<SecurityOptions> options) : AuthorizationHandler<CallerAllowedRequirement>
{
    /// <summary>The authentication type of identities made from JWTs.</summary>
    public const string JwtIdentityType = "Jwt";

    /// <inheritdoc />
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerAllowedRequirement requirement)
    {
        var auth = options.Value.Auth;
        var identity = context.User.Identities.FirstOrDefault(i => i.IsAuthenticated);
        switch (identity?.AuthenticationType)
        {
            case null:
                return Task.CompletedTask; // not authenticated: the policy's other requirement challenges
            case JwtIdentityType when !string.IsNullOrWhiteSpace(auth.Jwt.RequiredScope):
                var scopes = identity.FindAll("scope").Concat(identity.FindAll("scp"))
                    .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                if (!scopes.Contains(auth.Jwt.RequiredScope, StringComparer.Ordinal))
                {
                    context.Fail(new AuthorizationFailureReason(this, $"the token has no scope '{auth.Jwt.RequiredScope}' (BertIg:Auth:Jwt:RequiredScope)."));
                    return Task.CompletedTask;
                }

                break;
            case CertificateAuthenticationDefaults.AuthenticationScheme when auth.ClientCertificates.AllowedSubjects.Count > 0:
                var name = identity.FindFirst(ClaimTypes.Name)?.Value ?? "";
                if (!auth.ClientCertificates.AllowedSubjects.Contains(name, StringComparer.Ordinal))
                {
                    context.Fail(new AuthorizationFailureReason(this, $"certificate subject '{name}' is not in BertIg:Auth:ClientCertificates:AllowedSubjects."));
                    return Task.CompletedTask;
                }

                break;
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Answers refused gRPC calls with gRPC statuses instead of bare HTTP 401/403: UNAUTHENTICATED (saying what to send)
/// or PERMISSION_DENIED (saying why). Plain HTTP requests get 401 or 403.
/// </summary>
internal sealed class GrpcAuthorizationResultHandler(IOptions<SecurityOptions> options, ILogger<GrpcAuthorizationResultHandler> logger)
    : IAuthorizationMiddlewareResultHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!(authorizeResult.Challenged || authorizeResult.Forbidden))
        {
            await next(context);
            return;
        }

        if (!GrpcHttpResponse.IsGrpc(context.Request))
        {
            // Plain HTTP (/metrics): 401 or 403 whichever scheme was picked (the certificate handler would say 403 for both).
            context.Response.StatusCode = authorizeResult.Challenged ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
            if (authorizeResult.Challenged)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            return;
        }

        // The handlers cache their result per request, so this asks nobody twice; it only recovers why they refused.
        var authenticated = await context.AuthenticateAsync();
        var error = authorizeResult.Challenged
            ? SecurityErrors.Unauthenticated(Problem(authenticated.Failure), options.Value.Auth)
            : SecurityErrors.PermissionDenied(string.Join(" ", authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message) ?? [])
                is { Length: > 0 } reasons ? reasons : "this caller may not call this method.");
        SecurityLog.Rejected(logger, context.Request.Path, error.StatusCode.ToString(), error.Status.Detail, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        await GrpcHttpResponse.WriteAsync(context, error);
    }

    /// <summary>Why the credentials presented were refused, in words; null when none were presented.</summary>
    private static string? Problem(Exception? failure)
        => failure switch
        {
            null => null,
            SecurityTokenExpiredException => "the token has expired.",
            SecurityTokenNotYetValidException => "the token is not valid yet.",
            SecurityTokenInvalidAudienceException => "the token is for another audience.",
            SecurityTokenInvalidIssuerException => "the token is from another issuer.",
            SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token's signature does not match the configured signing key.",
            SecurityTokenException or ArgumentException => "the token is not valid.",
            _ => failure.Message.EndsWith('.') ? failure.Message : failure.Message + ".",
        };
}
