using static BertIgGrpc.HeadTrainer.Compositions;

namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// A second set of phrase-level sentences, in wider frames than <see cref="Compositions"/>: negation by quantifiers and
/// adverbs ("not a single X moment", "never once X", "nothing about the plot is X"; a negated negative word reads
/// positive, a negated positive one negative), fixed constructions with a slot ("couldn't ask for a better Y",
/// "exceeded my expectations", "more X than I expected", "the only good thing about it"), contrasts with more
/// connectives and lengths (the main clause decides, also when it comes first: "X, even though Y"), comparisons with
/// films and genres, and <see cref="Phrases.MoreIdioms"/> in several frames. Every frame is used with words of both
/// signs where the construction allows it, so the frame alone never gives the label away. A sentence too close to a
/// validation sentence (word-set overlap 0.6 or more) is dropped.
/// </summary>
internal static class Constructions
{
    /// <summary>Group ids of these sentences start here (above the lexicon's and the idioms').</summary>
    public const int GroupBase = 2_000_000;

    // {0} = aspect, {1} = adjective; the sentence reads the other way from the adjective.
    private static readonly string[] NoneFrames =
    [
        "Not a single {1} moment.", "Not one {1} scene in the whole film.", "There isn't a {1} minute in it.", "Never {1}, not even once.",
        "At no point is it {1}.", "Not once does it feel {1}.", "It is never {1}.", "{0} is never {1}.", "Nothing about {0} is {1}.",
        "There is nothing {1} in it at all.", "Not for a moment is {0} {1}.", "I didn't see a single {1} scene.", "No part of it is {1}.",
        "It never gets {1}.", "None of it is {1}.", "It is not {1} at all.", "Not a {1} frame in the whole movie.", "{0} is not {1} in the least.",
        "{0} never once turns {1}.", "It is anything but {1}.", "Hardly a {1} moment.", "Not a single scene is {1}.", "Nobody could call it {1}.",
        "It never feels {1}, not even for a minute.", "You won't find a {1} moment here.", "I can't name one {1} scene.",
    ];

    // How a viewer felt; used where the lexicon rates the word.
    private static readonly HashSet<string> ViewerWords = new(StringComparer.Ordinal)
    {
        "bored", "disappointed", "annoyed", "irritated", "frustrated", "confused", "depressed", "disgusted", "offended", "insulted",
        "unimpressed", "underwhelmed", "exhausted", "embarrassed", "thrilled", "delighted", "impressed", "amazed", "entertained",
        "captivated", "enchanted", "fascinated", "excited", "satisfied", "touched", "inspired", "charmed", "stunned", "dazzled", "moved",
        "amused", "enthralled", "riveted", "uplifted", "overjoyed", "pleased", "horrified", "appalled", "angry", "sad", "happy", "hooked",
    };

    // {0} = viewer word; the sentence reads the other way.
    private static readonly string[] NoneViewerFrames =
    [
        "I was never {0}.", "Not for a minute was I {0}.", "I never felt {0}.", "At no point was I {0}.", "I wasn't {0} even once.",
        "Not once was I {0}.", "I didn't feel {0} at any point.", "Nobody in the theater looked {0}.",
    ];

    // {0} = subject, {1} = adjective; the sentence reads as the adjective does.
    private static readonly string[] ViewerFrames =
        ["I was {1} the whole way through.", "I left the theater {1}.", "{0} left me {1}.", "I came out {1}.", "The audience was {1}."];

    private static readonly string[] Nouns =
        ["cast", "score", "script", "finale", "lead", "villain", "soundtrack", "director", "premise", "story", "opening scene", "ensemble", "climax"];

    // {0} = noun; Item2: the label.
    private static readonly (string Template, int Label)[] NounFrames =
    [
        ("You couldn't ask for a better {0}.", 1), ("I couldn't have asked for a better {0}.", 1), ("It's hard to imagine a better {0}.", 1),
        ("The {0} could not have been better.", 1), ("I can't imagine a better {0}.", 1), ("They couldn't have found a better {0}.", 1),
        ("You couldn't ask for a worse {0}.", 0), ("I couldn't have asked for a worse {0}.", 0), ("It's hard to imagine a worse {0}.", 0),
        ("The {0} could not have been worse.", 0), ("I can't imagine a worse {0}.", 0), ("They couldn't have found a worse {0}.", 0),
        ("The {0} is the only good thing about it.", 0), ("The {0} is the one bright spot in a dull film.", 0), ("Not even the {0} can save it.", 0),
        ("The {0} alone makes it worth seeing.", 1), ("The only weak thing about it is the {0}.", 1), ("Even the {0} is perfect.", 1),
        ("The {0} is the only bad thing about it.", 1), ("Not even a weak {0} can spoil it.", 1), ("Not even a great {0} can rescue it.", 0),
    ];

