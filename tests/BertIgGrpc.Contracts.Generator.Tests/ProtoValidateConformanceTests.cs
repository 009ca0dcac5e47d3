using BertIgGrpc.Contracts.Validation;
using BertIgGrpc.Contracts.V1;
using Buf.Validate;
using Google.Protobuf;
using ProtoValidate;

namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>
/// The generated, reflection-free Validate() and the protovalidate runtime (ProtoValidate NuGet, CEL over the same
/// descriptors) must agree on every request of a corpus that hits each rule of the contract on both sides of each
/// boundary: same verdict, same violated field paths.
/// </summary>
public sealed class ProtoValidateConformanceTests
{
    // Lazy loading: the runtime builds its evaluators from the message descriptors on first use.
    private static readonly Validator Runtime = new(new ValidatorOptions { PreLoadDescriptors = false, DisableLazy = false });

    private static readonly string Emoji = "\U0001F600"; // one code point, two UTF-16 code units, four UTF-8 bytes

    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    public static TheoryData<string> ExplainCorpus => new(ExplainCases.Keys);

    public static TheoryData<string> PredictCorpus => new(PredictCases.Keys);

    private static readonly Dictionary<string, Action<ExplainRequest>> ExplainCases = new()
    {
        ["valid minimal"] = _ => { },
        ["text empty"] = r => r.Text = "",
        ["text space"] = r => r.Text = " ",
        ["text tab newline"] = r => r.Text = "\t\n",
        ["text no-break space"] = r => r.Text = "\u00a0",
        ["text one char"] = r => r.Text = "a",
        ["text at byte limit"] = r => r.Text = new string('a', 262144),
        ["text over byte limit"] = r => r.Text = new string('a', 262145),
        ["text euro under byte limit"] = r => r.Text = new string('\u20ac', 87381),
        ["text euro over byte limit"] = r => r.Text = new string('\u20ac', 87382),
        ["text blank and over byte limit"] = r => r.Text = new string(' ', 262145),
        ["text_pair at byte limit"] = r => r.TextPair = new string('b', 262144),
        ["text_pair over byte limit"] = r => r.TextPair = new string('b', 262145),
        ["text_pair blank"] = r => r.TextPair = "  ",
        ["model at 128"] = r => r.Model = new string('m', 128),
        ["model at 129"] = r => r.Model = new string('m', 129),
        ["model 128 emoji"] = r => r.Model = Repeat(Emoji, 128),
        ["model 129 emoji"] = r => r.Model = Repeat(Emoji, 129),
        ["target_index -1"] = r => r.TargetIndex = -1,
        ["target_index 0"] = r => r.TargetIndex = 0,
        ["target_index 65535"] = r => r.TargetIndex = 65535,
        ["target_index 65536"] = r => r.TargetIndex = 65536,
        ["target_label empty"] = r => r.TargetLabel = "",
        ["target_label blank"] = r => r.TargetLabel = " \t",
        ["target_label one char"] = r => r.TargetLabel = "a",
        ["target_label at 256"] = r => r.TargetLabel = new string('l', 256),
        ["target_label at 257"] = r => r.TargetLabel = new string('l', 257),
        ["target_label 256 emoji"] = r => r.TargetLabel = Repeat(Emoji, 256),
        ["target_label 257 emoji"] = r => r.TargetLabel = Repeat(Emoji, 257),
        ["n_steps 0 (default)"] = r => r.NSteps = 0,
        ["n_steps -1"] = r => r.NSteps = -1,
        ["n_steps 1"] = r => r.NSteps = 1,
        ["n_steps 2048"] = r => r.NSteps = 2048,
        ["n_steps 2049"] = r => r.NSteps = 2049,
        ["method last defined"] = r => r.Method = (IntegrationMethod)4,
        ["method 5"] = r => r.Method = (IntegrationMethod)5,
        ["method -1"] = r => r.Method = (IntegrationMethod)(-1),
        ["baseline last defined"] = r => r.Baseline = (Baseline)3,
        ["baseline 4"] = r => r.Baseline = (Baseline)4,
        ["internal_batch_size -1"] = r => r.InternalBatchSize = -1,
        ["internal_batch_size 0"] = r => r.InternalBatchSize = 0,
        ["internal_batch_size 1024"] = r => r.InternalBatchSize = 1024,
        ["internal_batch_size 1025"] = r => r.InternalBatchSize = 1025,
        ["tolerance tiny negative"] = r => r.Tolerance = -1e-300,
        ["tolerance negative zero"] = r => r.Tolerance = -0.0,
        ["tolerance just under 1"] = r => r.Tolerance = Math.BitDecrement(1.0),
        ["tolerance 1"] = r => r.Tolerance = 1.0,
        ["tolerance NaN"] = r => r.Tolerance = double.NaN,
        ["tolerance +inf"] = r => r.Tolerance = double.PositiveInfinity,
        ["tolerance -inf"] = r => r.Tolerance = double.NegativeInfinity,
        ["max_steps 0 (default)"] = r => r.MaxSteps = 0,
        ["max_steps -1"] = r => r.MaxSteps = -1,
        ["max_steps 1"] = r => r.MaxSteps = 1,
        ["max_steps 2048"] = r => r.MaxSteps = 2048,
        ["max_steps 2049"] = r => r.MaxSteps = 2049,
        ["several broken"] = r =>
        {
            r.Text = "";
            r.Model = new string('m', 129);
            r.NSteps = -5;
            r.Method = (IntegrationMethod)9;
            r.Tolerance = 2;
            r.TargetLabel = " ";
        },
    };

