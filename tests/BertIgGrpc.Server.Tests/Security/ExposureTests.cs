using System.Net;
using BertIgGrpc.Server.Security;
using Microsoft.Extensions.Configuration;

namespace BertIgGrpc.Server.Tests.Security;

/// <summary>What the server exposes with the default settings (the shared server: no authentication, loopback).</summary>
[Collection(ServerCollection.Name)]
public sealed class ExposureTests(ServerFixture server)
{
    [Fact]
    public async Task Request_ForeignHostHeader_IsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Headers = { Host = "rebound.attacker.example" } };

        using var response = await server.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Request_LoopbackHostNames_AreAllowed()
    {
        foreach (var host in new[] { "localhost", "127.0.0.1", $"localhost:{server.HttpAddress.Port}" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Headers = { Host = host } };
            using var response = await server.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"Host {host}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Metrics_OnTheGrpcEndpoint_AreNotServed()
    {
        using var h2c = new HttpClient { BaseAddress = server.GrpcAddress, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var metrics = await h2c.GetAsync("/metrics");
        using var root = await h2c.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
    }

    [Fact]
    public async Task HttpResponses_CarrySecurityHeaders()
    {
        using var response = await server.Http.GetAsync("/");

        Assert.Contains("frame-ancestors 'none'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
    }

    [Fact]
    public async Task GrpcWebPreflight_NoOriginsConfigured_IsNotAllowed()
    {
        using var request = Preflight(server.HttpAddress, "https://app.example.test");

        using var response = await server.Http.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:50051;http://127.0.0.1:8080", "localhost;127.0.0.1;[::1]")]
    [InlineData("http://[::1]:50051", "localhost;127.0.0.1;[::1]")]
    [InlineData("https://bertig.example.com:443;http://localhost:8080", "bertig.example.com;localhost;127.0.0.1;[::1]")]
    [InlineData("http://0.0.0.0:50051;http://127.0.0.1:8080", "*")]
    [InlineData("http://[::]:50051", "*")]
    public void DefaultAllowedHosts_FromEndpointUrls(string urls, string expected)
    {
        var settings = urls.Split(';').Select((url, i) => new KeyValuePair<string, string?>($"Kestrel:Endpoints:E{i}:Url", url));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        Assert.Equal(expected, string.Join(";", SecurityExtensions.DefaultAllowedHosts(configuration)));
    }

    internal static HttpRequestMessage Preflight(Uri server, string origin) => new(HttpMethod.Options, new Uri(server, "/bertig.v1.Explainer/ListModels"))
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", "POST" },
            { "Access-Control-Request-Headers", "authorization,content-type,x-grpc-web" },
        },
    };
}

/// <summary>Settings that cannot work stop the server before it listens, with a message naming the setting.</summary>
public sealed class SecurityConfigurationTests
{
    [Theory]
    [InlineData("--BertIg:Auth:ApiKeys:0=short", "BertIg:Auth:ApiKeys:0")]
    [InlineData("--BertIg:Auth:ApiKeys:0=sha256:abc", "64 hex digits")]
    [InlineData("--BertIg:Auth:Jwt:SigningKey=too-short", "BertIg:Auth:Jwt:")]
    [InlineData("--BertIg:Auth:ClientCertificates:CaPath=/nonexistent/ca.pem", "BertIg:Auth:ClientCertificates:CaPath")]
    [InlineData("--BertIg:RateLimit:Enabled=true", null)]
    public void Create_InvalidSecuritySetting_ThrowsNamingIt(string setting, string? named)
    {
        string[] settings = named is null ? [setting, "--BertIg:RateLimit:PermitsPerSecond=0"] : [setting, "--BertIg:Auth:Jwt:Audience=a", "--BertIg:Auth:Jwt:Issuer=i"];

        var error = Assert.Throws<InvalidOperationException>(() => ServerHost.Create(settings));

        Assert.Contains(named ?? "BertIg:RateLimit:PermitsPerSecond", error.Message);
    }
}
