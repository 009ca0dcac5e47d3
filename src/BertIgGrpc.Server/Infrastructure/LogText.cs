using System.Globalization;
using System.Text;

namespace BertIgGrpc.Server.Infrastructure;

/// <summary>Makes request-supplied text safe for a log line: control characters (newlines, ANSI escapes) are written as <c>\uXXXX</c>.</summary>
internal static class LogText
{
    /// <summary>Maximum characters of request text kept in a log line.</summary>
    public const int MaxLength = 512;

    /// <summary>Returns <paramref name="text"/> with every control or format character escaped, cut to <see cref="MaxLength"/>.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var cut = text.Length > MaxLength ? text[..MaxLength] : text;
        if (!cut.Any(NeedsEscape))
        {
            return cut.Length == text.Length ? text : cut + "...";
        }

        var builder = new StringBuilder(cut.Length + 16);
        foreach (var c in cut)
        {
            if (NeedsEscape(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return cut.Length == text.Length ? builder.ToString() : builder.Append("...").ToString();
    }

    private static bool NeedsEscape(char c)
        => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}

/// <summary>Lets at most a few log entries through per interval and counts the ones it held back.</summary>
internal sealed class LogRateLimiter(int entries, TimeSpan interval)
{
    private readonly Lock _lock = new();
    private long _windowStart = long.MinValue;
    private int _written;
    private long _suppressed;

    /// <summary>Returns true when an entry may be written now, with the number held back before it.</summary>
    public bool TryAcquire(out long suppressed)
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            if (now - _windowStart >= (long)interval.TotalMilliseconds)
            {
                _windowStart = now;
                _written = 0;
            }

            if (_written < entries)
            {
                _written++;
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            suppressed = 0;
            return false;
        }
    }
}
