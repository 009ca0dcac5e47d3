using System.Text;

namespace BertIgGrpc.Contracts.Generator.Emit;

/// <summary>A minimal indenting writer; lines end in '\n' on every platform so output is reproducible.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _sb.Append(' ', _indent * 4);
            _sb.Append(text);
        }

        _sb.Append('\n');
    }

    public void Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
    }

    public void Close()
    {
        _indent--;
        Line("}");
    }

    public bool IsEmpty => _sb.Length == 0;

    public override string ToString() => _sb.ToString();
}
