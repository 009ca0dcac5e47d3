using System;
using System.Collections.Generic;
using System.Threading;
using BertIgGrpc.Contracts.Generator.Model;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Parsing;

/// <summary>
/// A small recursive-descent parser for the parts of the proto language that validation needs:
/// package, <c>option csharp_namespace</c>, messages (nested too), fields with labels and map types,
/// oneofs, enums and the <c>(bertig.v1.rules)</c> field option. Services and extensions are skipped.
/// It reports the first structural error as BIG007 and a malformed rules literal as BIG001 (and carries on).
/// </summary>
internal sealed class ProtoParser
{
    /// <summary>The extension that carries the rules, without the leading dot.</summary>
    public const string RulesExtensionName = "bertig.v1.rules";

    private readonly string _path;
    private readonly SourceText _text;
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private List<Token> _tokens = new();
    private int _pos;
    private string _package = string.Empty;
    private string? _csharpNamespace;

    private ProtoParser(string path, SourceText text, CancellationToken cancellationToken)
    {
        _path = path;
        _text = text;
        _cancellationToken = cancellationToken;
    }

    private Token Current => _tokens[_pos];

    /// <summary>Parses one file; never throws for bad input (errors become diagnostics in the result).</summary>
    public static ProtoFileSyntax Parse(string path, SourceText text, CancellationToken cancellationToken)
    {
        var parser = new ProtoParser(path, text, cancellationToken);
        return parser.ParseFile();
    }

