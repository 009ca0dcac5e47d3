using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Tests;

public sealed class GeneratorDiagnosticsTests
{
    private const string Path = "/protos/t/bad.proto";

    private static string Proto(string field) => $$"""
        syntax = "proto3";
        package t;
        import "bertig/v1/rules.proto";

        enum E { E_ZERO = 0; }

        message M {
          {{field}}
          string ok = 99 [(bertig.v1.rules) = { max_len: 3 }];
        }
        """;

    public static TheoryData<string, string, string> MalformedRules => new()
    {
        // field declaration, expected id, text the diagnostic must point at
        { """string a = 1 [(bertig.v1.rules) = { max_len 128 }];""", "BIG001", "128" },
        { """string a = 1 [(bertig.v1.rules) = { max_len: 128 ];""", "BIG001", "]" },
        { """string a = 1 [(bertig.v1.rules) = 5];""", "BIG001", "5]" },
        { """string a = 1 [(bertig.v1.rules) = { max_length: 5 }];""", "BIG002", "max_length" },
        { """string a = 1 [(bertig.v1.rules).maxlen = 5];""", "BIG002", "maxlen" },
        { """string a = 1 [(bertig.v1.rules) = { max_len: "ten" }];""", "BIG003", "\"ten\"" },
        { """string a = 1 [(bertig.v1.rules) = { max_len: 1.5 }];""", "BIG003", "1.5" },
        { """string a = 1 [(bertig.v1.rules) = { min_len: -1 }];""", "BIG003", "-1" },
        { """string a = 1 [(bertig.v1.rules) = { required: yes }];""", "BIG003", "yes" },
        { """int32 a = 1 [(bertig.v1.rules) = { gte: true }];""", "BIG003", "true" },
        { """int32 a = 1 [(bertig.v1.rules) = { lte: inf }];""", "BIG003", "inf" },
        { """uint32 a = 1 [(bertig.v1.rules) = { max_items: 4294967296 }];""", "BIG003", "4294967296" },
        { """int32 a = 1 [(bertig.v1.rules) = { max_len: 10 }];""", "BIG004", "max_len" },
        { """string a = 1 [(bertig.v1.rules) = { min_items: 1 }];""", "BIG004", "min_items" },
        { """string a = 1 [(bertig.v1.rules) = { defined_only: true }];""", "BIG004", "defined_only" },
        { """E a = 1 [(bertig.v1.rules) = { gte: 1 }];""", "BIG004", "gte" },
        { """bytes a = 1 [(bertig.v1.rules) = { not_blank: true }];""", "BIG004", "not_blank" },
        { """repeated string a = 1 [(bertig.v1.rules) = { required: true }];""", "BIG004", "required" },
        { """bool a = 1 [(bertig.v1.rules) = { required: true }];""", "BIG004", "required" },
        { """map<string, string> a = 1 [(bertig.v1.rules) = { max_len: 3 }];""", "BIG004", "max_len" },
        { """string a = 1 [(bertig.v1.rules) = { min_len: 5, max_len: 2 }];""", "BIG005", "(bertig.v1.rules)" },
        { """repeated int32 a = 1 [(bertig.v1.rules) = { min_items: 3, max_items: 1 }];""", "BIG005", "(bertig.v1.rules)" },
        { """double a = 1 [(bertig.v1.rules) = { gte: 10, lte: 1 }];""", "BIG005", "(bertig.v1.rules)" },
        { """double a = 1 [(bertig.v1.rules) = { gt: 1, lt: 1 }];""", "BIG005", "(bertig.v1.rules)" },
        { """string a = 1 [(bertig.v1.rules) = { max_len: 3, max_len: 4 }];""", "BIG006", "max_len: 4" },
        { """Missing a = 1 [(bertig.v1.rules) = { required: true }];""", "BIG008", "a = 1" },
    };

    [Theory]
    [MemberData(nameof(MalformedRules))]
    public void MalformedRule_ReportsDiagnosticAtRule(string field, string expectedId, string marker)
    {
        var text = Proto(field);
        var result = GeneratorHarness.Run((Path, text));

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(expectedId, diagnostic.Id);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);

        // The diagnostic points at the marker inside the field line (the field line is line 7, 0-based).
        var fieldLine = text.Split('\n')[7];
        Assert.Equal(new LinePosition(7, fieldLine.IndexOf(marker, StringComparison.Ordinal)), span.StartLinePosition);
        Assert.Equal(text.IndexOf(fieldLine, StringComparison.Ordinal) + fieldLine.IndexOf(marker, StringComparison.Ordinal), diagnostic.Location.SourceSpan.Start);

        // The broken field generates nothing, the good one in the same message still does.
        var source = result.Source("T.M.Validation.g.cs");
        Assert.Contains("// ok", source, StringComparison.Ordinal);
        Assert.DoesNotContain("// a\n", source, StringComparison.Ordinal);
    }

    [Fact]
    public void MalformedRule_MessageNamesFieldAndLimit()
    {
        var result = GeneratorHarness.Run((Path, Proto("""int32 a = 1 [(bertig.v1.rules) = { max_len: 10 }];""")));

        var message = Assert.Single(result.Diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("Rule 'max_len' does not apply to field 't.M.a' of type int32: it applies to string fields", message);
        Assert.Equal(DiagnosticSeverity.Error, result.Diagnostics[0].Severity);
    }

    [Fact]
    public void EmptyRange_MessageNamesBothLimits()
    {
        var result = GeneratorHarness.Run((Path, Proto("""int32 a = 1 [(bertig.v1.rules) = { gte: 10, lte: 1 }];""")));

        Assert.Equal(
            "Rules on field 't.M.a' admit no value: gte 10 is greater than lte 1",
            Assert.Single(result.Diagnostics).GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ProtoSyntaxError_ReportsBig007AndGeneratesNothingForFile()
    {
        const string text = "syntax = \"proto3\";\npackage t;\nmessage M {\n  string a = 1 [(bertig.v1.rules) = { max_len: 3 }]\n}\n";
        var result = GeneratorHarness.Run((Path, text));

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("BIG007", diagnostic.Id);
        Assert.Equal(new LinePosition(4, 0), diagnostic.Location.GetLineSpan().StartLinePosition);
        Assert.Contains("expected ';' but found '}'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void ValidRulesInOtherForms_ReportNothing()
    {
        // Relative extension name, sub-field form, ';' separators, hex and exponent literals, bool as 1.
        const string text = """
            syntax = "proto3";
            package bertig.v1.extra;
            import "bertig/v1/rules.proto";
            message M {
              string a = 1 [(rules) = { max_len: 0x10; required: 1 }];
              double b = 2 [(v1.rules).gte = -1e2, (.bertig.v1.rules).lte = 2.5e1];
            }
            """;
        var result = GeneratorHarness.Run((Path, text));

        Assert.Empty(result.Diagnostics);
        var source = result.Source("Bertig.V1.Extra.M.Validation.g.cs");
        Assert.Contains("public const int AMaxLen = 16;", source, StringComparison.Ordinal);
        Assert.Contains("public const double BGte = -100D;", source, StringComparison.Ordinal);
        Assert.Contains("\"b must be between -100 and 25 (got \"", source, StringComparison.Ordinal);
    }

    [Fact]
    public void RealContract_ReportsNothing()
    {
        var result = GeneratorHarness.Run(("/protos/bertig/v1/explainer.proto", GeneratorHarness.RealExplainerProto));

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
