using System.Collections.Concurrent;
using BertIgGrpc.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.Server.Tests;

/// <summary>
/// Builds the real server exactly as Program.cs does, with both Kestrel endpoints on loopback port 0: the system
/// picks free ports when Kestrel binds them, and <see cref="Addresses"/> reads them back (no pick-then-bind race).
/// </summary>
internal static class ServerHost
{
    /// <summary>Creates (not starts) the server with its two Kestrel endpoints and extra configuration as command-line arguments.</summary>
    public static WebApplication Create(IEnumerable<string> settings, ILoggerProvider? logs = null, string? contentRoot = null, Action<IServiceCollection>? services = null)
    {
        string[] args =
        [
            "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            "--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0",
            "--Kestrel:Endpoints:Http:Protocols=Http1",
            .. settings,
        ];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = contentRoot ?? AppContext.BaseDirectory,
            EnvironmentName = Environments.Development,
        });
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        // The same Kestrel section Program.cs binds, with a handle on each named endpoint's listen options, which
        // Kestrel updates with the port it bound.
        var endpoints = new BoundEndpoints();
        builder.WebHost.ConfigureKestrel((context, kestrel) => kestrel
            .Configure(context.Configuration.GetSection("Kestrel"))
            .Endpoint("Grpc", e => endpoints.Grpc = e.ListenOptions)
            .Endpoint("Http", e => endpoints.Http = e.ListenOptions));
        builder.Services.AddSingleton(endpoints);

        builder.AddBertIgServer();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapBertIgServer();
        return app;
    }

    /// <summary>The gRPC (HTTP/2) and HTTP/1.1 addresses a started server bound.</summary>
    public static (Uri Grpc, Uri Http) Addresses(WebApplication app)
    {
        var endpoints = app.Services.GetRequiredService<BoundEndpoints>();
        if (endpoints.Grpc is null || endpoints.Http is null)
        {
            // The server's own Kestrel configuration replaced the loader above (its endpoint callbacks never ran): the
            // bound addresses, in configuration key order (Grpc, Http, then any others), come from the server feature.
            var urls = app.Urls.Select(u => new Uri(u.Replace("https://", "http://", StringComparison.Ordinal))).ToList();
            return urls.Count >= 2 ? (urls[0], urls[1]) : throw new InvalidOperationException("The server has not bound its endpoints (start it first).");
        }

        return (Bound(endpoints.Grpc, "Grpc"), Bound(endpoints.Http, "Http"));

        static Uri Bound(ListenOptions? options, string name)
            => options?.IPEndPoint is { Port: > 0 } endPoint
                ? new Uri($"http://{endPoint}")
                : throw new InvalidOperationException($"Kestrel endpoint '{name}' is not bound (start the server first).");
    }

    private sealed class BoundEndpoints
    {
        public ListenOptions? Grpc { get; set; }

        public ListenOptions? Http { get; set; }
    }
}

/// <summary>Keeps every log entry in memory so tests can assert what an operator would read.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => provider.Entries.Enqueue((category, logLevel, eventId, formatter(state, exception), exception));
    }
}
