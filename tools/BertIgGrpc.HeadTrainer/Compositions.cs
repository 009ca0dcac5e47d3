using System.Globalization;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// Phrase-level training sentences built from the lexicon's adjective-like words and <see cref="Phrases"/>: negation
/// in its usual scopes (label flipped), "X, but Y" / "although X, Y" contrasts where the second clause decides,
/// comparisons with other films, intensifiers, and stock review idioms. The lexicon sentences teach which words
/// carry sentiment; these teach how a review's structure turns them.
/// </summary>
internal static class Compositions
{
    /// <summary>Group ids of idiom sentences start here, above any lexicon entry index.</summary>
    public const int IdiomGroupBase = 1_000_000;

    internal static readonly string[] Aspects =
    [
        "the acting", "the plot", "the script", "the soundtrack", "the pacing", "the dialogue", "the cinematography",
        "the ending", "the cast", "the direction", "the production design", "the humor", "the story", "the main character", "the score",
        "the camera work", "the editing", "the lead performance", "the first half", "the finale", "the premise", "the writing",
    ];

    // The trimmings of a film: praise or blame of one of these, set against the core (story, acting, ...), does not decide a
    // review ("the plot is predictable, but the soundtrack is wonderful" is a negative review with a consolation). Used by
    // Build with majorAspects.
    internal static readonly HashSet<string> MinorAspects = new(StringComparer.Ordinal)
    {
        "the soundtrack", "the cinematography", "the production design", "the score", "the camera work", "the editing",
    };

    // Adjective-like words for "is X" / "not as X as": stricter than TrainingSet's endings (no adverbs, comparatives or nouns).
    private static readonly string[] StrictEndings = ["ful", "ous", "ive", "able", "ible", "ic", "al", "less", "ent", "ant", "ing", "ed", "y"];

    private static readonly string[] NotAdjectiveEndings = ["ly", "ity", "ty", "ry", "gy", "phy", "cy", "ism", "ment", "ness"];

    // Short review adjectives the endings miss; used only where the lexicon rates them.
    private static readonly HashSet<string> CommonAdjectives = new(StringComparer.Ordinal)
    {
        "good", "great", "bad", "dull", "poor", "weak", "fun", "nice", "fine", "superb", "awful", "lame", "bland", "smart", "fresh",
        "stale", "cheap", "dumb", "tense", "warm", "cool", "sweet", "sharp", "brave", "rich", "flat", "sour", "sick", "vile", "cute",
        "grand", "solid", "vivid", "rigid", "stupid", "tepid", "insipid", "lucid", "splendid", "sordid", "trite", "inept", "absurd",
        "bold", "clever", "mediocre", "divine", "sublime", "gross", "crude", "false", "fake", "hollow", "obscene", "ugly", "mean", "silly", "lovely", "lively", "friendly", "smelly", "costly", "heavenly",
    };

    internal static readonly string[] Boosters =
        ["", "", "", "very ", "really ", "truly ", "utterly ", "incredibly ", "so ", "genuinely ", "thoroughly ", "remarkably "];

    // {0} = aspect, {1} = adjective (with booster).
    internal static readonly string[] Clauses =
        ["{0} is {1}", "{0} was {1}", "{0} feels {1}", "{0} turned out {1}", "{0} is just {1}", "{0} seemed {1}"];

    // {0} = adjective: verdicts on the whole film.
    internal static readonly string[] Verdicts =
        ["the movie is {0}", "the film as a whole is {0}", "overall it is {0}", "the result is {0}", "in the end it's {0}", "the whole thing feels {0}"];

    // {0} = aspect, {1} = adjective; label flipped.
    private static readonly string[] NegatedClauses =
    [
        "{0} is not {1}.", "{0} isn't {1} at all.", "{0} was never {1}.", "Nobody would call {0} {1}.", "{0} is far from {1}.",
        "I wouldn't say {0} is {1}.", "{0} is hardly {1}.", "It's not {1}, not even a little.", "Not {1} in the slightest.",
        "{0} never once felt {1}.", "There's nothing {1} about it.", "I didn't find {0} {1}.",
    ];

    // {0} = clause A (first), {1} = clause B (decides the label).
    internal static readonly string[] Contrasts =
    [
        "{0}, but {1}.", "{0}, but overall {1}.", "Although {0}, {1}.", "{0}; however, {1}.", "{0}, yet {1}.",
        "While {0}, {1}.", "Sure, {0}, but {1}.", "{0}. Still, {1}.", "Even though {0}, {1}.", "{0}, though in the end {1}.",
    ];

