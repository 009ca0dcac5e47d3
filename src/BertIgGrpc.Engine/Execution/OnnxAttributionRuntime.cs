using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Autodiff;
using BertIgGrpc.Engine.Onnx;
using BertIgGrpc.Engine.Onnx.Proto;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Engine.Execution;

/// <summary>
/// <see cref="IAttributionRuntime"/> on ONNX Runtime: a forward session (ids -> cut activations and logits) and a
/// gradient session (cut -> logits and d(seed . logits)/d(cut), built by <see cref="GradientGraphBuilder"/>).
/// Both sessions are created once and shared by concurrent calls (InferenceSession.Run is thread-safe).
/// </summary>
public sealed class OnnxAttributionRuntime : IAttributionRuntime
{
    private const string InputIds = ClassifierSignature.InputIds;
    private const string AttentionMask = ClassifierSignature.AttentionMask;
    private const string TokenTypeIds = ClassifierSignature.TokenTypeIds;

    private readonly InferenceSession _forward;
    private readonly InferenceSession _gradient;
    private readonly GradientModel _gradientModel;
    private readonly string _output;
    private readonly ActivationCost _cost;

    private OnnxAttributionRuntime(
        InferenceSession forward, InferenceSession gradient, GradientModel gradientModel, string output, string provider,
        int classes, int hidden, bool usesTokenTypes, string cutDescription, ActivationCost cost, long keptArenaBytes)
    {
        _cost = cost;
        KeptArenaBytes = keptArenaBytes;
        _forward = forward;
        _gradient = gradient;
        _gradientModel = gradientModel;
        _output = output;
        ExecutionProvider = provider;
        NumClasses = classes;
        HiddenSize = hidden;
        UsesTokenTypeIds = usesTokenTypes;
        CutDescription = cutDescription;
    }

    /// <inheritdoc />
    public string ExecutionProvider { get; }

    /// <inheritdoc />
    public int NumClasses { get; }

    /// <inheritdoc />
    public int HiddenSize { get; }

    /// <inheritdoc />
    public bool UsesTokenTypeIds { get; }

    /// <inheritdoc />
    public string CutTensor => _gradientModel.CutInput;

    /// <inheritdoc />
    public string CutDescription { get; }

    /// <summary>Gets the activation elements per row read from the probe run: <c>Linear</c> per token, <c>Quadratic</c> per token pair.</summary>
    public ActivationCost Cost => _cost;

    /// <inheritdoc />
    public long ActivationBytesPerRow(int seqLen) => _cost.BytesPerRow(seqLen);

    /// <summary>
    /// Gets the largest estimated run peak (rows x <see cref="ActivationBytesPerRow"/>) after which ONNX Runtime's arena
    /// is kept for the next run: the run memory budget (<c>BertIg:Limits:MaxRunMemoryMB</c>, on CUDA
    /// <c>MaxGpuRunMemoryMB</c>, or their defaults, see <see cref="BertIgLimitsOptions.ResolveMaxRunMemoryBytes(int, string, int)"/>), which the process memory is already sized for (peak =
    /// runs in flight x run budget). Runs over it (one row larger than the budget, or callers that ignore the budget) give
    /// the arena's free regions back afterwards. Memory given back is faulted in afresh by the next run, which cost more
    /// than the gradient arithmetic itself: a 50-step explanation ran 3.4x to 4.7x a forward pass at 128 tokens with
    /// shrinking, 2.3x without (benchmarks/README.md).
    /// </summary>
    public long KeptArenaBytes { get; }

    /// <summary>Gets whether a run of <paramref name="rows"/> x <paramref name="seqLen"/> gives the arena back afterwards (see <see cref="KeptArenaBytes"/>).</summary>
    public bool ShrinksArena(int rows, int seqLen) => rows * _cost.BytesPerRow(seqLen) > KeptArenaBytes;

    /// <summary>
    /// Gets the arenas a run of <paramref name="rows"/> x <paramref name="seqLen"/> gives back afterwards, as ONNX Runtime's
    /// run option <c>memory.enable_memory_arena_shrinkage</c> lists them, or <c>null</c> (see <see cref="ShrinksArena"/>):
    /// on CUDA the device's arena (<c>gpu:0</c>, the device the provider is added on) and the host arena of the copies.
    /// </summary>
    public string? ShrinkArenas(int rows, int seqLen)
        => !ShrinksArena(rows, seqLen) ? null : ExecutionProvider == SessionFactory.Cuda ? "cpu:0;gpu:0" : "cpu:0";

