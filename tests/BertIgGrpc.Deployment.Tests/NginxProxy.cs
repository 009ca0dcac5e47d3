using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// nginx (the Debian package, installed by .ci/run) running <c>deploy/nginx/bertig.conf</c> with its upstream pointed at
/// loopback replicas and its listener on a free loopback port, under a temporary prefix; stopped and deleted on dispose.
/// </summary>
internal sealed partial class NginxProxy : IAsyncDisposable
{
    private const int SigQuit = 3;
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NginxProxy(Process process, string prefix, int port)
    {
        _process = process;
        Prefix = prefix;
        Port = port;
    }

    public string Prefix { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>Gets the access log (one line per call: upstream address and gRPC status).</summary>
    public string AccessLog => File.Exists(AccessLogPath) ? File.ReadAllText(AccessLogPath) : "";

    private string AccessLogPath => Path.Combine(Prefix, "logs", "access.log");

    /// <summary>Finds nginx, or fails naming the package to install.</summary>
    public static string Executable => Repo.FindOnPath("nginx", "/usr/sbin", "/usr/local/sbin")
        ?? throw new InvalidOperationException("nginx is not installed: run .ci/run, which installs the Debian package nginx.");

    /// <summary>
    /// Renders <c>deploy/nginx/bertig.conf</c> for the given upstream ports: the sample <c>server</c> lines of the upstream
    /// become one line per port (keeping their parameters), <c>listen</c> moves to a free loopback port and the access log
    /// into the prefix. Everything else is used as written.
    /// </summary>
    public static string Render(string template, IReadOnlyList<int> upstreamPorts, int listenPort, string prefix)
    {
        var upstream = UpstreamBlock().Match(template);
        Assert.True(upstream.Success, "deploy/nginx/bertig.conf has no `upstream bertig_grpc { ... }` block.");
        var servers = ServerLine().Matches(upstream.Value);
        Assert.True(servers.Count > 0, "The upstream block of deploy/nginx/bertig.conf lists no server.");
        var parameters = servers[0].Groups["params"].Value;
        var lines = string.Concat(upstreamPorts.Select(p => $"    server 127.0.0.1:{p}{parameters};\n"));
        var body = ServerLine().Replace(upstream.Value, "");
        body = body.Insert(body.IndexOf('{', StringComparison.Ordinal) + 2, lines);
        var rendered = template.Replace(upstream.Value, body, StringComparison.Ordinal);

        Assert.Single(ListenLine().Matches(rendered));
        rendered = ListenLine().Replace(rendered, m => $"{m.Groups["indent"].Value}listen 127.0.0.1:{listenPort}{m.Groups["params"].Value};");
        Assert.Single(AccessLogLine().Matches(rendered));
        return AccessLogLine().Replace(rendered, m => $"{m.Groups["indent"].Value}access_log {Path.Combine(prefix, "logs", "access.log")}{m.Groups["params"].Value};");
    }

    /// <summary>Starts nginx in the foreground (master + one worker) and waits until it accepts connections.</summary>
    public static async Task<NginxProxy> StartAsync(IReadOnlyList<int> upstreamPorts)
    {
        var nginx = Executable;
        var prefix = Directory.CreateTempSubdirectory("bertig-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        Directory.CreateDirectory(Path.Combine(prefix, "temp"));
        var port = Replica.FreePort();
        var site = Render(await File.ReadAllTextAsync(Repo.PathOf("deploy/nginx/bertig.conf")), upstreamPorts, port, prefix);
        await File.WriteAllTextAsync(Path.Combine(prefix, "bertig.conf"), site);

        // The main file Debian's /etc/nginx/nginx.conf would be, reduced to what a private instance needs.
        var main = $$"""
            worker_processes 1;
            daemon off;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 256; }
            http {
                client_body_temp_path {{prefix}}/temp/body;
                proxy_temp_path {{prefix}}/temp/proxy;
                fastcgi_temp_path {{prefix}}/temp/fastcgi;
                uwsgi_temp_path {{prefix}}/temp/uwsgi;
                scgi_temp_path {{prefix}}/temp/scgi;
                include {{prefix}}/bertig.conf;
            }
            """;
        var conf = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(conf, main);

        var start = new ProcessStartInfo(nginx)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-p", prefix + "/", "-e", Path.Combine(prefix, "logs", "error.log"), "-c", conf })
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        var proxy = new NginxProxy(process, prefix, port);
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await proxy.WaitForListenerAsync(TimeSpan.FromSeconds(20));
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    /// <summary>nginx's own messages, for failure messages.</summary>
    public string Diagnostics()
    {
        var error = Path.Combine(Prefix, "logs", "error.log");
        string output;
        lock (_output)
        {
            output = _output.ToString();
        }

        return $"--- nginx output ---\n{output}\n--- nginx error.log ---\n{(File.Exists(error) ? File.ReadAllText(error) : "")}\n--- nginx access.log ---\n{AccessLog}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGQUIT: graceful shutdown of master and workers; the tree is killed if it takes too long.
                _ = Kill(_process.Id, SigQuit);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(Prefix, recursive: true);
        }
        catch (IOException)
        {
            // Cleanup must not fail the run.
        }
        catch (UnauthorizedAccessException)
        {
            // Temp folders created by the worker user: left for the OS to clean.
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"upstream\s+bertig_grpc\s*\{[^}]*\}")]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"^[ \t]*server[ \t]+[^\s;]+(?<params>[^;]*);[ \t]*\r?\n", RegexOptions.Multiline)]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"^(?<indent>[ \t]*)listen[ \t]+[^\s;]+(?<params>[^;]*);", RegexOptions.Multiline)]
    private static partial Regex ListenLine();

    [GeneratedRegex(@"^(?<indent>[ \t]*)access_log[ \t]+[^\s;]+(?<params>[^;]*);", RegexOptions.Multiline)]
    private static partial Regex AccessLogLine();

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task WaitForListenerAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"nginx exited with code {_process.ExitCode}.\n{Diagnostics()}");
            }

            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"nginx did not listen on {Port} within {timeout}.\n{Diagnostics()}");
    }
}
