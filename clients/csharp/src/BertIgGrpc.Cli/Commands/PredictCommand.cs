using System.ComponentModel;
using System.Globalization;
using BertIgGrpc.Client;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Settings of <c>bertig predict</c>.</summary>
public sealed class PredictSettings : ServerSettings
{
    /// <summary>Gets or sets the texts to classify.</summary>
    [CommandArgument(0, "<TEXT>")]
    [Description("One or more texts to classify")]
    public string[] Texts { get; set; } = [];

    /// <summary>Gets or sets the model name.</summary>
    [CommandOption("-m|--model <NAME>")]
    [Description("Model name (default: the server's default model)")]
    public string? Model { get; set; }

    /// <summary>Gets or sets whether long texts are cut.</summary>
    [CommandOption("--truncate")]
    [Description("Cut texts longer than the model's token limit")]
    public bool Truncate { get; set; }
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
        var response = await client.PredictAsync(settings.Texts, settings.Model, settings.Truncate, cancellationToken).ConfigureAwait(false);
        if (settings.Json)
        {
            WriteRaw(CliJson.Format(response));
            return 0;
        }

        var table = new Table().AddColumns("Text", "Label", "Probability").Caption(new TableTitle($"model {response.Model}"));
        for (var i = 0; i < response.Predictions.Count; i++)
        {
            var p = response.Predictions[i];
            table.AddRow(
                new Text(i < settings.Texts.Length ? settings.Texts[i] : string.Empty),
                new Text(p.Label),
                new Text(p.Probability.ToString("0.0000", CultureInfo.InvariantCulture)));
        }

        Console.Write(table);
        return 0;
    }
}
