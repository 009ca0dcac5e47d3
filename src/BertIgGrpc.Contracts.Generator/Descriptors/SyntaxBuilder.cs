using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BertIgGrpc.Contracts.Generator.Model;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Descriptors;

/// <summary>
/// Reads one descriptor-set additional file (base64 text of a <c>FileDescriptorSet</c>, as the Contracts build
/// writes it) into the syntax model, decoding the buf.validate options of every field.
/// </summary>
internal static class SyntaxBuilder
{
    private static readonly string[] ScalarNames =
    {
        string.Empty, "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string",
        "group", "message", "bytes", "uint32", "enum", "sfixed32", "sfixed64", "sint32", "sint64",
    };

    /// <summary>Reads the set; an unreadable file yields one BIG001 diagnostic and no files.</summary>
    /// <param name="path">The additional file's path.</param>
    /// <param name="base64">Its text.</param>
    /// <param name="protoRoot">The directory the descriptor names are relative to, for diagnostic places (may be empty).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static DescriptorSetSyntax Read(string path, string base64, string protoRoot, CancellationToken cancellationToken)
    {
        List<RawFile> raw;
        try
        {
            raw = DescriptorSetReader.Read(Convert.FromBase64String(base64.Trim()));
        }
        catch (FormatException e)
        {
            var place = new LocationInfo(path, default, default);
            var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.UnreadableDescriptorSet, place, path, e.Message);
            return new DescriptorSetSyntax(EquatableArray<ProtoFileSyntax>.Empty, new[] { diagnostic }.ToEquatableArray());
        }

        var decoder = RuleDecoder.Create(raw);
        var files = new List<ProtoFileSyntax>();
        foreach (var file in raw)
        {
            cancellationToken.ThrowIfCancellationRequested();
            files.Add(new FileBuilder(file, decoder, protoRoot).Build());
        }

