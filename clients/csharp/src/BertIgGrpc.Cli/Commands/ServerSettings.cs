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
        var options = new BertIgClientOptions { Address = ResolveServer() };
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

        return ValidationResult.Success();
    }
}
