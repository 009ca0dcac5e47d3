namespace BertIgGrpc.Contracts.Generator.Tests;

/// <summary>A sample contract that uses every supported rule and field shape, and the protoc C# it implies.</summary>
internal static class SampleProtos
{
    // Every rule and field shape: proto3 optional, repeated numbers, enums (top-level and nested, repeated),
    // bytes, a message field, a map, a oneof, and both option forms ((field).group.rule = v and (field).group = { ... }).
    internal const string OrderProto = """
        syntax = "proto3";
        package sample.v1;
        import "buf/validate/validate.proto";
        option csharp_namespace = "Sample.V1";

        enum Color {
          COLOR_UNSPECIFIED = 0;
          COLOR_RED = 1;
          COLOR_DARK_BLUE = 2;
        }

        message Order {
          string name = 1 [(buf.validate.field).required = true, (buf.validate.field).string = { min_len: 2, max_len: 10 }];
          optional int64 quantity = 2 [(buf.validate.field).int64 = { gt: 0, lte: 1000 }];
          repeated double weights = 3 [(buf.validate.field).repeated = { max_items: 4, items: { double: { gte: -1.5, lte: 1.5 } } }];
          Color color = 4 [(buf.validate.field).enum.defined_only = true, (buf.validate.field).required = true];
          bytes payload = 5 [(buf.validate.field).bytes.max_len = 16];
          Item first = 6 [(buf.validate.field).required = true];
          map<string, int32> tags = 7 [(buf.validate.field).map.max_pairs = 3];
          oneof choice {
            uint32 code = 8 [(buf.validate.field).uint32.lt = 100];
            float ratio = 9 [(buf.validate.field).float = { gt: 0, lt: 1 }];
          }
          string note = 10 [deprecated = true, (buf.validate.field).string.max_bytes = 8, json_name = "memo"];

          message Item {
            repeated Shade shades = 1 [(buf.validate.field).repeated = { min_items: 1, items: { enum: { defined_only: true } } }];
            enum Shade {
              SHADE_LIGHT = 0;
              SHADE_DARK = 1;
            }
          }
        }
        """;

    // What protoc's C# plugin would generate for OrderProto, reduced to the members Validate() reads.
    internal const string OrderStubs = """
        namespace Sample.V1
        {
            public enum Color { Unspecified = 0, Red = 1, DarkBlue = 2 }

            public sealed partial class Order
            {
                private long quantity_;
                private uint code_;
                private float ratio_;

                public enum ChoiceOneofCase { None = 0, Code = 8, Ratio = 9 }

                public string Name { get; set; } = "";
                public long Quantity { get => quantity_; set { quantity_ = value; HasQuantity = true; } }
                public bool HasQuantity { get; private set; }
                public global::Google.Protobuf.Collections.RepeatedField<double> Weights { get; } = new();
                public global::Sample.V1.Color Color { get; set; }
                public global::Google.Protobuf.ByteString Payload { get; set; } = global::Google.Protobuf.ByteString.Empty;
                public global::Sample.V1.Order.Types.Item? First { get; set; }
                public global::Google.Protobuf.Collections.MapField<string, int> Tags { get; } = new();
                public ChoiceOneofCase ChoiceCase { get; private set; }
                public uint Code { get => code_; set { code_ = value; ChoiceCase = ChoiceOneofCase.Code; } }
                public float Ratio { get => ratio_; set { ratio_ = value; ChoiceCase = ChoiceOneofCase.Ratio; } }
                public string Note { get; set; } = "";

                public static partial class Types
                {
                    public sealed partial class Item
                    {
                        public global::Google.Protobuf.Collections.RepeatedField<global::Sample.V1.Order.Types.Item.Types.Shade> Shades { get; } = new();

                        public static partial class Types
                        {
                            public enum Shade { Light = 0, Dark = 1 }
                        }
                    }
                }
            }
        }
        """;
}