        return new DescriptorSetSyntax(files.ToEquatableArray(), EquatableArray<DiagnosticInfo>.Empty);
    }

    private sealed class FileBuilder
    {
        private readonly RawFile _file;
        private readonly RuleDecoder? _decoder;
        private readonly string _path;
        private readonly List<DiagnosticInfo> _diagnostics = new();

        public FileBuilder(RawFile file, RuleDecoder? decoder, string protoRoot)
        {
            _file = file;
            _decoder = decoder;
            _path = protoRoot.Length == 0 ? file.Name : protoRoot.TrimEnd('/', '\\') + "/" + file.Name;
        }

        public ProtoFileSyntax Build()
        {
            if (_decoder is null && _file.Dependencies.Contains(RuleDecoder.ValidateProto))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnreadableDescriptorSet, Place("4"), _file.Name, "it imports " + RuleDecoder.ValidateProto + ", which the set lacks (run protoc with --include_imports)"));
            }

            var messages = _file.Messages.Select((m, i) => Message(m, _file.Package, "4." + i)).ToEquatableArray();
            var enums = _file.Enums.Select(Enum).ToEquatableArray();
            return new ProtoFileSyntax(_path, _file.Package, _file.CSharpNamespace, messages, enums, _diagnostics.ToEquatableArray());
        }

        private static EnumSyntax Enum(RawEnum e)
            => new(e.Name, e.Values.Select(v => new EnumValueSyntax(v.Key, v.Value)).ToEquatableArray());

        private MessageSyntax Message(RawMessage m, string scope, string locationPath)
        {
            var fullName = scope.Length == 0 ? m.Name : scope + "." + m.Name;
            if (_decoder is not null && RuleDecoder.Extension(m.Options, _decoder.MessageExtension) is { } messageRules)
            {
                Unsupported(messageRules, ".buf.validate.MessageRules", "message", fullName, Place(locationPath));
            }

            var fields = new List<FieldSyntax>();
            for (var i = 0; i < m.Fields.Count; i++)
            {
                fields.Add(Field(m, m.Fields[i], fullName, locationPath + ".2." + i));
            }

            var oneofs = new List<string>();
            for (var i = 0; i < m.Oneofs.Count; i++)
            {
                // Synthetic oneofs (proto3 optional) are not oneofs in C#.
                if (m.Fields.Exists(f => f.OneofIndex == i && !f.Proto3Optional))
                {
                    oneofs.Add(m.Oneofs[i].Name);
                    if (_decoder is not null && RuleDecoder.Extension(m.Oneofs[i].Options, _decoder.OneofExtension) is { } oneofRules)
                    {
                        Unsupported(oneofRules, ".buf.validate.OneofRules", "oneof", fullName + "." + m.Oneofs[i].Name, Place(locationPath + ".8." + i));
                    }
                }
            }

            var nested = new List<MessageSyntax>();
            for (var i = 0; i < m.Nested.Count; i++)
            {
                if (!m.Nested[i].MapEntry)
                {
                    nested.Add(Message(m.Nested[i], fullName, locationPath + ".3." + i));
                }
            }

            return new MessageSyntax(m.Name, fields.ToEquatableArray(), oneofs.ToEquatableArray(), nested.ToEquatableArray(), m.Enums.Select(Enum).ToEquatableArray());
        }

        private FieldSyntax Field(RawMessage owner, RawField f, string ownerFullName, string locationPath)
        {
            var place = Place(locationPath);
            var mapEntry = f.Type == 11 && f.IsRepeated ? FindMapEntry(owner, f.TypeName) : null;
            // For maps the type is the value type (only map.min_pairs and map.max_pairs apply to the map itself).
            var typeField = mapEntry?.Fields[1] ?? f;
            var typeName = typeField.Type is 11 or 14 ? typeField.TypeName : ScalarNames[typeField.Type];
            string display;
            if (mapEntry is not null)
            {
                display = "map<" + TypeText(mapEntry.Fields[0]) + ", " + TypeText(mapEntry.Fields[1]) + ">";
            }
            else
            {
                display = (f.IsRepeated ? "repeated " : string.Empty) + TypeText(f);
            }

            // Explicit presence: proto3 'optional', or any singular non-message field outside proto3.
            var explicitPresence = f.Proto3Optional || (_file.Syntax != "proto3" && f.Label == 1);
            var label = f.IsRepeated ? FieldLabel.Repeated : f.Label == 2 ? FieldLabel.Required : explicitPresence ? FieldLabel.Optional : FieldLabel.None;
            var oneof = f.OneofIndex is { } index && !f.Proto3Optional && index < owner.Oneofs.Count ? owner.Oneofs[index].Name : null;

            RulesSyntax? rules = null;
            if (_decoder is not null && RuleDecoder.Extension(f.Options, _decoder.FieldExtension) is { } data)
            {
                rules = new RulesSyntax(_decoder.Decode(data, ".buf.validate.FieldRules").ToEquatableArray(), place);
            }

            return new FieldSyntax(f.Name, typeName, display, label, mapEntry is not null, oneof, rules, place);
        }

        private static RawMessage? FindMapEntry(RawMessage owner, string typeName)
        {
            var dot = typeName.LastIndexOf('.');
            var simple = dot < 0 ? typeName : typeName.Substring(dot + 1);
            return owner.Nested.Find(n => n.MapEntry && n.Name == simple && n.Fields.Count == 2);
        }

        private static string TypeText(RawField f)
            => f.Type is 11 or 14 ? f.TypeName.TrimStart('.') : ScalarNames[f.Type];

        private void Unsupported(byte[] data, string typeName, string kind, string owner, LocationInfo place)
        {
            foreach (var entry in _decoder!.Decode(data, typeName))
            {
                _diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedRule, place, "(buf.validate." + kind + ")." + entry.Key, owner, RuleTable.Supported));
            }
        }

        private LocationInfo Place(string locationPath)
        {
            if (!_file.Spans.TryGetValue(locationPath, out var s))
            {
                return new LocationInfo(_path, default, default);
            }

            return new LocationInfo(_path, default, new LinePositionSpan(new LinePosition(s[0], s[1]), new LinePosition(s[2], s[3])));
        }
    }
}
