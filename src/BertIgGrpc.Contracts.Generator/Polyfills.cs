// netstandard2.0 lacks the marker type that C# needs for init-only setters (records).
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}
