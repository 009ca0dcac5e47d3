using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using BertIgGrpc.Contracts.Generator.Model;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// Turns the decoded buf.validate entries of one field into a <see cref="RuleSet"/> through <see cref="RuleTable"/>,
/// reporting rules that are unsupported (BIG002), badly valued (BIG003), misplaced (BIG004) or contradictory (BIG005).
/// </summary>
internal sealed class RuleBinder
{
    private readonly FieldSyntax _field;
    private readonly string _fieldFullName;
    private readonly FieldKind _kind;
    private readonly FieldPresence _presence;
    private readonly List<DiagnosticInfo> _diagnostics;
    private bool _ok = true;
    private bool _required, _definedOnly, _ignoreEmpty;
    private string? _pattern;
    private uint? _minLen, _maxLen, _minItems, _maxItems;
    private ulong? _maxBytes;
    private double? _gte, _lte, _gt, _lt;

    public RuleBinder(FieldSyntax field, string fieldFullName, FieldKind kind, FieldPresence presence, List<DiagnosticInfo> diagnostics)
    {
        _field = field;
        _fieldFullName = fieldFullName;
        _kind = kind;
        _presence = presence;
        _diagnostics = diagnostics;
    }

    private bool Repeated => _field.Label == FieldLabel.Repeated && !_field.IsMap;

