using System.ComponentModel;
using System.Globalization;
using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Settings of <c>bertig explain</c>.</summary>
public sealed class ExplainSettings : ServerSettings
{
    /// <summary>Gets or sets the text to explain.</summary>
    [CommandArgument(0, "<TEXT>")]
    [Description("The text to explain")]
    public string Text { get; set; } = string.Empty;

    /// <summary>Gets or sets the model name.</summary>
    [CommandOption("-m|--model <NAME>")]
    [Description("Model name (default: the server's default model)")]
    public string? Model { get; set; }

    /// <summary>Gets or sets the target class: an index or a label.</summary>
    [CommandOption("-t|--target <CLASS>")]
    [Description("Class to explain, as index or label (default: the predicted class)")]
    public string? Target { get; set; }

    /// <summary>Gets or sets the number of integration steps.</summary>
    [CommandOption("-n|--steps <N>")]
    [Description("Integration steps (default 50)")]
    public int? Steps { get; set; }

    /// <summary>Gets or sets the integration method name.</summary>
    [CommandOption("--method <METHOD>")]
    [Description("gauss_legendre (default), riemann_left, riemann_right, riemann_middle, riemann_trapezoid")]
    public string? Method { get; set; }

    /// <summary>Gets or sets the baseline name.</summary>
    [CommandOption("--baseline <BASELINE>")]
    [Description("pad (default), mask, unk, zero")]
    public string? Baseline { get; set; }

    /// <summary>Gets or sets the second segment.</summary>
    [CommandOption("--pair <TEXT>")]
    [Description("Second segment for sentence-pair models")]
    public string? TextPair { get; set; }

    /// <summary>Gets or sets whether long texts are cut.</summary>
    [CommandOption("--truncate")]
    [Description("Cut texts longer than the model's token limit")]
    public bool Truncate { get; set; }

    /// <summary>Gets or sets the HTML output path.</summary>
    [CommandOption("--html <FILE>")]
    [Description("Write a Captum-style HTML visualisation to FILE")]
    public string? Html { get; set; }

    /// <summary>Gets or sets the true label shown in the HTML page.</summary>
    [CommandOption("--true-label <LABEL>")]
    [Description("True label to show in the HTML page")]
    public string? TrueLabel { get; set; }

    /// <summary>Gets or sets whether whole words are shown instead of tokens.</summary>
    [CommandOption("--words")]
    [Description("Show whole words instead of WordPiece tokens")]
    public bool Words { get; set; }

    /// <summary>Parses an enum name leniently: case, '_' and '-' are ignored (riemann_left = RiemannLeft).</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="value">The user's text.</param>
    /// <param name="result">The value.</param>
    /// <returns>Whether it matched a defined name.</returns>
    public static bool TryParseName<TEnum>(string value, out TEnum result)
        where TEnum : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(value);
        var key = value.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(candidate.ToString(), key, StringComparison.OrdinalIgnoreCase))
            {
                result = candidate;
                return true;
            }
        }

        result = default;
        return false;
    }

    /// <summary>The client options of this explanation.</summary>
    /// <returns>The options (call <see cref="Validate"/> first).</returns>
    public ExplainOptions ToExplainOptions()
    {
        int? targetIndex = null;
        string? targetLabel = null;
        if (Target is not null)
        {
            if (int.TryParse(Target, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
            {
                targetIndex = index;
            }
            else
            {
                targetLabel = Target;
            }
        }

        return new ExplainOptions
        {
            Model = Model,
            TextPair = TextPair,
            TargetIndex = targetIndex,
            TargetLabel = targetLabel,
            Steps = Steps,
            Method = Method is null ? null : TryParseName<IntegrationMethod>(Method, out var m) ? m : null,
            Baseline = Baseline is null ? null : TryParseName<Baseline>(Baseline, out var b) ? b : null,
            Truncate = Truncate,
        };
    }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (Method is not null && !TryParseName<IntegrationMethod>(Method, out _))
        {
            return ValidationResult.Error($"--method: '{Method}' is not one of {Names<IntegrationMethod>()}.");
        }

        if (Baseline is not null && !TryParseName<Baseline>(Baseline, out _))
        {
            return ValidationResult.Error($"--baseline: '{Baseline}' is not one of {Names<Baseline>()}.");
        }

        return ValidationResult.Success();
    }

    private static string Names<TEnum>()
        where TEnum : struct, Enum => string.Join(", ", Enum.GetNames<TEnum>().Select(SnakeCase));

    // The proto spelling (RIEMANN_LEFT) in lower case, which is also Captum's spelling of the methods.
    private static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary><c>bertig explain TEXT</c>: streams an explanation with a live progress bar and shows coloured tokens.</summary>
/// <param name="console">The console.</param>
public sealed class ExplainCommand(IAnsiConsole console) : ServerCommand<ExplainSettings>(console)
{
    /// <inheritdoc />
    protected override async Task<int> RunAsync(BertIgClient client, ExplainSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        var options = settings.ToExplainOptions();
        ExplainResult result;
        if (settings.Json)
        {
            // No progress bar: standard output carries only the JSON document.
            result = await client.ExplainAsync(settings.Text, options, null, cancellationToken).ConfigureAwait(false);
            WriteRaw(CliJson.Format(result));
        }
        else
        {
            // Validation errors surface here, before the progress bar is drawn.
            var events = client.StreamExplain(settings.Text, options, cancellationToken);
            result = await Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(ctx => FollowAsync(ctx, events, cancellationToken))
                .ConfigureAwait(false);
            Console.Write(TerminalRenderer.Summary(result));
            Console.WriteLine();
            var tokens = settings.Words && result.Words.Count > 0 ? result.Words : result.Tokens;
            Console.Write(TerminalRenderer.Tokens(tokens));
            Console.WriteLine();
        }

        if (settings.Html is { } path)
        {
            var html = ExplainHtmlRenderer.Render(
                result,
                new ExplainHtmlOptions { TrueLabel = settings.TrueLabel, UseWords = settings.Words, Text = settings.Text });
            await File.WriteAllTextAsync(path, html, cancellationToken).ConfigureAwait(false);
            if (!settings.Json)
            {
                Console.MarkupLineInterpolated($"Wrote [link]{Path.GetFullPath(path)}[/]");
            }
        }

        return 0;
    }

    private static async Task<ExplainResult> FollowAsync(ProgressContext ctx, IAsyncEnumerable<ExplainEvent> events, CancellationToken cancellationToken)
    {
        var task = ctx.AddTask("Integrated gradients", autoStart: true, maxValue: 1);
        task.IsIndeterminate = true;
        await foreach (var ev in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (ev.EventCase == ExplainEvent.EventOneofCase.Progress)
            {
                task.IsIndeterminate = false;
                task.MaxValue = Math.Max(1, ev.Progress.StepsTotal);
                task.Value = ev.Progress.StepsDone;
                task.Description = string.Create(CultureInfo.InvariantCulture, $"Integrated gradients {ev.Progress.StepsDone}/{ev.Progress.StepsTotal}");
            }
            else if (ev.EventCase == ExplainEvent.EventOneofCase.Result)
            {
                task.IsIndeterminate = false;
                task.MaxValue = Math.Max(1, ev.Result.NSteps);
                task.Value = task.MaxValue;
                task.StopTask();
                return ev.Result;
            }
        }

        throw new InvalidOperationException("The server closed the Explain stream without a result event.");
    }
}
