using System.Net;
using System.Security.Cryptography;
using System.Text;
using BertIgGrpc.Server.Hosting;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Net.Client.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BertIgGrpc.Server.Tests.Security;

/// <summary>
/// A real server with every security feature on: TLS on both endpoints (gRPC with a PEM certificate and key, Http with a
/// PKCS#12), API keys (one plain, one given as its SHA-256), JWTs (HS256, required scope), client certificates from a
/// test CA (one subject allowed), reflection off, <c>/metrics</c> on its own plaintext endpoint, and a dashboard page.
/// </summary>
public sealed class SecureServerFixture : IAsyncLifetime
{
    public const string PlainKey = "plain-key-0123456789abcdef";
    public const string HashedKey = "hashed-key-fedcba9876543210";
    public const string JwtIssuer = "https://issuer.bertig.test";
    public const string JwtAudience = "bertig";
    public const string JwtScope = "bertig.explain";
    public const string JwtSigningKey = "jwt-signing-key-for-tests-only-0123456789";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "bertig-secure-tests-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;

    internal TestCertificates Certificates { get; } = new();

    /// <summary>The issuer's RSA key for RS256 tokens; the server gets its public half as a PEM file.</summary>
    public RSA IssuerRsaKey { get; } = RSA.Create(2048);

    public Uri GrpcAddress { get; private set; } = null!;

    public Uri HttpAddress { get; private set; } = null!;

    public Uri MetricsAddress { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "wwwroot"));
        await File.WriteAllTextAsync(Path.Combine(_root, "wwwroot", "index.html"), "<!doctype html><title>bertig dashboard</title>");
        var publicKeyPath = Path.Combine(_root, "issuer.pub.pem");
        await File.WriteAllTextAsync(publicKeyPath, IssuerRsaKey.ExportSubjectPublicKeyInfoPem());
        var hashed = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(HashedKey)));
        // Every endpoint on port 0; the bound ports are read back after start.
        _app = ServerHost.Create(
        [
            "--Kestrel:Endpoints:Grpc:Url=https://127.0.0.1:0",
            $"--Kestrel:Endpoints:Grpc:Certificate:Path={Certificates.ServerCertPemPath}",
            $"--Kestrel:Endpoints:Grpc:Certificate:KeyPath={Certificates.ServerKeyPemPath}",
            "--Kestrel:Endpoints:Http:Url=https://127.0.0.1:0",
            $"--Kestrel:Endpoints:Http:Certificate:Path={Certificates.ServerPfxPath}",
            $"--Kestrel:Endpoints:Http:Certificate:Password={TestCertificates.PfxPassword}",
            "--BertIg:Metrics:Url=http://127.0.0.1:0",
            $"--BertIg:CacheDirectory={Path.Combine(_root, "cache")}",
            $"--BertIg:Auth:ApiKeys:0={PlainKey}",
            $"--BertIg:Auth:ApiKeys:1=sha256:{hashed}",
            $"--BertIg:Auth:Jwt:Issuer={JwtIssuer}",
            $"--BertIg:Auth:Jwt:Audience={JwtAudience}",
            $"--BertIg:Auth:Jwt:SigningKey={JwtSigningKey}",
            $"--BertIg:Auth:Jwt:SigningKeyPath={publicKeyPath}",
            $"--BertIg:Auth:Jwt:RequiredScope={JwtScope}",
            $"--BertIg:Auth:ClientCertificates:CaPath={Certificates.CaPemPath}",
            $"--BertIg:Auth:ClientCertificates:AllowedSubjects:0={TestCertificates.AllowedClientName}",
            "--BertIg:Reflection:Enabled=false",
        ], contentRoot: _root);
        await _app.StartAsync();
        var (grpc, http) = ServerHost.Addresses(_app);
        GrpcAddress = new UriBuilder(grpc) { Scheme = "https" }.Uri;
        HttpAddress = new UriBuilder(http) { Scheme = "https" }.Uri;
        // The metrics listener is the one plain-HTTP address besides those two.
        MetricsAddress = new Uri(_app.Urls.Single(u => u.StartsWith("http://", StringComparison.Ordinal)));

        using var channel = Channel();
        var health = new Health.HealthClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(10);
        var state = Services.GetRequiredService<ModelLoadState>();
        while ((await health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            Assert.False(state.HasFailed, state.FailureMessage);
            Assert.True(DateTime.UtcNow < deadline, "the secured server did not become SERVING");
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

        Certificates.Dispose();
        IssuerRsaKey.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>A gRPC channel to the TLS gRPC endpoint that trusts the test CA, optionally with a client certificate and a bearer value.</summary>
    public GrpcChannel Channel(string? bearer = null, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null)
        => GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions
        {
            HttpHandler = Certificates.Handler(clientCertificate),
            Credentials = bearer is null ? null : BearerCredentials(bearer),
        });

    /// <summary>A gRPC-Web channel (HTTP/1.1) to the TLS Http endpoint, as a browser would call it.</summary>
    public GrpcChannel WebChannel(string? bearer = null)
        => GrpcChannel.ForAddress(HttpAddress, new GrpcChannelOptions
        {
            HttpHandler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, Certificates.Handler()),
            HttpVersion = HttpVersion.Version11,
            Credentials = bearer is null ? null : BearerCredentials(bearer),
        });

    /// <summary>Per-call <c>authorization: Bearer</c> metadata over TLS.</summary>
    internal static ChannelCredentials BearerCredentials(string bearer)
        => ChannelCredentials.Create(ChannelCredentials.SecureSsl, CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + bearer);
            return Task.CompletedTask;
        }));
}
