using System.Text.Json.Nodes;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// Renders a kustomization: with <c>kubectl kustomize</c> when kubectl is installed, else with <see cref="Build"/>, a
/// reader of the subset of kustomize these manifests use (resources, components, strategic-merge and JSON 6902
/// patches, images, labels, configMapGenerator from files). Generated ConfigMap names carry no hash in the fallback.
/// </summary>
internal static class Kustomize
{
    public static string? Kubectl => Repo.FindOnPath("kubectl");

    public static async Task<IReadOnlyList<JsonObject>> RenderAsync(string directory)
    {
        if (Kubectl is { } kubectl)
        {
            var run = await Cli.RunAsync(kubectl, ["kustomize", directory], directory, TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode == 0, $"kubectl kustomize {directory} failed:\n{run.Output}");
            return Yaml.LoadAll(run.Output);
        }

        return Build(directory);
    }

    /// <summary>Every file a kustomization names (resources, patches, components, generator files), with the key that names it.</summary>
    public static IEnumerable<(string Key, string Path)> References(string directory)
    {
        var k = Kustomization(directory);
        foreach (var item in k.Items("resources").Concat(k.Items("components")))
        {
            yield return ("resources/components", Path.GetFullPath(Path.Combine(directory, item.GetValue<string>())));
        }

        foreach (var patch in k.Items("patches"))
        {
            if (patch.At("path") is { } path)
            {
                yield return ("patches", Path.GetFullPath(Path.Combine(directory, path.GetValue<string>())));
            }
        }

        foreach (var generator in k.Items("configMapGenerator"))
        {
            foreach (var file in generator.Items("files"))
            {
                var spec = file.GetValue<string>();
                yield return ("configMapGenerator", Path.GetFullPath(Path.Combine(directory, spec.Contains('=') ? spec[(spec.IndexOf('=') + 1)..] : spec)));
            }
        }
    }

    public static JsonNode Kustomization(string directory)
        => Yaml.LoadFile(Path.Combine(directory, "kustomization.yaml")) ?? throw new InvalidDataException($"{directory}/kustomization.yaml is empty.");

    public static List<JsonObject> Build(string directory)
    {
        var k = Kustomization(directory);
        var objects = new List<JsonObject>();
        foreach (var item in k.Items("resources"))
        {
            var path = Path.Combine(directory, item.GetValue<string>());
            objects.AddRange(Directory.Exists(path) ? Build(path) : Yaml.LoadAll(File.ReadAllText(path)));
        }

        foreach (var generator in k.Items("configMapGenerator"))
        {
            var data = new JsonObject();
            foreach (var file in generator.Items("files"))
            {
                var name = file.GetValue<string>();
                data[Path.GetFileName(name)] = File.ReadAllText(Path.Combine(directory, name));
            }

            objects.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = generator.Str("name") },
                ["data"] = data,
            });
        }

        foreach (var item in k.Items("components"))
        {
            ApplyPatches(Path.Combine(directory, item.GetValue<string>()), Kustomization(Path.Combine(directory, item.GetValue<string>())), objects);
        }

        ApplyPatches(directory, k, objects);

        foreach (var label in k.Items("labels"))
        {
            foreach (var o in objects)
            {
                var labels = (o["metadata"]!["labels"] ??= new JsonObject()).AsObject();
                foreach (var (key, value) in label["pairs"]!.AsObject())
                {
                    labels[key] = value?.DeepClone();
                }
            }
        }

        foreach (var image in k.Items("images"))
        {
            foreach (var container in objects.SelectMany(o => o.Items("spec.template.spec.containers")))
            {
                var current = container.Str("image");
                var name = current.Split(':')[0];
                if (name == image.Str("name"))
                {
                    container["image"] = $"{image.At("newName")?.GetValue<string>() ?? name}:{image.Str("newTag")}";
                }
            }
        }

        return objects;
    }

    private static void ApplyPatches(string directory, JsonNode k, List<JsonObject> objects)
    {
        foreach (var patch in k.Items("patches"))
        {
            var text = File.ReadAllText(Path.Combine(directory, patch.Str("path")));
            if (patch.At("target") is { } target)
            {
                var targetObject = objects.Single(o => o.Str("kind") == target.Str("kind") && o.Str("metadata.name") == target.Str("name"));
                var ops = Yaml.Parse(text) as JsonArray ?? throw new InvalidDataException($"{patch.Str("path")} is not a JSON 6902 patch (a list of operations).");
                foreach (var op in ops.OfType<JsonNode>())
                {
                    ApplyJsonPatch(targetObject, op);
                }
            }
            else
            {
                foreach (var doc in Yaml.LoadAll(text))
                {
                    var targetObject = objects.Single(o => o.Str("kind") == doc.Str("kind") && o.Str("metadata.name") == doc.Str("metadata.name"));
                    Merge(targetObject, doc);
                }
            }
        }
    }

    private static void ApplyJsonPatch(JsonObject target, JsonNode op)
    {
        var steps = op.Str("path").TrimStart('/').Split('/');
        JsonNode parent = target;
        foreach (var step in steps[..^1])
        {
            parent = parent is JsonArray array ? array[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)]! : parent[step]!;
        }

        Assert.True(op.Str("op") is "replace" or "add", $"JSON patch op {op.Str("op")} is not supported by the fallback renderer.");
        parent[steps[^1]] = op["value"]?.DeepClone();
    }

    /// <summary>Strategic merge as kustomize does it for these kinds: maps merge, lists of named maps merge by name, other lists are replaced.</summary>
    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                Merge(targetObject, patchObject);
            }
            else if (value is JsonArray patchArray && target[key] is JsonArray targetArray && IsNamed(patchArray) && IsNamed(targetArray))
            {
                foreach (var item in patchArray.OfType<JsonObject>())
                {
                    var match = targetArray.OfType<JsonObject>().FirstOrDefault(t => t.Str("name") == item.Str("name"));
                    if (match is null)
                    {
                        // kustomize puts new named items first, in patch order.
                        targetArray.Insert(patchArray.IndexOf(item), item.DeepClone());
                    }
                    else
                    {
                        Merge(match, item);
                    }
                }
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    private static bool IsNamed(JsonArray array) => array.Count > 0 && array.All(i => i is JsonObject o && o.ContainsKey("name"));
}