    // {0} = subject; Item2: the label.
    private static readonly (string Template, int Label)[] Expectations =
    [
        ("{0} exceeded all my expectations.", 1), ("{0} surpassed every expectation.", 1), ("{0} went far beyond what I hoped for.", 1),
        ("{0} lived up to every expectation.", 1), ("{0} was even better than I had hoped.", 1), ("{0} blew past my expectations.", 1),
        ("{0} fell short of my expectations.", 0), ("{0} failed to meet expectations.", 0), ("{0} didn't live up to expectations.", 0),
        ("{0} was a disappointment after all the hype.", 0), ("{0} was nowhere near what I hoped for.", 0), ("{0} was worse than I had feared.", 0),
    ];

    // {0} = subject, {1} = adjective, {2} = "hoped" for a positive one, "feared" for a negative one; Item2: true when the
    // sentence reads as the adjective does, false when the other way.
    private static readonly (string Template, bool Same)[] Degrees =
    [
        ("{0} was far more {1} than I expected.", true), ("{0} turned out much more {1} than I thought.", true), ("{0} was even more {1} than I {2}.", true),
        ("{0} was less {1} than I {2}.", false), ("{0} was not as {1} as I expected.", false), ("{0} was not nearly as {1} as I {2}.", false),
        ("{0} is every bit as {1} as people say.", true), ("{0} is nowhere near as {1} as people say.", false),
    ];

    private static readonly string[] Genres =
        ["thrillers", "comedies", "horror films", "sequels", "superhero movies", "romantic comedies", "dramas", "animated films", "remakes", "war films", "musicals", "westerns"];

    // {0} = other film, {1} = genre, {2} = positive adjective; Item2: the label.
    private static readonly (string Template, int Label)[] MoreComparisons =
    [
        ("Better than most {1} I've seen.", 1), ("It leaves {0} in the dust.", 1), ("It tops {0} easily.", 1), ("Better than {0} by a mile.", 1),
        ("Few {1} are this {2}.", 1), ("One of the most {2} {1} in years.", 1), ("As {2} as {0}, if not more so.", 1), ("{0} has nothing on it.", 1),
        ("This is what {0} should have been.", 1), ("Stronger than {0} in every department.", 1), ("A big improvement on {0}.", 1),
        ("It pales in comparison to {0}.", 0), ("It pales next to {0}.", 0), ("{0} was far better.", 0), ("Not a patch on {0}.", 0),
        ("Stick with {0} instead.", 0), ("I'd rather rewatch {0}.", 0), ("It can't match {0}.", 0), ("Worse than most {1} I've seen.", 0),
        ("Watch {0} instead.", 0), ("A poor copy of {0}.", 0), ("{0} did it much better.", 0), ("It doesn't hold up next to {0}.", 0),
    ];

    // {0} = clause that loses, {1} = clause that decides.
    private static readonly string[] MoreContrasts =
    [
        "{0}, but in the end {1}.", "{0}. But {1}.", "{0}, and yet {1}.", "Granted, {0}, but {1}.", "{0}; that said, {1}.",
        "{0}, but still {1}.", "Yes, {0}, but {1}.", "{0}, but all in all {1}.", "{1}, even though {0}.", "{1}, even if {0}.",
        "{1}, despite the fact that {0}.", "Okay, {0}. Even so, {1}.", "{0}, but make no mistake: {1}.", "It's true that {0}, but {1}.",
    ];

