using System.Net;
using System.Security.Claims;
using System.Text;
using BertIgGrpc.Contracts.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BertIgGrpc.Server.Tests.Security;

/// <summary>Each authentication mode, TLS and the exposure settings of <see cref="SecureServerFixture"/>, through real clients.</summary>
public sealed class AuthenticationTests(SecureServerFixture server) : IClassFixture<SecureServerFixture>
{
    private static Task<ListModelsResponse> ListModelsAsync(global::Grpc.Net.Client.GrpcChannel channel)
        => new Explainer.ExplainerClient(channel).ListModelsAsync(new ListModelsRequest()).ResponseAsync;

    [Fact]
    public async Task Call_WithoutCredentials_ReturnsUnauthenticatedSayingWhatToSend()
    {
        using var channel = server.Channel();

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("authorization: Bearer", error.Status.Detail);
        Assert.Contains("client certificate", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithWrongKey_ReturnsUnauthenticated()
    {
        using var channel = server.Channel(bearer: "not-a-key-0123456789abcdef");

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("API key not recognised", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithKey_Succeeds()
    {
        using var channel = server.Channel(bearer: SecureServerFixture.PlainKey);

        var models = await ListModelsAsync(channel);

        Assert.NotEmpty(models.Models);
    }

    [Fact]
    public async Task ExplainStream_WithKeyConfiguredAsSha256_Succeeds()
    {
        using var channel = server.Channel(bearer: SecureServerFixture.HashedKey);
        using var call = new Explainer.ExplainerClient(channel).Explain(new ExplainRequest { Text = "Great fun.", NSteps = 4, InternalBatchSize = 2 });

        var events = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(ExplainResponse.EventOneofCase.Result, events[^1].EventCase);
    }

    [Fact]
    public async Task Health_WithoutCredentials_ReportsServing()
    {
        using var channel = server.Channel();

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = "bertig.v1.Explainer" });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Call_WithValidJwt_Succeeds()
    {
        using var channel = server.Channel(bearer: Token());

        Assert.NotEmpty((await ListModelsAsync(channel)).Models);
    }

    [Fact]
    public async Task Call_WithRs256JwtCheckedAgainstPemPublicKey_Succeeds()
    {
        var credentials = new SigningCredentials(new RsaSecurityKey(server.IssuerRsaKey), SecurityAlgorithms.RsaSha256);
        using var channel = server.Channel(bearer: Token(credentials: credentials));

        Assert.NotEmpty((await ListModelsAsync(channel)).Models);
    }

    [Fact]
    public async Task Call_WithJwtFromAnotherIssuer_ReturnsUnauthenticated()
    {
        using var channel = server.Channel(bearer: Token(issuer: "https://somewhere.else.test"));

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("issuer", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithExpiredJwt_ReturnsUnauthenticatedSayingExpired()
    {
        using var channel = server.Channel(bearer: Token(expires: DateTime.UtcNow.AddHours(-1)));

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("expired", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithJwtSignedByAnotherKey_ReturnsUnauthenticated()
    {
        using var channel = server.Channel(bearer: Token(signingKey: "another-signing-key-nobody-configured-0123"));

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("signature", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithJwtForAnotherAudience_ReturnsUnauthenticated()
    {
        using var channel = server.Channel(bearer: Token(audience: "someone-else"));

        var error = await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));

        Assert.Contains("audience", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithJwtWithoutRequiredScope_ReturnsPermissionDenied()
    {
        using var channel = server.Channel(bearer: Token(scope: "something.else"));

        var error = await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, () => ListModelsAsync(channel));

        Assert.Contains(SecureServerFixture.JwtScope, error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithClientCertificateFromCa_Succeeds()
    {
        using var channel = server.Channel(clientCertificate: server.Certificates.AllowedClient);

        Assert.NotEmpty((await ListModelsAsync(channel)).Models);
    }

    [Fact]
    public async Task Call_WithClientCertificateFromAnotherCa_ReturnsUnauthenticated()
    {
        using var channel = server.Channel(clientCertificate: server.Certificates.ForeignClient);

        await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(channel));
    }

    [Fact]
    public async Task Call_WithClientCertificateOfSubjectNotAllowed_ReturnsPermissionDenied()
    {
        using var channel = server.Channel(clientCertificate: server.Certificates.OtherClient);

        var error = await RpcAssert.ThrowsAsync(StatusCode.PermissionDenied, () => ListModelsAsync(channel));

        Assert.Contains(TestCertificates.OtherClientName, error.Status.Detail);
    }

    [Fact]
    public async Task Call_PlaintextToTlsEndpoint_Fails()
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(new UriBuilder(server.GrpcAddress) { Scheme = "http" }.Uri);

        var error = await Assert.ThrowsAsync<RpcException>(() => ListModelsAsync(channel));

        // The connection fails (refused handshake or a protocol error, depending on timing); no call is served.
        Assert.Contains(error.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.NotNull(error.Status.DebugException);
    }

    [Fact]
    public async Task Call_ClientNotTrustingTheCa_FailsTheHandshake()
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(server.GrpcAddress, new global::Grpc.Net.Client.GrpcChannelOptions
        {
            Credentials = SecureServerFixture.BearerCredentials(SecureServerFixture.PlainKey),
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => ListModelsAsync(channel));

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Contains(Chain(error.Status.DebugException), e => e is System.Security.Authentication.AuthenticationException);
    }

    [Fact]
    public async Task Reflection_Disabled_ReturnsUnimplemented()
    {
        using var channel = server.Channel(bearer: SecureServerFixture.PlainKey);
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        // Answered before any message is read, so none is written (a write could race the answer).
        await RpcAssert.ThrowsAsync(StatusCode.Unimplemented, () => call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task GrpcWeb_WithoutKey_ReturnsUnauthenticated_WithKey_Succeeds()
    {
        using var anonymous = server.WebChannel();
        using var withKey = server.WebChannel(bearer: SecureServerFixture.PlainKey);

        await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => ListModelsAsync(anonymous));
        Assert.NotEmpty((await ListModelsAsync(withKey)).Models);
        var health = await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Fact]
    public async Task Metrics_OnItsOwnEndpoint_NeedCredentials_AndAreNotServedElsewhere()
    {
        using var metrics = new HttpClient { BaseAddress = server.MetricsAddress };
        using var web = new HttpClient(server.Certificates.Handler()) { BaseAddress = server.HttpAddress };

        using var anonymous = await metrics.GetAsync("/metrics");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", "Bearer " + SecureServerFixture.PlainKey } } };
        using var withKey = await metrics.SendAsync(request);
        using var onWeb = await web.GetAsync("/metrics");
        using var healthz = await metrics.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Contains("bertig_grpc_requests_total", await withKey.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, onWeb.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
    }

    [Fact]
    public async Task Dashboard_OverTls_SendsStrictContentSecurityPolicyAndSecurityHeaders()
    {
        using var web = new HttpClient(server.Certificates.Handler()) { BaseAddress = server.HttpAddress };

        using var response = await web.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("bertig dashboard", await response.Content.ReadAsStringAsync());
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }

    private static string Token(string scope = SecureServerFixture.JwtScope, DateTime? expires = null, string audience = SecureServerFixture.JwtAudience,
        string signingKey = SecureServerFixture.JwtSigningKey, string issuer = SecureServerFixture.JwtIssuer, SigningCredentials? credentials = null)
    {
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", "test-service"), new Claim("scope", scope)]),
            NotBefore = expiry.AddHours(-2),
            IssuedAt = expiry.AddHours(-2),
            Expires = expiry,
            SigningCredentials = credentials ?? new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
