using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BertIgGrpc.Contracts.Generator.Model;

/// <summary>
/// A place in a .proto file. Kept as plain values (not <see cref="Location"/>) so that models holding it
/// stay equatable and do not root syntax trees or source texts between generator runs.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}

/// <summary>A diagnostic to report later, in value form (descriptor id, place, message arguments).</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params string[] args)
        => new(descriptor.Id, location, args.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        // Arguments are boxed into object[] as Diagnostic.Create expects a params object array.
        var args = new object[MessageArgs.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = MessageArgs[i];
        }

        return Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location.ToLocation(), args);
    }
}
