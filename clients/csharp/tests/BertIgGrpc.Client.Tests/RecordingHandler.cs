using System.Net;
using System.Net.Http.Headers;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// Stands in for the network under the real gRPC client stack: counts requests and answers each with a trailers-only
/// gRPC response carrying <paramref name="status"/> (what a server or proxy sends when it refuses a call).
/// </summary>
/// <param name="status">The grpc-status to answer with.</param>
internal sealed class RecordingHandler(Grpc.Core.StatusCode status) : HttpMessageHandler
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Version = HttpVersion.Version20,
            RequestMessage = request,
            Content = new ByteArrayContent([]),
        };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        response.Headers.Add("grpc-status", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        response.Headers.Add("grpc-message", "refused by test handler");
        return Task.FromResult(response);
    }
}
