namespace BertIgGrpc.Server.Security;

/// <summary>
/// Who may call the server and what it exposes, bound from the <c>BertIg</c> configuration section
/// (<c>BertIg:Auth</c>, <c>BertIg:RateLimit</c>, <c>BertIg:Reflection</c>, <c>BertIg:Metrics</c>,
/// <c>BertIg:Dashboard</c>, <c>BertIg:GrpcWeb</c>). Everything here is off or open by default except what
/// binds to loopback anyway; see the README's "Securing it".
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section the properties are read from.</summary>
    public const string SectionName = "BertIg";

    /// <summary>Gets or sets how callers authenticate. Defaults to no authentication.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>Gets or sets the per-caller rate limit. Defaults to off.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Gets or sets whether gRPC server reflection is served.</summary>
    public ToggleOptions Reflection { get; set; } = new();

    /// <summary>Gets or sets whether and where <c>/metrics</c> is served.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Gets or sets whether the dashboard page is served.</summary>
    public ToggleOptions Dashboard { get; set; } = new();

    /// <summary>Gets or sets the browsers' access to gRPC-Web.</summary>
    public GrpcWebOptions GrpcWeb { get; set; } = new();
}

/// <summary>Authentication modes; each one is on as soon as it is configured, and any one of them admits a caller.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// Gets or sets the accepted API keys, sent as <c>authorization: Bearer &lt;key&gt;</c>. Each entry is a key
    /// (16 characters or more) or <c>sha256:&lt;64 hex digits&gt;</c>, the SHA-256 of one, so the secret need not sit
    /// in configuration. Defaults to none.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Gets or sets JWT bearer token validation. Defaults to off.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Gets or sets client certificate (mTLS) authentication. Defaults to off.</summary>
    public ClientCertificateOptions ClientCertificates { get; set; } = new();

    /// <summary>Gets whether any authentication mode is configured.</summary>
    public bool Enabled => ApiKeys.Count > 0 || Jwt.Enabled || ClientCertificates.Enabled;
}

/// <summary>JWT bearer tokens from an identity provider (the standard ASP.NET Core JwtBearer handler).</summary>
public sealed class JwtOptions
{
    /// <summary>
    /// Gets or sets the OpenID Connect authority (issuer URL) whose discovery document gives the issuer and signing keys.
    /// Defaults to none (then <see cref="Issuer"/> and a signing key must be set).
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>Gets or sets the expected <c>iss</c>. Defaults to the authority's.</summary>
    public string? Issuer { get; set; }

    /// <summary>Gets or sets the expected <c>aud</c>. Required when JWT is on.</summary>
    public string? Audience { get; set; }

    /// <summary>Gets or sets a shared HMAC secret (HS256/384/512), at least 32 bytes of UTF-8. Defaults to none.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Gets or sets a PEM file with the issuer's RSA or ECDSA public key (RS*/PS*/ES* tokens). Defaults to none.</summary>
    public string? SigningKeyPath { get; set; }

    /// <summary>
    /// Gets or sets a scope a token must carry (in <c>scope</c> or <c>scp</c>); a valid token without it is answered
    /// PERMISSION_DENIED. Defaults to none (any valid token).
    /// </summary>
    public string? RequiredScope { get; set; }

    /// <summary>Gets or sets whether the authority is fetched over https only. Defaults to true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Gets whether JWT validation is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey) || !string.IsNullOrWhiteSpace(SigningKeyPath);
}

/// <summary>Client certificates (mutual TLS) checked against a configured certificate authority.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>
    /// Gets or sets a PEM file with the CA certificate(s) client certificates must chain to. Setting it turns mTLS
    /// authentication on (the https endpoints then ask for a client certificate). Defaults to none.
    /// </summary>
    public string? CaPath { get; set; }

    /// <summary>
    /// Gets or sets the subject common names allowed to call; a certificate from the CA with another name is answered
    /// PERMISSION_DENIED. Defaults to none (any certificate the CA issued).
    /// </summary>
    public List<string> AllowedSubjects { get; set; } = [];

    /// <summary>Gets or sets whether revocation is checked online. Defaults to false (private CAs seldom publish CRLs).</summary>
    public bool CheckRevocation { get; set; }

    /// <summary>Gets whether mTLS authentication is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CaPath);
}

/// <summary>A per-caller token bucket: per API key, token subject or client certificate, else per client IP.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Gets or sets whether calls are rate limited. Defaults to false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Gets or sets the calls each caller may start per second, on average. Defaults to 10.</summary>
    public int PermitsPerSecond { get; set; } = 10;

    /// <summary>Gets or sets how many calls a caller may start at once after being idle. Defaults to 20.</summary>
    public int Burst { get; set; } = 20;
}

/// <summary>An on/off switch.</summary>
public sealed class ToggleOptions
{
    /// <summary>Gets or sets whether the feature is served. Defaults to true.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>The Prometheus endpoint.</summary>
public sealed class MetricsOptions
{
    /// <summary>Gets or sets whether <c>/metrics</c> is served. Defaults to true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets a separate URL for <c>/metrics</c> (e.g. <c>http://127.0.0.1:9090</c>), the same as a Kestrel endpoint
    /// named <c>Metrics</c>. When there is one, <c>/metrics</c> is served there only. Defaults to none (the Http endpoint).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// Gets or sets whether <c>/metrics</c> answers without credentials when authentication is on. Defaults to false
    /// (Prometheus then sends <c>authorization: Bearer</c> or a client certificate).
    /// </summary>
    public bool AllowAnonymous { get; set; }
}

/// <summary>Browser access to gRPC-Web.</summary>
public sealed class GrpcWebOptions
{
    /// <summary>
    /// Gets or sets the origins (e.g. <c>https://app.example.com</c>) whose pages may call gRPC-Web cross-origin.
    /// Defaults to none: only the dashboard served by this server (same origin) can.
    /// </summary>
    public List<string> CorsOrigins { get; set; } = [];
}
