using System.ComponentModel;
using System.Globalization;
using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli.Commands;

/// <summary>Settings of <c>bertig explain</c>.</summary>
public sealed partial class ExplainSettings : LongTextSettings
{
    /// <summary>The argument that stands for standard input.</summary>
    public const string StdinArgument = "-";

    /// <summary>What <see cref="BertigApp"/> passes in place of <see cref="StdinArgument"/> (the parser refuses a lone "-").</summary>
    public const string StdinToken = "\u0000stdin";

    /// <summary>Gets or sets the texts to explain; <c>-</c> reads standard input.</summary>
    [CommandArgument(0, "[TEXT]")]
    [Description("Texts to explain, one explanation each, in order; - reads standard input")]
    public string[] Texts { get; set; } = [];

    /// <summary>Gets or sets files whose contents are texts to explain (after the TEXT arguments).</summary>
    [CommandOption("-f|--file <PATH>")]
    [Description("Explain the contents of PATH (repeatable; after the TEXT arguments)")]
    public string[] Files { get; set; } = [];

    /// <summary>Gets or sets whether each line of standard input and of --file is a text of its own.</summary>
    [CommandOption("--lines")]
    [Description("Each non-blank line of standard input and --file files is a separate text")]
    public bool Lines { get; set; }

    /// <summary>Gets or sets the number of words listed (those with the largest absolute attribution).</summary>
    [CommandOption("-k|--top <K>")]
    [Description("List only the K words with the largest |attribution|")]
    public int? Top { get; set; }

    /// <summary>Gets or sets the order of the listed words.</summary>
    [CommandOption("--sort <ORDER>")]
    [Description("Order of the listed words: position (default), attribution (most positive first), magnitude (largest |attribution| first)")]
    public string? Sort { get; set; }

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

    /// <summary>Gets or sets whether every class is explained as well.</summary>
    [CommandOption("--all-targets")]
    [Description("Also explain every class: one row of attributions per class")]
    public bool AllTargets { get; set; }

    /// <summary>Gets or sets whether ERASER faithfulness scores are computed.</summary>
    [CommandOption("--faithfulness")]
    [Description("Also measure faithfulness: comprehensiveness and sufficiency of the ranking against random rankings")]
    public bool Faithfulness { get; set; }

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
    [Description("Colour whole words instead of WordPiece tokens (terminal and --html)")]
    public bool Words { get; set; }

    /// <summary>
    /// Parses an enum name leniently: case, '_' and '-' are ignored (riemann_left = RiemannLeft). The contract's
    /// UNSPECIFIED values are not choices: leaving the option out selects the server's default.
    /// </summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="value">The user's text.</param>
    /// <param name="result">The value.</param>
    /// <returns>Whether it matched a defined name.</returns>
    public static bool TryParseName<TEnum>(string value, out TEnum result)
        where TEnum : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(value);
        var key = value.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        foreach (var candidate in Choices<TEnum>())
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

    /// <summary>The choices of an enum as the options spell them (<c>riemann_left</c>), comma-separated.</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <returns>The names.</returns>
    internal static string Names<TEnum>()
        where TEnum : struct, Enum => string.Join(", ", Choices<TEnum>().Select(v => SnakeCase(v.ToString())));

    private static IEnumerable<TEnum> Choices<TEnum>()
        where TEnum : struct, Enum => Enum.GetValues<TEnum>().Where(v => v.ToString() != "Unspecified");

    // The proto value name without its enum prefix (INTEGRATION_METHOD_RIEMANN_LEFT) in lower case: riemann_left,
    // which is also Captum's spelling of the methods.
    private static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}

/// <summary>
/// <c>bertig explain TEXT...</c>: streams one explanation per text, in order. In a terminal: a live progress bar, the
/// summary, a legend, the coloured tokens and a table of per-word and per-token numbers. Otherwise (a pipe, a file):
/// the same numbers as plain aligned text.
/// </summary>
/// <param name="console">The console.</param>
public sealed class ExplainCommand(IAnsiConsole console) : ServerCommand<ExplainSettings>(console)
{
    /// <summary>Exit code when the texts cannot be read (a missing --file, nothing to explain).</summary>
    public const int InputErrorExitCode = 1;

