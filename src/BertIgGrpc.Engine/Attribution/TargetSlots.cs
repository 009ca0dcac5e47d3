namespace BertIgGrpc.Engine.Attribution;

/// <summary>
/// The paths one <see cref="LayerIntegratedGradients"/> call integrates: one slot per text and class explained. A text
/// has one slot for its target or, with <see cref="IgInput.AllTargets"/>, one per class in class order. Every slot of a
/// text shares the text's path (its cut, mask and baseline); its rows differ only in the seed, the one-hot of its
/// class weighted by the step, so all classes go through the same gradient runs.
/// </summary>
internal sealed class TargetSlots
{
    /// <summary>Lays out the slots of <paramref name="inputs"/> with their resolved <paramref name="targets"/>.</summary>
    public TargetSlots(IReadOnlyList<IgInput> inputs, int[] targets, int classes)
    {
        var text = new List<int>();
        var target = new List<int>();
        Main = new int[inputs.Count];
        for (var t = 0; t < inputs.Count; t++)
        {
            for (var c = 0; c < classes; c++)
            {
                if (c == targets[t])
                {
                    Main[t] = text.Count;
                }

                if (c == targets[t] || inputs[t].AllTargets)
                {
                    text.Add(t);
                    target.Add(c);
                }
            }
        }

        Text = text.ToArray();
        Target = target.ToArray();
    }

    /// <summary>Gets the number of slots.</summary>
    public int Count => Text.Length;

    /// <summary>Gets the text of each slot.</summary>
    public int[] Text { get; }

    /// <summary>Gets the class each slot attributes towards (its seed's one-hot).</summary>
    public int[] Target { get; }

    /// <summary>Gets, per text, the slot of its target: the text's main result.</summary>
    public int[] Main { get; }

    /// <summary>
    /// A round's progress per slot turned into progress per text: each text's target slot, its final attributions when
    /// it is finished while other classes of the text go on, null when the whole text is finished.
    /// </summary>
    public IgProgress ForTexts(IgProgress progress, IgResult?[] finished)
    {
        var running = new bool[Main.Length];
        for (var s = 0; s < Count; s++)
        {
            running[Text[s]] |= progress.PartialTokenAttributions[s] is not null;
        }

        var partial = new double[]?[Main.Length];
        for (var t = 0; t < Main.Length; t++)
        {
            partial[t] = progress.PartialTokenAttributions[Main[t]] ?? (running[t] ? finished[Main[t]]?.TokenAttributions : null);
        }

        return progress with { PartialTokenAttributions = partial };
    }

    /// <summary>The result of each text: its target slot's, carrying every slot of the text as <see cref="IgResult.PerTarget"/> for <see cref="IgInput.AllTargets"/>.</summary>
    public IgResult[] ForTexts(IReadOnlyList<IgInput> inputs, IgResult[] results)
    {
        var texts = new IgResult[inputs.Count];
        for (var t = 0; t < texts.Length; t++)
        {
            var main = results[Main[t]];
            texts[t] = inputs[t].AllTargets ? main with { PerTarget = Enumerable.Range(0, Count).Where(s => Text[s] == t).Select(s => results[s]).ToArray() } : main;
        }

        return texts;
    }
}
