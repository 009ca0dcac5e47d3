using System.Runtime.InteropServices;

namespace BertIgGrpc.Engine.Execution;

/// <summary>Free and total memory of a CUDA device, in bytes.</summary>
/// <param name="FreeBytes">Memory not allocated by any process (the CUDA driver's view).</param>
/// <param name="TotalBytes">The device's memory.</param>
public readonly record struct GpuMemoryInfo(long FreeBytes, long TotalBytes);

/// <summary>
/// Asks the CUDA runtime library that ONNX Runtime's CUDA provider loaded (<c>libcudart.so.13</c>, or 12) how much
/// memory device 0 has (<c>cudaMemGetInfo</c>). Only called once a session was created on CUDA, so the library is on
/// the search path and the device is initialized; any failure (library or symbol missing, an error code) gives
/// <c>null</c> and the caller falls back to a fixed budget.
/// </summary>
public static class GpuMemory
{
    // The CUDA provider of ONNX Runtime 1.31 links libcudart.so.13; builds for CUDA 12 link .so.12.
    private static readonly string[] Libraries = ["libcudart.so.13", "libcudart.so.12", "cudart64_13.dll", "cudart64_12.dll"];

    private static readonly Lazy<GpuMemoryInfo?> AtFirstQuery = new(Query, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Gets device 0's memory as it was at the first call in this process (so every model of a process sizes its runs alike).</summary>
    public static GpuMemoryInfo? AtFirstUse => AtFirstQuery.Value;

    /// <summary>Gets device 0's memory now, or <c>null</c> when the CUDA runtime cannot be asked.</summary>
    public static GpuMemoryInfo? Query()
    {
        foreach (var name in Libraries)
        {
            if (!NativeLibrary.TryLoad(name, typeof(GpuMemory).Assembly, null, out var library))
            {
                continue;
            }

            try
            {
                if (!NativeLibrary.TryGetExport(library, "cudaMemGetInfo", out var address))
                {
                    continue;
                }

                return Call(address);
            }
            finally
            {
                NativeLibrary.Free(library);
            }
        }

        return null;
    }

    private static unsafe GpuMemoryInfo? Call(IntPtr address)
    {
        nuint free = 0, total = 0;
        var status = ((delegate* unmanaged<nuint*, nuint*, int>)address)(&free, &total);
        return status == 0 && total > 0 ? new GpuMemoryInfo((long)free, (long)total) : null;
    }
}
