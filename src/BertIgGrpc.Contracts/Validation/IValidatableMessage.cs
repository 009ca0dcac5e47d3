namespace BertIgGrpc.Contracts.Validation;

/// <summary>
/// Implemented by every message that declares <c>(buf.validate.field)</c> rules in protos/.
/// The implementation is emitted at compile time by BertIgGrpc.Contracts.Generator; nothing is hand-written.
/// </summary>
public interface IValidatableMessage
{
    /// <summary>Checks the declared rules and returns every violation (empty when valid).</summary>
    IReadOnlyList<FieldViolation> Validate();
}
