using System.Text.RegularExpressions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>One instruction of a Dockerfile (continuation lines joined, comments dropped).</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

/// <summary>One build stage: its base image (global ARG defaults substituted), its name and its instructions.</summary>
internal sealed record DockerStage(string Name, string BaseImage, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<string> All(string keyword)
        => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    /// <summary>The stage's ENV as key/value pairs (the <c>KEY=VALUE ...</c> form, values without quotes).</summary>
    public IReadOnlyDictionary<string, string> Environment
        => All("ENV").SelectMany(args => Dockerfile.Pairs().Matches(args))
            .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value.Trim('"'));
}

/// <summary>
/// A small reader of the repository's Dockerfile: enough to check what the image promises (stages, base images, ENV,
/// EXPOSE, USER, ENTRYPOINT) against the manifests, the project's container settings and the publish output.
/// </summary>
internal static partial class Dockerfile
{
    public static IReadOnlyList<DockerStage> Parse(string text)
    {
        var args = new Dictionary<string, string>();
        var stages = new List<DockerStage>();
        string? name = null, image = null;
        var current = new List<DockerInstruction>();
        foreach (var instruction in Instructions(text))
        {
            if (instruction.Keyword == "ARG" && image is null)
            {
                var parts = instruction.Arguments.Split('=', 2);
                args[parts[0].Trim()] = parts.Length > 1 ? parts[1].Trim() : "";
            }
            else if (instruction.Keyword == "FROM")
            {
                if (image is not null)
                {
                    stages.Add(new DockerStage(name ?? stages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), image, current));
                }

                var from = FromArguments().Match(instruction.Arguments);
                image = Variable().Replace(from.Groups["image"].Value, m => args.GetValueOrDefault(m.Groups["name"].Value, m.Value));
                name = from.Groups["name"].Success ? from.Groups["name"].Value : null;
                current = [];
            }
            else
            {
                current.Add(instruction);
            }
        }

        if (image is not null)
        {
            stages.Add(new DockerStage(name ?? stages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), image, current));
        }

        return stages;
    }

    public static IReadOnlyList<DockerStage> Load() => Parse(File.ReadAllText(Repo.PathOf("Dockerfile")));

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""]*""|\S*)")]
    internal static partial Regex Pairs();

    private static IEnumerable<DockerInstruction> Instructions(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var joined = line;
            while (joined.EndsWith('\\') && i + 1 < lines.Length)
            {
                var next = lines[++i].Trim();
                joined = joined[..^1].TrimEnd() + (next.StartsWith('#') ? "" : " " + next);
            }

            var space = joined.IndexOf(' ', StringComparison.Ordinal);
            yield return space < 0
                ? new DockerInstruction(joined.ToUpperInvariant(), "", start)
                : new DockerInstruction(joined[..space].ToUpperInvariant(), joined[(space + 1)..].Trim(), start);
        }
    }

    [GeneratedRegex(@"^(--platform=\S+\s+)?(?<image>\S+)(\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromArguments();

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Variable();
}
