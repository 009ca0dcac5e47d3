namespace BertIgGrpc.HeadTrainer;

/// <summary>One labelled training sentence. <see cref="Group"/> is the lexicon entry it came from (for grouped cross-validation).</summary>
internal sealed record Example(string Text, int Label, int Group, double Weight);

/// <summary>
/// Turns lexicon entries into short movie-review sentences. Ratings under 2 in size are dropped (AFINN rates words such
/// as "comedy" or "battle" ±1, which say nothing about a review). Negated templates flip the label and are only used
/// for adjective-like words, where "not X" reads as English.
/// </summary>
internal static class TrainingSet
{
    private static readonly string[] Affirmative =
    [
        "{0}.",
        "The movie was {0}.",
        "This film is {0}.",
        "Honestly, it was {0}.",
        "I found the whole thing {0}.",
        "What a {0} movie.",
        "The story is {0}.",
        "The acting was {0}.",
        "Overall: {0}.",
        "{0}, from start to finish.",
        "My verdict on this film: {0}.",
        "A {0} film.",
        "The ending felt {0}.",
        "It's a {0} story.",
        "The performances are {0}.",
        "Watching this movie was {0}.",
        "The plot was {0}.",
        "The script is {0}.",
        "The pacing felt {0}.",
        "The jokes were {0}.",
        "Sitting through it was {0}.",
        "The direction is {0}.",
        "I thought the film was {0}.",
        "Frankly, the whole movie is {0}.",
        "The cast is {0}.",
    ];

    private static readonly string[] Negated =
    [
        "The movie was not {0}.",
        "This film is not {0} at all.",
        "It wasn't {0}.",
        "I would not call this movie {0}.",
        "Nothing about it was {0}.",
        "The story never felt {0}.",
    ];

    private static readonly string[] Lists =
    [
        "A {0}, {1}, and {2} movie.",
        "{0} and {1}.",
        "The film is {0}, {1} and {2}.",
        "It's a {0} and {1} story.",
    ];

    private static readonly string[] AdjectiveEndings =
        ["ful", "ous", "ive", "able", "ible", "ic", "al", "ing", "less", "ent", "ant", "y", "ed", "ish", "ile", "ate", "est", "er"];

    /// <summary>Builds the training sentences. The same lexicon and seed give the same list in the same order.</summary>
    public static List<Example> Build(IReadOnlyList<(string Term, double Score)> entries, int seed, int templatesPerTerm)
    {
        var random = new Random(seed);
        var terms = entries.Where(e => Math.Abs(e.Score) >= 2).ToList();
        var byLabel = terms.Select((t, i) => (t.Term, Label: t.Score > 0 ? 1 : 0, Index: i)).ToLookup(t => t.Label);
        var examples = new List<Example>();
        for (var i = 0; i < terms.Count; i++)
        {
            var (term, score) = terms[i];
            var label = score > 0 ? 1 : 0;
            // Stronger words are surer evidence: weight 1 at |score| 2, up to 1.6 at 5.
            var weight = 1.0 + (0.2 * (Math.Abs(score) - 2));
            foreach (var template in Pick(random, Affirmative, templatesPerTerm))
            {
                examples.Add(new Example(Capitalize(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, term)), label, i, weight));
            }

            if (!term.Contains(' ', StringComparison.Ordinal) && IsAdjectiveLike(term))
            {
                var template = Negated[random.Next(Negated.Length)];
                examples.Add(new Example(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, term), 1 - label, i, 0.5 * weight));
            }

            // Lists of same-polarity words, as reviews often pile adjectives up.
            var same = byLabel[label].ToList();
            var list = Lists[random.Next(Lists.Length)];
            var partners = new object[] { term, same[random.Next(same.Count)].Term, same[random.Next(same.Count)].Term };
            examples.Add(new Example(Capitalize(string.Format(System.Globalization.CultureInfo.InvariantCulture, list, partners)), label, i, weight));
        }

        return examples;
    }

    /// <summary>Whether a word ends like an English adjective, so "not X" and "X than" read as English.</summary>
    public static bool IsAdjectiveLike(string term) => AdjectiveEndings.Any(term.EndsWith);

    private static IEnumerable<string> Pick(Random random, string[] templates, int count)
    {
        var order = templates.ToArray();
        random.Shuffle(order);
        return order.Take(count);
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
