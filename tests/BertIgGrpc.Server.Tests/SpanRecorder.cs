using System.Collections.ObjectModel;
using System.Diagnostics;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// The collection OpenTelemetry's in-memory exporter adds ended spans to, safe to read while the exporter adds
/// (the server ends spans on its own threads while a test looks).
/// </summary>
internal sealed class SpanRecorder : Collection<Activity>
{
    private readonly Lock _lock = new();

    /// <summary>A copy of the spans recorded so far.</summary>
    public Activity[] Snapshot()
    {
        lock (_lock)
        {
            return [.. Items];
        }
    }

    /// <summary>Waits until a span matching <paramref name="match"/> has been recorded, then returns every span so far.</summary>
    public async Task<Activity[]> WaitForAsync(Func<Activity, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var spans = Snapshot();
            if (spans.Any(match))
            {
                return spans;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No matching span within {timeout}; recorded: {string.Join(", ", spans.Select(s => s.DisplayName))}.");
            }

            await Task.Delay(20);
        }
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }

    protected override void ClearItems()
    {
        lock (_lock)
        {
            base.ClearItems();
        }
    }
}