    /// <inheritdoc />
    protected override async Task<int> RunAsync(BertIgClient client, ExplainSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        IReadOnlyList<(string Source, string Text)> texts;
        try
        {
            texts = await settings.ReadTextsAsync(System.Console.In, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return InputErrorExitCode;
        }

        if (texts.Count == 0)
        {
            Console.MarkupLine("[red]Nothing to explain: standard input and the --file files hold no non-blank line.[/]");
            return InputErrorExitCode;
        }

        var options = settings.ToExplainOptions();
        for (var i = 0; i < texts.Count; i++)
        {
            var (source, text) = texts[i];
            if (texts.Count > 1 && !settings.Json)
            {
                WriteHeader(i + 1, texts.Count, source, text);
            }

            var result = await ExplainOneAsync(client, text, options, settings, texts.Count, cancellationToken).ConfigureAwait(false);
            if (settings.Html is { } path)
            {
                var html = ExplainHtmlRenderer.Render(
                    result,
                    new ExplainHtmlOptions { TrueLabel = settings.TrueLabel, UseWords = settings.Words, Text = text });
                await File.WriteAllTextAsync(path, html, cancellationToken).ConfigureAwait(false);
                if (!settings.Json)
                {
                    Console.MarkupLineInterpolated($"Wrote [link]{Path.GetFullPath(path)}[/]");
                }
            }
        }

        return 0;
    }

    private async Task<ExplainResult> ExplainOneAsync(
        BertIgClient client, string text, ExplainOptions options, ExplainSettings settings, int count, CancellationToken cancellationToken)
    {
        if (settings.Json)
        {
            // No progress bar: standard output carries only JSON (one indented document, or one line per text).
            var json = await client.ExplainAsync(text, options, null, cancellationToken).ConfigureAwait(false);
            WriteRaw(count == 1 ? CliJson.Format(json) : CliJson.FormatLine(json));
            return json;
        }

        // Validation errors surface here, before the progress bar is drawn.
        var events = client.StreamExplain(text, options, cancellationToken);
        var result = Console.Profile.Capabilities.Interactive
            ? await Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(ctx => FollowAsync(ctx.AddTask("Integrated gradients", autoStart: true, maxValue: 1), events, cancellationToken))
                .ConfigureAwait(false)
            // Redirected output gets no bar: Spectre's fallback would print a stale "0%" line into logs and pipes.
            : await FollowAsync(null, events, cancellationToken).ConfigureAwait(false);
        var rows = AttributionRows.Build(result, settings.ToSort(), settings.Top);
        if (!Console.Profile.Out.IsTerminal)
        {
            // A pipe or a file: colours would be lost, so the numbers carry the explanation.
            Console.Profile.Out.Writer.Write(PlainTextRenderer.Render(result, rows));
            Console.Profile.Out.Writer.Flush();
            return result;
        }

        Console.Write(TerminalRenderer.Summary(result));
        Console.WriteLine();
        Console.Write(TerminalRenderer.Legend(result));
        Console.WriteLine();
        var tokens = settings.Words && result.Words.Count > 0 ? result.Words : result.Tokens;
        Console.Write(TerminalRenderer.Tokens(tokens));
        Console.WriteLine();
        Console.Write(TerminalRenderer.Table(rows));
        foreach (var section in TerminalRenderer.Sections(result, settings.Words))
        {
            Console.Write(section);
            Console.WriteLine();
        }

        return result;
    }

    private void WriteHeader(int number, int count, string source, string text)
    {
        var preview = AttributionText.Clean(text.Length > 60 ? text[..57] + "..." : text);
        var header = string.Create(CultureInfo.InvariantCulture, $"text {number}/{count} ({source}): {preview}");
        if (Console.Profile.Out.IsTerminal)
        {
            Console.Write(new Rule(Markup.Escape(header)).LeftJustified());
        }
        else
        {
            Console.Profile.Out.Writer.Write((number > 1 ? "\n" : string.Empty) + "== " + header + "\n");
        }
    }

    /// <summary>Reads the stream to its result, moving <paramref name="task"/> (when there is a bar) with each progress event.</summary>
    private static async Task<ExplainResult> FollowAsync(ProgressTask? task, IAsyncEnumerable<ExplainResponse> events, CancellationToken cancellationToken)
    {
        task?.IsIndeterminate = true;
        await foreach (var ev in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (ev.EventCase)
            {
                case ExplainResponse.EventOneofCase.Progress when task is not null:
                    task.IsIndeterminate = false;
                    task.MaxValue = Math.Max(1, ev.Progress.StepsTotal);
                    task.Value = ev.Progress.StepsDone;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"Integrated gradients {ev.Progress.StepsDone}/{ev.Progress.StepsTotal}");
                    break;
                case ExplainResponse.EventOneofCase.Result:
                    if (task is not null)
                    {
                        task.IsIndeterminate = false;
                        task.Value = task.MaxValue;
                        task.StopTask();
                    }

                    return ev.Result;
            }
        }

        throw new InvalidOperationException("The server closed the Explain stream without a result event.");
    }
}
