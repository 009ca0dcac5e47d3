using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Parsing;

/// <summary>The lexical classes of the proto language that the parser needs.</summary>
internal enum TokenKind
{
    Identifier,
    Number,
    String,
    Symbol,
    EndOfFile,
}

/// <summary>One token: its kind, its text (decoded for strings) and its span in the file.</summary>
internal readonly struct Token
{
    public Token(TokenKind kind, string text, int start, int length)
    {
        Kind = kind;
        Text = text;
        Start = start;
        Length = length;
    }

    public TokenKind Kind { get; }

    public string Text { get; }

    public int Start { get; }

    public int Length { get; }

    public TextSpan Span => new(Start, Length);

    public bool IsSymbol(char c) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == c;

    public bool IsIdentifier(string text) => Kind == TokenKind.Identifier && string.Equals(Text, text, StringComparison.Ordinal);

    public override string ToString() => Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.String => "string \"" + Text + "\"",
        _ => "'" + Text + "'",
    };
}

/// <summary>Thrown by the tokenizer and parser at the first syntax error; the caller turns it into a diagnostic.</summary>
internal sealed class ProtoSyntaxException : Exception
{
    public ProtoSyntaxException(string message, TextSpan span)
        : base(message)
    {
        Span = span;
    }

    public TextSpan Span { get; }
}

/// <summary>
/// Splits proto source into tokens, dropping whitespace and comments. Numbers are kept as written
/// (sign excluded) so that the binder can tell integers from floats the way text format does.
/// </summary>
internal static class ProtoTokenizer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            i = SkipTrivia(text, i);
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.EndOfFile, string.Empty, text.Length, 0));
                return tokens;
            }

            var c = text[i];
            var start = i;
            if (IsLetter(c))
            {
                while (i < text.Length && (IsLetter(text[i]) || IsDigit(text[i])))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text.Substring(start, i - start), start, i - start));
            }
            else if (IsDigit(c) || (c == '.' && i + 1 < text.Length && IsDigit(text[i + 1])))
            {
                i = ScanNumber(text, i);
                tokens.Add(new Token(TokenKind.Number, text.Substring(start, i - start), start, i - start));
            }
            else if (c == '"' || c == '\'')
            {
                var value = ScanString(text, ref i);
                tokens.Add(new Token(TokenKind.String, value, start, i - start));
            }
            else
            {
                i++;
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start, 1));
            }
        }
    }

    private static int SkipTrivia(string text, int i)
    {
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new ProtoSyntaxException("unterminated block comment", new TextSpan(i, 2));
                }

                i = end + 2;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static int ScanNumber(string text, int i)
    {
        var isHex = text[i] == '0' && i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X');
        while (i < text.Length)
        {
            var c = text[i];
            if (IsLetter(c) || IsDigit(c) || c == '.')
            {
                i++;
            }
            else if ((c == '+' || c == '-') && !isHex && (text[i - 1] == 'e' || text[i - 1] == 'E'))
            {
                // The sign of an exponent belongs to the number: 1e-3.
                i++;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static string ScanString(string text, ref int i)
    {
        var quote = text[i];
        var start = i;
        i++;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= text.Length || text[i] == '\n')
            {
                throw new ProtoSyntaxException("unterminated string literal", new TextSpan(start, i - start));
            }

            var c = text[i];
            if (c == quote)
            {
                i++;
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw new ProtoSyntaxException("unterminated string literal", new TextSpan(start, i - start));
            }

            var e = text[i + 1];
            i += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'x':
                case 'X':
                    sb.Append((char)ReadDigits(text, ref i, 16, 2));
                    break;
                case 'u':
                    sb.Append((char)ReadDigits(text, ref i, 16, 4));
                    break;
                default:
                    if (e >= '0' && e <= '7')
                    {
                        i--;
                        sb.Append((char)ReadDigits(text, ref i, 8, 3));
                    }
                    else
                    {
                        // \\, \", \', \? and anything else stand for the character itself.
                        sb.Append(e);
                    }

                    break;
            }
        }
    }

    private static int ReadDigits(string text, ref int i, int radix, int max)
    {
        var value = 0;
        var count = 0;
        while (count < max && i < text.Length)
        {
            var d = HexValue(text[i]);
            if (d < 0 || d >= radix)
            {
                break;
            }

            value = (value * radix) + d;
            i++;
            count++;
        }

        if (count == 0)
        {
            throw new ProtoSyntaxException("invalid escape sequence in string literal", new TextSpan(i - 1, 1));
        }

        return value;
    }

    private static int HexValue(char c) =>
        c >= '0' && c <= '9' ? c - '0'
        : c >= 'a' && c <= 'f' ? c - 'a' + 10
        : c >= 'A' && c <= 'F' ? c - 'A' + 10
        : -1;

    private static bool IsLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

    private static bool IsDigit(char c) => c >= '0' && c <= '9';
}
