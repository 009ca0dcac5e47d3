using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;

namespace BertIgGrpc.Contracts.Generator.Emit;

/// <summary>Where a violation is reported: a field, or an item of it (<c>texts[i]</c>).</summary>
internal readonly struct PathInfo
{
    public PathInfo(string field, string? indexVariable)
    {
        Field = field;
        IndexVariable = indexVariable;
    }

    public string Field { get; }

    public string? IndexVariable { get; }
}

/// <summary>The statements every check is written with.</summary>
internal static class CheckWriter
{
    private const string Invariant = "global::System.Globalization.CultureInfo.InvariantCulture";

    public static void CopyLines(CodeWriter target, CodeWriter source)
    {
        if (source.IsEmpty)
        {
            return;
        }

        foreach (var line in source.ToString().TrimEnd('\n').Split('\n'))
        {
            target.Line(line);
        }
    }

    /// <summary>Emits <c>if (condition) Report(path, "path must ... (got value)")</c>.</summary>
    public static void Check(CodeWriter w, string condition, PathInfo path, string requirement, string? got)
    {
        w.Open("if (" + condition + ")");
        string pathExpr;
        string description;
        var tail = got is null ? string.Empty : " + " + got + ".ToString(" + Invariant + ") + \")\"";
        var text = " " + requirement + (got is null ? string.Empty : " (got ");
        if (path.IndexVariable is null)
        {
            pathExpr = Literal(path.Field);
            description = Literal(path.Field + text) + tail;
        }
        else
        {
            // The item path is built only when a violation is reported.
            w.Line("var path = " + Literal(path.Field + "[") + " + " + path.IndexVariable + ".ToString(" + Invariant + ") + \"]\";");
            pathExpr = "path";
            description = "path + " + Literal(text) + tail;
        }

        w.Line("report(" + pathExpr + ", " + description + ");");
        w.Close();
    }

    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    public static string Plural(ulong n, string unit) => n.ToString(CultureInfo.InvariantCulture) + " " + unit + (n == 1 ? string.Empty : "s");
}
