using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Tests;

public sealed class GeneratorDiagnosticsTests
{
    private const string Path = "t/bad.proto";

    private static string Proto(string field) => $$"""
        syntax = "proto3";
        package t;
        import "buf/validate/validate.proto";

        enum E { E_ZERO = 0; }

        message M {
          {{field}}
          string ok = 99 [(buf.validate.field).string.max_len = 3];
        }
        """;

    public static TheoryData<string, string, string> BrokenRules => new()
    {
        // field declaration, expected id, text the diagnostic message must contain
        { """string a = 1 [(buf.validate.field).string.email = true];""", "BIG002", "'string.email'" },
        { """string a = 1 [(buf.validate.field).cel = { id: "x", expression: "this.size() < 3" }];""", "BIG002", "'cel'" },
        { """int32 a = 1 [(buf.validate.field).int32 = { in: [1, 2] }];""", "BIG002", "'int32.in'" },
        { """int32 a = 1 [(buf.validate.field).int32.const = 3];""", "BIG002", "'int32.const'" },
        { """double a = 1 [(buf.validate.field).double.finite = true];""", "BIG002", "'double.finite'" },
        { """map<string, string> a = 1 [(buf.validate.field).map.keys.string.max_len = 3];""", "BIG002", "'map.keys.string.max_len'" },
        { """repeated string a = 1 [(buf.validate.field).repeated.unique = true];""", "BIG002", "'repeated.unique'" },
        { """string a = 1 [(buf.validate.field).ignore = IGNORE_ALWAYS];""", "BIG003", "IGNORE_ALWAYS" },
        { """string a = 1 [(buf.validate.field).string.pattern = "(unclosed"];""", "BIG003", "(unclosed" },
        { """string a = 1 [(buf.validate.field).string.max_len = 4294967296];""", "BIG003", "4294967296" },
        { """int32 a = 1 [(buf.validate.field).string.max_len = 10];""", "BIG004", "'string' rules apply to string fields" },
        { """int64 a = 1 [(buf.validate.field).int32.gte = 1];""", "BIG004", "'int32' rules apply to int32 fields" },
        { """repeated string a = 1 [(buf.validate.field).string.max_len = 3];""", "BIG004", "go under repeated.items" },
        { """string a = 1 [(buf.validate.field).repeated.min_items = 1];""", "BIG004", "repeated (non-map)" },
        { """repeated string a = 1 [(buf.validate.field).required = true];""", "BIG004", "repeated.min_items" },
        { """bool a = 1 [(buf.validate.field).required = true];""", "BIG004", "declare it optional" },
        { """repeated string a = 1 [(buf.validate.field).repeated.items.required = true];""", "BIG004", "item rules take only type rules" },
        { """string a = 1 [(buf.validate.field).string = { min_len: 5, max_len: 2 }];""", "BIG005", "min_len 5 is greater than max_len 2" },
        { """repeated int32 a = 1 [(buf.validate.field).repeated = { min_items: 3, max_items: 1 }];""", "BIG005", "min_items 3" },
        { """double a = 1 [(buf.validate.field).double = { gte: 10, lte: 1 }];""", "BIG005", "gte 10 is greater than lte 1" },
        { """double a = 1 [(buf.validate.field).double = { gt: 1, lt: 1 }];""", "BIG005", "gt 1 is not less than lt 1" },
    };

    [Theory]
    [MemberData(nameof(BrokenRules))]
    public void BrokenRule_ReportsErrorAtField(string field, string expectedId, string expectedText)
    {
        var text = Proto(field);
        var result = GeneratorHarness.Run((Path, text));

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(expectedId, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(expectedText, diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        // The diagnostic points at the field declaration (line 7, 0-based) in the .proto file.
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        Assert.Equal(new LinePosition(7, 2), span.StartLinePosition);

        // The broken field generates nothing, the good one in the same message still does.
        var source = result.Source("T.M.Validation.g.cs");
        Assert.Contains("// ok", source, StringComparison.Ordinal);
        Assert.DoesNotContain("// a\n", source, StringComparison.Ordinal);
    }

    [Fact]
    public void NotApplicable_MessageNamesFieldTypeAndReason()
    {
        var result = GeneratorHarness.Run((Path, Proto("""int32 a = 1 [(buf.validate.field).string.max_len = 10];""")));

        Assert.Equal(
            "Rule 'string.max_len' does not apply to field 't.M.a' of type int32: 'string' rules apply to string fields",
            Assert.Single(result.Diagnostics).GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void MessageAndOneofRules_AreReportedAsUnsupported()
    {
        const string text = """
            syntax = "proto3";
            package t;
            import "buf/validate/validate.proto";
            message M {
              option (buf.validate.message).cel = { id: "m", expression: "true" };
              oneof choice {
                option (buf.validate.oneof).required = true;
                string a = 1;
                string b = 2;
              }
            }
            """;
        var result = GeneratorHarness.Run((Path, text));

        var messages = result.Diagnostics.Select(d => d.Id + " " + d.GetMessage(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("BIG002 Rule '(buf.validate.message).cel' on 't.M'", messages[0], StringComparison.Ordinal);
        Assert.StartsWith("BIG002 Rule '(buf.validate.oneof).required' on 't.M.choice'", messages[1], StringComparison.Ordinal);
    }

    [Fact]
    public void SetWithoutValidateProto_ReportsBig001()
    {
        var text = Proto("""string a = 1 [(buf.validate.field).string.max_len = 3];""");
        var set = new InMemoryAdditionalText(GeneratorHarness.SetPath, Convert.ToBase64String(Protoc.DescriptorSet(includeImports: false, (Path, text))));
        var result = GeneratorHarness.CreateDriver(set).RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult();

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("BIG001", diagnostic.Id);
        Assert.Contains("--include_imports", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("CgQ=")]
    public void UnreadableSet_ReportsBig001AndGeneratesNothing(string content)
    {
        var set = new InMemoryAdditionalText(GeneratorHarness.SetPath, content);
        var result = GeneratorHarness.CreateDriver(set).RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult();

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("BIG001", diagnostic.Id);
        Assert.Equal(GeneratorHarness.SetPath, diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void RealContract_ReportsNothing()
    {
        var result = GeneratorHarness.CreateDriver(GeneratorHarness.RealContractSet())
            .RunGenerators(GeneratorHarness.CreateCompilation()).GetRunResult();

        Assert.Empty(result.Diagnostics);
        Assert.Equal(
            [
                "BertIgGrpc.Contracts.V1.ExplainRequest.Validation.g.cs",
                "BertIgGrpc.Contracts.V1.ExplainUnaryRequest.Validation.g.cs",
                "BertIgGrpc.Contracts.V1.PredictRequest.Validation.g.cs",
            ],
            result.Results.Single().GeneratedSources.Select(s => s.HintName));
    }
}