    /// <summary>Gets the gradient model (for inspection and tests).</summary>
    public GradientModel GradientModel => _gradientModel;

    /// <summary>Creates the runtime from an in-memory model. Throws <see cref="OnnxGraphException"/> for unusable graphs.</summary>
    public static OnnxAttributionRuntime Create(ModelProto model, string? cutTensor, string? output, RuntimeSettings settings, ILogger logger)
    {
        SessionFactory.EnsureEnvironment();
        var graph = model.Graph;
        var inputs = graph.Input.Select(i => i.Name).Except(graph.Initializer.Select(i => i.Name)).ToList();
        ClassifierSignature.CheckInputs(inputs);
        var outputName = ClassifierSignature.ResolveOutput(graph.Output.Select(o => o.Name).ToList(), output);
        var usesTokenTypes = inputs.Contains(TokenTypeIds);
        var cut = CutDetector.Resolve(model, cutTensor);

        // Probe with 2 rows of 7 tokens: sizes that no weight dimension has, so broadcasting is unambiguous.
        const int rows = 2, seqLen = 7;
        var ids = Enumerable.Range(0, rows * seqLen).Select(i => (long)(1 + (i % 5))).ToArray();
        var mask = Enumerable.Repeat(1L, rows * seqLen).ToArray();
        var types = new long[rows * seqLen];
        var probeFeeds = new Dictionary<string, OrtValue>
        {
            [InputIds] = OrtValue.CreateTensorValueFromMemory(ids, [rows, seqLen]),
            [AttentionMask] = OrtValue.CreateTensorValueFromMemory(mask, [rows, seqLen]),
        };
        if (usesTokenTypes) probeFeeds[TokenTypeIds] = OrtValue.CreateTensorValueFromMemory(types, [rows, seqLen]);
        Dictionary<string, TensorInfo> info;
        try
        {
            info = ShapeProbe.Run(model, probeFeeds);
        }
        finally
        {
            foreach (var v in probeFeeds.Values) v.Dispose();
        }

        var outInfo = info[outputName];
        if (outInfo.Rank != 2 || outInfo.Shape[0] != rows || outInfo.ElemType != Tensors.Float)
        {
            throw new OnnxGraphException($"output '{outputName}' must be float logits of shape [batch, classes]; a batch of {rows} gave shape [{string.Join(", ", outInfo.Shape)}].");
        }

        var cutInfo = info[cut];
        if (cutInfo.Rank != 3 || cutInfo.Shape[0] != rows || cutInfo.Shape[1] != seqLen || cutInfo.ElemType != Tensors.Float)
        {
            throw new OnnxGraphException($"cut tensor '{cut}' must be float [batch, sequence, hidden]; a batch of {rows}x{seqLen} gave shape [{string.Join(", ", cutInfo.Shape)}].");
        }

        var gradientModel = GradientGraphBuilder.Build(model, cut, outputName, info);
        if (gradientModel.OtherInputs.Contains(InputIds))
        {
            // Only the shape of input_ids may matter once the cut is fed (e.g. position ids from Shape(input_ids)).
            var view = new GraphView(gradientModel.Model.Graph);
            if (view.Consumers(InputIds).Any(n => n.OpType != "Shape"))
            {
                throw new OnnxGraphException($"the graph after the cut '{cut}' reads the values of input_ids; choose a cut after every use of the ids.");
            }
        }

        var forward = model.Clone();
        forward.Graph.Output.Clear();
        forward.Graph.Output.Add(new ValueInfoProto { Name = cut });
        forward.Graph.Output.Add(graph.Output.First(o => o.Name == outputName).Clone());

        var (forwardSession, provider) = SessionFactory.Create(OnnxModelFile.ToBytes(forward), settings, logger);
        try
        {
            // The gradient graph runs with the integration path built in, so chunks stay on the device (PathGraphBuilder).
            var (gradientSession, _) = SessionFactory.Create(OnnxModelFile.ToBytes(PathGraphBuilder.Build(gradientModel).Model), settings, logger);
            return new OnnxAttributionRuntime(forwardSession, gradientSession, gradientModel, outputName, provider,
                (int)outInfo.Shape[1], (int)cutInfo.Shape[2], usesTokenTypes, CutDetector.Describe(model, cut), ActivationCost.FromProbe(info, model, rows, seqLen),
                settings.Limits.ResolveMaxRunMemoryBytes(LayerIntegratedGradients.RunsInFlight, provider, settings.Models));
        }
        catch
        {
            forwardSession.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        var results = RunForward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, [CutTensor, _output], cancellationToken);
        return new ForwardResult(results[0], results[1]);
    }

