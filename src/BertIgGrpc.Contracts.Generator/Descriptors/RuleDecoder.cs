using System;
using System.Collections.Generic;
using System.Globalization;
using BertIgGrpc.Contracts.Generator.Model;

namespace BertIgGrpc.Contracts.Generator.Descriptors;

/// <summary>
/// Decodes buf.validate options with the descriptors of buf/validate/validate.proto found in the same set, so
/// rule names and types come from the schema itself (no field numbers of validate.proto are written down here).
/// </summary>
internal sealed class RuleDecoder
{
    public const string ValidateProto = "buf/validate/validate.proto";
    private const string Package = ".buf.validate.";

    private readonly Dictionary<string, RawMessage> _messages;
    private readonly Dictionary<string, RawEnum> _enums;

    private RuleDecoder(Dictionary<string, RawMessage> messages, Dictionary<string, RawEnum> enums, int field, int message, int oneof)
    {
        _messages = messages;
        _enums = enums;
        FieldExtension = field;
        MessageExtension = message;
        OneofExtension = oneof;
    }

    /// <summary>The extension numbers of <c>(buf.validate.field)</c>, <c>(buf.validate.message)</c>, <c>(buf.validate.oneof)</c>.</summary>
    public int FieldExtension { get; }

    public int MessageExtension { get; }

    public int OneofExtension { get; }

    /// <summary>Returns a decoder, or null when the set does not hold buf/validate/validate.proto.</summary>
    public static RuleDecoder? Create(List<RawFile> files)
    {
        var validate = files.Find(f => f.Name == ValidateProto);
        if (validate is null)
        {
            return null;
        }

        var messages = new Dictionary<string, RawMessage>(StringComparer.Ordinal);
        var enums = new Dictionary<string, RawEnum>(StringComparer.Ordinal);
        foreach (var m in validate.Messages)
        {
            Register(m, Package.TrimEnd('.'), messages, enums);
        }

        foreach (var e in validate.Enums)
        {
            enums[Package + e.Name] = e;
        }

        int Extension(string extendee, string name) => validate.Extensions.Find(x => x.Extendee == extendee && x.Name == name)?.Number ?? -1;
        return new RuleDecoder(
            messages,
            enums,
            Extension(".google.protobuf.FieldOptions", "field"),
            Extension(".google.protobuf.MessageOptions", "message"),
            Extension(".google.protobuf.OneofOptions", "oneof"));
    }

    private static void Register(RawMessage m, string scope, Dictionary<string, RawMessage> messages, Dictionary<string, RawEnum> enums)
    {
        var name = scope + "." + m.Name;
        messages[name] = m;
        foreach (var nested in m.Nested)
        {
            Register(nested, name, messages, enums);
        }

        foreach (var e in m.Enums)
        {
            enums[name + "." + e.Name] = e;
        }
    }

    /// <summary>The value of extension <paramref name="number"/> in serialized options, or null when absent.</summary>
    public static byte[]? Extension(byte[]? options, int number)
    {
        if (options is null || number < 0)
        {
            return null;
        }

        byte[]? found = null;
        var r = new WireReader(options);
        while (!r.AtEnd)
        {
            if (r.ReadTag() == number && r.WireType == 2)
            {
                // A repeated occurrence of a message field merges into the first; concatenating does the same.
                var part = r.ReadBytes();
                found = found is null ? part : Concat(found, part);
            }
            else
            {
                r.Skip();
            }
        }

        return found;
    }

    /// <summary>Flattens a serialized rules message of type <paramref name="typeName"/> (e.g. <c>.buf.validate.FieldRules</c>).</summary>
    public List<RuleEntrySyntax> Decode(byte[] data, string typeName)
    {
        var entries = new List<RuleEntrySyntax>();
        Decode(new WireReader(data), _messages[typeName], string.Empty, entries);
        return entries;
    }

    private void Decode(WireReader r, RawMessage type, string prefix, List<RuleEntrySyntax> entries)
    {
        while (!r.AtEnd)
        {
            var number = r.ReadTag();
            var field = type.Fields.Find(f => f.Number == number);
            if (field is null)
            {
                r.Skip();
                entries.Add(new RuleEntrySyntax(prefix + "(extension " + number.ToString(CultureInfo.InvariantCulture) + ")", new RuleValueSyntax(RuleValueKind.Unknown, string.Empty)));
                continue;
            }

            var key = prefix + field.Name;
            if (field.Type == 11)
            {
                // Rules messages are flattened; CEL rules and well-known types (Duration, Timestamp) stay opaque.
                if (field.TypeName.StartsWith(Package, StringComparison.Ordinal) && field.TypeName != Package + "Rule"
                    && _messages.TryGetValue(field.TypeName, out var nested))
                {
                    Decode(r.ReadNested(), nested, key + ".", entries);
                }
                else
                {
                    r.Skip();
                    entries.Add(new RuleEntrySyntax(key, new RuleValueSyntax(RuleValueKind.Message, string.Empty)));
                }

                continue;
            }

            if (r.WireType == 2 && field.Type is not (9 or 12))
            {
                r.Skip();
                entries.Add(new RuleEntrySyntax(key, new RuleValueSyntax(RuleValueKind.List, string.Empty)));
                continue;
            }

            entries.Add(new RuleEntrySyntax(key, ReadScalar(ref r, field)));
        }
    }

    private RuleValueSyntax ReadScalar(ref WireReader r, RawField field)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (field.Type)
        {
            case 1: return new(RuleValueKind.Double, BitConverter.Int64BitsToDouble((long)r.ReadFixed64()).ToString("R", inv));
            case 2: return new(RuleValueKind.Double, ((double)BitConverter.ToSingle(BitConverter.GetBytes(r.ReadFixed32()), 0)).ToString("R", inv));
            case 3: return new(RuleValueKind.Integer, ((long)r.ReadVarint()).ToString(inv));
            case 5: return new(RuleValueKind.Integer, ((int)(long)r.ReadVarint()).ToString(inv));
            case 4 or 13: return new(RuleValueKind.Integer, r.ReadVarint().ToString(inv));
            case 6: return new(RuleValueKind.Integer, r.ReadFixed64().ToString(inv));
            case 7: return new(RuleValueKind.Integer, r.ReadFixed32().ToString(inv));
            case 15: return new(RuleValueKind.Integer, ((int)r.ReadFixed32()).ToString(inv));
            case 16: return new(RuleValueKind.Integer, ((long)r.ReadFixed64()).ToString(inv));
            case 17 or 18:
                var zigzag = r.ReadVarint();
                return new(RuleValueKind.Integer, ((long)(zigzag >> 1) ^ -(long)(zigzag & 1)).ToString(inv));
            case 8: return new(RuleValueKind.Bool, r.ReadVarint() != 0 ? "true" : "false");
            case 9: return new(RuleValueKind.String, r.ReadString());
            case 12: return new(RuleValueKind.Bytes, Convert.ToBase64String(r.ReadBytes()));
            case 14:
                var value = (int)(long)r.ReadVarint();
                var name = _enums.TryGetValue(field.TypeName, out var e) ? e.Values.Find(v => v.Value == value).Key : null;
                return new(RuleValueKind.Enum, name ?? value.ToString(inv));
            default:
                r.Skip();
                return new(RuleValueKind.Unknown, string.Empty);
        }
    }

    private static byte[] Concat(byte[] a, byte[] b)
    {
        var result = new byte[a.Length + b.Length];
        Buffer.BlockCopy(a, 0, result, 0, a.Length);
        Buffer.BlockCopy(b, 0, result, a.Length, b.Length);
        return result;
    }
}