    internal static readonly string[] Others =
    [
        "the original", "the first film", "the book", "its predecessor", "the last sequel", "the director's previous film",
        "most movies this year", "the remake", "the trailer", "the other films in the series", "the animated version",
        "anything else in theaters", "the TV show", "the studio's last release",
    ];

    // {0} = other film, {1} = positive adjective. Item2: label.
    private static readonly (string Template, int Label)[] Comparisons =
    [
        ("Better than {0}.", 1), ("Far better than {0}.", 1), ("Even more {1} than {0}.", 1), ("More {1} than {0}.", 1),
        ("Every bit as {1} as {0}.", 1), ("It outdoes {0} in every way.", 1), ("It improves on {0}.", 1),
        ("A clear step up from {0}.", 1), ("It makes {0} look tame.", 1), ("Superior to {0}.", 1),
        ("Worse than {0}.", 0), ("Much worse than {0}.", 0), ("Less {1} than {0}.", 0), ("Not as {1} as {0}.", 0),
        ("Nowhere near as {1} as {0}.", 0), ("Not half as {1} as {0}.", 0), ("A big step down from {0}.", 0),
        ("It can't hold a candle to {0}.", 0), ("Inferior to {0} in every way.", 0), ("It lacks everything that made {0} {1}.", 0),
    ];

