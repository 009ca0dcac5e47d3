using System.Globalization;
using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;

namespace BertIgGrpc.Cli.Commands;

/// <summary><c>bertig models</c>: lists the server's models.</summary>
/// <param name="console">The console.</param>
public sealed class ModelsCommand(IAnsiConsole console) : ServerCommand<ServerSettings>(console)
{
    /// <inheritdoc />
    protected override async Task<int> RunAsync(BertIgClient client, ServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        var models = await client.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            WriteRaw(CliJson.Format(new ListModelsResponse { Models = { models } }));
            return 0;
        }

        var table = new Table().AddColumns("Name", "Labels", "Max tokens", "Hidden", "Provider", "Default");
        foreach (var m in models)
        {
            table.AddRow(
                new Text(m.Name),
                new Text(string.Join(", ", m.Labels)),
                new Text(m.MaxTokens.ToString(CultureInfo.InvariantCulture)),
                new Text(m.HiddenSize.ToString(CultureInfo.InvariantCulture)),
                new Text(m.ExecutionProvider),
                new Text(m.IsDefault ? "yes" : string.Empty));
        }

        Console.Write(table);
        return 0;
    }
}
