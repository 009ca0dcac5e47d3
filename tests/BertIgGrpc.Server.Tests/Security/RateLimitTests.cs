using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Server.Hosting;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace BertIgGrpc.Server.Tests.Security;

/// <summary>
/// A plaintext server with API keys, JWTs from an OpenID Connect authority (a minimal one run by the test: discovery
/// document and JWKS), a per-caller rate limit of 1 call per second with a burst of <see cref="Burst"/>, metrics off
/// and gRPC-Web CORS for one origin. Its content root has a dashboard page, which is switched off.
/// </summary>
public sealed class LimitedServerFixture : IAsyncLifetime
{
    public const string KeyA = "rate-key-a-0123456789abcdef";
    public const string KeyB = "rate-key-b-0123456789abcdef";
    public const string KeyC = "rate-key-c-0123456789abcdef";
    public const string AllowedOrigin = "https://app.example.test";
    public const int Burst = 3;

    private readonly string _cache = Path.Combine(Path.GetTempPath(), "bertig-limited-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private WebApplication? _identityProvider;

    public RSA IdentityProviderKey { get; } = RSA.Create(2048);

    public string Authority { get; private set; } = null!;

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Authority = await StartIdentityProviderAsync();
        var contentRoot = Directory.CreateDirectory(Path.Combine(_cache, "root")).FullName;
        Directory.CreateDirectory(Path.Combine(contentRoot, "wwwroot"));
        await File.WriteAllTextAsync(Path.Combine(contentRoot, "wwwroot", "index.html"), "<!doctype html><title>bertig dashboard</title>");
        _app = ServerHost.Create(
        [
            "--BertIg:Dashboard:Enabled=false",
            $"--BertIg:CacheDirectory={Path.Combine(_cache, "models")}",
            $"--BertIg:Auth:ApiKeys:0={KeyA}",
            $"--BertIg:Auth:ApiKeys:1={KeyB}",
            $"--BertIg:Auth:ApiKeys:2={KeyC}",
            "--BertIg:RateLimit:Enabled=true",
            "--BertIg:RateLimit:PermitsPerSecond=1",
            $"--BertIg:RateLimit:Burst={Burst}",
            "--BertIg:Metrics:Enabled=false",
            $"--BertIg:GrpcWeb:CorsOrigins:0={AllowedOrigin}",
            $"--BertIg:Auth:Jwt:Authority={Authority}",
            "--BertIg:Auth:Jwt:Audience=bertig",
            "--BertIg:Auth:Jwt:RequireHttpsMetadata=false",
        ], contentRoot: contentRoot);
        await _app.StartAsync();
        (GrpcAddress, HttpAddress) = ServerHost.Addresses(_app);
        using var channel = GrpcChannel.ForAddress(GrpcAddress);
        var health = new Health.HealthClient(channel);
        var state = _app.Services.GetRequiredService<ModelLoadState>();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while ((await health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            Assert.False(state.HasFailed, state.FailureMessage);
            Assert.True(DateTime.UtcNow < deadline, "the rate-limited server did not become SERVING");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_identityProvider is not null)
        {
            await _identityProvider.StopAsync();
            await _identityProvider.DisposeAsync();
        }

        IdentityProviderKey.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    /// <summary>Serves an OpenID Connect discovery document and the JWKS with <see cref="IdentityProviderKey"/>; returns the issuer URL.</summary>
    private async Task<string> StartIdentityProviderAsync()
    {
        var issuer = ""; // known once bound: port 0, read back below (the handlers read it after start)
        // Its own empty content root: the test folder's appsettings.json (the server's) would bind the server's ports.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.CreateDirectory(Path.Combine(_cache, "idp")).FullName });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _identityProvider = builder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(IdentityProviderKey.ExportParameters(false)) { KeyId = "test-key" });
        _identityProvider.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _identityProvider.MapGet("/jwks", () => Results.Text(
            $$"""{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"{{jwk.Kid}}","n":"{{jwk.N}}","e":"{{jwk.E}}"}]}""", "application/json"));
        await _identityProvider.StartAsync();
        issuer = _identityProvider.Urls.Single().TrimEnd('/');
        return issuer;
    }

    /// <summary>A token the identity provider issued for <c>bertig</c>.</summary>
    public string IssueToken(string subject) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Authority,
        Audience = "bertig",
        Subject = new ClaimsIdentity([new Claim("sub", subject)]),
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(new RsaSecurityKey(IdentityProviderKey) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
    });

    public Explainer.ExplainerClient Client(GrpcChannel channel) => new(channel);

    public GrpcChannel Channel(string? key) => GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions
    {
        Credentials = key is null ? null : ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + key);
            return Task.CompletedTask;
        })),
        UnsafeUseInsecureChannelCallCredentials = true,
    });
}