    /// <summary>Builds the phrase-level sentences; the same lexicon and seed give the same list in the same order.</summary>
    /// <remarks>
    /// With <paramref name="majorAspects"/>, a contrast of two aspects where the deciding clause praises or blames one of
    /// <see cref="MinorAspects"/> and the other clause one of the core takes the core clause's label instead (the same
    /// sentences otherwise, drawn in the same order).
    /// </remarks>
    /// <para>
    /// With <paramref name="topics"/>, one sentence for about half the lexicon's single words that are not adjective-like
    /// ("love", "war", "romance", "grief"), as the subject of a film judged by a lexicon adjective of either sign, chosen
    /// at random ("an insipid film about love", "a tender film about grief"): the subject matter is not the verdict. The
    /// lexicon sentences rate such words by their own valence ("The movie was romance."); these teach that a film about
    /// them can go either way. Drawn from their own seeded generator, after every other sentence.
    /// </para>
    /// <para>
    /// With <paramref name="telegraphicExclude"/> (<c>--telegraphic</c>), one review in noun phrases per lexicon adjective
    /// that reads as one before a noun: one or two phrases, then "but" and one phrase of the other sign, which decides
    /// unless <paramref name="majorAspects"/> and it is about a trimming while the first are about the core ("sharp
    /// writing, but a dull ending"). None whose word set overlaps one of <paramref name="telegraphicExclude"/>'s by 0.6
    /// or more. Drawn from their own seeded generator, after every other sentence.
    /// </para>
    public static List<Example> Build(IReadOnlyList<(string Term, double Score)> entries, int seed, ISet<string> exclude, bool majorAspects = false, bool topics = false, IReadOnlyCollection<string>? telegraphicExclude = null)
    {
        var random = new Random(seed + 1);
        var adjectives = Adjectives(entries);
        var positive = adjectives.Where(a => a.Score > 0).ToList();
        var negative = adjectives.Where(a => a.Score < 0).ToList();
        var examples = new List<Example>();
        void Add(string text, int label, int group, double weight)
        {
            text = char.ToUpperInvariant(text[0]) + text[1..];
            if (!exclude.Contains(text.ToLowerInvariant()))
            {
                examples.Add(new Example(text, label, group, weight));
            }
        }

        foreach (var (term, score, index) in adjectives)
        {
            var label = score > 0 ? 1 : 0;
            var other = label == 1 ? negative : positive;
            var opposite = other[random.Next(other.Count)].Term;
            string? lastAspect = null;
            string Clause(string adjective)
            {
                var clause = Clauses[random.Next(Clauses.Length)];
                lastAspect = Aspects[random.Next(Aspects.Length)];
                return F(clause, lastAspect, Boosters[random.Next(Boosters.Length)] + adjective);
            }

            // Negation scope: the adjective is negated, so the sentence reads the other way.
            Add(F(NegatedClauses[random.Next(NegatedClauses.Length)], Aspects[random.Next(Aspects.Length)], term), 1 - label, index, 1.0);

            // Contrast: this word after "but" decides; and this word before "but" is overruled (with majorAspects, not
            // when the deciding clause is about a trimming and the other about the core).
            foreach (var (first, second, secondLabel) in new[] { (opposite, term, label), (term, opposite, 1 - label) })
            {
                var template = Contrasts[random.Next(Contrasts.Length)];
                var a = Clause(first);
                var aspectA = lastAspect;
                string b;
                string? aspectB = null;
                if (random.Next(2) == 0)
                {
                    b = Clause(second);
                    aspectB = lastAspect;
                }
                else
                {
                    b = F(Verdicts[random.Next(Verdicts.Length)], second);
                }

                Add(F(template, a, b), majorAspects && aspectB is not null && MinorAspects.Contains(aspectB) && !MinorAspects.Contains(aspectA!) ? 1 - secondLabel : secondLabel, index, 1.0);
            }

            // Comparisons use positive adjectives ("not as gripping as", "more gripping than").
            if (label == 1)
            {
                var (template, comparisonLabel) = Comparisons[random.Next(Comparisons.Length)];
                Add(F(template, Others[random.Next(Others.Length)], term), comparisonLabel, index, 1.0);
            }
        }

        // Idioms: each in a few frames, plain and after a contrast with an opposite clause.
        var idioms = Phrases.Idioms;
        for (var i = 0; i < idioms.Count; i++)
        {
            var (frame, label) = idioms[i];
            var other = label == 1 ? negative : positive;
            foreach (var subject in Phrases.Subjects.OrderBy(_ => random.Next()).Take(4))
            {
                Add(F(frame, subject) + ".", label, IdiomGroupBase + i, 1.0);
            }

            var clause = F(Clauses[random.Next(Clauses.Length)], Aspects[random.Next(Aspects.Length)], other[random.Next(other.Count)].Term);
            Add(F(Contrasts[random.Next(Contrasts.Length)], clause, F(frame, "the movie")), label, IdiomGroupBase + i, 1.0);
            Add(F(Contrasts[random.Next(Contrasts.Length)], F(frame, "the movie"), F(Verdicts[random.Next(Verdicts.Length)], other[random.Next(other.Count)].Term)), 1 - label, IdiomGroupBase + i, 1.0);
        }

        if (topics)
        {
            var topicRandom = new Random(seed + 7);
            var adjectiveTerms = adjectives.Select(a => a.Term).ToHashSet(StringComparer.Ordinal);
            var words = entries.Where(e => Math.Abs(e.Score) >= 2).Select((e, i) => (e.Term, Index: i))
                .Where(e => !adjectiveTerms.Contains(e.Term) && e.Term.Length >= 4 && e.Term.All(char.IsAsciiLetterLower)
                    && !e.Term.EndsWith("ly", StringComparison.Ordinal)).ToList();
            var judgingPositive = positive.Where(Judging).ToList();
            var judgingNegative = negative.Where(Judging).ToList();
            foreach (var (word, index) in words)
            {
                if (topicRandom.Next(2) == 0)
                {
                    continue;
                }

                var label = topicRandom.Next(2);
                var judged = label == 1 ? judgingPositive : judgingNegative;
                var adjective = judged[topicRandom.Next(judged.Count)].Term;
                var frame = TopicFrames[topicRandom.Next(TopicFrames.Length)];
                var article = "aeiou".Contains(adjective[0], StringComparison.Ordinal) ? "an" : "a";
                Add(F(frame, article, adjective, word), label, index, 1.0);
            }
        }

        if (telegraphicExclude is not null)
        {
            // Drawn after every other sentence from their own generator, so the sentences above stay the same.
            var telegraphicRandom = new Random(seed + 11);
            var nearDuplicates = new Constructions.NearDuplicates(telegraphicExclude);
            var core = Aspects.Where(a => !MinorAspects.Contains(a)).ToArray();
            var minor = MinorAspects.Order(StringComparer.Ordinal).ToArray();
            string Noun(bool minorOne) => (minorOne ? minor[telegraphicRandom.Next(minor.Length)] : core[telegraphicRandom.Next(core.Length)])["the ".Length..];
            string Phrase(string adjective, string noun, bool article)
            {
                var booster = Boosters[telegraphicRandom.Next(Boosters.Length)];
                var words = booster + adjective + " " + noun;
                return article && CountableAspects.Contains(noun) ? ("aeiou".Contains(words[0], StringComparison.Ordinal) ? "an " : "a ") + words : words;
            }

            // Words that read as adjectives before a noun: not the participles and -al/-ant/-ent words the lexicon rates weakly
            // ("smuggling pacing", "contaminant script").
            var pool = adjectives.Where(a => CommonAdjectives.Contains(a.Term) || !ParticipleLike.Any(a.Term.EndsWith) || Math.Abs(a.Score) >= 3).ToList();
            var poolPositive = pool.Where(a => a.Score > 0).ToList();
            var poolNegative = pool.Where(a => a.Score < 0).ToList();
            foreach (var (term, score, index) in pool)
            {
                var label = score > 0 ? 1 : 0;
                var same = label == 1 ? poolPositive : poolNegative;
                var other = label == 1 ? poolNegative : poolPositive;
                // This word is in the first part (overruled unless the major-aspect rule applies) or decides after "but".
                var termFirst = telegraphicRandom.Next(2) == 0;
                var firstLabel = termFirst ? label : 1 - label;
                var firstWords = termFirst ? same : other;
                var secondWords = termFirst ? other : same;
                var firstMinor = telegraphicRandom.Next(4) == 0;
                var secondMinor = telegraphicRandom.Next(2) == 0;
                var first = Phrase(termFirst ? term : firstWords[telegraphicRandom.Next(firstWords.Count)].Term, Noun(firstMinor), telegraphicRandom.Next(3) == 0);
                if (telegraphicRandom.Next(2) == 0)
                {
                    first += ", " + Phrase(firstWords[telegraphicRandom.Next(firstWords.Count)].Term, Noun(firstMinor), false);
                }

                var second = Phrase(termFirst ? secondWords[telegraphicRandom.Next(secondWords.Count)].Term : term, Noun(secondMinor), telegraphicRandom.Next(2) == 0);
                var text = F(TelegraphicContrasts[telegraphicRandom.Next(TelegraphicContrasts.Length)], first, second);
                var decidedByFirst = majorAspects && secondMinor && !firstMinor;
                if (!nearDuplicates.Matches(text))
                {
                    Add(text, decidedByFirst ? firstLabel : 1 - firstLabel, index, 1.0);
                }
            }
        }

        return examples;

        // Judging adjectives that read as a verdict: the common review words and the strongly rated ones that are not participles.
        static bool Judging((string Term, double Score, int Index) a) =>
            CommonAdjectives.Contains(a.Term) || (Math.Abs(a.Score) >= 3 && !a.Term.EndsWith("ed", StringComparison.Ordinal) && !a.Term.EndsWith("ing", StringComparison.Ordinal));
    }

