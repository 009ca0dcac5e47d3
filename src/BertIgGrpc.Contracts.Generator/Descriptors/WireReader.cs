using System;
using System.Text;

namespace BertIgGrpc.Contracts.Generator.Descriptors;

/// <summary>
/// A minimal reader of the protobuf wire format over one length-delimited range of a buffer: enough to walk a
/// FileDescriptorSet and the buf.validate options inside it without Google.Protobuf (an analyzer cannot carry it).
/// </summary>
internal struct WireReader
{
    private readonly byte[] _buffer;
    private readonly int _end;
    private int _position;

    public WireReader(byte[] buffer, int start, int end)
    {
        _buffer = buffer;
        _position = start;
        _end = end;
    }

    public WireReader(byte[] buffer)
        : this(buffer, 0, buffer.Length)
    {
    }

    public bool AtEnd => _position >= _end;

    /// <summary>Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</summary>
    public int WireType { get; private set; }

    /// <summary>Reads the next tag and returns its field number.</summary>
    public int ReadTag()
    {
        var tag = ReadVarint();
        WireType = (int)(tag & 7);
        var number = tag >> 3;
        if (number == 0 || number > int.MaxValue)
        {
            throw new FormatException("invalid field number in tag " + tag);
        }

        return (int)number;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("malformed varint");
    }

    public ulong ReadFixed64()
    {
        ulong result = 0;
        for (var i = 0; i < 8; i++)
        {
            result |= (ulong)ReadByte() << (8 * i);
        }

        return result;
    }

    public uint ReadFixed32()
    {
        uint result = 0;
        for (var i = 0; i < 4; i++)
        {
            result |= (uint)ReadByte() << (8 * i);
        }

        return result;
    }

    /// <summary>Reads a length-delimited value and returns a reader over it.</summary>
    public WireReader ReadNested()
    {
        var (start, end) = ReadRange();
        return new WireReader(_buffer, start, end);
    }

    public string ReadString()
    {
        var (start, end) = ReadRange();
        return Encoding.UTF8.GetString(_buffer, start, end - start);
    }

    public byte[] ReadBytes()
    {
        var (start, end) = ReadRange();
        var bytes = new byte[end - start];
        Array.Copy(_buffer, start, bytes, 0, bytes.Length);
        return bytes;
    }

    /// <summary>Skips the value of the tag just read.</summary>
    public void Skip()
    {
        switch (WireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: ReadRange(); break;
            case 5: Advance(4); break;
            default: throw new FormatException("unsupported wire type " + WireType);
        }
    }

    private (int Start, int End) ReadRange()
    {
        if (WireType != 2)
        {
            throw new FormatException("expected a length-delimited value, found wire type " + WireType);
        }

        var length = ReadVarint();
        if (length > (ulong)(_end - _position))
        {
            throw new FormatException("length-delimited value runs past its end");
        }

        var start = _position;
        _position += (int)length;
        return (start, _position);
    }

    private void Advance(int count)
    {
        if (count > _end - _position)
        {
            throw new FormatException("fixed-width value runs past its end");
        }

        _position += count;
    }

    private byte ReadByte()
    {
        if (_position >= _end)
        {
            throw new FormatException("unexpected end of data");
        }

        return _buffer[_position++];
    }
}
