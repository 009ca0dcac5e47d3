using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertIgGrpc.Engine.Execution;

/// <summary>Creates ONNX Runtime sessions on CUDA when its provider loads, on CPU otherwise.</summary>
internal static partial class SessionFactory
{
    /// <summary>ONNX Runtime's name of the CUDA provider.</summary>
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>ONNX Runtime's name of the CPU provider.</summary>
    public const string Cpu = "CPUExecutionProvider";

    private static int _logged;

    /// <summary>
    /// Creates ONNX Runtime's process-wide environment with its own logging at FATAL: a missing CUDA library is
    /// expected on CPU machines and is reported once through our logger instead of as an ONNX Runtime error.
    /// Must run before any other ONNX Runtime call; later calls are no-ops.
    /// </summary>
    public static void EnsureEnvironment()
    {
        if (Interlocked.Exchange(ref _environment, 1) == 0)
        {
            try
            {
                var options = new EnvironmentCreationOptions { logId = "bertig", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
                OrtEnv.CreateInstanceWithOptions(ref options);
            }
            catch (OnnxRuntimeException)
            {
                // Someone else created the environment first; keep theirs.
            }
        }
    }

    private static int _environment;

    public static (InferenceSession Session, string Provider) Create(byte[] model, RuntimeSettings settings, ILogger logger)
    {
        EnsureEnvironment();
        var preference = settings.ExecutionProvider.Trim().ToLowerInvariant();
        if (preference is not ("auto" or "cuda" or "cpu"))
        {
            throw new ArgumentException($"ExecutionProvider must be auto, cuda or cpu (got '{settings.ExecutionProvider}').", nameof(settings));
        }

        var options = NewOptions(settings);
        var provider = Cpu;
        string? cudaFailure = preference == "cpu" ? "disabled by configuration" : null;
        if (preference != "cpu")
        {
            try
            {
                AppendCuda(options, settings);
                provider = Cuda;
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                if (preference == "cuda")
                {
                    throw new InvalidOperationException($"ExecutionProvider is 'cuda' but the CUDA provider cannot be loaded: {ex.Message}", ex);
                }

                options.Dispose();
                options = NewOptions(settings);
                cudaFailure = ex.Message.Split('\n')[0];
            }
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException ex) when (provider == Cuda && preference == "auto")
        {
            // The provider library loaded but CUDA itself is unusable (no device, driver too old).
            options.Dispose();
            options = NewOptions(settings);
            provider = Cpu;
            cudaFailure = ex.Message.Split('\n')[0];
            session = new InferenceSession(model, options);
        }
        finally
        {
            options.Dispose();
        }

        if (Interlocked.Exchange(ref _logged, 1) == 0)
        {
            if (cudaFailure is null) LogProvider(logger, provider);
            else LogCudaUnavailable(logger, cudaFailure);
        }

        return (session, provider);
    }

    /// <summary>
    /// Adds the CUDA provider on device 0. TF32 matrix products are off unless configured: they carry 10 mantissa bits,
    /// enough to move attributions by about 1e-3 relative, and PyTorch (so Captum on a GPU) computes float32 products
    /// in full float32 by default.
    /// </summary>
    private static void AppendCuda(SessionOptions options, RuntimeSettings settings)
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>
        {
            ["device_id"] = "0",
            ["use_tf32"] = settings.CudaTf32 ? "1" : "0",
        });
        options.AppendExecutionProvider_CUDA(cuda);
    }

    private static SessionOptions NewOptions(RuntimeSettings settings)
    {
        var options = new SessionOptions
        {
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (settings.IntraOpThreads > 0) options.IntraOpNumThreads = settings.IntraOpThreads;
        if (settings.InterOpThreads > 0) options.InterOpNumThreads = settings.InterOpThreads;
        return options;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "ONNX Runtime runs on {Provider}.")]
    private static partial void LogProvider(ILogger logger, string provider);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "CUDA execution provider not available ({Reason}); ONNX Runtime runs on CPUExecutionProvider.")]
    private static partial void LogCudaUnavailable(ILogger logger, string reason);
}