public sealed class RateLimitTests(LimitedServerFixture server) : IClassFixture<LimitedServerFixture>
{
    [Fact]
    public async Task Calls_BeyondTheBurst_ReturnResourceExhaustedWithRetryInfo_OnlyForThatCaller()
    {
        using var limited = server.Channel(LimitedServerFixture.KeyB);
        using var other = server.Channel(LimitedServerFixture.KeyA);
        var client = server.Client(limited);

        // The bucket refills one call per second, so allow for a slow machine: the burst passes, and the limit is met soon after.
        var passed = 0;
        RpcException? refused = null;
        while (refused is null && passed < 10 * LimitedServerFixture.Burst)
        {
            try
            {
                await client.ListModelsAsync(new ListModelsRequest());
                passed++;
            }
            catch (RpcException ex)
            {
                refused = ex;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.InRange(passed, LimitedServerFixture.Burst, 10 * LimitedServerFixture.Burst);
        Assert.Contains("BertIg:RateLimit", refused.Status.Detail);
        var retry = refused.GetRpcStatus()?.GetDetail<RetryInfo>();
        Assert.NotNull(retry);
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));

        Assert.NotEmpty((await server.Client(other).ListModelsAsync(new ListModelsRequest())).Models);
        await Task.Delay(retry.RetryDelay.ToTimeSpan() + TimeSpan.FromMilliseconds(100));
        Assert.NotEmpty((await client.ListModelsAsync(new ListModelsRequest())).Models);
    }

    [Fact]
    public async Task Call_WithTokenFromOidcAuthority_Succeeds_AndForeignTokenIsRefused()
    {
        using var valid = server.Channel(server.IssueToken("oidc-test-service"));
        using var foreignKey = RSA.Create(2048);
        var foreign = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = server.Authority,
            Audience = "bertig",
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(foreignKey) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
        });
        using var refused = server.Channel(foreign);

        Assert.NotEmpty((await server.Client(valid).ListModelsAsync(new ListModelsRequest())).Models);
        await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => server.Client(refused).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
    }

    [Fact]
    public async Task Health_ManyCallsWithoutKey_AreNeitherLimitedNorRefused()
    {
        using var channel = server.Channel(null);
        var health = new Health.HealthClient(channel);

        for (var i = 0; i < 4 * LimitedServerFixture.Burst; i++)
        {
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        }
    }

    [Fact]
    public async Task Reflection_WithoutKey_ReturnsUnauthenticated_WithKey_ListsServices()
    {
        using var anonymous = server.Channel(null);
        using var withKey = server.Channel(LimitedServerFixture.KeyC);

        // The refusal comes before any message is read, so none is written (a write could race the answer).
        using (var refused = new ServerReflection.ServerReflectionClient(anonymous).ServerReflectionInfo())
        {
            await RpcAssert.ThrowsAsync(StatusCode.Unauthenticated, () => refused.ResponseStream.MoveNext());
        }

        Assert.Contains("bertig.v1.Explainer", await ListServicesAsync(withKey));
    }

    [Fact]
    public async Task Metrics_Disabled_AreNotServed()
    {
        using var http = new HttpClient { BaseAddress = server.HttpAddress };

        using var response = await http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_Disabled_PageIsNotServed()
    {
        using var http = new HttpClient { BaseAddress = server.HttpAddress };

        using var page = await http.GetAsync("/index.html");
        var root = await http.GetStringAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.DoesNotContain("bertig dashboard", root);
        Assert.Contains("bertig.v1.Explainer", root);
    }

    [Fact]
    public async Task GrpcWebPreflight_ConfiguredOriginOnly_IsAllowed()
    {
        using var http = new HttpClient { BaseAddress = server.HttpAddress };

        using var allowed = await http.SendAsync(ExposureTests.Preflight(server.HttpAddress, LimitedServerFixture.AllowedOrigin));
        using var other = await http.SendAsync(ExposureTests.Preflight(server.HttpAddress, "https://other.example.test"));

        Assert.Equal(LimitedServerFixture.AllowedOrigin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("authorization", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private static async Task<List<string>> ListServicesAsync(GrpcChannel channel)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
    }
}
