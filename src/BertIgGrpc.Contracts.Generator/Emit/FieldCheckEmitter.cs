using System.Collections.Generic;
using static BertIgGrpc.Contracts.Generator.Emit.CheckWriter;
using System.Globalization;
using BertIgGrpc.Contracts.Generator.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace BertIgGrpc.Contracts.Generator.Emit;

/// <summary>
/// Writes the checks of one field inside <c>Validate()</c>, with protovalidate's semantics: an unset field with
/// presence is skipped, a failed <c>required</c> skips the other rules, <c>IGNORE_IF_ZERO_VALUE</c> skips the zero
/// value, string lengths count code points, NaN fails every bound.
/// </summary>
internal static class FieldCheckEmitter
{
    /// <summary>The local function that counts code points, emitted once per method that needs it.</summary>
    public const string CodePointsFunction =
        "static int codePoints(string s) { var n = s.Length; for (var i = 0; i + 1 < s.Length; i++) { if (char.IsSurrogatePair(s[i], s[i + 1])) { n--; i++; } } return n; }";

    private const string NotBlankPattern = "\\S";

    /// <summary>Emits the checks of <paramref name="f"/>; <paramref name="k"/> maps rule names to limit constants.</summary>
    public static void Emit(CodeWriter w, FieldSpec f, Dictionary<string, string> k)
    {
        if (f.IsRepeated || f.IsMap)
        {
            EmitRepeated(w, f, k);
        }
        else
        {
            EmitSingular(w, f, k);
        }
    }

    /// <summary>True when the field's checks call <see cref="CodePointsFunction"/>.</summary>
    public static bool NeedsCodePoints(FieldSpec f) => f.Kind == FieldKind.String && (f.Rules.MinLen.HasValue || f.Rules.MaxLen.HasValue);

    private static void EmitSingular(CodeWriter w, FieldSpec f, Dictionary<string, string> k)
    {
        var e = f.PropertyName;
        var path = new PathInfo(f.ProtoName, null);
        var checks = new CodeWriter();
        var requiredImplicit = f.Rules.Required && f.Presence == FieldPresence.Implicit;
        if (f.Rules.Required && !requiredImplicit)
        {
            var unset = f.Presence == FieldPresence.Oneof ? f.OneofCaseProperty + " != " + f.OneofCaseValue : "!Has" + f.PropertyName;
            Check(w, unset, path, "must be set", null);
        }

        EmitValueChecks(checks, f, e, path, k);

        // Rules on a oneof member or an optional field describe its value, so they apply only when it is set.
        var gates = new List<string>();
        if (f.Presence == FieldPresence.Oneof)
        {
            gates.Add(f.OneofCaseProperty + " == " + f.OneofCaseValue);
        }
        else if (f.Presence == FieldPresence.Optional)
        {
            gates.Add("Has" + f.PropertyName);
        }

        if (requiredImplicit)
        {
            // A failed required is the only violation of the field (protovalidate skips its other rules).
            var (zero, requirement) = ZeroTest(f, e);
            if (f.Rules.Pattern == NotBlankPattern)
            {
                requirement = "must not be empty or whitespace";
            }

            Check(w, zero, path, requirement, null);
            if (!checks.IsEmpty)
            {
                w.Open("else");
                CopyLines(w, checks);
                w.Close();
            }

            return;
        }

        if (f.Rules.IgnoreEmpty)
        {
            gates.Add("!(" + ZeroTest(f, e).Condition + ")");
        }

        if (checks.IsEmpty)
        {
            return;
        }

        if (gates.Count > 0)
        {
            w.Open("if (" + string.Join(" && ", gates) + ")");
        }

        CopyLines(w, checks);
        if (gates.Count > 0)
        {
            w.Close();
        }
    }

    private static (string Condition, string Requirement) ZeroTest(FieldSpec f, string e) => f.Kind switch
    {
        FieldKind.String => (e + ".Length == 0", "must not be empty"),
        FieldKind.Bytes => (e + ".IsEmpty", "must not be empty"),
        FieldKind.Message => (e + " is null", "must be set"),
        FieldKind.Enum => ("(int)" + e + " == 0", "must be set to a non-zero value"),
        FieldKind.Bool => ("!" + e, "must be set"),
        _ => (e + " == 0", "must not be zero"),
    };

