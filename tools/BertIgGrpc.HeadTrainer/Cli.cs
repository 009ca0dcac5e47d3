using BertIgGrpc.Engine.Models.DefaultModel;

namespace BertIgGrpc.HeadTrainer;

/// <summary>The trainer's command-line and file helpers.</summary>
internal static class Cli
{
    public static List<(int Label, string Text)> ReadValidation(string path)
    {
        var rows = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .Select(p => (Label: Array.IndexOf(MiniLmSentiment.Labels.ToArray(), p[0]), Text: p[1])).ToList();
        return rows.Any(v => v.Label < 0) ? throw new InvalidDataException($"{path}: every label must be 'negative' or 'positive'.") : rows;
    }

    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BertIgGrpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the repository (BertIgGrpc.sln not found above the current directory).");
    }

    public static string? ArgValue(string name)
    {
        var args = Environment.GetCommandLineArgs();
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
