using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace BertIgGrpc.GpuCheck;

/// <summary>What the check runs on: the host, the GPU as nvidia-smi names it, and the library path it was given.</summary>
internal static class Probe
{
    public static JsonObject Machine() => new()
    {
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["cpu_cores"] = Environment.ProcessorCount,
        ["gpu"] = NvidiaSmi("--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"),
        ["ld_library_path"] = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"),
        ["globalization_invariant"] = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"),
    };

    /// <summary>nvidia-smi's answer, or why there is none (no such program: a CPU machine).</summary>
    private static string NvidiaSmi(params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("nvidia-smi", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(10_000) && process.ExitCode == 0 ? output : $"nvidia-smi failed: {process.StandardError.ReadToEnd().Trim()}";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "none (nvidia-smi not found)";
        }
    }
}

/// <summary>Keeps the engine's log lines (the provider it chose, why CUDA did not load) for the report; echoes them to stderr.</summary>
internal sealed class CollectingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get { lock (_messages) return _messages.ToArray(); }
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{logLevel}: {formatter(state, exception)}";
        Console.Error.WriteLine($"[engine] {line}");
        lock (_messages) _messages.Add(line);
    }

    public void Dispose()
    {
    }
}
