using BertIgGrpc.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

namespace BertIgGrpc.Cli;

/// <summary>The <c>bertig</c> command line, callable in-process (tests pass their own console).</summary>
public static class BertigApp
{
    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="console">The console to write to; the process console by default.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The exit code: 0 on success, 2 for an invalid request, 3 for a failed call, other non-zero for usage errors.</returns>
    public static Task<int> RunAsync(string[] args, IAnsiConsole? console = null, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("bertig");
            if (console is not null)
            {
                config.ConfigureConsole(console);
            }

            config.AddCommand<ExplainCommand>("explain")
                .WithDescription("Explain a text with Integrated Gradients (live progress, coloured tokens, --json, --html FILE).")
                .WithExample("explain", "\"This movie is superb\"", "--html", "out.html");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Classify one or more texts.")
                .WithExample("predict", "\"great film\"", "\"dull plot\"");
            config.AddCommand<ModelsCommand>("models")
                .WithDescription("List the server's models.");
        });
        return app.RunAsync(args, cancellationToken);
    }
}
