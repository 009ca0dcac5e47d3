using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>YAML documents as <see cref="JsonNode"/> trees (YamlDotNet's representation model; every scalar kept as a string).</summary>
internal static class Yaml
{
    public static IReadOnlyList<JsonObject> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>().ToList();
    }

    public static JsonNode? LoadFile(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses a single-document YAML text (any root: map, list or scalar).</summary>
    public static JsonNode? Parse(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 1 ? ToJson(stream.Documents[0].RootNode) : throw new InvalidDataException($"Expected one YAML document, found {stream.Documents.Count}.");
    }

    /// <summary>The same tree with every object's keys in ordinal order, as text: equal trees give equal strings.</summary>
    public static string Canonical(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Sort(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: null or "" or "~" or "null" } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => throw new InvalidDataException($"Unsupported YAML node {node.NodeType}."),
    };
}

/// <summary>Navigation helpers over the parsed manifests.</summary>
internal static class JsonNodeExtensions
{
    public static string Str(this JsonNode? node, string path)
        => node.At(path)?.GetValue<string>() ?? throw new KeyNotFoundException($"No {path}.");

    public static int Int(this JsonNode? node, string path) => int.Parse(node.Str(path), System.Globalization.CultureInfo.InvariantCulture);

    public static bool Bool(this JsonNode? node, string path) => bool.Parse(node.Str(path));

    /// <summary>Follows a dotted path (<c>spec.template.spec</c>); null when a step is missing.</summary>
    public static JsonNode? At(this JsonNode? node, string path)
    {
        foreach (var step in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(step, out var next) ? next : null;
        }

        return node;
    }

    public static IEnumerable<JsonNode> Items(this JsonNode? node, string path)
        => node.At(path) is JsonArray a ? a.OfType<JsonNode>() : [];
}
