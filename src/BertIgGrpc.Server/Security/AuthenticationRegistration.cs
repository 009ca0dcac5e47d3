using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Tokens;

namespace BertIgGrpc.Server.Security;

/// <summary>
/// Registers authentication (API keys, JWT, client certificates behind one selecting scheme) and the caller policy,
/// from <see cref="AuthOptions"/>. Throws naming the setting when one is invalid, so a misconfigured server never starts open.
/// </summary>
internal static class AuthenticationRegistration
{
    private const string SelectorScheme = "BertIg";

    public static void Add(IServiceCollection services, AuthOptions auth)
    {
        var keyDigests = ApiKeyAuthenticationHandler.ParseKeys(auth.ApiKeys);
        var hasKeys = keyDigests.Count > 0;
        var authentication = services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "API key, JWT or client certificate", scheme =>
            {
                // One default scheme, so UseAuthentication knows the caller before rate limiting: an explicit
                // bearer value picks API key or JWT (by its shape), else the connection's client certificate.
                scheme.ForwardDefaultSelector = context =>
                {
                    if (BearerToken.TryRead(context.Request, out var token))
                    {
                        if (auth.Jwt.Enabled && (!hasKeys || BearerToken.LooksLikeJwt(token)))
                        {
                            return JwtBearerDefaults.AuthenticationScheme;
                        }

                        if (hasKeys)
                        {
                            return ApiKeyAuthenticationHandler.SchemeName;
                        }
                    }

                    return auth.ClientCertificates.Enabled ? CertificateAuthenticationDefaults.AuthenticationScheme
                        : hasKeys ? ApiKeyAuthenticationHandler.SchemeName
                        : JwtBearerDefaults.AuthenticationScheme;
                };
            });

        if (hasKeys)
        {
            authentication.AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, options =>
            {
                options.KeyDigests = keyDigests;
                options.LeaveJwtsToJwtHandler = auth.Jwt.Enabled;
            });
        }

        if (auth.Jwt.Enabled)
        {
            var parameters = JwtValidationParameters(auth.Jwt);
            authentication.AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.Audience = auth.Jwt.Audience;
                if (!string.IsNullOrWhiteSpace(auth.Jwt.Authority))
                {
                    options.Authority = auth.Jwt.Authority;
                    options.RequireHttpsMetadata = auth.Jwt.RequireHttpsMetadata;
                }

                options.TokenValidationParameters = parameters;
            });
        }

        if (auth.ClientCertificates.Enabled)
        {
            var trusted = LoadCertificateAuthorities(auth.ClientCertificates.CaPath!);
            authentication.AddCertificate(options =>
            {
                options.AllowedCertificateTypes = CertificateTypes.Chained;
                options.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                options.CustomTrustStore = trusted;
                options.RevocationMode = auth.ClientCertificates.CheckRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
                options.ValidateCertificateUse = true;
                options.ValidateValidityPeriod = true;
            });
        }

        services.AddSingleton<IAuthorizationHandler, CallerAllowedHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        services.AddAuthorizationBuilder().AddPolicy(SecurityExtensions.CallerPolicy, policy => policy
            .RequireAuthenticatedUser()
            .AddRequirements(new CallerAllowedRequirement()));
    }

    private static TokenValidationParameters JwtValidationParameters(JwtOptions jwt)
    {
        if (string.IsNullOrWhiteSpace(jwt.Audience))
        {
            throw new InvalidOperationException("BertIg:Auth:Jwt:Audience is required when JWT authentication is configured.");
        }

        var hasAuthority = !string.IsNullOrWhiteSpace(jwt.Authority);
        if (!hasAuthority && string.IsNullOrWhiteSpace(jwt.Issuer))
        {
            throw new InvalidOperationException("BertIg:Auth:Jwt:Issuer is required when no BertIg:Auth:Jwt:Authority is configured.");
        }

        var keys = new List<SecurityKey>();
        if (!string.IsNullOrWhiteSpace(jwt.SigningKey))
        {
            var secret = Encoding.UTF8.GetBytes(jwt.SigningKey);
            if (secret.Length < 32)
            {
                throw new InvalidOperationException($"BertIg:Auth:Jwt:SigningKey must be at least 32 bytes (HS256 needs 256 bits); got {secret.Length}.");
            }

            keys.Add(new SymmetricSecurityKey(secret));
        }

        if (!string.IsNullOrWhiteSpace(jwt.SigningKeyPath))
        {
            keys.Add(LoadPublicKey(jwt.SigningKeyPath));
        }

        return new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = string.IsNullOrWhiteSpace(jwt.Issuer) ? null : jwt.Issuer,
            ValidateAudience = true,
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys.Count > 0 ? keys : null,
            AuthenticationType = CallerAllowedHandler.JwtIdentityType,
            NameClaimType = "sub",
        };
    }

    private static SecurityKey LoadPublicKey(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"BertIg:Auth:Jwt:SigningKeyPath: cannot read '{path}' ({ex.Message}).", ex);
        }

        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (ArgumentException)
        {
            try
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportFromPem(pem);
                return new ECDsaSecurityKey(ecdsa);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"BertIg:Auth:Jwt:SigningKeyPath: '{path}' holds no PEM RSA or ECDSA public key.", ex);
            }
        }
    }

    private static X509Certificate2Collection LoadCertificateAuthorities(string path)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException($"BertIg:Auth:ClientCertificates:CaPath: cannot read CA certificates from '{path}' ({ex.Message}).", ex);
        }

        if (certificates.Count == 0)
        {
            throw new InvalidOperationException($"BertIg:Auth:ClientCertificates:CaPath: '{path}' holds no PEM certificate.");
        }

        return certificates;
    }
}
