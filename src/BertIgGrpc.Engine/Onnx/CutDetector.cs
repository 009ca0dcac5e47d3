using BertIgGrpc.Engine.Onnx.Proto;

namespace BertIgGrpc.Engine.Onnx;

/// <summary>
/// Finds the tensor attributions are taken at in a BERT-style export: by default the output of the embeddings
/// block (the LayerNorm after word + position + token-type embeddings, what Captum's LayerIntegratedGradients on
/// <c>model.bert.embeddings</c> attributes to), or the word-embedding lookup output.
/// </summary>
public static class CutDetector
{
    /// <summary>Special cut name: the embeddings block output (the default).</summary>
    public const string Embeddings = "embeddings";

    /// <summary>Special cut name: the word-embedding lookup output.</summary>
    public const string WordEmbeddings = "word_embeddings";

    /// <summary>
    /// Resolves <paramref name="requested"/> (null/empty or <see cref="Embeddings"/>: embeddings LayerNorm output;
    /// <see cref="WordEmbeddings"/>: word-embedding Gather output; anything else: a tensor name) to a tensor name.
    /// </summary>
    public static string Resolve(ModelProto model, string? requested, string inputIdsName = "input_ids")
    {
        var view = new GraphView(model.Graph);
        if (!string.IsNullOrWhiteSpace(requested) && requested != Embeddings && requested != WordEmbeddings)
        {
            return view.Exists(requested)
                ? requested
                : throw new OnnxGraphException($"Cut tensor '{requested}' is not in the graph.");
        }

        var lookup = FindWordEmbeddingLookup(view, inputIdsName)
            ?? throw new OnnxGraphException(
                $"No word-embedding lookup found (a Gather of a 2-D float initializer by '{inputIdsName}'); set the cut tensor name explicitly.");
        if (requested == WordEmbeddings)
        {
            return lookup.Output[0];
        }

        // Walk forward from the lookup to the first tensor that feeds a MatMul/Gemm (the first attention projection):
        // on the way lie the embedding sums and the LayerNorm, whose output is the block's output.
        var queue = new Queue<string>([lookup.Output[0]]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            var t = queue.Dequeue();
            if (!seen.Add(t)) continue;
            var consumers = view.Consumers(t);
            if (consumers.Any(c => c.OpType == "LayerNormalization" && c.Input[0] == t))
            {
                return consumers.First(c => c.OpType == "LayerNormalization").Output[0];
            }

            if (consumers.Any(c => c.OpType is "MatMul" or "Gemm"))
            {
                if (t == lookup.Output[0])
                {
                    break;
                }

                return t;
            }

            foreach (var c in consumers)
            {
                foreach (var o in c.Output.Where(o => o.Length > 0)) queue.Enqueue(o);
            }
        }

        throw new OnnxGraphException("The embeddings LayerNorm output could not be found; set the cut tensor name explicitly.");
    }

    /// <summary>
    /// Says in words where <paramref name="cut"/> sits, for logs and messages: "the embeddings LayerNorm output" when it
    /// is the tensor <see cref="Resolve"/> finds by default, "the word-embedding lookup output" for
    /// <see cref="WordEmbeddings"/>, otherwise "tensor 'NAME'". Tensor names of exports are often bare numbers
    /// ('146'), which mean nothing to a reader.
    /// </summary>
    /// <param name="model">The model the cut belongs to.</param>
    /// <param name="cut">The resolved cut tensor name.</param>
    /// <param name="inputIdsName">The token-id input.</param>
    /// <returns>The description.</returns>
    public static string Describe(ModelProto model, string cut, string inputIdsName = "input_ids")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(cut);
        foreach (var (known, words) in new[] { (Embeddings, "the embeddings LayerNorm output"), (WordEmbeddings, "the word-embedding lookup output") })
        {
            try
            {
                if (Resolve(model, known, inputIdsName) == cut)
                {
                    return words;
                }
            }
            catch (OnnxGraphException)
            {
                // A graph without a recognisable embeddings block: the cut can only be described by its name.
            }
        }

        return $"tensor '{cut}'";
    }

    private static NodeProto? FindWordEmbeddingLookup(GraphView view, string inputIdsName)
    {
        foreach (var consumer in view.Consumers(inputIdsName))
        {
            if (consumer.OpType == "Gather" && consumer.Input.Count > 1 && consumer.Input[1] == inputIdsName
                && view.Initializer(consumer.Input[0]) is { Dims.Count: 2, DataType: Tensors.Float })
            {
                return consumer;
            }
        }

        // Some exports cast the ids first (e.g. to int32) before the lookup.
        foreach (var consumer in view.Consumers(inputIdsName).Where(c => c.OpType is "Cast" or "Identity"))
        {
            var found = FindWordEmbeddingLookup(view, consumer.Output[0]);
            if (found is not null) return found;
        }

        return null;
    }
}
