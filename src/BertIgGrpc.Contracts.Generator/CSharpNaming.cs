using System.Collections.Generic;
using System.Text;

namespace BertIgGrpc.Contracts.Generator;

/// <summary>
/// The names protoc's C# plugin gives to generated members, ported from its csharp_helpers.cc,
/// so the emitted partial classes bind to the real properties.
/// </summary>
internal static class CSharpNaming
{
    // Members of every generated message; a field whose PascalCase name collides gets a trailing underscore.
    private static readonly HashSet<string> ReservedMemberNames = new()
    {
        "Types", "Descriptor", "Equals", "ToString", "GetHashCode", "WriteTo", "Clone",
        "CalculateSize", "MergeFrom", "OnConstruction", "Parser",
    };

    /// <summary>protoc's UnderscoresToCamelCase: letters after '_' or a digit become upper case.</summary>
    public static string UnderscoresToCamelCase(string input, bool capitalizeFirst, bool preservePeriod = false)
    {
        var sb = new StringBuilder(input.Length);
        var capNext = capitalizeFirst;
        for (var i = 0; i < input.Length; i++)
        {
            var c = input[i];
            if (c >= 'a' && c <= 'z')
            {
                sb.Append(capNext ? (char)(c - 'a' + 'A') : c);
                capNext = false;
            }
            else if (c >= 'A' && c <= 'Z')
            {
                sb.Append(i == 0 && !capNext ? (char)(c - 'A' + 'a') : c);
                capNext = false;
            }
            else if (c >= '0' && c <= '9')
            {
                sb.Append(c);
                capNext = true;
            }
            else
            {
                capNext = true;
                if (c == '.' && preservePeriod)
                {
                    sb.Append('.');
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>The property name of a field, e.g. <c>n_steps</c> -> <c>NSteps</c>.</summary>
    public static string PropertyName(string fieldName, string messageName)
    {
        var name = UnderscoresToCamelCase(fieldName, capitalizeFirst: true);
        return name == messageName || ReservedMemberNames.Contains(name) ? name + "_" : name;
    }

    /// <summary>The oneof case enum member of a field (the property name; "None" is taken by the unset case).</summary>
    public static string OneofCaseMember(string propertyName) => propertyName == "None" ? "None_" : propertyName;

    /// <summary>The namespace protoc derives from a package when no csharp_namespace is given.</summary>
    public static string NamespaceFromPackage(string package) => UnderscoresToCamelCase(package, capitalizeFirst: true, preservePeriod: true);

    /// <summary>protoc's GetEnumValueName: strips the enum name prefix, then SHOUTY_CASE -> PascalCase.</summary>
    public static string EnumValueName(string enumName, string valueName)
    {
        var result = ShoutyToPascalCase(TryRemovePrefix(enumName, valueName));
        return result.Length > 0 && char.IsDigit(result[0]) ? "_" + result : result;
    }

    private static string ShoutyToPascalCase(string input)
    {
        var sb = new StringBuilder(input.Length);
        var previous = '_';
        foreach (var current in input)
        {
            if (!IsAsciiLetterOrDigit(current))
            {
                previous = current;
                continue;
            }

            if (!IsAsciiLetterOrDigit(previous) || (previous >= '0' && previous <= '9'))
            {
                sb.Append(ToUpper(current));
            }
            else if (previous >= 'a' && previous <= 'z')
            {
                sb.Append(current);
            }
            else
            {
                sb.Append(ToLower(current));
            }

            previous = current;
        }

        return sb.ToString();
    }

    private static string TryRemovePrefix(string prefix, string value)
    {
        var toMatch = new StringBuilder();
        foreach (var c in prefix)
        {
            if (c != '_')
            {
                toMatch.Append(ToLower(c));
            }
        }

        int prefixIndex = 0, valueIndex = 0;
        for (; prefixIndex < toMatch.Length && valueIndex < value.Length; valueIndex++)
        {
            if (value[valueIndex] == '_')
            {
                continue;
            }

            if (ToLower(value[valueIndex]) != toMatch[prefixIndex++])
            {
                return value;
            }
        }

        if (prefixIndex < toMatch.Length)
        {
            return value;
        }

        while (valueIndex < value.Length && value[valueIndex] == '_')
        {
            valueIndex++;
        }

        return valueIndex == value.Length ? value : value.Substring(valueIndex);
    }

    private static bool IsAsciiLetterOrDigit(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

    private static char ToUpper(char c) => c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;

    private static char ToLower(char c) => c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}