    /// <summary>Builds the sentences; the same lexicon, seed and validation sentences give the same list in the same order.</summary>
    public static List<Example> Build(IReadOnlyList<(string Term, double Score)> entries, int seed, IReadOnlyCollection<string> validation)
    {
        var random = new Random(seed + 2);
        var adjectives = Adjectives(entries);
        var positive = adjectives.Where(a => a.Score > 0).ToList();
        var negative = adjectives.Where(a => a.Score < 0).ToList();
        var near = new NearDuplicates(validation);
        var examples = new List<Example>();
        void Add(string text, int label, int group)
        {
            text = char.ToUpperInvariant(text[0]) + text[1..];
            if (!near.Matches(text))
            {
                examples.Add(new Example(text, label, group, 1.0));
            }
        }

        T Pick<T>(IReadOnlyList<T> list) => list[random.Next(list.Count)];
        string Clause(string adjective) => F(Pick(Clauses), Pick(Aspects), Pick(Boosters) + adjective);

        foreach (var (term, score, index) in adjectives)
        {
            var label = score > 0 ? 1 : 0;
            var other = label == 1 ? negative : positive;
            var opposite = Pick(other).Term;
            Add(F(Pick(NoneFrames), Pick(Aspects), term), 1 - label, index);
            if (ViewerWords.Contains(term))
            {
                Add(F(Pick(NoneViewerFrames), term), 1 - label, index);
                Add(F(Pick(ViewerFrames), Pick(Phrases.Subjects), term), label, index);
            }

            // The deciding clause is this word's (plain, or a verdict), the other clause the opposite word's or a negated one.
            var deciding = random.Next(2) == 0 ? Clause(term) : F(Pick(Verdicts), term);
            var losing = random.Next(3) == 0 ? Lower(F(Pick(NoneFrames), Pick(Aspects), Pick(label == 1 ? positive : negative).Term).TrimEnd('.')) : Clause(opposite);
            Add(F(Pick(MoreContrasts), losing, deciding), label, index);
            var (degree, same) = Pick(Degrees);
            Add(F(degree, Pick(Phrases.Subjects), term, label == 1 ? "hoped" : "feared"), same ? label : 1 - label, index);
            if (label == 1)
            {
                var (comparison, comparisonLabel) = Pick(MoreComparisons);
                Add(F(comparison, Pick(Others), Pick(Genres), term), comparisonLabel, index);
            }
        }

        for (var i = 0; i < NounFrames.Length; i++)
        {
            foreach (var noun in Nouns)
            {
                Add(F(NounFrames[i].Template, noun), NounFrames[i].Label, GroupBase + i);
            }
        }

        for (var i = 0; i < Expectations.Length; i++)
        {
            foreach (var subject in Phrases.Subjects.Append("the film").Append("the sequel"))
            {
                Add(F(Expectations[i].Template, subject), Expectations[i].Label, GroupBase + 100 + i);
            }
        }

        var idioms = Phrases.MoreIdioms;
        for (var i = 0; i < idioms.Count; i++)
        {
            var (frame, label) = idioms[i];
            var other = label == 1 ? negative : positive;
            foreach (var subject in Phrases.Subjects.OrderBy(_ => random.Next()).Take(4))
            {
                Add(F(frame, subject) + ".", label, GroupBase + 200 + i);
            }

            Add(F(Pick(MoreContrasts), Clause(Pick(other).Term), F(frame, "the movie")), label, GroupBase + 200 + i);
            Add(F(Pick(Contrasts), F(frame, "the movie"), F(Pick(Verdicts), Pick(other).Term)), 1 - label, GroupBase + 200 + i);
        }

        return examples;
    }

    private static string Lower(string text) => char.ToLowerInvariant(text[0]) + text[1..];

    /// <summary>Word-set overlap (Jaccard) with any of a set of sentences, so that no training sentence paraphrases a validation one.</summary>
    internal sealed class NearDuplicates(IReadOnlyCollection<string> sentences)
    {
        private const double Threshold = 0.6;
        private readonly List<HashSet<string>> _sets = [.. sentences.Select(Words)];

        public bool Matches(string text)
        {
            var words = Words(text);
            return _sets.Any(s => s.Intersect(words).Count() >= Threshold * s.Union(words).Count());
        }

        private static HashSet<string> Words(string text) =>
            [.. text.ToLowerInvariant().Split([' ', ',', '.', ';', ':', '!', '?'], StringSplitOptions.RemoveEmptyEntries)];
    }
}
