namespace BertIgGrpc.Contracts.Validation;

/// <summary>One broken rule: the field path in proto naming (e.g. <c>text</c>, <c>texts[2]</c>) and what is wrong.</summary>
/// <param name="Field">The proto field path.</param>
/// <param name="Description">A human-readable description naming the limit.</param>
public sealed record FieldViolation(string Field, string Description);
