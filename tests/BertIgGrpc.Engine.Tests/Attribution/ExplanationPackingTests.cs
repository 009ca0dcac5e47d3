using BertIgGrpc.Engine.Attribution;
using BertIgGrpc.Engine.Execution;
using BertIgGrpc.Engine.Models;
using BertIgGrpc.Engine.Tests.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertIgGrpc.Engine.Tests.Attribution;

/// <summary>Concurrent explanations on one model share gradient runs (PathRunScheduler) and get what they get alone.</summary>
public class ExplanationPackingTests
{
    // Four texts pad to 8 tokens with 12 points or fewer and the default rows per run (25), so any two of them fit one run:
    // whichever two chunks start the two held runs, at least two of these four are still queued when a slot frees, and
    // the first of them taken shares its run. (With three, the held runs could take two, and the third could be taken
    // after the chunks of the internal_batch_size 4 request, which each run alone: "nothing was shared", seen once in CI.)
    private static readonly ExplainRequestOptions[] Requests =
    [
        new() { Text = "This movie is superb", Steps = 8 },
        new() { Text = "A noisy, hideous, and viciously cumbersome movie", Steps = 20, InternalBatchSize = 7 },
        new() { Text = "An utterly forgettable film", Steps = 12, Method = IntegrationMethod.RiemannTrapezoid },
        new() { Text = "It's a heartfelt film about love, loss, and legacy", Steps = 16, TargetIndex = 0 },
        new() { Text = "meh", Steps = 8, Baseline = BaselineKind.Zero },
        new() { Text = "Great acting and a clever story", Steps = 10, InternalBatchSize = 4 },
        new() { Text = "A dull sequel", Steps = 6 },
    ];

    [Fact]
    public async Task OnnxModel_ConcurrentExplanations_ShareRunsAndEqualEachAlone()
    {
        var counting = new CountingRuntime(OnnxAttributionRuntime.Create(MiniLmClassifier.Model, null, "logits", new RuntimeSettings { ExecutionProvider = "cpu" }, NullLogger.Instance));
        using (var model = Create(counting))
        {
            var alone = new List<Explanation>();
            foreach (var request in Requests)
            {
                alone.Add(await model.ExplainAsync(request));
            }

            var aloneRuns = counting.PathRuns;
            counting.Reset();
            counting.HoldFirstRuns = 2; // the first two runs wait until every explanation has run its forward pass and queued chunks
            counting.HoldUntilForwards = Requests.Length;
            var together = await Task.WhenAll(Requests.Select(r => model.ExplainAsync(r)));

            Assert.True(counting.PathRuns < aloneRuns, $"{counting.PathRuns} runs together, {aloneRuns} alone: nothing was shared");
            for (var i = 0; i < Requests.Length; i++)
            {
                var scale = alone[i].Tokens.Max(t => Math.Abs(t.Attribution));
                Assert.Equal(alone[i].Tokens.Select(t => t.Attribution), together[i].Tokens.Select(t => t.Attribution), (a, b) => Math.Abs(a - b) <= 1e-6 * scale);
                Assert.Equal(alone[i].ConvergenceDelta, together[i].ConvergenceDelta, 1e-6);
                Assert.Equal(alone[i].TargetIndex, together[i].TargetIndex);
            }
        }
    }

    [Fact]
    public async Task Scheduler_CancelledChunkInASharedRun_LeavesTheOtherChunkWhatItGetsAlone()
    {
        var runtime = new CubicTestRuntime(classes: 2);
        var scheduler = new PathRunScheduler(runtime, _ => int.MaxValue);
        var cancelledChunk = Chunk(points: 5, shift: 0.1f);
        var keptChunk = Chunk(points: 3, shift: 0.3f);
        var expected = await scheduler.RunAsync(keptChunk, CancellationToken.None);

        using var gate = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();
        var runs = new List<int>();
        runtime.OnGradient = rows =>
        {
            int count;
            lock (runs)
            {
                runs.Add(rows);
                count = runs.Count;
            }

            if (count <= 2)
            {
                gate.Wait(TimeSpan.FromSeconds(60)); // the two runs in flight wait, so both chunks below queue
            }
            else if (rows == 10)
            {
                cancel.Cancel(); // the shared run (5 points x 2 texts) is in flight
            }
        };
        var first = scheduler.RunAsync(keptChunk, CancellationToken.None);
        await WaitForAsync(() => { lock (runs) return runs.Count >= 1; });
        var second = scheduler.RunAsync(keptChunk, CancellationToken.None);
        await WaitForAsync(() => { lock (runs) return runs.Count >= 2; });
        var cancelled = scheduler.RunAsync(cancelledChunk, cancel.Token);
        var kept = scheduler.RunAsync(keptChunk, CancellationToken.None);
        gate.Set();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(expected, await kept);
        Assert.Equal(expected, await first);
        Assert.Equal(expected, await second);
        Assert.Equal([3, 3, 10], runs); // the third run carried both queued chunks
    }

