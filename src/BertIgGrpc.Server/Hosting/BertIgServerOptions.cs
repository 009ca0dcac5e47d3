namespace BertIgGrpc.Server.Hosting;

/// <summary>Server behaviour, bound from the <c>BertIg:Server</c> configuration section.</summary>
public sealed class BertIgServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "BertIg:Server";

    /// <summary>
    /// Gets or sets how many explanations run at the same time; 0 or less means one per processor.
    /// Defaults to 0 (<see cref="Environment.ProcessorCount"/>).
    /// </summary>
    public int MaxConcurrentExplanations { get; set; }

    /// <summary>
    /// Gets or sets how many explanations may wait for a free slot (in each lane), and how many Predict calls may wait for
    /// tokens (<c>BertIg:Limits:MaxPredictTokensInFlight</c>); callers beyond that are answered <c>RESOURCE_EXHAUSTED</c> at once.
    /// Defaults to 32.
    /// </summary>
    public int MaxQueueLength { get; set; } = 32;

    /// <summary>
    /// Gets or sets the largest cost (tokens x steps of an explanation) admitted through the small-request
    /// lane, which has its own <see cref="MaxConcurrentExplanations"/> slots and queue so that short requests are not queued
    /// behind long ones. Defaults to 4096 (e.g. 64 tokens x 64 steps); 0 turns the lane off.
    /// </summary>
    public long SmallRequestTokenSteps { get; set; } = 4096;

    /// <summary>
    /// Gets or sets how long shutdown waits for in-flight calls before their connections are aborted
    /// (which cancels the explanations at their next batch). Defaults to 10 seconds.
    /// </summary>
    public double ShutdownTimeoutSeconds { get; set; } = 10;

    /// <summary>Gets the effective number of concurrent explanations.</summary>
    public int ResolveMaxConcurrentExplanations()
        => MaxConcurrentExplanations > 0 ? MaxConcurrentExplanations : Environment.ProcessorCount;
}
