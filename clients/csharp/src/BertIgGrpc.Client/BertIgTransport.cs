using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace BertIgGrpc.Client;

/// <summary>
/// The security side of a channel built from <see cref="BertIgClientOptions"/>: the API key as call credentials, a private
/// CA to trust and a client certificate to present. Used by <see cref="BertIgClient.Create(BertIgClientOptions)"/> and by
/// the client factory registration.
/// </summary>
public static class BertIgTransport
{
    /// <summary>Sets the channel's credentials and, when TLS options are given, its HTTP handler.</summary>
    /// <param name="channel">The channel options to change.</param>
    /// <param name="options">The client options.</param>
    public static void Apply(GrpcChannelOptions channel, BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(options);
        if (CreateHandler(options) is { } handler)
        {
            channel.HttpHandler = handler;
            channel.DisposeHttpClient = true;
        }

        ApplyCredentials(channel, options);
    }

    /// <summary>Sets the channel's credentials: the API key as call credentials, when there is one.</summary>
    /// <param name="channel">The channel options to change.</param>
    /// <param name="options">The client options.</param>
    public static void ApplyCredentials(GrpcChannelOptions channel, BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            var https = options.Address.Scheme == Uri.UriSchemeHttps;
            channel.Credentials = ChannelCredentials.Create(https ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, BearerCredentials(options.ApiKey));
            channel.UnsafeUseInsecureChannelCallCredentials = !https; // EnsureValid allows plaintext to loopback only
        }
    }

    /// <summary>Call credentials that add <c>authorization: Bearer <paramref name="key"/></c> to every call.</summary>
    /// <param name="key">The API key or token.</param>
    /// <returns>The credentials.</returns>
    public static CallCredentials BearerCredentials(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var value = "Bearer " + key;
        return CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", value);
            return Task.CompletedTask;
        });
    }

    /// <summary>An HTTP handler trusting <see cref="BertIgClientOptions.CaCertificatePath"/> and presenting the client certificate; null when neither is set.</summary>
    /// <param name="options">The client options.</param>
    /// <returns>The handler, or null for the default one.</returns>
    public static SocketsHttpHandler? CreateHandler(BertIgClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CaCertificatePath is null && options.ClientCertificatePath is null)
        {
            return null;
        }

        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (options.CaCertificatePath is { } caPath)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(caPath);
            if (trusted.Count == 0)
            {
                throw new ArgumentException($"CaCertificatePath: '{caPath}' holds no PEM certificate.", nameof(options));
            }

            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                // The host name must still match; only the root of trust is replaced.
                if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return chain.Build(server);
            };
        }

        if (options.ClientCertificatePath is { } certificatePath)
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, options.ClientKeyPath);
            // A PKCS#12 round trip gives the key a form every TLS stack accepts as a client credential.
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        return handler;
    }
}
