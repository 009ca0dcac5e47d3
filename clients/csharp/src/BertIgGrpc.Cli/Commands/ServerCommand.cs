using BertIgGrpc.Client;
using Grpc.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Runs a command against the server and turns client errors into messages and exit codes.</summary>
/// <typeparam name="TSettings">The command's settings.</typeparam>
/// <param name="console">The console to write to.</param>
public abstract class ServerCommand<TSettings>(IAnsiConsole console) : AsyncCommand<TSettings>
    where TSettings : ServerSettings
{
    /// <summary>Exit code for a request the contract rejects.</summary>
    public const int InvalidRequestExitCode = 2;

    /// <summary>Exit code for a failed call (server down, deadline, internal error).</summary>
    public const int CallFailedExitCode = 3;

    /// <summary>Gets the console.</summary>
    protected IAnsiConsole Console { get; } = console;

    /// <inheritdoc />
    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            using var client = BertIgClient.Create(settings.ToClientOptions());
            return await RunAsync(client, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (BertIgValidationException ex)
        {
            Console.MarkupLine($"[red]Invalid request{(ex.IsFromServer ? " (rejected by the server)" : string.Empty)}:[/]");
            foreach (var v in ex.Violations)
            {
                Console.MarkupLineInterpolated($"  [yellow]{v.Field}[/]: {v.Description}");
            }

            if (ex.Violations.Count == 0)
            {
                Console.MarkupLineInterpolated($"  {ex.Message}");
            }

            return InvalidRequestExitCode;
        }
        catch (RpcException ex)
        {
            Console.MarkupLineInterpolated($"[red]Call to {settings.ResolveServer()} failed: {ex.StatusCode}[/] {ex.Status.Detail}");
            return CallFailedExitCode;
        }
    }

    /// <summary>The command's work.</summary>
    /// <param name="client">A client for the chosen server.</param>
    /// <param name="settings">The parsed settings.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    protected abstract Task<int> RunAsync(BertIgClient client, TSettings settings, CancellationToken cancellationToken);

    /// <summary>Writes text to standard output without markup processing (for JSON).</summary>
    /// <param name="text">The text.</param>
    protected void WriteRaw(string text) => Console.Profile.Out.Writer.WriteLine(text);
}
