namespace BertIgGrpc.HeadTrainer;

/// <summary>
/// Stock review idioms whose words alone mislead a bag of words ("a turkey", "in stitches", "phoned it in"), written
/// for this trainer as frames around a subject <c>{0}</c>. Idioms used in validation-hard.tsv are deliberately not
/// here, so that set measures idioms the head was not shown.
/// </summary>
internal static class Phrases
{
    public static IReadOnlyList<string> Subjects { get; } =
        ["the movie", "this film", "it", "the sequel", "the new thriller", "this comedy", "the whole thing", "the remake", "this drama", "the picture"];

    public static IReadOnlyList<(string Frame, int Label)> Idioms { get; } =
    [
        ("{0} is a must-see", 1), ("{0} is a hidden gem", 1), ("{0} is a real gem", 1), ("{0} is a crowd-pleaser", 1),
        ("{0} steals the show", 1), ("{0} hits the spot", 1), ("{0} is firing on all cylinders", 1), ("{0} had me in stitches", 1),
        ("{0} had me laughing my head off", 1), ("{0} is a riot", 1), ("{0} is a hoot", 1), ("{0} is a real treat", 1),
        ("{0} knocked my socks off", 1), ("{0} took my breath away", 1), ("{0} made my day", 1), ("{0} is a labor of love", 1),
        ("{0} is a home run", 1), ("{0} is a slam dunk", 1), ("{0} pulls no punches", 1), ("{0} is spot on", 1),
        ("{0} blew me away", 1), ("{0} keeps you guessing until the very end", 1), ("{0} is worth the wait", 1),
        ("{0} is a sleeper hit", 1), ("{0} has its heart in the right place and delivers", 1), ("{0} is pitch perfect", 1),
        ("{0} lives up to the hype", 1), ("{0} delivers the goods", 1), ("{0} is a joy from start to finish", 1),
        ("{0} hooked me from the first scene", 1), ("{0} is a gem of a film", 1), ("{0} is the best thing since sliced bread", 1),
        ("{0} will stay with me for a long time", 1), ("{0} is a rollercoaster ride worth taking", 1), ("{0} aces it", 1),
        ("{0} is top notch", 1), ("{0} is second to none", 1), ("{0} is head and shoulders above the rest", 1),
        ("{0} is a cinematic triumph", 1), ("{0} gave me goosebumps", 1), ("I couldn't take my eyes off {0}", 1),
        ("I'd see {0} again in a heartbeat", 1), ("{0} is nothing to sneeze at", 1), ("{0} is no small feat", 1),
        ("{0} is a turkey", 0), ("{0} is a dud", 0), ("{0} is a flop", 0), ("{0} is a train wreck", 0), ("{0} is a hot mess", 0),
        ("{0} is a damp squib", 0), ("the cast phoned it in on {0}", 0), ("everyone in {0} just goes through the motions", 0),
        ("{0} bored me to tears", 0), ("{0} bored me stiff", 0), ("{0} left me bored out of my mind", 0), ("{0} is a cash grab", 0),
        ("{0} should have gone straight to video", 0), ("{0} is a misfire", 0), ("{0} is a swing and a miss", 0),
        ("{0} is dead in the water", 0), ("{0} jumps the shark", 0), ("{0} is paint by numbers", 0), ("{0} is strictly by the numbers", 0),
        ("{0} leaves a bad taste in the mouth", 0), ("{0} is a dog's breakfast", 0), ("I couldn't wait for {0} to end", 0),
        ("I want those two hours of {0} back", 0), ("{0} is a waste of celluloid", 0), ("{0} fell short of the mark", 0),
        ("{0} misses the boat", 0), ("{0} is a box office bomb for good reason", 0), ("{0} is all bark and no bite", 0),
        ("{0} is over the top in the worst way", 0), ("{0} is a total write-off", 0),
        ("{0} is a yawn", 0), ("{0} is a sleeping pill", 0), ("{0} is phoned in", 0),
        ("{0} is a paycheck movie", 0), ("{0} is a bore", 0), ("{0} left me cold", 0),
        ("{0} is not my cup of tea", 0), ("{0} is two hours I will never get back", 0), ("{0} is a recipe for disaster", 0),
    ];

    /// <summary>More idioms (for Constructions.cs), none of them in a validation file.</summary>
    public static IReadOnlyList<(string Frame, int Label)> MoreIdioms { get; } =
    [
        ("{0} is a masterclass in suspense", 1), ("{0} is pure gold", 1), ("{0} is a thrill ride", 1), ("{0} left me speechless", 1),
        ("{0} is a showstopper", 1), ("{0} is the cream of the crop", 1), ("{0} is worth its weight in gold", 1), ("{0} swept me off my feet", 1),
        ("{0} is a revelation", 1), ("{0} raises the bar", 1), ("{0} sets a new standard", 1), ("{0} is in a league of its own", 1),
        ("{0} is a blast", 1), ("{0} packs a punch", 1), ("{0} never misses a beat", 1), ("{0} is money well spent", 1),
        ("{0} warmed my heart", 1), ("{0} tugs at the heartstrings", 1), ("{0} is a roaring success", 1), ("{0} bowled me over", 1),
        ("{0} sticks the landing", 1), ("{0} is a marvel", 1), ("{0} is a triumph of craft", 1), ("{0} is a breath of life for the genre", 1),
        ("{0} lands every punch", 1), ("{0} is something special", 1), ("{0} had the whole audience clapping", 1), ("{0} is a treat for fans and newcomers alike", 1),
        ("{0} is a clunker", 0), ("{0} is a borefest", 0), ("{0} is a car crash", 0), ("{0} falls apart at the seams", 0),
        ("{0} loses the plot", 0), ("{0} is a waste of talent", 0), ("{0} is all sizzle and no steak", 0), ("{0} goes nowhere fast", 0),
        ("{0} is a groan fest", 0), ("{0} is a total bust", 0), ("{0} crashes and burns", 0), ("{0} sinks like a stone", 0),
        ("{0} made me reach for the remote", 0), ("{0} is a test of endurance", 0), ("{0} is a tired rehash", 0), ("{0} runs out of ideas early", 0),
        ("{0} is half-baked", 0), ("{0} is a lemon", 0), ("{0} is cookie-cutter", 0), ("{0} tests your patience", 0),
        ("{0} treats its viewers like idiots", 0), ("{0} is a headache", 0), ("{0} is forgettable fluff", 0), ("{0} is a muddled affair", 0),
        ("{0} had people walking out", 0), ("{0} is a slow burn that never catches fire", 0), ("{0} phones in every scene", 0), ("{0} is a long haul with no reward", 0),
    ];
}
