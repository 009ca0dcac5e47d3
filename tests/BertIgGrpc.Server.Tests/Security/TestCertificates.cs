using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BertIgGrpc.Server.Tests.Security;

/// <summary>
/// A private PKI made for one test run: a CA, a server certificate for 127.0.0.1 / ::1 / localhost written as PEM
/// (certificate + key) and as PKCS#12, client certificates from that CA, and a foreign CA with its own client.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    public const string AllowedClientName = "bertig-test-client";
    public const string OtherClientName = "bertig-other-client";
    public const string PfxPassword = "test-pfx-password";

    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("bertig-tls-").FullName;
        Ca = CreateCa("BertIg Test CA");
        using var foreignCa = CreateCa("Foreign CA");

        using var server = Issue(Ca, "127.0.0.1", serverAuth: true);
        File.WriteAllText(CaPemPath, Ca.ExportCertificatePem());
        File.WriteAllText(ServerCertPemPath, server.ExportCertificatePem());
        File.WriteAllText(ServerKeyPemPath, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(ServerPfxPath, server.Export(X509ContentType.Pkcs12, PfxPassword));

        AllowedClient = Reload(Issue(Ca, AllowedClientName, serverAuth: false));
        OtherClient = Reload(Issue(Ca, OtherClientName, serverAuth: false));
        ForeignClient = Reload(Issue(foreignCa, AllowedClientName, serverAuth: false));
        File.WriteAllText(ClientCertPemPath, AllowedClient.ExportCertificatePem());
        File.WriteAllText(ClientKeyPemPath, AllowedClient.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 AllowedClient { get; }

    public X509Certificate2 OtherClient { get; }

    public X509Certificate2 ForeignClient { get; }

    public string CaPemPath => Path.Combine(Directory, "ca.pem");

    public string ServerCertPemPath => Path.Combine(Directory, "server.pem");

    public string ServerKeyPemPath => Path.Combine(Directory, "server.key");

    public string ServerPfxPath => Path.Combine(Directory, "server.pfx");

    public string ClientCertPemPath => Path.Combine(Directory, "client.pem");

    public string ClientKeyPemPath => Path.Combine(Directory, "client.key");

    /// <summary>An HTTP handler that trusts only the test CA and presents <paramref name="clientCertificate"/> when given.</summary>
    public SocketsHttpHandler Handler(X509Certificate2? clientCertificate = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        return handler;
    }

    public void Dispose()
    {
        Ca.Dispose();
        AllowedClient.Dispose();
        OtherClient.Dispose();
        ForeignClient.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), serial);
        return issued.CopyWithPrivateKey(key);
    }

    // A PKCS#12 round trip gives the key a form every TLS stack can use as a client credential.
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
