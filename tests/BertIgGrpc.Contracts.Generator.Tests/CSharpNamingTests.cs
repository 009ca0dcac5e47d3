using System.Reflection;
using BertIgGrpc.Contracts.V1;
using Google.Protobuf.Reflection;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>The generator's port of protoc's C# naming, checked against what protoc actually generated.</summary>
public sealed class CSharpNamingTests
{
    [Theory]
    [InlineData("n_steps", "Msg", "NSteps")]
    [InlineData("text_pair", "Msg", "TextPair")]
    [InlineData("sha256", "Msg", "Sha256")]
    [InlineData("field2name", "Msg", "Field2Name")]
    [InlineData("fooBar", "Msg", "FooBar")]
    [InlineData("types", "Msg", "Types_")]
    [InlineData("descriptor", "Msg", "Descriptor_")]
    [InlineData("msg", "Msg", "Msg_")]
    public void PropertyName_FollowsProtoc(string field, string message, string expected)
        => Assert.Equal(expected, CSharpNaming.PropertyName(field, message));

    [Theory]
    [InlineData("Color", "COLOR_DARK_BLUE", "DarkBlue")]
    [InlineData("IntegrationMethod", "GAUSS_LEGENDRE", "GaussLegendre")]
    [InlineData("IntegrationMethod", "INTEGRATION_METHOD_RIEMANN_LEFT", "RiemannLeft")]
    [InlineData("Version", "VERSION_2", "_2")]
    [InlineData("Shade", "SHADE", "Shade")]
    [InlineData("Kind", "KIND_3D_MODEL", "_3DModel")]
    public void EnumValueName_FollowsProtoc(string enumName, string value, string expected)
        => Assert.Equal(expected, CSharpNaming.EnumValueName(enumName, value));

    [Theory]
    [InlineData("bertig.v1", "Bertig.V1")]
    [InlineData("my_pkg.sub_thing", "MyPkg.SubThing")]
    public void NamespaceFromPackage_FollowsProtoc(string package, string expected)
        => Assert.Equal(expected, CSharpNaming.NamespaceFromPackage(package));

    [Fact]
    public void RealContract_PropertyAndEnumNamesMatchProtocOutput()
    {
        var file = ExplainerReflection.Descriptor;
        foreach (var message in file.MessageTypes)
        {
            foreach (var field in message.Fields.InDeclarationOrder())
            {
                Assert.Equal(field.PropertyName, CSharpNaming.PropertyName(field.Name, message.Name));
            }

            foreach (var oneof in message.Oneofs.Where(o => !o.IsSynthetic))
            {
                var caseProperty = CSharpNaming.UnderscoresToCamelCase(oneof.Name, capitalizeFirst: true) + "Case";
                Assert.NotNull(message.ClrType.GetProperty(caseProperty));
            }
        }

        foreach (var e in file.EnumTypes)
        {
            foreach (var value in e.Values)
            {
                var member = e.ClrType.GetFields(BindingFlags.Public | BindingFlags.Static)
                    .Single(f => f.GetCustomAttribute<OriginalNameAttribute>()!.Name == value.Name);
                Assert.Equal(member.Name, CSharpNaming.EnumValueName(e.Name, value.Name));
            }
        }
    }
}
