using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace BertIgGrpc.Client.Tests;

/// <summary>
/// Starts the real BertIgGrpc.Server (its build output, as `dotnet BertIgGrpc.Server.dll`) on loopback ports the system picks (port 0, read back from its log) with a
/// temporary cache directory, waits until grpc.health.v1 reports SERVING, and stops it afterwards. One server is shared
/// by every test in the <see cref="RealServerCollection"/>, because the first start builds the default model.
/// Environment overrides: BERTIG_SERVER_DLL (server assembly), BERTIG_TEST_CACHE_DIR (reuse a model cache),
/// BERTIG_TEST_STARTUP_SECONDS (health wait, default 180).
/// </summary>
public class RealServer : IAsyncLifetime
{
    private readonly StringBuilder _log = new();
    private readonly List<Uri> _listening = [];
    private Process? _process;
    private string? _tempCache;

    /// <summary>Gets the gRPC address (h2c).</summary>
    public Uri GrpcAddress { get; private set; } = null!;

    /// <summary>Gets the HTTP address.</summary>
    public Uri HttpAddress { get; private set; } = null!;

    /// <summary>Gets what the server printed so far (for failure messages).</summary>
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

    /// <summary>A failure message: what the caller saw plus the end of the server's log.</summary>
    /// <param name="output">What the test observed.</param>
    /// <returns>The message.</returns>
    public string Explain(string output)
    {
        var log = Log;
        return $"{output}\n--- server log (tail) ---\n{(log.Length > 4000 ? log[^4000..] : log)}";
    }

    /// <summary>A client for this server, retries shortened so that failures show quickly.</summary>
    /// <returns>The client; dispose it.</returns>
    public BertIgClient CreateClient(bool validateRequests = true) => BertIgClient.Create(new BertIgClientOptions
    {
        Address = GrpcAddress,
        DefaultDeadline = TimeSpan.FromMinutes(3),
        MaxAttempts = 2,
        ValidateRequests = validateRequests,
    });

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var serverDll = FindServerAssembly();
        var cacheDir = Environment.GetEnvironmentVariable("BERTIG_TEST_CACHE_DIR");
        if (string.IsNullOrEmpty(cacheDir))
        {
            _tempCache = Directory.CreateTempSubdirectory("bertig-csharp-tests-").FullName;
            cacheDir = _tempCache;
        }


        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            // The content root is the output folder, where appsettings.json and the native libraries are.
            WorkingDirectory = Path.GetDirectoryName(serverDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(serverDll);
        // Port 0: the system picks free ports as Kestrel binds them (no pick-then-bind race); they are read back from
        // the "Now listening on:" lines, in Kestrel's binding order of the configured endpoints ("Grpc", then "Http").
        start.ArgumentList.Add("--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0");
        start.ArgumentList.Add("--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0");
        start.ArgumentList.Add($"--BertIg:CacheDirectory={cacheDir}");
        foreach (var argument in ExtraArguments())
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitForAddressesAsync().ConfigureAwait(false);
        await WaitForServingAsync().ConfigureAwait(false);
    }

    /// <summary>More server settings (command-line style), for fixtures that configure security.</summary>
    /// <returns>The arguments.</returns>
    protected virtual IEnumerable<string> ExtraArguments() => [];

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        if (_tempCache is not null)
        {
            try
            {
                Directory.Delete(_tempCache, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless; a failing cleanup must not fail the run.
            }
        }
    }

    private static string FindServerAssembly()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BERTIG_SERVER_DLL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.Exists(fromEnv) ? fromEnv : throw new FileNotFoundException($"BERTIG_SERVER_DLL points to a missing file: {fromEnv}");
        }

        // This test assembly lives in .../bin/<Configuration>/<tfm>/; the server is built to the same configuration
        // because the test project references it (ReferenceOutputAssembly=false).
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "BertIgGrpc.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"Cannot find BertIgGrpc.sln above {AppContext.BaseDirectory}.");
        }

        var dll = Path.Combine(root.FullName, "src", "BertIgGrpc.Server", "bin", configuration, tfm, "BertIgGrpc.Server.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"The server is not built: {dll}. Run `dotnet build src/BertIgGrpc.Server` (or build the solution).");
    }

    private async Task WaitForAddressesAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            lock (_log)
            {
                if (_listening.Count >= 2)
                {
                    (GrpcAddress, HttpAddress) = (_listening[0], _listening[1]);
                    return;
                }
            }

            if (_process!.HasExited || DateTime.UtcNow > deadline)
            {
                await Task.Delay(100).ConfigureAwait(false); // let the last output lines arrive
                throw new InvalidOperationException($"The server did not report its two listening addresses.\n{Log}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
            const string listening = "Now listening on: ";
            var at = line.IndexOf(listening, StringComparison.Ordinal);
            if (at >= 0)
            {
                _listening.Add(new Uri(line[(at + listening.Length)..].Trim()));
            }
        }
    }

    private async Task WaitForServingAsync()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("BERTIG_TEST_STARTUP_SECONDS"), out var s) ? s : 180;
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        using var channel = GrpcChannel.ForAddress(GrpcAddress);
        var health = new Health.HealthClient(channel);
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                // Drains the redirected output to EOF, so that the message below carries the server's last words.
                await _process.WaitForExitAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"The server exited with code {_process.ExitCode} before it was SERVING.\n{Log}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5)).ConfigureAwait(false);
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

            await Task.Delay(500).ConfigureAwait(false);
        }

        throw new TimeoutException($"The server was not SERVING after {seconds} s (last health answer: {last}).\n{Log}");
    }
}

/// <summary>Tests that share one <see cref="RealServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RealServerCollection : ICollectionFixture<RealServer>
{
    /// <summary>The collection name.</summary>
    public const string Name = "real server";
}
