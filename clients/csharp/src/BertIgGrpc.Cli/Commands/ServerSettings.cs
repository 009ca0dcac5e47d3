using System.ComponentModel;
using BertIgGrpc.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Options every command shares: where the server is and how long to wait.</summary>
public class ServerSettings : CommandSettings
{
    /// <summary>The environment variable that overrides the default server address.</summary>
    public const string ServerEnvironmentVariable = "BERTIG_SERVER";

    /// <summary>The environment variable that gives the API key when <c>--api-key</c> is not used.</summary>
    public const string ApiKeyEnvironmentVariable = "BERTIG_API_KEY";

    /// <summary>Gets or sets the server address given on the command line.</summary>
    [CommandOption("-s|--server <URL>")]
    [Description("Server address (default: $BERTIG_SERVER or " + BertIgClientOptions.DefaultAddress + ")")]
    public string? Server { get; set; }

    /// <summary>Gets or sets the deadline in seconds.</summary>
    [CommandOption("--timeout <SECONDS>")]
    [Description("Deadline of the call in seconds (default 300)")]
    public double? TimeoutSeconds { get; set; }

    /// <summary>Gets or sets whether the output is JSON.</summary>
    [CommandOption("--json")]
    [Description("Print the response as JSON (proto3 JSON mapping)")]
    public bool Json { get; set; }

    /// <summary>Gets or sets the API key (or token) sent as <c>authorization: Bearer</c>.</summary>
    [CommandOption("--api-key <KEY>")]
    [Description("API key or token for a server with authentication (default: $BERTIG_API_KEY)")]
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the PEM file of the CA that issued the server's certificate.</summary>
    [CommandOption("--ca <FILE>")]
    [Description("PEM CA certificate to trust for an https:// server with a private CA")]
    public string? CaCertificate { get; set; }

    /// <summary>Gets or sets the PEM client certificate for mutual TLS.</summary>
    [CommandOption("--cert <FILE>")]
    [Description("PEM client certificate for mutual TLS (with --key)")]
    public string? ClientCertificate { get; set; }

    /// <summary>Gets or sets the PEM private key of the client certificate.</summary>
    [CommandOption("--key <FILE>")]
    [Description("PEM private key of --cert (if not in the same file)")]
    public string? ClientKey { get; set; }

    /// <summary>The API key to use: <c>--api-key</c>, else <c>$BERTIG_API_KEY</c>, else none.</summary>
    /// <returns>The key or null.</returns>
    public string? ResolveApiKey()
    {
        var key = string.IsNullOrWhiteSpace(ApiKey) ? Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable) : ApiKey;
        return string.IsNullOrWhiteSpace(key) ? null : key.Trim();
    }

    /// <summary>The address to use: <c>--server</c>, else <c>$BERTIG_SERVER</c>, else the default.</summary>
    /// <returns>The address.</returns>
    public Uri ResolveServer()
    {
        var value = Server;
        if (string.IsNullOrWhiteSpace(value))
        {
            value = Environment.GetEnvironmentVariable(ServerEnvironmentVariable);
        }

        return new Uri(string.IsNullOrWhiteSpace(value) ? BertIgClientOptions.DefaultAddress : value);
    }

    /// <summary>Client options for this invocation.</summary>
    /// <returns>The options.</returns>
    public BertIgClientOptions ToClientOptions()
    {
        var options = new BertIgClientOptions
        {
            Address = ResolveServer(),
            ApiKey = ResolveApiKey(),
            CaCertificatePath = CaCertificate,
            ClientCertificatePath = ClientCertificate,
            ClientKeyPath = ClientKey,
        };
        if (TimeoutSeconds is { } seconds)
        {
            options.DefaultDeadline = TimeSpan.FromSeconds(seconds);
        }

        return options;
    }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var server = string.IsNullOrWhiteSpace(Server) ? Environment.GetEnvironmentVariable(ServerEnvironmentVariable) : Server;
        if (!string.IsNullOrWhiteSpace(server)
            && (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            return ValidationResult.Error($"--server: '{server}' is not an http:// or https:// URL.");
        }

        if (TimeoutSeconds is { } t && !(t > 0))
        {
            return ValidationResult.Error("--timeout: must be a positive number of seconds.");
        }

        foreach (var (option, file) in new[] { ("--ca", CaCertificate), ("--cert", ClientCertificate), ("--key", ClientKey) })
        {
            if (file is not null && !File.Exists(file))
            {
                return ValidationResult.Error($"{option}: file not found: '{file}'.");
            }
        }

        if (ClientKey is not null && ClientCertificate is null)
        {
            return ValidationResult.Error("--key: needs --cert.");
        }

        try
        {
            ToClientOptions().EnsureValid();
        }
        catch (ArgumentException ex)
        {
            return ValidationResult.Error(ex.Message);
        }

        return ValidationResult.Success();
    }
}
