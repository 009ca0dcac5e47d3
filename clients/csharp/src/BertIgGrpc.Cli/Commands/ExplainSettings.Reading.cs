using System.Globalization;
using BertIgGrpc.Cli.Rendering;
using BertIgGrpc.Client;
using BertIgGrpc.Contracts.V1;
using Spectre.Console;

namespace BertIgGrpc.Cli.Commands;

/// <summary>What <c>bertig explain</c>'s settings mean: the texts to read, the client options, the validation.</summary>
public sealed partial class ExplainSettings
{
    /// <summary>Gets the order of the listed words.</summary>
    /// <returns>The order (call <see cref="Validate"/> first).</returns>
    public AttributionSort ToSort() => Sort is not null && TryParseName<AttributionSort>(Sort, out var sort) ? sort : AttributionSort.Position;

    /// <summary>
    /// The texts to explain, in order: the TEXT arguments (<c>-</c> replaced by standard input), then each --file.
    /// Standard input and files are one text each, or one text per non-blank line with <see cref="Lines"/>.
    /// </summary>
    /// <param name="stdin">Standard input.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>Each text with a label saying where it came from (for headers and error messages).</returns>
    /// <exception cref="FileNotFoundException">A --file does not exist.</exception>
    public async Task<IReadOnlyList<(string Source, string Text)>> ReadTextsAsync(TextReader stdin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        var texts = new List<(string, string)>();
        void AddContent(string source, string content)
        {
            if (!Lines)
            {
                // The final newline of a file or of `echo` is not part of the text.
                texts.Add((source, content.TrimEnd('\r', '\n')));
                return;
            }

            var lines = content.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].TrimEnd('\r');
                if (!string.IsNullOrWhiteSpace(line))
                {
                    texts.Add(($"{source}:{i + 1}", line));
                }
            }
        }

        for (var i = 0; i < Texts.Length; i++)
        {
            if (Texts[i] is StdinArgument or StdinToken)
            {
                AddContent("stdin", await stdin.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
            }
            else
            {
                texts.Add(($"argument {i + 1}", Texts[i]));
            }
        }

        foreach (var file in Files)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"--file: '{file}' does not exist.", file);
            }

            AddContent(file, await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
        }

        return texts;
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
            TextPair = TextPair == StdinToken ? StdinArgument : TextPair,
            TargetIndex = targetIndex,
            TargetLabel = targetLabel,
            Steps = Steps,
            Method = Method is null ? null : TryParseName<IntegrationMethod>(Method, out var m) ? m : null,
            Baseline = Baseline is null ? null : TryParseName<Baseline>(Baseline, out var b) ? b : null,
            LongText = ToLongText(),
            WindowStride = WindowStride,
            AllTargets = AllTargets,
            Faithfulness = Faithfulness,
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

        if (Sort is not null && !TryParseName<AttributionSort>(Sort, out _))
        {
            return ValidationResult.Error($"--sort: '{Sort}' is not one of {Names<AttributionSort>()}.");
        }

        if (Top is < 1)
        {
            return ValidationResult.Error($"--top: must be at least 1 (was {Top}).");
        }

        if (Texts.Length == 0 && Files.Length == 0)
        {
            return ValidationResult.Error("Give a TEXT to explain, - to read standard input, or --file PATH.");
        }

        if (Texts.Count(t => t is StdinArgument or StdinToken) > 1)
        {
            return ValidationResult.Error("- (standard input) can be given once.");
        }

        if (Html is not null && (Lines || Texts.Length + Files.Length > 1))
        {
            return ValidationResult.Error("--html: writes the page of one text; give a single TEXT, - or --file.");
        }

        return ValidationResult.Success();
    }
}
