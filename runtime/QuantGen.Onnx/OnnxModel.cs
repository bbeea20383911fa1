using System.Collections.Generic;

namespace QuantGen.Onnx
{
    /// <summary>The subset of onnx.proto's ModelProto the importer reads (field numbers in <see cref="OnnxReader"/>).</summary>
    public sealed class OnnxModel
    {
        public long IrVersion { get; set; }

        public string ProducerName { get; set; } = string.Empty;

        public List<OnnxOpset> Opsets { get; } = new List<OnnxOpset>();

        public OnnxGraph? Graph { get; set; }

        /// <summary>Version of the default ("" or "ai.onnx") domain, 0 when not imported.</summary>
        public long DefaultOpset
        {
            get
            {
                foreach (OnnxOpset o in Opsets)
                {
                    if (o.Domain.Length == 0 || o.Domain == "ai.onnx")
                    {
                        return o.Version;
                    }
                }

                return 0;
            }
        }
    }

    public sealed class OnnxOpset
    {
        public string Domain { get; set; } = string.Empty;

        public long Version { get; set; }
    }

    public sealed class OnnxGraph
    {
        public string Name { get; set; } = string.Empty;

        public List<OnnxNode> Nodes { get; } = new List<OnnxNode>();

        public List<OnnxTensor> Initializers { get; } = new List<OnnxTensor>();

        public List<OnnxValueInfo> Inputs { get; } = new List<OnnxValueInfo>();

        public List<OnnxValueInfo> Outputs { get; } = new List<OnnxValueInfo>();

        public List<OnnxValueInfo> ValueInfo { get; } = new List<OnnxValueInfo>();

        public int SparseInitializers { get; set; }
    }

    public sealed class OnnxNode
    {
        public string Name { get; set; } = string.Empty;

        public string OpType { get; set; } = string.Empty;

        public string Domain { get; set; } = string.Empty;

        public List<string> Inputs { get; } = new List<string>();

        public List<string> Outputs { get; } = new List<string>();

        public List<OnnxAttribute> Attributes { get; } = new List<OnnxAttribute>();

        /// <summary>Position in the graph's node list.</summary>
        public int Index { get; set; }

        /// <summary>"node 'name' (OpType)", the place every diagnostic about the node names.</summary>
        public string Place => "node '" + (Name.Length > 0 ? Name : "#" + Index) + "' (" + OpType + ")";

        public OnnxAttribute? Attribute(string name) => Attributes.Find(a => a.Name == name);
    }

    /// <summary>AttributeProto.AttributeType values.</summary>
    public enum OnnxAttributeType
    {
        Undefined = 0,
        Float = 1,
        Int = 2,
        String = 3,
        Tensor = 4,
        Graph = 5,
        Floats = 6,
        Ints = 7,
        Strings = 8,
        Tensors = 9,
        Graphs = 10,
        SparseTensor = 11,
        TypeProto = 13,
        TypeProtos = 14,
    }

    public sealed class OnnxAttribute
    {
        public string Name { get; set; } = string.Empty;

        public OnnxAttributeType Type { get; set; }

        public float F { get; set; }

        public long I { get; set; }

        public byte[] S { get; set; } = new byte[0];

        public OnnxTensor? T { get; set; }

        public List<float> Floats { get; } = new List<float>();

        public List<long> Ints { get; } = new List<long>();

        public bool HasGraph { get; set; }
    }

    /// <summary>TensorProto.DataType values the importer knows by name.</summary>
    public static class OnnxDataType
    {
        public const int Float = 1;
        public const int UInt8 = 2;
        public const int Int8 = 3;
        public const int UInt16 = 4;
        public const int Int16 = 5;
        public const int Int32 = 6;
        public const int Int64 = 7;
        public const int String = 8;
        public const int Bool = 9;
        public const int Float16 = 10;
        public const int Double = 11;
        public const int UInt32 = 12;
        public const int UInt64 = 13;
        public const int BFloat16 = 16;
        public const int UInt4 = 21;
        public const int Int4 = 22;

        public static string Name(int t) => t switch
        {
            Float => "float",
            UInt8 => "uint8",
            Int8 => "int8",
            UInt16 => "uint16",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            String => "string",
            Bool => "bool",
            Float16 => "float16",
            Double => "double",
            UInt32 => "uint32",
            UInt64 => "uint64",
            BFloat16 => "bfloat16",
            UInt4 => "uint4",
            Int4 => "int4",
            _ => "data type " + t,
        };
    }

    public sealed class OnnxTensor
    {
        public string Name { get; set; } = string.Empty;

        public List<long> Dims { get; } = new List<long>();

        public int DataType { get; set; }

        public byte[]? RawData { get; set; }

        public List<float> FloatData { get; } = new List<float>();

        public List<long> Int32Data { get; } = new List<long>();

        public List<long> Int64Data { get; } = new List<long>();

        public List<double> DoubleData { get; } = new List<double>();

        public List<ulong> UInt64Data { get; } = new List<ulong>();

        public int StringCount { get; set; }

        public List<KeyValuePair<string, string>> ExternalData { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>TensorProto.DataLocation: 0 default, 1 external.</summary>
        public int DataLocation { get; set; }

        public bool HasSegment { get; set; }
    }

    /// <summary>ValueInfoProto with a tensor type; <see cref="Dims"/> null when the type has no shape.</summary>
    public sealed class OnnxValueInfo
    {
        public string Name { get; set; } = string.Empty;

        public int ElemType { get; set; }

        public bool IsTensor { get; set; }

        public List<OnnxDim>? Dims { get; set; }
    }

    public sealed class OnnxDim
    {
        public long? Value { get; set; }

        public string? Param { get; set; }

        public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? (string.IsNullOrEmpty(Param) ? "?" : Param!);
    }
}
