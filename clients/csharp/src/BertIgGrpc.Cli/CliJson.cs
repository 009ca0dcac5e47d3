using Google.Protobuf;

namespace BertIgGrpc.Cli;

/// <summary>JSON output in the proto3 JSON mapping, so other tools (and other languages' clients) read the same shape.</summary>
public static class CliJson
{
    private static readonly JsonFormatter Formatter = new(
        JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithIndentation());

    private static readonly JsonFormatter LineFormatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary>Formats a message, default values included, on one line (JSON Lines, for several results).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The JSON text.</returns>
    public static string FormatLine(IMessage message) => LineFormatter.Format(message);

    /// <summary>Formats a message, default values included, indented.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The JSON text.</returns>
    public static string Format(IMessage message) => Formatter.Format(message);
}
