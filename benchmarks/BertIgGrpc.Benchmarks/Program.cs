using BenchmarkDotNet.Running;
using BertIgGrpc.Benchmarks;

switch (args.FirstOrDefault())
{
    case "profile":
        GraphProfiler.Run(args[1..]);
        break;
    case "macs":
        GraphProfiler.Run(args[1..], macsOnly: true);
        break;
    case "grpc-load":
        await GrpcLoadBenchmark.RunAsync(args[1..]);
        break;
    case "load":
        await LoadBenchmark.RunAsync(args[1..]);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(ExplainBenchmarks).Assembly).Run(args);
        break;
}