    [Fact]
    public async Task CancelledExplanation_BesideAnother_LeavesItExactWithItsProgressWhole()
    {
        var spy = new CountingRuntime(new CubicTestRuntime(classes: 2));
        using var model = Create(spy);
        var first = new ExplainRequestOptions { Text = "A noisy, hideous, and viciously cumbersome movie", Steps = 30, InternalBatchSize = 5 };
        var other = new ExplainRequestOptions { Text = "A noisy, hideous, and viciously cumbersome film", Steps = 24, InternalBatchSize = 3, Method = IntegrationMethod.RiemannTrapezoid };
        var expected = await model.ExplainAsync(other);

        using var cancel = new CancellationTokenSource();
        spy.Reset();
        spy.OnPathRun = (_, _) =>
        {
            if (spy.PathRuns == 3)
            {
                cancel.Cancel();
            }
        };
        var progress = new List<ExplainProgress>();
        var cancelled = model.ExplainAsync(first, cancellationToken: cancel.Token);
        var kept = model.ExplainAsync(other, new InlineProgress(p => { lock (progress) progress.Add(p); }));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var result = await kept;
        Assert.Equal(expected.Tokens.Select(t => t.Attribution), result.Tokens.Select(t => t.Attribution));
        Assert.Equal(expected.ConvergenceDelta, result.ConvergenceDelta);
        Assert.Equal(Enumerable.Range(1, 8).Select(r => 3 * r), progress.Select(p => p.StepsDone)); // one event per own chunk of 3 steps
    }

    /// <summary>One text of 4 tokens (hidden 8, 2 classes) at <paramref name="points"/> points, target 0.</summary>
    private static PathChunk Chunk(int points, float shift)
    {
        const int seqLen = 4, hidden = 8;
        var baseline = Enumerable.Range(0, seqLen * hidden).Select(i => shift * MathF.Sin(i)).ToArray();
        var difference = Enumerable.Range(0, seqLen * hidden).Select(i => 0.5f + shift * MathF.Cos(i)).ToArray();
        var alphas = Enumerable.Range(0, points).Select(k => (k + 0.5f) / points).ToArray();
        var seed = Enumerable.Range(0, points * 2).Select(i => i % 2 == 0 ? 1f / points : 0f).ToArray();
        return new PathChunk(baseline, difference, alphas, [.. Enumerable.Repeat(1L, points * seqLen)], new long[points * seqLen], seed, 1, seqLen, MaxRows: 10);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    private static ExplainerModel Create(IAttributionRuntime runtime)
    {
        var definition = new ModelDefinition
        {
            Name = "test-model",
            ModelPath = "unused.onnx",
            VocabPath = MiniLmVocab.VocabPath,
            Labels = ["negative", "positive"],
        };
        return new ExplainerModel(definition, MiniLmVocab.Tokenizer, runtime, "", new RuntimeSettings());
    }

    /// <summary>A runtime with its path runs counted and shown to <see cref="OnPathRun"/>; the first <see cref="HoldFirstRuns"/> after a reset wait (see <see cref="HoldUntilForwards"/>), then 300 ms.</summary>
    private sealed class CountingRuntime(IAttributionRuntime inner) : IAttributionRuntime
    {
        private int _pathRuns;
        private int _forwards;

        public int HoldFirstRuns { get; set; }

        /// <summary>Held runs also wait until this many forward passes have been run since the reset.</summary>
        public int HoldUntilForwards { get; set; }

        /// <summary>Called with the texts and the seed of every path run before it runs.</summary>
        public Action<int, float[]>? OnPathRun { get; set; }

        public int PathRuns => Volatile.Read(ref _pathRuns);

        public string ExecutionProvider => inner.ExecutionProvider;

        public int NumClasses => inner.NumClasses;

        public int HiddenSize => inner.HiddenSize;

        public bool UsesTokenTypeIds => inner.UsesTokenTypeIds;

        public string CutTensor => inner.CutTensor;

        public long ActivationBytesPerRow(int seqLen) => inner.ActivationBytesPerRow(seqLen);

        public void Reset()
        {
            Volatile.Write(ref _pathRuns, 0);
            Volatile.Write(ref _forwards, 0);
        }

        public ForwardResult Forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, int rows, int seqLen, CancellationToken cancellationToken = default)
        {
            var result = inner.Forward(inputIds, attentionMask, tokenTypeIds, rows, seqLen, cancellationToken);
            Interlocked.Increment(ref _forwards);
            return result;
        }

        public GradientResult Gradient(float[] cut, long[] attentionMask, long[] tokenTypeIds, float[] seed, int rows, int seqLen, CancellationToken cancellationToken = default)
            => inner.Gradient(cut, attentionMask, tokenTypeIds, seed, rows, seqLen, cancellationToken);

        public float[] PathGradient(
            float[] baseline, float[] difference, float[] alphas, long[] attentionMask, long[] tokenTypeIds, float[] seed, int texts, int seqLen,
            CancellationToken cancellationToken = default)
        {
            OnPathRun?.Invoke(texts, seed);
            if (Interlocked.Increment(ref _pathRuns) <= HoldFirstRuns)
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Volatile.Read(ref _forwards) < HoldUntilForwards && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(10);
                }

                Thread.Sleep(300);
            }

            return inner.PathGradient(baseline, difference, alphas, attentionMask, tokenTypeIds, seed, texts, seqLen, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }

    private sealed class InlineProgress(Action<ExplainProgress> action) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => action(value);
    }
}
