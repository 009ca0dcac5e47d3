using System.ComponentModel;
using System.Globalization;
using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Rendering;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Settings of <c>bertig predict</c>.</summary>
public sealed class PredictSettings : LongTextSettings
{
    /// <summary>Gets or sets the texts to classify.</summary>
    [CommandArgument(0, "<TEXT>")]
    [Description("One or more texts to classify")]
    public string[] Texts { get; set; } = [];

    /// <summary>Gets or sets the model name.</summary>
    [CommandOption("-m|--model <NAME>")]
    [Description("Model name (default: the server's default model)")]
    public string? Model { get; set; }
}

/// <summary><c>bertig predict TEXT...</c>: classifies texts in one call.</summary>
/// <param name="console">The console.</param>
public sealed class PredictCommand(IAnsiConsole console) : ServerCommand<PredictSettings>(console)
{
    /// <inheritdoc />
    protected override async Task<int> RunAsync(BertIgClient client, PredictSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        var request = new PredictRequest
        {
            Model = settings.Model ?? string.Empty,
            Texts = { settings.Texts },
            LongText = settings.ToLongText() ?? LongText.Unspecified,
            WindowStride = settings.WindowStride ?? 0,
        };
        var response = await client.PredictAsync(request, null, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            WriteRaw(CliJson.Format(response));
            return 0;
        }

        var windows = response.Predictions.Any(p => p.Windows > 0 || p.Truncated);
        var table = new Table().AddColumns("Text", "Label", "Probability").Caption(new TableTitle(Markup.Escape($"model {response.Model}")));
        if (windows)
        {
            table.AddColumn("Long text");
        }

        for (var i = 0; i < response.Predictions.Count; i++)
        {
            var p = response.Predictions[i];
            List<IRenderable> cells =
            [
                new Text(i < settings.Texts.Length ? settings.Texts[i] : string.Empty),
                new Text(p.Label),
                new Text(p.Probability.ToString("0.0000", CultureInfo.InvariantCulture)),
            ];
            if (windows)
            {
                cells.Add(new Text(p.Windows > 0 ? $"mean of {p.Windows} windows" : p.Truncated ? "truncated" : string.Empty));
            }

            table.AddRow(cells);
        }

        Console.Write(table);
        return 0;
    }
}
