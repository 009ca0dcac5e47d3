using System.Runtime.CompilerServices;
using BertIgGrpc.Contracts.V1;
using BertIgGrpc.Contracts.Validation;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Client;

/// <summary>
/// Calls the Explainer service: requests are checked against the contract's rules before they are sent, every call gets
/// a deadline, UNAVAILABLE is retried by the channel's service config, and INVALID_ARGUMENT becomes
/// <see cref="BertIgValidationException"/>. Get one from DI (<c>services.AddBertIgClient(...)</c>)
/// or from <see cref="Create(string)"/>.
/// </summary>
public sealed class BertIgClient : IDisposable
{
    private readonly BertIgClientOptions _options;
    private readonly GrpcChannel? _ownedChannel;

    /// <summary>Wraps a generated client (as the client factory provides it).</summary>
    /// <param name="client">The generated stub.</param>
    /// <param name="options">The client options.</param>
    public BertIgClient(Explainer.ExplainerClient client, IOptions<BertIgClientOptions> options)
        : this(client, options?.Value ?? throw new ArgumentNullException(nameof(options)), null)
    {
    }

    private BertIgClient(Explainer.ExplainerClient client, BertIgClientOptions options, GrpcChannel? ownedChannel)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        Stub = client;
        _options = options;
        _ownedChannel = ownedChannel;
    }

    /// <summary>Gets the generated stub, for calls this wrapper does not cover (no pre-check, deadline or error mapping).</summary>
    public Explainer.ExplainerClient Stub { get; }

    /// <summary>Creates a client with its own channel to <paramref name="address"/>; dispose it to close the channel.</summary>
    /// <param name="address">The server address, e.g. <c>http://127.0.0.1:50051</c>.</param>
    /// <returns>The client.</returns>
    public static BertIgClient Create(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{address}' is not an absolute URI.", nameof(address));
        }

        return Create(new BertIgClientOptions { Address = uri });
    }

    /// <summary>Creates a client with its own channel configured from <paramref name="options"/>; dispose it to close the channel.</summary>
    /// <param name="options">The client options.</param>
    /// <returns>The client.</returns>
    public static BertIgClient Create(BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnsureValid();
        var channelOptions = new GrpcChannelOptions();
        BertIgServiceConfig.Apply(channelOptions, options);
        BertIgTransport.Apply(channelOptions, options);
        var channel = GrpcChannel.ForAddress(options.Address, channelOptions);
        return new BertIgClient(new Explainer.ExplainerClient(channel), options, channel);
    }

    /// <summary>
    /// Explains <paramref name="text"/> and returns the final result. With <paramref name="progress"/> the streaming RPC is
    /// used and each progress event is reported; without it the unary RPC is used.
    /// </summary>
    /// <param name="text">The text to explain.</param>
    /// <param name="options">Optional settings.</param>
    /// <param name="progress">Receives progress events (steps done, running attributions).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="BertIgValidationException">The request breaks a rule (found here or by the server).</exception>
    /// <exception cref="RpcException">Any other failed call.</exception>
    public Task<ExplainResult> ExplainAsync(
        string text,
        ExplainOptions? options = null,
        IProgress<ExplainProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new ExplainOptions();
        return progress is null
            ? ExplainAsync(options.ToUnaryRequest(text), options.Deadline, cancellationToken)
            : ExplainAsync(options.ToRequest(text), options.Deadline, progress, cancellationToken);
    }

    /// <summary>Explains a prepared request with the unary RPC (ExplainUnary).</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">The deadline of this call; <c>null</c> uses the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    public async Task<ExplainResult> ExplainAsync(
        ExplainUnaryRequest request,
        TimeSpan? deadline = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfInvalid(request);
        var response = await UnaryAsync("ExplainUnary", o => Stub.ExplainUnaryAsync(request, o), deadline, cancellationToken).ConfigureAwait(false);
        return response.Result;
    }

    /// <summary>
    /// Explains a prepared streaming request; see <see cref="ExplainAsync(string, ExplainOptions?, IProgress{ExplainProgress}?, CancellationToken)"/>.
    /// Without <paramref name="progress"/> the same fields go out as an <see cref="ExplainUnaryRequest"/>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">The deadline of this call; <c>null</c> uses the default.</param>
    /// <param name="progress">Receives progress events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The explanation.</returns>
    public Task<ExplainResult> ExplainAsync(
        ExplainRequest request,
        TimeSpan? deadline = null,
        IProgress<ExplainProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfInvalid(request);
        return progress is null
            ? ExplainAsync(request.ToUnaryRequest(), deadline, cancellationToken)
            : ExplainWithProgressAsync(request, deadline, progress, cancellationToken);
    }

    /// <summary>
    /// Streams the explanation of <paramref name="text"/>: zero or more progress events, then one result event.
    /// The request is checked when this method is called, before anything is sent.
    /// </summary>
    /// <param name="text">The text to explain.</param>
    /// <param name="options">Optional settings.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The events, in server order.</returns>
    /// <exception cref="BertIgValidationException">The request breaks a rule (thrown here, or while enumerating when the server finds it).</exception>
    public IAsyncEnumerable<ExplainResponse> StreamExplain(string text, ExplainOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return StreamExplain((options ?? new ExplainOptions()).ToRequest(text), options?.Deadline, cancellationToken);
    }

    /// <summary>Streams the explanation of a prepared request; see <see cref="StreamExplain(string, ExplainOptions?, CancellationToken)"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">The deadline of the whole stream; <c>null</c> uses the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The events, in server order.</returns>
    public IAsyncEnumerable<ExplainResponse> StreamExplain(ExplainRequest request, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfInvalid(request);
        return StreamCoreAsync(request, deadline, cancellationToken);
    }

    /// <summary>Classifies one text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="model">The model; <c>null</c> selects the default.</param>
    /// <param name="truncate">Cut texts over the model's token limit instead of rejecting them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The prediction.</returns>
    public async Task<Prediction> PredictAsync(string text, string? model = null, bool truncate = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var response = await PredictAsync([text], model, truncate, cancellationToken).ConfigureAwait(false);
        return response.Predictions is [var only] ? only : throw new InvalidOperationException($"The server returned {response.Predictions.Count} predictions for one text.");
    }

    /// <summary>Classifies several texts in one call (the server runs them as padded batches).</summary>
    /// <param name="texts">The texts, in order.</param>
    /// <param name="model">The model; <c>null</c> selects the default.</param>
    /// <param name="truncate">Cut texts over the model's token limit instead of rejecting them.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One prediction per text, in the same order.</returns>
    public Task<PredictResponse> PredictAsync(IEnumerable<string> texts, string? model = null, bool truncate = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return PredictAsync(new PredictRequest { Model = model ?? string.Empty, Truncate = truncate, Texts = { texts } }, null, cancellationToken);
    }

    /// <summary>Classifies the texts of a prepared request, e.g. with <see cref="PredictRequest.LongText"/> = <see cref="LongText.Windows"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="deadline">The deadline of this call; <c>null</c> uses the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One prediction per text, in the same order.</returns>
    public Task<PredictResponse> PredictAsync(PredictRequest request, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ThrowIfInvalid(request);
        return UnaryAsync("Predict", o => Stub.PredictAsync(request, o), deadline, cancellationToken);
    }

    /// <summary>Lists the models the server has loaded.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The models; one of them has <see cref="ModelInfo.IsDefault"/> set.</returns>
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var response = await UnaryAsync("ListModels", o => Stub.ListModelsAsync(new ListModelsRequest(), o), null, cancellationToken).ConfigureAwait(false);
        return response.Models;
    }

    /// <inheritdoc />
    public void Dispose() => _ownedChannel?.Dispose();

    // The constraint makes the build fail if the contract generator ever stops emitting Validate() for a request type.
    private void ThrowIfInvalid<TRequest>(TRequest request)
        where TRequest : IValidatableMessage
    {
        if (_options.ValidateRequests)
        {
            var violations = request.Validate();
            if (violations.Count > 0)
            {
                throw new BertIgValidationException(violations);
            }
        }
    }

    private CallOptions CallOptionsFor(TimeSpan? deadline, CancellationToken cancellationToken)
    {
        var timeout = deadline ?? _options.DefaultDeadline;
        return new CallOptions(
            deadline: timeout is { } t ? DateTime.UtcNow + t : null,
            cancellationToken: cancellationToken);
    }

    private async Task<TResponse> UnaryAsync<TResponse>(
        string method,
        Func<CallOptions, AsyncUnaryCall<TResponse>> start,
        TimeSpan? deadline,
        CancellationToken cancellationToken)
    {
        using var activity = BertIgClientTelemetry.StartCall(method);
        var callOptions = CallOptionsFor(deadline, cancellationToken); // one deadline for every attempt
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = start(callOptions);
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (attempt < _options.MaxAttempts && IsGracefulConnectionClose(ex))
            {
                // The server closed the connection gracefully (HTTP/2 GOAWAY, NO_ERROR: it is shutting down) as the call
                // started on it. grpc-dotnet reports that as INTERNAL, which the retry policy rightly leaves alone, but this
                // one never reached a working server: try again (round_robin picks another server), as for UNAVAILABLE.
                await Task.Delay(_options.InitialBackoff, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (BertIgClientTelemetry.RecordFailure(activity, ex) || ex.StatusCode == StatusCode.InvalidArgument)
            {
                throw BertIgValidationException.FromRpcException(ex);
            }
        }
    }

    /// <summary>Whether a call failed because its connection was closed with HTTP/2 NO_ERROR (a server's graceful shutdown).</summary>
    internal static bool IsGracefulConnectionClose(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Internal)
        {
            return false;
        }

        for (var e = ex.Status.DebugException; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException { ErrorCode: 0 })
            {
                return true;
            }
        }

        return false;
    }

    private async Task<ExplainResult> ExplainWithProgressAsync(
        ExplainRequest request,
        TimeSpan? deadline,
        IProgress<ExplainProgress> progress,
        CancellationToken cancellationToken)
    {
        await foreach (var ev in StreamCoreAsync(request, deadline, cancellationToken).ConfigureAwait(false))
        {
            switch (ev.EventCase)
            {
                case ExplainResponse.EventOneofCase.Progress:
                    progress.Report(ev.Progress);
                    break;
                case ExplainResponse.EventOneofCase.Result:
                    return ev.Result;
            }
        }

        throw new InvalidOperationException("The server closed the Explain stream without a result event.");
    }

    private async IAsyncEnumerable<ExplainResponse> StreamCoreAsync(
        ExplainRequest request,
        TimeSpan? deadline,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var activity = BertIgClientTelemetry.StartCall("Explain");

        // The deadline starts when enumeration starts, not when the enumerable was created.
        using var call = Stub.Explain(request, CallOptionsFor(deadline, cancellationToken));
        var stream = call.ResponseStream;
        while (true)
        {
            bool hasNext;
            try
            {
                hasNext = await stream.MoveNext(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (BertIgClientTelemetry.RecordFailure(activity, ex) || ex.StatusCode == StatusCode.InvalidArgument)
            {
                throw BertIgValidationException.FromRpcException(ex);
            }

            if (!hasNext)
            {
                yield break;
            }

            yield return stream.Current;
        }
    }
}