    /// <inheritdoc />
    public float[] Logits(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
        => RunForward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, [_output], cancellationToken)[0];

    private float[][] RunForward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, string[] outputs, CancellationToken cancellationToken)
    {
        using var run = EngineTelemetry.StartOnnxRun(EngineTelemetry.ForwardGraph, rows, seqLen, ExecutionProvider);
        long[] shape = [rows, seqLen];
        var names = new List<string> { InputIds, AttentionMask };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(inputIds, shape),
            OrtValue.CreateTensorValueFromMemory(attentionMask, shape),
        };
        if (UsesTokenTypeIds)
        {
            names.Add(TokenTypeIds);
            values.Add(OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape));
        }

        try
        {
            using var results = Run(_forward, names, values, outputs, ShrinkArenas(rows, seqLen), cancellationToken);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <inheritdoc />
    public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default)
    {
        // One point per row: the path model's rows are then cut + 0 * 0 = cut exactly, and its sum is the gradient itself.
        var (logits, gradient) = RunPath(cut, new float[cut.Length], new float[rows], attentionMask, tokenTypeIds, seed, rows, seqLen, cancellationToken);
        return new GradientResult(logits, gradient);
    }

    /// <inheritdoc />
    public float[] PathGradient(
        float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
        CancellationToken cancellationToken = default)
        => RunPath(baseline, difference, alphas, attentionMask, tokenTypeIds, seed, texts, seqLen, cancellationToken).GradientSum;

    private (float[] Logits, float[] GradientSum) RunPath(
        float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
        CancellationToken cancellationToken)
    {
        var rows = alphas.Length; // one point per row, [K, T]
        using var run = EngineTelemetry.StartOnnxRun(EngineTelemetry.PathGraph, rows, seqLen, ExecutionProvider);
        long[] shape = [rows, seqLen];
        var names = new List<string> { PathModel.BaselineInput, PathModel.DifferenceInput, PathModel.AlphasInput, _gradientModel.SeedInput };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(baseline, [texts, seqLen, HiddenSize]),
            OrtValue.CreateTensorValueFromMemory(difference, [texts, seqLen, HiddenSize]),
            OrtValue.CreateTensorValueFromMemory(alphas, [rows / texts, texts]),
            OrtValue.CreateTensorValueFromMemory(seed, [rows, NumClasses]),
        };
        foreach (var input in _gradientModel.OtherInputs)
        {
            names.Add(input);
            values.Add(input switch
            {
                AttentionMask => OrtValue.CreateTensorValueFromMemory(attentionMask, shape),
                TokenTypeIds => OrtValue.CreateTensorValueFromMemory(tokenTypeIds, shape),
                _ => OrtValue.CreateTensorValueFromMemory(new long[rows * seqLen], shape), // input_ids: only its shape is read
            });
        }

        try
        {
            using var results = Run(_gradient, names, values, [_gradientModel.LogitsOutput, PathModel.GradientSumOutput], ShrinkArenas(rows, seqLen), cancellationToken);
            return (results[0].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="session"/> so that <paramref name="cancellationToken"/> stops the run in flight: ONNX Runtime
    /// checks <see cref="RunOptions.Terminate"/> between nodes, so a cancelled run ends within one node, not at its end.
    /// </summary>
    private static IDisposableReadOnlyCollection<OrtValue> Run(
        InferenceSession session, IReadOnlyCollection<string> names, IReadOnlyCollection<OrtValue> values, IReadOnlyCollection<string> outputs,
        string? shrinkArenas, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        // Give the arena's free regions back after a large run (see KeptArenaBytes).
        if (shrinkArenas is not null) runOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", shrinkArenas);
        // Disposed before runOptions (reverse order): the callback never touches a disposed RunOptions.
        using var registration = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
        try
        {
            return session.Run(runOptions, names, values, outputs);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The ONNX Runtime run was terminated because its caller cancelled.", cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _forward.Dispose();
        _gradient.Dispose();
    }
}
