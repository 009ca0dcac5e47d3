using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>Reading a rendered overlay: the Deployment, its server container, the effective settings, quantities.</summary>
public sealed partial class KubernetesManifestTests
{
    private static Task<IReadOnlyList<JsonObject>> RenderAsync(string overlay) => Kustomize.RenderAsync(Path.Combine(Root, "overlays", overlay));

    private static JsonObject Deployment(IEnumerable<JsonObject> objects) => objects.Single(o => o.Str("kind") == "Deployment");

    private static JsonNode Container(IEnumerable<JsonObject> objects)
        => Deployment(objects).Items("spec.template.spec.containers").Single(c => c.Str("name") == "server");

    private static int ContainerPort(JsonNode container, string name)
        => container.Items("ports").Single(p => p.Str("name") == name).Int("containerPort");

    private static Dictionary<string, string> Env(JsonNode container)
        => container.Items("env").ToDictionary(e => e.Str("name"), e => e.Str("value"));

    /// <summary>The server's effective settings in the pod: appsettings.Production.json from the ConfigMap, then the environment (ASP.NET's order).</summary>
    private static Dictionary<string, string> Settings(IEnumerable<JsonObject> objects, JsonNode container)
    {
        var json = objects.Single(o => o.Str("kind") == "ConfigMap").At("data")!["appsettings.Production.json"]!.GetValue<string>();
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void Flatten(JsonNode? node, string prefix)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    Flatten(value, prefix.Length == 0 ? key : $"{prefix}:{key}");
                }
            }
            else if (node is JsonValue v)
            {
                settings[prefix] = v.ToString();
            }
        }

        Flatten(JsonNode.Parse(json), "");
        foreach (var (key, value) in Env(container))
        {
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return settings;
    }

    private static JsonObject Subset(JsonObject labels, JsonObject keys)
        => new(keys.Select(kv => KeyValuePair.Create(kv.Key, labels[kv.Key]?.DeepClone())));

    private static int MiB(string quantity)
    {
        var m = Quantity().Match(quantity);
        Assert.True(m.Success, $"Unsupported memory quantity {quantity}.");
        var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        return (int)(m.Groups["unit"].Value switch
        {
            "Gi" => value * 1024,
            "Mi" => value,
            "G" => value * 1e9 / (1024 * 1024),
            "M" => value * 1e6 / (1024 * 1024),
            _ => value / (1024 * 1024),
        });
    }

    [GeneratedRegex(@"^(?<value>[0-9.]+)(?<unit>Gi|Mi|G|M)?$")]
    private static partial Regex Quantity();

    [GeneratedRegex(@"(?<=bertig-config)-[a-z0-9]{10}\b")]
    private static partial Regex HashSuffix();
}
