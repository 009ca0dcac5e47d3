using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace BertIgGrpc.Server.Security;

/// <summary>Options of <see cref="ApiKeyAuthenticationHandler"/>: the SHA-256 digests of the accepted keys.</summary>
internal sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Gets or sets the digests of the accepted keys (32 bytes each).</summary>
    public IReadOnlyList<byte[]> KeyDigests { get; set; } = [];

    /// <summary>Gets or sets whether a bearer value shaped like a JWT is left to the JWT handler.</summary>
    public bool LeaveJwtsToJwtHandler { get; set; }
}

/// <summary>
/// Admits a caller whose <c>authorization: Bearer &lt;key&gt;</c> is one of <c>BertIg:Auth:ApiKeys</c>. Keys are
/// compared as SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/> against every configured
/// digest, so neither the time taken nor an early exit tells how much of a key was right.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The claim that names the key (the first 12 hex digits of its digest), used for rate limiting and logs.</summary>
    public const string KeyIdClaim = "bertig_key_id";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!BearerToken.TryRead(Request, out var presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (Options.LeaveJwtsToJwtHandler && BearerToken.LooksLikeJwt(presented))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), digest);
        var match = false;
        foreach (var known in Options.KeyDigests)
        {
            match |= CryptographicOperations.FixedTimeEquals(digest, known);
        }

        if (!match)
        {
            return Task.FromResult(AuthenticateResult.Fail("API key not recognised."));
        }

        var keyId = Convert.ToHexStringLower(digest[..6]);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "apikey:" + keyId), new Claim(KeyIdClaim, keyId)],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>
    /// Turns <c>BertIg:Auth:ApiKeys</c> into digests; throws naming the entry when one is blank, too short,
    /// or a malformed <c>sha256:</c> digest.
    /// </summary>
    public static IReadOnlyList<byte[]> ParseKeys(IReadOnlyList<string> entries)
    {
        const int MinimumKeyLength = 16;
        var digests = new List<byte[]>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i]?.Trim() ?? "";
            var name = $"BertIg:Auth:ApiKeys:{i}";
            if (entry.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            {
                var hex = entry["sha256:".Length..];
                if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
                {
                    throw new InvalidOperationException($"{name}: 'sha256:' must be followed by 64 hex digits (the SHA-256 of the key, e.g. `printf %s KEY | sha256sum`).");
                }

                digests.Add(Convert.FromHexString(hex));
            }
            else if (entry.Length < MinimumKeyLength)
            {
                throw new InvalidOperationException($"{name}: an API key must have at least {MinimumKeyLength} characters (e.g. `openssl rand -hex 32`); got {(entry.Length == 0 ? "an empty value" : $"{entry.Length}")}.");
            }
            else
            {
                digests.Add(SHA256.HashData(Encoding.UTF8.GetBytes(entry)));
            }
        }

        return digests;
    }
}

/// <summary>Reads <c>authorization: Bearer &lt;value&gt;</c>, the header API keys and JWTs both travel in.</summary>
internal static class BearerToken
{
    /// <summary>Gets the bearer value of the request, if it has one.</summary>
    public static bool TryRead(HttpRequest request, out string token)
    {
        token = "";
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        token = header["Bearer ".Length..].Trim();
        return token.Length > 0;
    }

    /// <summary>Gets whether <paramref name="token"/> has a JWS's three dot-separated parts.</summary>
    public static bool LooksLikeJwt(string token) => token.Count(c => c == '.') == 2;
}