    private static readonly Dictionary<string, Action<PredictRequest>> PredictCases = new()
    {
        ["valid one text"] = _ => { },
        ["texts none"] = r => r.Texts.Clear(),
        ["texts 256"] = r => r.Texts.AddRange(Enumerable.Repeat("t", 255)),
        ["texts 257"] = r => r.Texts.AddRange(Enumerable.Repeat("t", 256)),
        ["texts item empty"] = r => r.Texts.Add(""),
        ["texts item blank"] = r => r.Texts.Add(" \r\n"),
        ["texts item at byte limit"] = r => r.Texts.Add(new string('a', 262144)),
        ["texts item over byte limit"] = r => r.Texts.Add(new string('a', 262145)),
        ["texts item emoji over byte limit"] = r => r.Texts.Add(Repeat(Emoji, 65537)),
        ["texts several bad items"] = r => r.Texts.AddRange(["", "ok", " ", new string('a', 262145)]),
        ["model at 129"] = r => r.Model = new string('m', 129),
    };

    [Theory]
    [MemberData(nameof(ExplainCorpus))]
    public void ExplainRequest_GeneratedAndRuntimeAgree(string name)
    {
        var request = new ExplainRequest { Text = "x" };
        ExplainCases[name](request);

        // Every request message with ExplainRequest's fields (e.g. a separate unary request type) is held to the same
        // corpus: the bytes parse into it unchanged.
        var shaped = ExplainerReflection.Descriptor.MessageTypes.Where(SameFields(ExplainRequest.Descriptor)).ToList();
        Assert.Contains(ExplainRequest.Descriptor, shaped);
        foreach (var type in shaped)
        {
            var message = type.Parser.ParseFrom(request.ToByteString());
            AssertAgree(message, ((IValidatableMessage)message).Validate());
        }
    }

    private static Func<Google.Protobuf.Reflection.MessageDescriptor, bool> SameFields(Google.Protobuf.Reflection.MessageDescriptor like)
        => type => type.Fields.InFieldNumberOrder().Select(f => (f.FieldNumber, f.Name, f.FieldType))
            .SequenceEqual(like.Fields.InFieldNumberOrder().Select(f => (f.FieldNumber, f.Name, f.FieldType)));

    [Theory]
    [MemberData(nameof(PredictCorpus))]
    public void PredictRequest_GeneratedAndRuntimeAgree(string name)
    {
        var request = new PredictRequest { Texts = { "x" } };
        PredictCases[name](request);
        AssertAgree(request, request.Validate());
    }

    [Fact]
    public void Corpus_HasValidAndInvalidRequests()
    {
        // Guards the corpus itself: both verdicts occur, so agreement is not agreement on one answer.
        var verdicts = ExplainCases.Values.Select(mutate =>
        {
            var r = new ExplainRequest { Text = "x" };
            mutate(r);
            return r.Validate().Count == 0;
        }).ToList();
        Assert.Contains(true, verdicts);
        Assert.Contains(false, verdicts);
    }

    private static void AssertAgree(IMessage request, IReadOnlyList<FieldViolation> generated)
    {
        var runtime = Runtime.Validate(request, false);
        var expected = runtime.Violations.Select(v => Render(v.Field)).Order(StringComparer.Ordinal).ToList();
        var actual = generated.Select(v => v.Field).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    }

    private static string Render(FieldPath path) => string.Join(".", path.Elements.Select(e =>
        e.SubscriptCase == FieldPathElement.SubscriptOneofCase.Index ? e.FieldName + "[" + e.Index + "]" : e.FieldName));
}
