using System.Globalization;
using System.Text;
using BertIgGrpc.Engine.Models.DefaultModel;
using BertIgGrpc.Engine.Onnx;

namespace BertIgGrpc.HeadTrainer;

/// <summary>Writes the head JSON: description, labels, encoder, data sources, training settings, layers and encoder deltas.</summary>
internal sealed class HeadJsonWriter(IReadOnlyList<Lexicon> lexicons, IReadOnlyList<LabelledSentences> labelled, IReadOnlyList<string> uciSources, int uciCount, int seed, double lambda, int epochs)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Write(float[][] tw, float[] tb, float[][]? hw, float[]? hb, float[][] w, float[] b, IReadOnlyList<LowRankDelta>? deltas = null)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append(Inv, $"  \"description\": \"Sentiment head of {MiniLmSentiment.Name}: logits = {(hw is null ? "pooled" : "tanh(pooled @ hidden_weight.T + hidden_bias)")} @ weight.T + bias, pooled = mean over the attention mask of tanh(state @ token_weight.T + token_bias) for every all-MiniLM-L6-v2 last_hidden_state token state. Trained by tools/BertIgGrpc.HeadTrainer (dotnet run -c Release --project tools/BertIgGrpc.HeadTrainer) on lexicon template sentences plus phrase-level sentences for negation, 'but' contrasts, comparisons and idioms{(uciCount > 0 ? $", and UCI labelled review sentences ({string.Join(", ", uciSources)})" : "")}; see its METRICS.md.\",\n");
        sb.Append(Inv, $"  \"labels\": [\"{MiniLmSentiment.Labels[0]}\", \"{MiniLmSentiment.Labels[1]}\"],\n");
        sb.Append(Inv, $"  \"encoder\": \"{MiniLmSentiment.EncoderPackage}@{MiniLmSentiment.EncoderPackageVersion}\",\n");
        sb.Append("  \"sources\": [\n");
        sb.Append(string.Join(",\n", lexicons.Select(l => (l.Package, l.Version, l.License, l.TarballSha256, Use: "head training data (lexicon)"))
            .Concat(labelled.Take(1).Select(l => (l.Package, l.Version, License: $"{l.License}; the UCI Sentiment Labelled Sentences are CC BY 4.0", l.TarballSha256, Use: $"head training data (UCI labelled sentences: {string.Join(", ", uciSources)})")))
            .Select(l => string.Create(Inv,
            $"    {{\"package\": \"{l.Package}\", \"version\": \"{l.Version}\", \"registry\": \"npm\", \"license\": \"{l.License}\", \"tarball_sha256\": \"{l.TarballSha256}\", \"use\": \"{l.Use}\"}}"))));
        sb.Append("\n  ],\n");
        sb.Append(Inv, $"  \"seed\": {seed},\n");
        sb.Append(Inv, $"  \"lambda\": {lambda.ToString("R", Inv)},\n");
        sb.Append(Inv, $"  \"epochs\": {epochs},\n");
        AppendLayer(sb, "token", tw, tb);
        if (hw is not null)
        {
            AppendLayer(sb, "hidden", hw, hb!);
        }

        if (deltas is { Count: > 0 })
        {
            sb.Append(Inv, $"  \"{LowRankDelta.JsonProperty}\": [\n");
            sb.Append(string.Join(",\n", deltas.Select(d => "    " + d.ToJson())));
            sb.Append("\n  ],\n");
        }

        sb.Append(Inv, $"  \"weight_shape\": [{w.Length}, {w[0].Length}],\n");
        sb.Append("  \"weight\": [\n");
        sb.Append(string.Join(",\n", w.Select(r => "    [" + string.Join(", ", r.Select(v => v.ToString("R", Inv))) + "]")));
        sb.Append("\n  ],\n");
        sb.Append("  \"bias\": [" + string.Join(", ", b.Select(v => v.ToString("R", Inv))) + "]\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    private static void AppendLayer(StringBuilder sb, string name, float[][] w, float[] b)
    {
        sb.Append(Inv, $"  \"{name}_activation\": \"tanh\",\n");
        sb.Append(Inv, $"  \"{name}_weight_shape\": [{w.Length}, {w[0].Length}],\n");
        sb.Append(Inv, $"  \"{name}_weight\": [\n");
        sb.Append(string.Join(",\n", w.Select(r => "    [" + string.Join(", ", r.Select(v => v.ToString("R", Inv))) + "]")));
        sb.Append("\n  ],\n");
        sb.Append($"  \"{name}_bias\": [" + string.Join(", ", b.Select(v => v.ToString("R", Inv))) + "],\n");
    }
}
