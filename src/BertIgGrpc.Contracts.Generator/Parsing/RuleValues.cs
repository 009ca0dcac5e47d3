using System;
using System.Globalization;
using BertIgGrpc.Contracts.Generator.Model;

namespace BertIgGrpc.Contracts.Generator.Parsing;

/// <summary>Reads text-format scalar values the way protobuf's text format does.</summary>
internal static class RuleValues
{
    /// <summary>Parses a decimal, hex (0x) or octal (leading 0) integer without sign.</summary>
    public static bool TryParseInteger(string text, out ulong value)
    {
        value = 0;
        if (text.Length == 0)
        {
            return false;
        }

        if (text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        {
            return ulong.TryParse(text.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (text.Length > 1 && text[0] == '0')
        {
            foreach (var c in text.Substring(1))
            {
                if (c < '0' || c > '7')
                {
                    return false;
                }

                if (value > (ulong.MaxValue >> 3))
                {
                    return false;
                }

                value = (value << 3) + (uint)(c - '0');
            }

            return true;
        }

        foreach (var c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A text-format bool: true/false, True/False, t/f, or the integers 1/0.</summary>
    public static bool TryParseBool(RuleValueSyntax value, out bool result)
    {
        result = false;
        switch (value.Kind)
        {
            case RuleValueKind.Identifier:
                switch (value.Text)
                {
                    case "true":
                    case "True":
                    case "t":
                        result = true;
                        return true;
                    case "false":
                    case "False":
                    case "f":
                        return true;
                    default:
                        return false;
                }

            case RuleValueKind.Number when value.Text == "1" || value.Text == "0":
                result = value.Text == "1";
                return true;
            default:
                return false;
        }
    }

    /// <summary>A non-negative integer up to <paramref name="max"/> (floats and signs are refused).</summary>
    public static bool TryParseUnsigned(RuleValueSyntax value, ulong max, out ulong result)
    {
        result = 0;
        var text = value.Text;
        if (value.Kind != RuleValueKind.Number)
        {
            return false;
        }

        if (text.StartsWith("+", StringComparison.Ordinal))
        {
            text = text.Substring(1).Trim();
        }

        return TryParseInteger(text, out result) && result <= max;
    }

    /// <summary>A finite number: integer or floating literal, with optional sign and f suffix.</summary>
    public static bool TryParseFiniteDouble(RuleValueSyntax value, out double result)
    {
        result = 0;
        if (value.Kind != RuleValueKind.Number)
        {
            return false;
        }

        var text = value.Text;
        var negative = false;
        if (text.StartsWith("-", StringComparison.Ordinal) || text.StartsWith("+", StringComparison.Ordinal))
        {
            negative = text[0] == '-';
            text = text.Substring(1).Trim();
        }

        if (TryParseInteger(text, out var integer))
        {
            result = negative ? -(double)integer : integer;
            return true;
        }

        if (text.EndsWith("f", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text.Substring(0, text.Length - 1);
        }

        // Digits, one dot, an exponent: nothing else (no "inf", "nan", hex floats or separators).
        if (text.Length == 0 || !(char.IsDigit(text[0]) || text[0] == '.'))
        {
            return false;
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out result)
            || double.IsInfinity(result) || double.IsNaN(result))
        {
            return false;
        }

        result = negative ? -result : result;
        return true;
    }
}