    private ProtoFileSyntax ParseFile()
    {
        var messages = new List<MessageSyntax>();
        var enums = new List<EnumSyntax>();
        try
        {
            _tokens = ProtoTokenizer.Tokenize(_text.ToString());
            while (Current.Kind != TokenKind.EndOfFile)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                var t = Current;
                if (t.IsSymbol(';'))
                {
                    _pos++;
                }
                else if (t.IsIdentifier("syntax") || t.IsIdentifier("edition"))
                {
                    _pos++;
                    Expect('=');
                    ExpectKind(TokenKind.String, "a string");
                    Expect(';');
                }
                else if (t.IsIdentifier("package"))
                {
                    _pos++;
                    _package = ParseFullIdent();
                    Expect(';');
                }
                else if (t.IsIdentifier("import"))
                {
                    _pos++;
                    if (Current.IsIdentifier("public") || Current.IsIdentifier("weak"))
                    {
                        _pos++;
                    }

                    ExpectKind(TokenKind.String, "a string");
                    Expect(';');
                }
                else if (t.IsIdentifier("option"))
                {
                    ParseFileOption();
                }
                else if (t.IsIdentifier("message"))
                {
                    messages.Add(ParseMessage());
                }
                else if (t.IsIdentifier("enum"))
                {
                    enums.Add(ParseEnum());
                }
                else if (t.IsIdentifier("service") || t.IsIdentifier("extend"))
                {
                    // Services and extension declarations carry no field rules of ours.
                    _pos++;
                    ParseFullIdent();
                    SkipBlock();
                }
                else
                {
                    throw Error("expected a top-level declaration but found " + t);
                }
            }
        }
        catch (ProtoSyntaxException ex)
        {
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.ProtoSyntaxError, Loc(ex.Span), FileName(_path), ex.Message));

            // Half a file would generate half the checks; generate none for it.
            messages.Clear();
            enums.Clear();
        }

        return new ProtoFileSyntax(
            _path,
            _package,
            _csharpNamespace,
            messages.ToEquatableArray(),
            enums.ToEquatableArray(),
            _diagnostics.ToEquatableArray());
    }

    private void ParseFileOption()
    {
        _pos++;
        var (name, _, _) = ParseOptionName();
        Expect('=');
        if (name == "csharp_namespace" && Current.Kind == TokenKind.String)
        {
            _csharpNamespace = ParseStrings();
        }
        else
        {
            SkipConstant();
        }

        Expect(';');
    }

    private MessageSyntax ParseMessage()
    {
        _pos++;
        var name = ExpectKind(TokenKind.Identifier, "a message name").Text;
        Expect('{');
        var fields = new List<FieldSyntax>();
        var oneofs = new List<string>();
        var nestedMessages = new List<MessageSyntax>();
        var nestedEnums = new List<EnumSyntax>();
        while (!Current.IsSymbol('}'))
        {
            _cancellationToken.ThrowIfCancellationRequested();
            var t = Current;
            if (t.Kind == TokenKind.EndOfFile)
            {
                throw Error("expected '}' to close message '" + name + "'");
            }

            if (t.IsSymbol(';'))
            {
                _pos++;
            }
            else if (t.IsIdentifier("message"))
            {
                nestedMessages.Add(ParseMessage());
            }
            else if (t.IsIdentifier("enum"))
            {
                nestedEnums.Add(ParseEnum());
            }
            else if (t.IsIdentifier("option"))
            {
                SkipOptionStatement();
            }
            else if (t.IsIdentifier("reserved") || t.IsIdentifier("extensions"))
            {
                SkipStatement();
            }
            else if (t.IsIdentifier("extend"))
            {
                _pos++;
                ParseFullIdent();
                SkipBlock();
            }
            else if (t.IsIdentifier("oneof"))
            {
                _pos++;
                var oneofName = ExpectKind(TokenKind.Identifier, "a oneof name").Text;
                oneofs.Add(oneofName);
                Expect('{');
                while (!Current.IsSymbol('}'))
                {
                    if (Current.Kind == TokenKind.EndOfFile)
                    {
                        throw Error("expected '}' to close oneof '" + oneofName + "'");
                    }

                    if (Current.IsSymbol(';'))
                    {
                        _pos++;
                    }
                    else if (Current.IsIdentifier("option"))
                    {
                        SkipOptionStatement();
                    }
                    else
                    {
                        fields.Add(ParseField(oneofName));
                    }
                }

                _pos++;
            }
            else
            {
                fields.Add(ParseField(null));
            }
        }

        _pos++;
        return new MessageSyntax(
            name,
            fields.ToEquatableArray(),
            oneofs.ToEquatableArray(),
            nestedMessages.ToEquatableArray(),
            nestedEnums.ToEquatableArray());
    }

    private FieldSyntax ParseField(string? oneofName)
    {
        var label = FieldLabel.None;
        var typeStart = Current.Start;
        if (oneofName is null)
        {
            if (Current.IsIdentifier("repeated"))
            {
                label = FieldLabel.Repeated;
            }
            else if (Current.IsIdentifier("optional"))
            {
                label = FieldLabel.Optional;
            }
            else if (Current.IsIdentifier("required"))
            {
                label = FieldLabel.Required;
            }

            if (label != FieldLabel.None)
            {
                _pos++;
            }
        }

        string typeName;
        var isMap = false;
        if (Current.IsIdentifier("map") && _tokens[_pos + 1].IsSymbol('<'))
        {
            _pos += 2;
            ParseFullIdent();
            Expect(',');
            typeName = ParseFullIdent();
            Expect('>');
            isMap = true;
        }
        else if (Current.IsIdentifier("group"))
        {
            throw Error("proto2 groups are not supported");
        }
        else
        {
            typeName = ParseFullIdent();
        }

        var typeDisplay = _text.ToString(TextSpan.FromBounds(typeStart, _tokens[_pos - 1].Start + _tokens[_pos - 1].Length));
        var nameToken = ExpectKind(TokenKind.Identifier, "a field name");
        Expect('=');
        ExpectKind(TokenKind.Number, "a field number");
        RulesSyntax? rules = null;
        if (Current.IsSymbol('['))
        {
            rules = ParseFieldOptions(nameToken.Text);
        }

        Expect(';');
        return new FieldSyntax(nameToken.Text, typeName, typeDisplay, label, isMap, oneofName, rules, Loc(nameToken.Span));
    }

    /// <summary>Parses <c>[a = 1, (x.y).z = 2, ...]</c>, keeping only the rules option(s).</summary>
    private RulesSyntax? ParseFieldOptions(string fieldName)
    {
        _pos++;
        var entries = new List<RuleEntrySyntax>();
        LocationInfo? rulesLocation = null;
        while (true)
        {
            var optionStart = Current;
            var (_, extension, subPath) = ParseOptionName();
            var optionNameSpan = TextSpan.FromBounds(optionStart.Start, _tokens[_pos - 1].Start + _tokens[_pos - 1].Length);
            Expect('=');
            if (extension is not null && IsRulesExtension(extension))
            {
                rulesLocation ??= Loc(optionNameSpan);
                if (subPath.Count > 1)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnparsableRules, Loc(optionNameSpan), fieldName, "nested rule paths are not supported"));
                    SkipConstant();
                }
                else if (subPath.Count == 1)
                {
                    // (bertig.v1.rules).max_len = 128
                    var value = ParseRuleValueOrReport(fieldName);
                    if (value is not null)
                    {
                        entries.Add(new RuleEntrySyntax(subPath[0].Text, Loc(subPath[0].Span), value));
                    }
                }
                else
                {
                    ParseRulesLiteral(fieldName, entries);
                }
            }
            else
            {
                SkipConstant();
            }

            if (Current.IsSymbol(','))
            {
                _pos++;
                continue;
            }

            Expect(']');
            break;
        }

        return rulesLocation is null ? null : new RulesSyntax(entries.ToEquatableArray(), rulesLocation);
    }

    private RuleValueSyntax? ParseRuleValueOrReport(string fieldName)
    {
        var start = _pos;
        try
        {
            return ParseTextValue();
        }
        catch (ProtoSyntaxException ex)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnparsableRules, Loc(ex.Span), fieldName, ex.Message));
            _pos = start;
            SkipConstant();
            return null;
        }
    }

    /// <summary>
    /// Parses the text-format literal <c>{ key: value, ... }</c>. On a malformed literal it reports BIG001
    /// and skips to the matching brace, so the rest of the file is still read.
    /// </summary>
    private void ParseRulesLiteral(string fieldName, List<RuleEntrySyntax> entries)
    {
        var open = Current;
        if (!open.IsSymbol('{'))
        {
            _diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnparsableRules, Loc(open.Span), fieldName, "expected a message literal '{ ... }' but found " + open));
            SkipConstant();
            return;
        }

        var start = _pos;
        var parsed = new List<RuleEntrySyntax>();
        try
        {
            _pos++;
            while (!Current.IsSymbol('}'))
            {
                parsed.Add(ParseTextEntry());
                if (Current.IsSymbol(',') || Current.IsSymbol(';'))
                {
                    _pos++;
                }
            }

            _pos++;
            entries.AddRange(parsed);
        }
        catch (ProtoSyntaxException ex)
        {
            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnparsableRules, Loc(ex.Span), fieldName, ex.Message));
            _pos = start;
            SkipBrokenLiteral();
        }
    }

    /// <summary>
    /// Skips a malformed literal: up to its matching '}', or up to a ']' or ';' that is not inside a nested
    /// brace (the literal was left open), so that the field's option list and the file parse on.
    /// </summary>
    private void SkipBrokenLiteral()
    {
        var depth = 0;
        while (Current.Kind != TokenKind.EndOfFile)
        {
            if (Current.IsSymbol('{'))
            {
                depth++;
            }
            else if (Current.IsSymbol('}'))
            {
                depth--;
                if (depth == 0)
                {
                    _pos++;
                    return;
                }
            }
            else if (depth == 1 && (Current.IsSymbol(']') || Current.IsSymbol(';')))
            {
                return;
            }

            _pos++;
        }
    }

    private RuleEntrySyntax ParseTextEntry()
    {
        var key = Current;
        if (key.IsSymbol('['))
        {
            throw Error("extension keys are not supported in rules");
        }

        if (key.Kind != TokenKind.Identifier)
        {
            throw Error("expected a rule name or '}' but found " + key);
        }

        _pos++;
        if (Current.IsSymbol(':'))
        {
            _pos++;
        }
        else if (!Current.IsSymbol('{') && !Current.IsSymbol('<'))
        {
            throw Error("expected ':' after '" + key.Text + "' but found " + Current);
        }

        return new RuleEntrySyntax(key.Text, Loc(key.Span), ParseTextValue());
    }

    private RuleValueSyntax ParseTextValue()
    {
        var t = Current;
        if (t.IsSymbol('{') || t.IsSymbol('<'))
        {
            var close = t.IsSymbol('{') ? '}' : '>';
            var start = _pos;
            SkipBalanced(t.Text[0], close);
            return Value(RuleValueKind.Message, start);
        }

        if (t.IsSymbol('['))
        {
            var start = _pos;
            SkipBalanced('[', ']');
            return Value(RuleValueKind.List, start);
        }

        if (t.IsSymbol('-') || t.IsSymbol('+'))
        {
            var start = _pos;
            _pos++;
            if (Current.Kind != TokenKind.Number && Current.Kind != TokenKind.Identifier)
            {
                throw Error("expected a number after '" + t.Text + "' but found " + Current);
            }

            _pos++;
            return Value(RuleValueKind.Number, start);
        }

        switch (t.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return new RuleValueSyntax(RuleValueKind.Number, t.Text, Loc(t.Span));
            case TokenKind.Identifier:
                _pos++;
                return new RuleValueSyntax(RuleValueKind.Identifier, t.Text, Loc(t.Span));
            case TokenKind.String:
                var first = _pos;
                var value = ParseStrings();
                var span = TextSpan.FromBounds(_tokens[first].Start, _tokens[_pos - 1].Start + _tokens[_pos - 1].Length);
                return new RuleValueSyntax(RuleValueKind.String, value, Loc(span));
            default:
                throw Error("expected a value but found " + t);
        }
    }

    private RuleValueSyntax Value(RuleValueKind kind, int startToken)
    {
        var last = _tokens[_pos - 1];
        var span = TextSpan.FromBounds(_tokens[startToken].Start, last.Start + last.Length);
        return new RuleValueSyntax(kind, _text.ToString(span), Loc(span));
    }

    private EnumSyntax ParseEnum()
    {
        _pos++;
        var name = ExpectKind(TokenKind.Identifier, "an enum name").Text;
        Expect('{');
        var values = new List<EnumValueSyntax>();
        while (!Current.IsSymbol('}'))
        {
            var t = Current;
            if (t.Kind == TokenKind.EndOfFile)
            {
                throw Error("expected '}' to close enum '" + name + "'");
            }

            if (t.IsSymbol(';'))
            {
                _pos++;
            }
            else if (t.IsIdentifier("option"))
            {
                SkipOptionStatement();
            }
            else if (t.IsIdentifier("reserved"))
            {
                SkipStatement();
            }
            else
            {
                var valueName = ExpectKind(TokenKind.Identifier, "an enum value name").Text;
                Expect('=');
                var negative = false;
                if (Current.IsSymbol('-'))
                {
                    negative = true;
                    _pos++;
                }

                var numberToken = ExpectKind(TokenKind.Number, "an enum value number");
                if (!RuleValues.TryParseInteger(numberToken.Text, out var magnitude) || magnitude > (negative ? 2147483648UL : int.MaxValue))
                {
                    throw new ProtoSyntaxException("enum value " + valueName + " is not a 32-bit integer", numberToken.Span);
                }

                var number = negative ? (int)-(long)magnitude : (int)magnitude;
                if (Current.IsSymbol('['))
                {
                    SkipBalanced('[', ']');
                }

                Expect(';');
                values.Add(new EnumValueSyntax(valueName, number));
            }
        }

        _pos++;
        return new EnumSyntax(name, values.ToEquatableArray());
    }

    /// <summary>
    /// Parses an option name: a simple name, or <c>(full.ident)</c> followed by <c>.sub.path</c>.
    /// Returns the dotted text, the extension name in parentheses (if any), and the tokens of the sub path.
    /// </summary>
    /// <summary>Skips an <c>option name = constant;</c> statement whose value the generator does not need.</summary>
    private void SkipOptionStatement()
    {
        _pos++;
        ParseOptionName();
        Expect('=');
        SkipConstant();
        Expect(';');
    }

    private (string Name, string? Extension, List<Token> SubPath) ParseOptionName()
    {
        string? extension = null;
        string name;
        var subPath = new List<Token>();
        if (Current.IsSymbol('('))
        {
            _pos++;
            extension = ParseFullIdent();
            Expect(')');
            name = "(" + extension + ")";
        }
        else
        {
            var first = ExpectKind(TokenKind.Identifier, "an option name");
            name = first.Text;
        }

        while (Current.IsSymbol('.'))
        {
            _pos++;
            var part = ExpectKind(TokenKind.Identifier, "an option name part");
            subPath.Add(part);
            name += "." + part.Text;
        }

        return (name, extension, subPath);
    }

    /// <summary>
    /// True when an extension name written in this file refers to bertig.v1.rules, either fully
    /// qualified or relative to the file's package (protobuf resolves it from the innermost scope out).
    /// </summary>
    private bool IsRulesExtension(string extension)
    {
        if (extension.StartsWith(".", StringComparison.Ordinal))
        {
            return extension.Substring(1) == RulesExtensionName;
        }

        var scope = _package;
        while (true)
        {
            var candidate = scope.Length == 0 ? extension : scope + "." + extension;
            if (candidate == RulesExtensionName)
            {
                return true;
            }

            if (scope.Length == 0)
            {
                return false;
            }

            var dot = scope.LastIndexOf('.');
            scope = dot < 0 ? string.Empty : scope.Substring(0, dot);
        }
    }

    private string ParseFullIdent()
    {
        var name = string.Empty;
        if (Current.IsSymbol('.'))
        {
            _pos++;
            name = ".";
        }

        name += ExpectKind(TokenKind.Identifier, "a name").Text;
        while (Current.IsSymbol('.'))
        {
            _pos++;
            name += "." + ExpectKind(TokenKind.Identifier, "a name").Text;
        }

        return name;
    }

    private string ParseStrings()
    {
        // Adjacent string literals concatenate, as in C.
        var value = ExpectKind(TokenKind.String, "a string").Text;
        while (Current.Kind == TokenKind.String)
        {
            value += Current.Text;
            _pos++;
        }

        return value;
    }

    /// <summary>Skips an option value: a scalar (with sign), one or more strings, or a braced literal.</summary>
    private void SkipConstant()
    {
        if (Current.IsSymbol('{'))
        {
            SkipBalanced('{', '}');
            return;
        }

        if (Current.IsSymbol('-') || Current.IsSymbol('+'))
        {
            _pos++;
        }

        if (Current.Kind == TokenKind.String)
        {
            ParseStrings();
        }
        else if (Current.Kind == TokenKind.Identifier || Current.Kind == TokenKind.Number)
        {
            if (Current.Kind == TokenKind.Identifier)
            {
                ParseFullIdent();
            }
            else
            {
                _pos++;
            }
        }
        else
        {
            throw Error("expected an option value but found " + Current);
        }
    }

    private void SkipStatement()
    {
        while (!Current.IsSymbol(';'))
        {
            if (Current.Kind == TokenKind.EndOfFile)
            {
                throw Error("expected ';'");
            }

            _pos++;
        }

        _pos++;
    }

    private void SkipBlock()
    {
        if (!Current.IsSymbol('{'))
        {
            throw Error("expected '{' but found " + Current);
        }

        SkipBalanced('{', '}');
    }

    private void SkipBalanced(char open, char close)
    {
        var openToken = Current;
        var depth = 0;
        do
        {
            if (Current.Kind == TokenKind.EndOfFile)
            {
                throw new ProtoSyntaxException("no matching '" + close + "' for this '" + open + "'", openToken.Span);
            }

            if (Current.IsSymbol(open))
            {
                depth++;
            }
            else if (Current.IsSymbol(close))
            {
                depth--;
            }

            _pos++;
        }
        while (depth > 0);
    }

    private void Expect(char symbol)
    {
        if (!Current.IsSymbol(symbol))
        {
            throw Error("expected '" + symbol + "' but found " + Current);
        }

        _pos++;
    }

    private Token ExpectKind(TokenKind kind, string what)
    {
        var t = Current;
        if (t.Kind != kind)
        {
            throw Error("expected " + what + " but found " + t);
        }

        _pos++;
        return t;
    }

    private ProtoSyntaxException Error(string message) => new(message, Current.Span);

    private LocationInfo Loc(TextSpan span) => new(_path, span, _text.Lines.GetLinePositionSpan(span));

    private static string FileName(string path)
    {
        var slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return slash < 0 ? path : path.Substring(slash + 1);
    }
}
