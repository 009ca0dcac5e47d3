using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(BertIgGrpc.Benchmarks.ExplainBenchmarks).Assembly).Run(args);