    private static void EmitRepeated(CodeWriter w, FieldSpec f, Dictionary<string, string> k)
    {
        var e = f.PropertyName;
        var path = new PathInfo(f.ProtoName, null);
        var body = new CodeWriter();
        if (f.Rules.MinItems is { } minItems)
        {
            Check(body, e + ".Count < " + k["min_items"], path, "must have at least " + Plural(minItems, "item"), e + ".Count");
        }

        if (f.Rules.MaxItems is { } maxItems)
        {
            Check(body, e + ".Count > " + k["max_items"], path, "must have at most " + Plural(maxItems, "item"), e + ".Count");
        }

        var items = new CodeWriter();
        if (!f.IsMap)
        {
            EmitValueChecks(items, f, "item", new PathInfo(f.ProtoName, "i"), k);
        }

        if (!items.IsEmpty)
        {
            // Each item is checked on its own and reported with its index, e.g. texts[3].
            body.Open("for (var i = 0; i < " + e + ".Count; i++)");
            body.Line("var item = " + e + "[i];");
            CopyLines(body, items);
            body.Close();
        }

        if (f.Rules.IgnoreEmpty && !body.IsEmpty)
        {
            w.Open("if (" + e + ".Count != 0)");
            CopyLines(w, body);
            w.Close();
        }
        else
        {
            CopyLines(w, body);
        }
    }

    private static void EmitValueChecks(CodeWriter w, FieldSpec f, string e, PathInfo path, Dictionary<string, string> k)
    {
        var r = f.Rules;
        switch (f.Kind)
        {
            case FieldKind.String:
                if (r.Pattern is { } pattern)
                {
                    var requirement = pattern == NotBlankPattern ? "must not be empty or whitespace" : "must match the pattern " + pattern;
                    Check(w, "!global::System.Text.RegularExpressions.Regex.IsMatch(" + e + ", " + Literal(pattern) + ")", path, requirement, null);
                }

                if (r.MinLen is { } minLen)
                {
                    Check(w, "codePoints(" + e + ") < " + k["min_len"], path, "must be at least " + Plural(minLen, "character"), "codePoints(" + e + ")");
                }

                if (r.MaxLen is { } maxLen)
                {
                    // A string has no more code points than UTF-16 code units, so short strings skip the count.
                    Check(w, e + ".Length > " + k["max_len"] + " && codePoints(" + e + ") > " + k["max_len"], path, "must be at most " + Plural(maxLen, "character"), "codePoints(" + e + ")");
                }

                if (r.MaxBytes is { } maxBytes && maxBytes <= long.MaxValue)
                {
                    // A UTF-16 code unit takes at most 3 UTF-8 bytes, so short strings skip the byte count.
                    var bytes = "global::System.Text.Encoding.UTF8.GetByteCount(" + e + ")";
                    Check(w, e + ".Length > " + k["max_bytes"] + " / 3 && " + bytes + " > " + k["max_bytes"], path, "must be at most " + Plural(maxBytes, "byte") + " in UTF-8", bytes);
                }

                break;
            case FieldKind.Bytes:
                if (r.MaxBytes is { } maxByteString && maxByteString <= long.MaxValue)
                {
                    Check(w, e + ".Length > " + k["max_bytes"], path, "must be at most " + Plural(maxByteString, "byte"), e + ".Length");
                }

                break;
            case FieldKind.Enum:
                if (r.DefinedOnly)
                {
                    // A closed comparison against the values declared in the proto: no Enum.IsDefined reflection.
                    var condition = f.EnumMembers.Count == 0 ? "true" : e + " is not (" + string.Join(" or ", f.EnumMembers) + ")";
                    Check(w, condition, path, "must be one of " + f.EnumDisplay, "((int)" + e + ")");
                }

                break;
            default:
                if (r.HasNumericBounds)
                {
                    var parts = new List<string>();
                    AddBound(parts, e, " >= ", r.Gte, k, "gte");
                    AddBound(parts, e, " > ", r.Gt, k, "gt");
                    AddBound(parts, e, " <= ", r.Lte, k, "lte");
                    AddBound(parts, e, " < ", r.Lt, k, "lt");

                    // Written as "not in range" so that NaN, which fails every comparison, is a violation.
                    Check(w, "!(" + string.Join(" && ", parts) + ")", path, "must be " + RangeText(r), e);
                }

                break;
        }
    }

    private static void AddBound(List<string> parts, string e, string op, double? bound, Dictionary<string, string> k, string rule)
    {
        if (bound.HasValue)
        {
            parts.Add(e + op + k[rule]);
        }
    }

    private static string RangeText(RuleSet r)
    {
        if (r.Gte is { } a && r.Lte is { } b && !r.Gt.HasValue && !r.Lt.HasValue)
        {
            return "between " + ValidationModelBuilder.Format(a) + " and " + ValidationModelBuilder.Format(b);
        }

        var parts = new List<string>();
        if (r.Gte is { } gte)
        {
            parts.Add("at least " + ValidationModelBuilder.Format(gte));
        }

        if (r.Gt is { } gt)
        {
            parts.Add("greater than " + ValidationModelBuilder.Format(gt));
        }

        if (r.Lte is { } lte)
        {
            parts.Add("at most " + ValidationModelBuilder.Format(lte));
        }

        if (r.Lt is { } lt)
        {
            parts.Add("less than " + ValidationModelBuilder.Format(lt));
        }

        return string.Join(" and ", parts);
    }
}
