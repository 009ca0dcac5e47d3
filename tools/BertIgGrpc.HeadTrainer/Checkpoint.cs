using System.Runtime.InteropServices;

namespace BertIgGrpc.HeadTrainer;

/// <summary>Tuning checkpoints: theta, Adam's moments and the step count after each epoch (<c>epoch-N.bin</c> in a folder), and the report lines so far (<c>epoch-N.log</c>).</summary>
internal static class Checkpoint
{
    public static void Save(string? dir, int epoch, float[] theta, double[] m, double[] v, long step, IEnumerable<string> log)
    {
        if (dir is null) return;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $"epoch-{epoch}.tmp");
        using (var w = new BinaryWriter(File.Create(temp)))
        {
            w.Write(theta.Length);
            w.Write(step);
            w.Write(MemoryMarshal.AsBytes(theta.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(m.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(v.AsSpan()));
        }

        File.WriteAllLines(Path.Combine(dir, $"epoch-{epoch}.log"), log);
        File.Move(temp, Path.Combine(dir, $"epoch-{epoch}.bin"), overwrite: true);
    }

    /// <summary>Loads the latest checkpoint into the arrays and returns its epoch (0, arrays untouched, when there is none).</summary>
    public static int Load(string? dir, float[] theta, double[] m, double[] v, out long step, List<string> log)
    {
        step = 0;
        if (dir is null || !Directory.Exists(dir)) return 0;
        var latest = Directory.GetFiles(dir, "epoch-*.bin").Select(f => (File: f, Epoch: int.Parse(Path.GetFileNameWithoutExtension(f)[6..], System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(c => c.Epoch).LastOrDefault();
        if (latest.File is null) return 0;
        using var r = new BinaryReader(File.OpenRead(latest.File));
        if (r.ReadInt32() != theta.Length) throw new InvalidDataException($"{latest.File} holds another theta size.");
        step = r.ReadInt64();
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(theta.AsSpan()));
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(m.AsSpan()));
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(v.AsSpan()));
        var logFile = Path.ChangeExtension(latest.File, ".log");
        if (File.Exists(logFile))
        {
            log.Clear();
            log.AddRange(File.ReadAllLines(logFile));
        }

        Console.Error.WriteLine($"tuning: resumed from {latest.File} (epoch {latest.Epoch}, step {step})");
        return latest.Epoch;
    }
}
