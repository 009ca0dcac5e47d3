using System.Collections.Generic;

namespace BertIgGrpc.Contracts.Generator.Descriptors;

/// <summary>Decodes a serialized <c>google.protobuf.FileDescriptorSet</c> into <see cref="RawFile"/>s.</summary>
/// <remarks>Field numbers are those of google/protobuf/descriptor.proto; unknown fields are skipped.</remarks>
internal static class DescriptorSetReader
{
    public static List<RawFile> Read(byte[] data)
    {
        var files = new List<RawFile>();
        var r = new WireReader(data);
        while (!r.AtEnd)
        {
            if (r.ReadTag() == 1)
            {
                files.Add(ReadFile(r.ReadNested()));
            }
            else
            {
                r.Skip();
            }
        }

        return files;
    }

    private static RawFile ReadFile(WireReader r)
    {
        var file = new RawFile();
        while (!r.AtEnd)
        {
            switch (r.ReadTag())
            {
                case 1: file.Name = r.ReadString(); break;
                case 2: file.Package = r.ReadString(); break;
                case 3: file.Dependencies.Add(r.ReadString()); break;
                case 4: file.Messages.Add(ReadMessage(r.ReadNested())); break;
                case 5: file.Enums.Add(ReadEnum(r.ReadNested())); break;
                case 7: file.Extensions.Add(ReadField(r.ReadNested())); break;
                case 8: file.CSharpNamespace = ReadCSharpNamespace(r.ReadNested()); break;
                case 9: ReadSourceInfo(r.ReadNested(), file.Spans); break;
                case 12: file.Syntax = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }

        return file;
    }

    private static string? ReadCSharpNamespace(WireReader r)
    {
        string? ns = null;
        while (!r.AtEnd)
        {
            if (r.ReadTag() == 37)
            {
                ns = r.ReadString();
            }
            else
            {
                r.Skip();
            }
        }

        return ns;
    }

    private static RawMessage ReadMessage(WireReader r)
    {
        var message = new RawMessage();
        while (!r.AtEnd)
        {
            switch (r.ReadTag())
            {
                case 1: message.Name = r.ReadString(); break;
                case 2: message.Fields.Add(ReadField(r.ReadNested())); break;
                case 3: message.Nested.Add(ReadMessage(r.ReadNested())); break;
                case 4: message.Enums.Add(ReadEnum(r.ReadNested())); break;
                case 7:
                    message.Options = r.ReadBytes();
                    message.MapEntry = IsMapEntry(message.Options);
                    break;
                case 8: message.Oneofs.Add(ReadOneof(r.ReadNested())); break;
                default: r.Skip(); break;
            }
        }

        return message;
    }

    private static bool IsMapEntry(byte[] options)
    {
        var r = new WireReader(options);
        var mapEntry = false;
        while (!r.AtEnd)
        {
            if (r.ReadTag() == 7 && r.WireType == 0)
            {
                mapEntry = r.ReadVarint() != 0;
            }
            else
            {
                r.Skip();
            }
        }

        return mapEntry;
    }

    private static RawOneof ReadOneof(WireReader r)
    {
        var oneof = new RawOneof();
        while (!r.AtEnd)
        {
            switch (r.ReadTag())
            {
                case 1: oneof.Name = r.ReadString(); break;
                case 2: oneof.Options = r.ReadBytes(); break;
                default: r.Skip(); break;
            }
        }

        return oneof;
    }

    private static RawField ReadField(WireReader r)
    {
        var field = new RawField();
        while (!r.AtEnd)
        {
            switch (r.ReadTag())
            {
                case 1: field.Name = r.ReadString(); break;
                case 2: field.Extendee = r.ReadString(); break;
                case 3: field.Number = (int)r.ReadVarint(); break;
                case 4: field.Label = (int)r.ReadVarint(); break;
                case 5: field.Type = (int)r.ReadVarint(); break;
                case 6: field.TypeName = r.ReadString(); break;
                case 8: field.Options = r.ReadBytes(); break;
                case 9: field.OneofIndex = (int)r.ReadVarint(); break;
                case 17: field.Proto3Optional = r.ReadVarint() != 0; break;
                default: r.Skip(); break;
            }
        }

        return field;
    }

    private static RawEnum ReadEnum(WireReader r)
    {
        var e = new RawEnum();
        while (!r.AtEnd)
        {
            switch (r.ReadTag())
            {
                case 1: e.Name = r.ReadString(); break;
                case 2:
                    var v = r.ReadNested();
                    string name = string.Empty;
                    var number = 0;
                    while (!v.AtEnd)
                    {
                        switch (v.ReadTag())
                        {
                            case 1: name = v.ReadString(); break;
                            case 2: number = (int)v.ReadVarint(); break;
                            default: v.Skip(); break;
                        }
                    }

                    e.Values.Add(new KeyValuePair<string, int>(name, number));
                    break;
                default: r.Skip(); break;
            }
        }

        return e;
    }

    /// <summary>SourceCodeInfo: each Location's path (packed int32) keys its span (packed int32).</summary>
    private static void ReadSourceInfo(WireReader r, Dictionary<string, int[]> spans)
    {
        while (!r.AtEnd)
        {
            if (r.ReadTag() != 1)
            {
                r.Skip();
                continue;
            }

            var location = r.ReadNested();
            var path = new List<int>();
            var span = new List<int>();
            while (!location.AtEnd)
            {
                var number = location.ReadTag();
                if (number is 1 or 2)
                {
                    ReadInts(ref location, number == 1 ? path : span);
                }
                else
                {
                    location.Skip();
                }
            }

            var key = string.Join(".", path);
            if (span.Count >= 3 && !spans.ContainsKey(key))
            {
                // Three elements mean the span ends on its start line.
                spans[key] = span.Count == 3 ? new[] { span[0], span[1], span[0], span[2] } : span.ToArray();
            }
        }
    }

    private static void ReadInts(ref WireReader r, List<int> target)
    {
        if (r.WireType == 0)
        {
            target.Add((int)r.ReadVarint());
            return;
        }

        var packed = r.ReadNested();
        while (!packed.AtEnd)
        {
            target.Add((int)packed.ReadVarint());
        }
    }
}
