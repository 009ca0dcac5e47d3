namespace BertIgGrpc.Client.Tests;

/// <summary>
/// Stands in for a server whose connection closes as a call starts: the first <paramref name="closing"/> requests fail
/// as .NET's HTTP/2 stack fails them when the server ends the connection with GOAWAY <paramref name="http2ErrorCode"/>
/// (0, NO_ERROR, is a graceful shutdown); later requests get <paramref name="then"/>'s answer.
/// </summary>
internal sealed class ClosingConnectionHandler(int closing, long http2ErrorCode, RecordingHandler then) : DelegatingHandler(then)
{
    private int _requests;

    /// <summary>Gets the number of requests, closed or answered.</summary>
    public int Requests => Volatile.Read(ref _requests);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _requests) > closing)
        {
            return base.SendAsync(request, cancellationToken);
        }

        var message = $"The HTTP/2 server closed the connection. HTTP/2 error code '0x{http2ErrorCode:x}'.";
        throw new HttpRequestException(HttpRequestError.HttpProtocolError, message, new HttpProtocolException(http2ErrorCode, message, null));
    }
}
