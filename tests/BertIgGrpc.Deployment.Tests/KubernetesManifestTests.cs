using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BertIgGrpc.Deployment.Tests;

/// <summary>
/// deploy/kubernetes: each overlay rendered (kubectl kustomize when installed, else the fallback reader) and checked for
/// what running many replicas relies on: gRPC health probes on the right port and service, resources that hold the
/// memory budget, a locked-down security context, termination that outlasts the shutdown timeout, Services that select
/// the pods, an HPA and a PDB that agree, and a GPU only in the gpu overlay.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    /// <summary>The readiness probe's service: the name the server reports health for besides "" (ServerExtensions.ExplainerServiceName).</summary>
    private const string ExplainerHealthService = "bertig.v1.Explainer";

    /// <summary>
    /// Resident memory of one replica with the default model loaded, with margin: the measured peak is about 690 MiB
    /// (ClientLoadBalancingTests prints it; README "Deploying", sizing).
    /// </summary>
    private const int ModelResidentMiB = 1024;

    /// <summary>The longest the first start may take to build the default model into an empty cache, in seconds.</summary>
    private const int ModelBuildSeconds = 300;

    public static TheoryData<string> Overlays => new() { "cpu", "gpu" };

    public static TheoryData<string> KustomizationDirectories => new() { "base", "overlays/cpu", "overlays/gpu", "components/queue-autoscaling" };

    private static string Root => Repo.PathOf("deploy/kubernetes");

    [Theory]
    [MemberData(nameof(KustomizationDirectories))]
    public void Kustomization_ReferencesOnlyExistingFilesAndEveryManifestInItsFolder(string relative)
    {
        var directory = Path.Combine(Root, relative);
        var references = Kustomize.References(directory).ToList();
        Assert.NotEmpty(references);
        foreach (var (key, path) in references)
        {
            Assert.True(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), $"{relative}/kustomization.yaml ({key}) names {path}, which does not exist.");
        }

        // A manifest left out of `resources` would silently not be deployed. The adapter rule is applied elsewhere (see its header).
        var unreferenced = Directory.GetFiles(directory, "*.yaml")
            .Where(f => Path.GetFileName(f) is not ("kustomization.yaml" or "prometheus-adapter-rules.yaml"))
            .Where(f => !references.Any(r => r.Path == Path.GetFullPath(f)));
        Assert.Empty(unreferenced);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_Rendered_HoldsOneOfEachObjectAndTheConfigMapTheDeploymentMounts(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var kinds = objects.Select(o => $"{o.Str("kind")}/{HashSuffix().Replace(o.Str("metadata.name"), "")}").Order().ToArray();
        Assert.Equal(
            ["ConfigMap/bertig-config", "Deployment/bertig", "HorizontalPodAutoscaler/bertig", "PodDisruptionBudget/bertig", "Service/bertig", "Service/bertig-headless"],
            kinds);

        var configMap = objects.Single(o => o.Str("kind") == "ConfigMap");
        var volume = Deployment(objects).Items("spec.template.spec.volumes").Single(v => v.At("configMap") is not null);
        Assert.Equal(configMap.Str("metadata.name"), volume.Str("configMap.name"));
        var mount = Container(objects).Items("volumeMounts").Single(m => m.Str("name") == volume.Str("name"));
        Assert.Equal("/app/" + mount.Str("subPath"), mount.Str("mountPath")); // ASP.NET reads appsettings.{Environment}.json from the content root
        Assert.NotNull(configMap.At("data")![mount.Str("subPath")]);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployment_Probes_AskGrpcHealthOnTheGrpcPortAndWaitForTheModelBuild(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var container = Container(objects);
        var grpcPort = ContainerPort(container, "grpc");
        Assert.Equal(grpcPort, new Uri(Env(container)["Kestrel__Endpoints__Grpc__Url"]).Port);
        Assert.Equal(ContainerPort(container, "http"), new Uri(Env(container)["Kestrel__Endpoints__Http__Url"]).Port);

        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Assert.True(container.At(probe + ".grpc") is not null, $"{probe} is not a native gRPC probe.");
            Assert.Equal(grpcPort, container.Int(probe + ".grpc.port"));
        }

        // Ready only when the Explainer itself serves; alive and started as soon as the whole server answers.
        Assert.Equal(ExplainerHealthService, container.Str("readinessProbe.grpc.service"));
        Assert.True(container.Int("startupProbe.periodSeconds") * container.Int("startupProbe.failureThreshold") >= ModelBuildSeconds,
            "The startup probe gives up before the default model can be built on a cold cache.");
        Assert.True(container.Int("livenessProbe.periodSeconds") * container.Int("livenessProbe.failureThreshold") >= 30,
            "The liveness probe restarts a replica after less than 30 s of unanswered checks (a long GC or a burst).");

        var annotations = Deployment(objects).At("spec.template.metadata.annotations")!;
        Assert.Equal(ContainerPort(container, "http").ToString(CultureInfo.InvariantCulture), annotations["prometheus.io/port"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployment_Resources_HoldTheModelPlusEveryConcurrentRun(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var container = Container(objects);
        var settings = Settings(objects, container);
        var concurrency = int.Parse(settings["BertIg:Server:MaxConcurrentExplanations"], CultureInfo.InvariantCulture);
        var runMiB = int.Parse(settings["BertIg:Limits:MaxRunMemoryMB"], CultureInfo.InvariantCulture);
        // 0 would mean "one per processor", and without a CPU limit that is the node's core count, not the pod's share.
        Assert.True(concurrency > 0, "MaxConcurrentExplanations must be set explicitly in a pod.");

        var request = MiB(container.Str("resources.requests.memory"));
        var limit = MiB(container.Str("resources.limits.memory"));
        Assert.True(request <= limit, $"memory request {request} Mi is above the limit {limit} Mi.");
        Assert.True(limit >= ModelResidentMiB + concurrency * runMiB,
            $"memory limit {limit} Mi cannot hold the model ({ModelResidentMiB} Mi) plus {concurrency} runs of {runMiB} MB.");
        Assert.True(request >= ModelResidentMiB + runMiB, $"memory request {request} Mi does not hold the model plus one run.");

        if (container.At("resources.limits")?["nvidia.com/gpu"] is null)
        {
            // On CPU nodes each explanation keeps a core busy: the request matches the admission limit.
            Assert.True(double.Parse(container.Str("resources.requests.cpu"), CultureInfo.InvariantCulture) >= concurrency,
                $"{concurrency} concurrent explanations on a CPU request of {container.Str("resources.requests.cpu")}.");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployment_SecurityContext_NonRootReadOnlyRootNoEscalationAndWritableVolumesOnly(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var pod = Deployment(objects).At("spec.template.spec")!;
        var container = Container(objects);

        Assert.True(pod.Bool("securityContext.runAsNonRoot"));
        Assert.NotEqual(0, pod.Int("securityContext.runAsUser"));
        Assert.Equal("RuntimeDefault", pod.Str("securityContext.seccompProfile.type"));
        Assert.False(pod.Bool("automountServiceAccountToken"));
        Assert.True(container.Bool("securityContext.readOnlyRootFilesystem"));
        Assert.False(container.Bool("securityContext.allowPrivilegeEscalation"));
        Assert.Contains("ALL", container.Items("securityContext.capabilities.drop").Select(n => n.GetValue<string>()));
        Assert.Null(container.At("securityContext.privileged"));

        // With a read-only root, the cache and /tmp must be writable volumes (emptyDir or a claim).
        var volumes = pod.Items("volumes").ToDictionary(v => v.Str("name"));
        foreach (var path in new[] { Env(container)["BertIg__CacheDirectory"], "/tmp" })
        {
            var mount = container.Items("volumeMounts").SingleOrDefault(m => m.Str("mountPath") == path);
            Assert.True(mount is not null, $"{path} is not a volume, but the server writes there and the root is read-only.");
            Assert.NotEqual("true", mount.At("readOnly")?.GetValue<string>());
            var volume = volumes[mount.Str("name")];
            Assert.True(volume.At("emptyDir") is not null || volume.At("persistentVolumeClaim") is not null, $"{path} is on neither an emptyDir nor a claim.");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployment_TerminationGrace_OutlastsPreStopPlusTheShutdownTimeout(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var container = Container(objects);
        var preStop = container.Int("lifecycle.preStop.sleep.seconds");
        var shutdown = double.Parse(Settings(objects, container)["BertIg:Server:ShutdownTimeoutSeconds"], CultureInfo.InvariantCulture);
        var grace = Deployment(objects).Int("spec.template.spec.terminationGracePeriodSeconds");
        Assert.True(preStop > 0, "No preStop pause: calls keep arriving while endpoints are updated.");
        Assert.True(grace > preStop + shutdown,
            $"terminationGracePeriodSeconds {grace} <= preStop {preStop} + ShutdownTimeoutSeconds {shutdown}: SIGKILL would cut in-flight calls.");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Services_SelectThePods_HeadlessForClientSideBalancing(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var deployment = Deployment(objects);
        var podLabels = deployment.At("spec.template.metadata.labels")!.AsObject();
        Assert.Equal(Yaml.Canonical(deployment.At("spec.selector.matchLabels")), Yaml.Canonical(Subset(podLabels, deployment.At("spec.selector.matchLabels")!.AsObject())));

        foreach (var service in objects.Where(o => o.Str("kind") == "Service"))
        {
            var selector = service.At("spec.selector")!.AsObject();
            Assert.NotEmpty(selector);
            Assert.Equal(Yaml.Canonical(selector), Yaml.Canonical(Subset(podLabels, selector)));
            var grpc = service.Items("spec.ports").Single(p => p.Str("name") == "grpc");
            Assert.Equal("grpc", grpc.Str("targetPort"));
            Assert.Equal("kubernetes.io/h2c", grpc.Str("appProtocol"));
        }

        var headless = objects.Single(o => o.Str("kind") == "Service" && o.Str("metadata.name") == "bertig-headless");
        Assert.Equal("None", headless.Str("spec.clusterIP"));
        Assert.Equal("false", headless.At("spec.publishNotReadyAddresses")?.GetValue<string>() ?? "false");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task AutoscalerAndDisruptionBudget_TargetTheDeploymentAndAlwaysLeaveAReplica(string overlay)
    {
        var objects = await RenderAsync(overlay);
        var deployment = Deployment(objects);
        var hpa = objects.Single(o => o.Str("kind") == "HorizontalPodAutoscaler");
        var pdb = objects.Single(o => o.Str("kind") == "PodDisruptionBudget");

        Assert.Equal("autoscaling/v2", hpa.Str("apiVersion"));
        Assert.Equal("Deployment", hpa.Str("spec.scaleTargetRef.kind"));
        Assert.Equal(deployment.Str("metadata.name"), hpa.Str("spec.scaleTargetRef.name"));
        var min = hpa.Int("spec.minReplicas");
        Assert.True(min >= 2 && min <= hpa.Int("spec.maxReplicas"), $"HPA replicas {min}..{hpa.Int("spec.maxReplicas")}.");
        // The autoscaler owns the replica count; a count in the Deployment would be reset by every `kubectl apply`.
        Assert.Null(deployment.At("spec.replicas"));

        Assert.Equal("policy/v1", pdb.Str("apiVersion"));
        Assert.Equal(Yaml.Canonical(deployment.At("spec.selector.matchLabels")), Yaml.Canonical(pdb.At("spec.selector.matchLabels")));
        Assert.True(pdb.Int("spec.maxUnavailable") < min, "The disruption budget lets a drain take every replica.");

        var metrics = hpa.Items("spec.metrics").ToList();
        if (overlay == "gpu")
        {
            // Both admission queues the server exports: explanations, and Predict (admitted apart, by tokens).
            Assert.All(metrics, m => Assert.Equal("Pods", m.Str("type")));
            Assert.Equal(["bertig_explain_queue_depth", "bertig_predict_queue_depth"], metrics.Select(m => m.Str("pods.metric.name")));
            Assert.Equal("true", deployment.At("spec.template.metadata.annotations")!["prometheus.io/scrape"]!.GetValue<string>());
        }
        else
        {
            var metric = Assert.Single(metrics);
            Assert.Equal("Resource", metric.Str("type"));
            Assert.Equal("cpu", metric.Str("resource.name"));
            Assert.Equal("Utilization", metric.Str("resource.target.type"));
        }
    }

    [Theory]
    [InlineData("cpu", "cpu", null, ":latest")]
    [InlineData("gpu", "cuda", "1", ":cuda")]
    public async Task Overlay_ExecutionProviderGpuAndImage_MatchTheNodeKind(string overlay, string provider, string? gpus, string imageTag)
    {
        var objects = await RenderAsync(overlay);
        var container = Container(objects);
        Assert.Equal(provider, Env(container)["BertIg__ExecutionProvider"]);
        Assert.Equal(gpus, container.At("resources.limits")?["nvidia.com/gpu"]?.GetValue<string>());
        Assert.EndsWith(imageTag, container.Str("image"), StringComparison.Ordinal);
        var tolerations = Deployment(objects).Items("spec.template.spec.tolerations").Select(t => t.Str("key"));
        Assert.Equal(gpus is not null, tolerations.Contains("nvidia.com/gpu"));
    }

    [Fact]
    public async Task Deployment_MatchesTheImage_PortsUserCacheAndEndpoints()
    {
        var runtime = Dockerfile.Load().Single(s => s.Name == "runtime");
        var objects = await RenderAsync("cpu");
        var container = Container(objects);
        var exposed = runtime.All("EXPOSE").SelectMany(e => e.Split(' ')).Select(int.Parse).Order();
        Assert.Equal(exposed, container.Items("ports").Select(p => p.Int("containerPort")).Order());
        Assert.Equal(runtime.All("USER").Last(), Deployment(objects).Str("spec.template.spec.securityContext.runAsUser"));
        foreach (var key in new[] { "BertIg__CacheDirectory", "Kestrel__Endpoints__Grpc__Url", "Kestrel__Endpoints__Http__Url" })
        {
            Assert.Equal(runtime.Environment[key], Env(container)[key]);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task FallbackRenderer_AgreesWithKubectlKustomize(string overlay)
    {
        // The fallback is what renders the overlays where kubectl is not installed; where it is, both must agree.
        var fallback = Normalize(Kustomize.Build(Path.Combine(Root, "overlays", overlay)));
        Assert.NotEmpty(fallback);
        if (Kustomize.Kubectl is not null)
        {
            Assert.Equal(Normalize(await Kustomize.RenderAsync(Path.Combine(Root, "overlays", overlay))), fallback);
        }

        static string[] Normalize(IEnumerable<JsonObject> objects)
            => objects.Select(o => HashSuffix().Replace(Yaml.Canonical(o), "")).Order(StringComparer.Ordinal).ToArray();
    }
}