    /// <summary>The bound rules, or null when they are malformed (already reported) or impose nothing.</summary>
    public RuleSet? Bind(RulesSyntax rules)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in rules.Entries)
        {
            // Repeated rule fields (in, not_in) come as one entry per element; one diagnostic is enough.
            if (!seen.Add(entry.Key))
            {
                continue;
            }

            var item = entry.Key.StartsWith(RuleTable.ItemsPrefix, StringComparison.Ordinal);
            var key = item ? entry.Key.Substring(RuleTable.ItemsPrefix.Length) : entry.Key;
            if (!RuleTable.TryGet(key, out var rule))
            {
                Report(DiagnosticDescriptors.UnsupportedRule, entry.Key, _fieldFullName, RuleTable.Supported);
                continue;
            }

            var reason = NotApplicableReason(rule, item);
            if (reason is not null)
            {
                Report(DiagnosticDescriptors.RuleNotApplicable, entry.Key, _fieldFullName, _field.TypeDisplay, reason);
                continue;
            }

            var expected = Apply(rule.Id, entry.Value);
            if (expected is not null)
            {
                Report(DiagnosticDescriptors.InvalidRuleValue, entry.Key, _fieldFullName, expected, entry.Value.Text);
            }
        }

        CheckRange("min_len", _minLen, "max_len", _maxLen);
        CheckRange("min_items", _minItems, "max_items", _maxItems);
        CheckBounds("gte", _gte, true, "lte", _lte, true);
        CheckBounds("gte", _gte, true, "lt", _lt, false);
        CheckBounds("gt", _gt, false, "lte", _lte, true);
        CheckBounds("gt", _gt, false, "lt", _lt, false);

        var set = new RuleSet(_required, _pattern, _minLen, _maxLen, _maxBytes, _gte, _lte, _gt, _lt, _minItems, _maxItems, _definedOnly, _ignoreEmpty);
        var hasEffect = _required || _pattern is not null || _definedOnly || set.HasNumericBounds
            || _minLen.HasValue || _maxLen.HasValue || _maxBytes.HasValue || _minItems.HasValue || _maxItems.HasValue;

        // Malformed rules already fail the build; generating half of them would only add noise.
        return _ok && hasEffect ? set : null;
    }

    private string? NotApplicableReason(RuleDef rule, bool item)
    {
        if (item && !Repeated)
        {
            return "repeated.items applies to repeated fields";
        }

        switch (rule.Group)
        {
            case "":
                if (item)
                {
                    return "item rules take only type rules (string, int32, enum, ...)";
                }

                if (rule.Id == RuleId.Required && (Repeated || _field.IsMap))
                {
                    return "use repeated.min_items or map.min_pairs for repeated and map fields";
                }

                return rule.Id == RuleId.Required && _kind == FieldKind.Bool && _presence == FieldPresence.Implicit
                    ? "a bool without presence cannot be told unset from false; declare it optional"
                    : null;
            case "repeated":
                return Repeated && !item ? null : "it applies to repeated (non-map) fields";
            case "map":
                return _field.IsMap ? null : "it applies to map fields";
        }

        if (_field.IsMap || (Repeated && !item))
        {
            return "type rules on a repeated field go under repeated.items";
        }

        var matches = rule.Group switch
        {
            "string" => _kind == FieldKind.String,
            "bytes" => _kind == FieldKind.Bytes,
            "enum" => _kind == FieldKind.Enum,
            _ => RuleTable.IsNumericGroup(rule.Group) && _field.TypeName == rule.Group,
        };
        return matches ? null : "'" + rule.Group + "' rules apply to " + rule.Group + " fields";
    }

    /// <summary>Stores the value; returns what was expected when the value does not fit.</summary>
    private string? Apply(RuleId id, RuleValueSyntax value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (id)
        {
            case RuleId.Required:
                _required = value.Text == "true";
                return null;
            case RuleId.DefinedOnly:
                _definedOnly = value.Text == "true";
                return null;
            case RuleId.Ignore:
                if (value.Text is "IGNORE_UNSPECIFIED" or "IGNORE_IF_ZERO_VALUE")
                {
                    _ignoreEmpty = value.Text == "IGNORE_IF_ZERO_VALUE";
                    return null;
                }

                return "IGNORE_UNSPECIFIED or IGNORE_IF_ZERO_VALUE (others are not implemented)";
            case RuleId.Pattern:
                try
                {
                    _ = new Regex(value.Text, RegexOptions.CultureInvariant);
                    _pattern = value.Text;
                    return null;
                }
                catch (ArgumentException)
                {
                    return "a regular expression .NET can compile";
                }

            case RuleId.MaxBytes:
                if (ulong.TryParse(value.Text, NumberStyles.None, inv, out var bytes))
                {
                    _maxBytes = bytes;
                    return null;
                }

                return "a non-negative integer";
            case RuleId.MinLen or RuleId.MaxLen or RuleId.MinItems or RuleId.MaxItems:
                if (!uint.TryParse(value.Text, NumberStyles.None, inv, out var count))
                {
                    return "a non-negative integer up to " + uint.MaxValue.ToString(inv);
                }

                _ = id switch
                {
                    RuleId.MinLen => _minLen = count,
                    RuleId.MaxLen => _maxLen = count,
                    RuleId.MinItems => _minItems = count,
                    _ => _maxItems = count,
                };
                return null;
            default:
                if (!double.TryParse(value.Text, NumberStyles.Float, inv, out var bound) || double.IsNaN(bound) || double.IsInfinity(bound))
                {
                    return "a finite number";
                }

                _ = id switch
                {
                    RuleId.Gte => _gte = bound,
                    RuleId.Lte => _lte = bound,
                    RuleId.Gt => _gt = bound,
                    _ => _lt = bound,
                };
                return null;
        }
    }

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, params string[] args)
    {
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, _field.Location, args));
        _ok = false;
    }

    private void CheckRange(string minKey, uint? min, string maxKey, uint? max)
    {
        if (min is { } lo && max is { } hi && lo > hi)
        {
            Report(DiagnosticDescriptors.EmptyRange, _fieldFullName, minKey + " " + lo.ToString(CultureInfo.InvariantCulture) + " is greater than " + maxKey + " " + hi.ToString(CultureInfo.InvariantCulture));
        }
    }

    private void CheckBounds(string lowerKey, double? lower, bool inclusiveLower, string upperKey, double? upper, bool inclusiveUpper)
    {
        if (lower is not { } lo || upper is not { } hi)
        {
            return;
        }

        // protovalidate reads a lower bound above the upper one as "outside the range"; that form is not implemented.
        var empty = inclusiveLower && inclusiveUpper ? lo > hi : lo >= hi;
        if (empty)
        {
            var relation = inclusiveLower && inclusiveUpper ? " is greater than " : " is not less than ";
            Report(DiagnosticDescriptors.EmptyRange, _fieldFullName, lowerKey + " " + ValidationModelBuilder.Format(lo) + relation + upperKey + " " + ValidationModelBuilder.Format(hi));
        }
    }
}