    // Telegraphic reviews: {0} = one or two "adjective noun" phrases, {1} = one against them, which decides.
    private static readonly string[] TelegraphicContrasts =
    [
        "{0}, but {1}.", "{0}, yet {1}.", "{0}. But {1}.", "{0}, but {1} overall.", "{0} - but {1}.",
    ];

    private static readonly string[] ParticipleLike = ["ing", "ed", "al", "ant", "ent"];

    // Aspects (without "the") that take "a": "a dull ending", but not "a dull acting".
    private static readonly HashSet<string> CountableAspects = new(StringComparer.Ordinal)
    {
        "plot", "script", "soundtrack", "ending", "cast", "story", "main character", "score", "lead performance", "first half", "finale", "premise",
    };

    // {0} = article, {1} = the judging adjective, {2} = the subject.
    private static readonly string[] TopicFrames =
    [
        "{0} {1} film about {2}.", "{0} {1} movie about {2}.", "{0} {1} story of {2}.", "{0} {1} drama about {2}.",
        "{0} {1} comedy about {2}.", "{0} {1} tale of {2}.", "{0} {1} look at {2}.", "It's {0} {1} film about {2}.",
    ];

    /// <summary>The lexicon's adjective-like single words, with their index as in TrainingSet (entries rated 2 or more in size), so cross-validation groups match.</summary>
    public static List<(string Term, double Score, int Index)> Adjectives(IReadOnlyList<(string Term, double Score)> entries) =>
        [.. entries.Where(e => Math.Abs(e.Score) >= 2).Select((e, i) => (e.Term, e.Score, Index: i))
            .Where(e => !e.Term.Contains(' ', StringComparison.Ordinal) && !e.Term.Contains('\'', StringComparison.Ordinal)
                && (CommonAdjectives.Contains(e.Term) || (StrictEndings.Any(e.Term.EndsWith) && !NotAdjectiveEndings.Any(e.Term.EndsWith))))];

    internal static string F(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
