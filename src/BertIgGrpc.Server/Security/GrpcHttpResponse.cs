using Grpc.Core;

namespace BertIgGrpc.Server.Security;

/// <summary>
/// Answers a gRPC (or gRPC-Web) request from HTTP middleware, before any service runs, with a proper gRPC status:
/// a trailers-only response (HTTP 200, <c>grpc-status</c>, <c>grpc-message</c> and any <c>-bin</c> trailers such as
/// <c>grpc-status-details-bin</c> in the headers), which every gRPC client reads the same way.
/// </summary>
internal static class GrpcHttpResponse
{
    /// <summary>Gets whether the request is a gRPC or gRPC-Web call.</summary>
    public static bool IsGrpc(HttpRequest request)
        => request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Writes <paramref name="exception"/>'s status and trailers as a trailers-only response.</summary>
    public static Task WriteAsync(HttpContext context, RpcException exception)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        // For a gRPC-Web call the gRPC-Web middleware turns this back into the caller's content type.
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)exception.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(exception.Status.Detail))
        {
            response.Headers["grpc-message"] = Uri.EscapeDataString(exception.Status.Detail);
        }

        foreach (var entry in exception.Trailers)
        {
            response.Headers[entry.Key] = entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;
        }

        return response.CompleteAsync();
    }
}
