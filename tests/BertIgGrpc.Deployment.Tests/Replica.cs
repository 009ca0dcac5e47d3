using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// One real server process (the server's build output run with `dotnet`), listening on two free loopback ports.
/// Stopped with SIGTERM like a Kubernetes pod (health turns NOT_SERVING, Kestrel drains), killed when it does not
/// exit in time, and always killed on dispose.
/// </summary>
internal sealed partial class Replica : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly StringBuilder _log = new();
    private readonly Process _process;

    private Replica(string name, Process process, int grpcPort, int httpPort)
    {
        Name = name;
        _process = process;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
    }

    public string Name { get; }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public Uri HttpAddress => new($"http://127.0.0.1:{HttpPort}");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Gets the peak resident memory of the process so far (VmHWM on Linux).</summary>
    public long PeakWorkingSetBytes
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    /// <summary>Gets what the server printed so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a replica and waits until grpc.health.v1 reports SERVING.
    /// </summary>
    /// <param name="name">A name for messages.</param>
    /// <param name="serverDll">The server assembly to run.</param>
    /// <param name="arguments">Configuration arguments besides the endpoints (cache directory, limits).</param>
    /// <param name="environment">Extra environment variables, or null.</param>
    /// <param name="startup">How long to wait for SERVING.</param>
    public static async Task<Replica> StartAsync(
        string name,
        string serverDll,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        TimeSpan startup)
    {
        int grpcPort = FreePort(), httpPort = FreePort();
        var start = new ProcessStartInfo(Repo.DotnetHost)
        {
            // The content root is the output folder, where appsettings.json and the native libraries are.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        start.ArgumentList.Add($"--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:{grpcPort}");
        start.ArgumentList.Add($"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{httpPort}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var replica = new Replica(name, process, grpcPort, httpPort);
        process.OutputDataReceived += (_, e) => replica.Append(e.Data);
        process.ErrorDataReceived += (_, e) => replica.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await replica.WaitForServingAsync(startup);
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }

        return replica;
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; kills it when it has not exited within <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill(SIGTERM) failed for {Name}: errno {Marshal.GetLastPInvokeError()}.");
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            throw new TimeoutException($"{Name} did not exit within {timeout} of SIGTERM.\n{Tail()}");
        }
    }

    /// <summary>Reads <c>bertig_grpc_requests_total{method, code}</c> from the replica's /metrics (0 when the series does not exist yet).</summary>
    public async Task<int> CountCallsAsync(HttpClient http, string method, string code = "OK")
    {
        var text = await http.GetStringAsync(new Uri(HttpAddress, "/metrics"));
        var total = 0.0;
        foreach (Match m in MetricLine().Matches(text))
        {
            var labels = m.Groups["labels"].Value;
            if (labels.Contains($"method=\"{method}\"", StringComparison.Ordinal) && labels.Contains($"code=\"{code}\"", StringComparison.Ordinal))
            {
                total += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return (int)total;
    }

    /// <summary>The end of the server's log, for failure messages.</summary>
    public string Tail(int chars = 3000)
    {
        var log = Log;
        return $"--- {Name} log (tail) ---\n{(log.Length > chars ? log[^chars..] : log)}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"^bertig_grpc_requests_total\{(?<labels>[^}]*)\}\s+(?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitForServingAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var channel = GrpcChannel.ForAddress(GrpcAddress);
        var health = new Health.HealthClient(channel);
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was SERVING.\n{Tail()}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }

                last = reply.Status.ToString();
            }
            catch (RpcException ex)
            {
                last = $"{ex.StatusCode}: {ex.Status.Detail}";
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"{Name} was not SERVING after {timeout} (last health answer: {last}).\n{Tail()}");
    }
}
