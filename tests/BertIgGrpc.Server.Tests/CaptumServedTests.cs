using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Server.Hosting;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// The numbers a client receives, checked against Captum: a real server loads the classifier Captum's reference
/// vectors were computed on (by configuration, as a user model), and Explain over gRPC must return every token's
/// attribution within 2e-5 of the largest, as the engine's own Captum test requires, on whatever execution provider
/// the server picked.
/// </summary>
public sealed class CaptumServedTests(CaptumServedTests.ReferenceServer server) : IClassFixture<CaptumServedTests.ReferenceServer>
{
    /// <summary>A server whose only model is the reference classifier (files and cache in a temporary folder).</summary>
    public sealed class ReferenceServer : IAsyncLifetime
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "bertig-captum-served-" + Guid.NewGuid().ToString("N"));
        private WebApplication? _app;
        private GrpcChannel? _channel;

        public Explainer.ExplainerClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            CaptumReference.WriteModelFiles(_directory, Engine.Models.DefaultModel.MiniLmSentiment.DefaultEncoderDllPath);
            _app = ServerHost.Create([$"--BertIg:CacheDirectory={Path.Combine(_directory, "cache")}", .. CaptumReference.ServerSettings(_directory)]);
            await _app.StartAsync();
            _channel = GrpcChannel.ForAddress(ServerHost.Addresses(_app).Grpc);
            Client = new Explainer.ExplainerClient(_channel);

            var state = _app.Services.GetRequiredService<ModelLoadState>();
            var health = new Health.HealthClient(_channel);
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while ((await health.CheckAsync(new HealthCheckRequest())).Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                Assert.False(state.HasFailed, state.FailureMessage);
                Assert.True(DateTime.UtcNow < deadline, "the reference server did not report SERVING within 10 minutes");
                await Task.Delay(100);
            }
        }

        public async Task DisposeAsync()
        {
            _channel?.Dispose();
            if (_app is not null)
            {
                await _app.StopAsync();
                await _app.DisposeAsync();
            }

            Directory.Delete(_directory, recursive: true);
        }
    }

    public static TheoryData<string> ReferenceFiles => new(CaptumReference.Files);

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public async Task ExplainUnary_ReferenceClassifier_EveryTokenMatchesCaptum(string file)
    {
        var reference = CaptumReference.Load(file);

        var result = (await server.Client.ExplainUnaryAsync(new ExplainUnaryRequest
        {
            Model = CaptumReference.ModelName,
            Text = reference.Text,
            TargetIndex = reference.Target,
            NSteps = reference.Steps,
            Method = reference.Trapezoid ? IntegrationMethod.RiemannTrapezoid : IntegrationMethod.GaussLegendre,
        })).Result;

        Assert.Equal(reference.Ids, result.Tokens.Select(t => t.Id));
        Assert.Equal(reference.Steps, result.NSteps);
        Assert.Equal(reference.Logits[reference.Target], result.ScoreInput, 1e-3);
        Assert.Equal(reference.BaselineLogits[reference.Target], result.ScoreBaseline, 1e-3);
        var scale = reference.Attributions.Max(Math.Abs);
        for (var i = 0; i < reference.Attributions.Length; i++)
        {
            Assert.True(Math.Abs(reference.Attributions[i] - result.Tokens[i].Attribution) <= 2e-5 * scale,
                $"{file}, token {i} '{result.Tokens[i].Token}': Captum {reference.Attributions[i]}, served {result.Tokens[i].Attribution} (allowed {2e-5 * scale:E2})");
        }

        // Captum's delta includes the trapezoid rule's missing 1/n of the weights; the served one must too.
        Assert.Equal(reference.Delta, result.ConvergenceDelta, 1e-3);
    }
}
