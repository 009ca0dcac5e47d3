using BertIgGrpc.Server.Tests.Security;
using Microsoft.Extensions.DependencyInjection;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// The real server with API keys and client certificates from a test CA, its gRPC endpoint plaintext (for the health
/// wait) and a second gRPC endpoint over TLS (<see cref="TlsAddress"/>).
/// </summary>
public sealed class SecuredRealServer : RealServer
{
    public const string ApiKey = "client-tests-key-0123456789abcdef";

    private readonly int _tlsPort = FreeTcpPort();

    internal TestCertificates Certificates { get; } = new();

    public Uri TlsAddress => new($"https://127.0.0.1:{_tlsPort}");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Certificates.Dispose();
    }

    protected override IEnumerable<string> ExtraArguments() =>
    [
        $"--Kestrel:Endpoints:GrpcTls:Url={TlsAddress}",
        "--Kestrel:Endpoints:GrpcTls:Protocols=Http2",
        $"--Kestrel:Endpoints:GrpcTls:Certificate:Path={Certificates.ServerCertPemPath}",
        $"--Kestrel:Endpoints:GrpcTls:Certificate:KeyPath={Certificates.ServerKeyPemPath}",
        $"--BertIg:Auth:ApiKeys:0={ApiKey}",
        $"--BertIg:Auth:ClientCertificates:CaPath={Certificates.CaPemPath}",
    ];

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredRealServerCollection : ICollectionFixture<SecuredRealServer>
{
    public const string Name = "secured real server";
}

/// <summary>The C# client and the <c>bertig</c> CLI against a server that requires credentials, over TLS with a private CA.</summary>
[Collection(SecuredRealServerCollection.Name)]
public sealed class SecuredServerTests(SecuredRealServer server)
{
    [Fact]
    public async Task Cli_ApiKeyAndCaOverTls_ListsModels()
    {
        var (code, output) = await CliRunner.RunAsync(
            "models", "--server", server.TlsAddress.ToString(), "--ca", server.Certificates.CaPemPath, "--api-key", SecuredRealServer.ApiKey);

        Assert.True(code == 0, server.Explain(output));
        Assert.Contains("minilm-sentiment", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_NoCredentials_FailsWithUnauthenticated()
    {
        var (code, output) = await CliRunner.RunAsync("models", "--server", server.TlsAddress.ToString(), "--ca", server.Certificates.CaPemPath);

        Assert.Equal(3, code);
        Assert.Contains("Unauthenticated", output, StringComparison.Ordinal);
        Assert.Contains("authorization: Bearer", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ClientCertificate_ListsModels()
    {
        var (code, output) = await CliRunner.RunAsync(
            "models", "--server", server.TlsAddress.ToString(), "--ca", server.Certificates.CaPemPath,
            "--cert", server.Certificates.ClientCertPemPath, "--key", server.Certificates.ClientKeyPemPath);

        Assert.True(code == 0, server.Explain(output));
        Assert.Contains("minilm-sentiment", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ApiKeyFromEnvironment_OverLoopbackPlaintext_ListsModels()
    {
        Environment.SetEnvironmentVariable("BERTIG_API_KEY", SecuredRealServer.ApiKey);
        try
        {
            var (code, output) = await CliRunner.RunAsync("models", "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, server.Explain(output));
        }
        finally
        {
            Environment.SetEnvironmentVariable("BERTIG_API_KEY", null);
        }
    }

    [Fact]
    public async Task Cli_CaWithPlaintextAddress_IsAUsageError()
    {
        var (code, output) = await CliRunner.RunAsync("models", "--server", server.GrpcAddress.ToString(), "--ca", server.Certificates.CaPemPath);

        Assert.NotEqual(0, code);
        Assert.Contains("https://", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientOptions_ApiKeyOverPlaintextToAnotherHost_IsRefused()
    {
        var options = new BertIgClientOptions { Address = new Uri("http://bertig.example.com:50051"), ApiKey = SecuredRealServer.ApiKey };

        var error = Assert.Throws<ArgumentException>(options.EnsureValid);

        Assert.Equal(nameof(BertIgClientOptions.ApiKey), error.ParamName);
    }

    [Fact]
    public async Task ClientFactory_ApiKeyAndCa_Predicts()
    {
        var services = new ServiceCollection();
        services.AddBertIgClient(o =>
        {
            o.Address = server.TlsAddress;
            o.ApiKey = SecuredRealServer.ApiKey;
            o.CaCertificatePath = server.Certificates.CaPemPath;
        });
        await using var provider = services.BuildServiceProvider();

        var prediction = await provider.GetRequiredService<BertIgClient>().PredictAsync("A superb film.");

        Assert.Equal("positive", prediction.Label);
    }
}
