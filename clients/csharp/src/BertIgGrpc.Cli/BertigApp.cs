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
                .WithDescription("Explain texts with Integrated Gradients: per-word and per-token attributions (coloured in a terminal, plain text in a pipe; --json, --html FILE).")
                .WithExample("explain", "\"This movie is superb\"", "--html", "out.html")
                .WithExample("explain", "-", "--top", "5", "--sort", "magnitude")
                .WithExample("explain", "--file", "review.txt", "--truncate")
                .WithExample("explain", "\"great film\"", "\"dull plot\"");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Classify one or more texts.")
                .WithExample("predict", "\"great film\"", "\"dull plot\"");
            config.AddCommand<ModelsCommand>("models")
                .WithDescription("List the server's models.");
        });
        // Spectre.Console.Cli reads a lone "-" as an option without a name; the usual "read standard input" argument
        // reaches the command as a token no one types.
        return app.RunAsync([.. args.Select(a => a == ExplainSettings.StdinArgument ? ExplainSettings.StdinToken : a)], cancellationToken);
    }
}
