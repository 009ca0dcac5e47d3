namespace BertIgGrpc.Client;

/// <summary>Settings for <see cref="BertIgClient"/>: where the server is, how long calls may take and how UNAVAILABLE is retried.</summary>
public sealed class BertIgClientOptions
{
    /// <summary>The address the server listens on when nothing else is configured (h2c, plaintext HTTP/2).</summary>
    public const string DefaultAddress = "http://127.0.0.1:50051";

    /// <summary>The resolver scheme for an address that names several servers through DNS (plaintext), e.g. a Kubernetes headless Service.</summary>
    public const string DnsScheme = "dns";

    /// <summary>The load-balancing policy that opens one connection per resolved address and spreads calls over the ready ones.</summary>
    public const string RoundRobin = "round_robin";

    /// <summary>The load-balancing policy that sends every call over one connection (gRPC's default).</summary>
    public const string PickFirst = "pick_first";

    /// <summary>
    /// Gets or sets the server address: <c>http://</c> or <c>https://</c> for one server, or
    /// <c>dns:///host:port</c> for every address the name resolves to (plaintext; use it with
    /// <see cref="LoadBalancingPolicy"/> <see cref="RoundRobin"/>). Defaults to <see cref="DefaultAddress"/>.
    /// </summary>
    public Uri Address { get; set; } = new(DefaultAddress);

    /// <summary>
    /// Gets or sets the channel's load-balancing policy, <see cref="PickFirst"/> or <see cref="RoundRobin"/>. Behind a plain
    /// TCP (L4) load balancer such as a Kubernetes ClusterIP Service every call of a channel goes to one replica, because
    /// they share one HTTP/2 connection; <see cref="RoundRobin"/> over a <c>dns:///</c> address of a headless Service spreads
    /// them. Defaults to <c>null</c> (gRPC's default, <see cref="PickFirst"/>).
    /// </summary>
    public string? LoadBalancingPolicy { get; set; }

    /// <summary>
    /// Gets or sets the deadline applied to every call that does not name its own, measured from the start of the call
    /// (for a stream: until its last event). <c>null</c> means no deadline. Defaults to 5 minutes, because explaining a
    /// long text with many steps on a CPU-only server can take minutes.
    /// </summary>
    public TimeSpan? DefaultDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets the most attempts per call (the first one included) when the server answers UNAVAILABLE;
    /// 1 turns retries off. Defaults to 5.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the backoff before the first retry (later ones grow by <see cref="BackoffMultiplier"/>). Defaults to 0.5 seconds.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Gets or sets the upper limit on the backoff between retries. Defaults to 5 seconds.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the factor the backoff grows by after each retry. Defaults to 2.</summary>
    public double BackoffMultiplier { get; set; } = 2;

    /// <summary>
    /// Gets or sets whether requests are checked with the contract's generated <c>Validate()</c> before they are sent,
    /// so that mistakes fail without a round trip. Defaults to <c>true</c>; turn it off to leave the server as the only judge.
    /// </summary>
    public bool ValidateRequests { get; set; } = true;

    /// <summary>
    /// Gets or sets the API key (or JWT) sent as <c>authorization: Bearer &lt;value&gt;</c> on every call, for a server with
    /// <c>BertIg:Auth</c> configured. Over plain <c>http://</c> it is only sent to a loopback address. Defaults to none.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets a PEM file with the CA certificate(s) the server's certificate must chain to (for a private CA);
    /// <c>https://</c> only. Defaults to none (the system's trusted roots).
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Gets or sets a PEM client certificate presented for mutual TLS; <c>https://</c> only. Defaults to none.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>Gets or sets the PEM private key of <see cref="ClientCertificatePath"/>. Defaults to none (the key is in the certificate file).</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Throws when the options cannot work, naming the property.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void EnsureValid()
    {
        if (!Address.IsAbsoluteUri || (Address.Scheme != Uri.UriSchemeHttp && Address.Scheme != Uri.UriSchemeHttps && Address.Scheme != DnsScheme))
        {
            throw new ArgumentException($"Address must be an absolute http://, https:// or dns:/// URI, got '{Address}'.", nameof(Address));
        }

        if (LoadBalancingPolicy is not (null or PickFirst or RoundRobin))
        {
            throw new ArgumentException($"LoadBalancingPolicy must be '{PickFirst}' or '{RoundRobin}', got '{LoadBalancingPolicy}'.", nameof(LoadBalancingPolicy));
        }

        if (DefaultDeadline is { } deadline && deadline <= TimeSpan.Zero)
        {
            throw new ArgumentException("DefaultDeadline must be positive or null.", nameof(DefaultDeadline));
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentException("MaxAttempts must be at least 1.", nameof(MaxAttempts));
        }

        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new ArgumentException("InitialBackoff must be positive and not above MaxBackoff.", nameof(InitialBackoff));
        }

        if (!(BackoffMultiplier > 0))
        {
            throw new ArgumentException("BackoffMultiplier must be positive.", nameof(BackoffMultiplier));
        }

        EnsureSecurityValid();
    }

    private void EnsureSecurityValid()
    {
        var https = Address.Scheme == Uri.UriSchemeHttps;
        if (!string.IsNullOrEmpty(ApiKey) && !https && !Address.IsLoopback)
        {
            throw new ArgumentException($"ApiKey is only sent over https:// (or to a loopback address); '{Address}' would expose it.", nameof(ApiKey));
        }

        foreach (var (path, name) in new[] { (CaCertificatePath, nameof(CaCertificatePath)), (ClientCertificatePath, nameof(ClientCertificatePath)), (ClientKeyPath, nameof(ClientKeyPath)) })
        {
            if (path is null)
            {
                continue;
            }

            if (!https)
            {
                throw new ArgumentException($"{name} needs an https:// address, got '{Address}'.", name);
            }

            if (!File.Exists(path))
            {
                throw new ArgumentException($"{name}: file not found: '{path}'.", name);
            }
        }

        if (ClientKeyPath is not null && ClientCertificatePath is null)
        {
            throw new ArgumentException("ClientKeyPath needs ClientCertificatePath.", nameof(ClientKeyPath));
        }
    }
}
