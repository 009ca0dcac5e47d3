using System.Collections.Concurrent;
using BertIgGrpc.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
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

        builder.AddBertIgServer();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapBertIgServer();
        return app;
    }

    /// <summary>
    /// The gRPC (HTTP/2) and HTTP/1.1 addresses a started server bound, read from the server's addresses feature: Kestrel
    /// binds configured endpoints in key order (Grpc, Http, then any others) and reports the ports it got for port 0.
    /// TLS endpoints are given as http:// (callers set the scheme they need).
    /// </summary>
    public static (Uri Grpc, Uri Http) Addresses(WebApplication app)
    {
        var urls = app.Urls.Select(u => new Uri(u.Replace("https://", "http://", StringComparison.Ordinal))).ToList();
        return urls.Count >= 2 ? (urls[0], urls[1]) : throw new InvalidOperationException("The server has not bound its endpoints (start it first).");
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
