using System;
using System.Collections.Generic;
using QuantGen.Model;

namespace QuantGen.Onnx
{
    /// <summary>Diagnostic ids of the ONNX importer (docs/diagnostics.md, QG4xxx).</summary>
    public static class OnnxErrors
    {
        /// <summary>The file cannot be read or is not a valid ONNX protobuf (truncated, corrupt, no graph).</summary>
        public const string CorruptProtobuf = "QG4001";

        /// <summary>Opset older than 13 (or an IR version without opsets).</summary>
        public const string UnsupportedOpset = "QG4002";

        /// <summary>An operator (or domain) the importer does not map.</summary>
        public const string UnsupportedOperator = "QG4003";

        /// <summary>A dynamic or unknown shape.</summary>
        public const string DynamicShape = "QG4004";

        /// <summary>External tensor data that cannot be found or read.</summary>
        public const string ExternalData = "QG4005";

        /// <summary>A tensor data type the importer does not read.</summary>
        public const string UnsupportedDataType = "QG4006";

        /// <summary>Tensor data that contradicts its dims or type.</summary>
        public const string MalformedTensor = "QG4007";

        /// <summary>Graph structure: inputs, outputs, undefined names, order.</summary>
        public const string GraphStructure = "QG4008";

        /// <summary>An attribute value the importer does not support (transA, a softmax axis, a 3-D conv...).</summary>
        public const string UnsupportedAttribute = "QG4009";

        /// <summary>QuantizeLinear / DequantizeLinear that cannot be mapped: non-constant or invalid scales, zero points.</summary>
        public const string InvalidQuantization = "QG4010";

        /// <summary>Calibration data missing, unreadable or of the wrong size.</summary>
        public const string Calibration = "QG4011";

        /// <summary>The imported model is rejected by QuantGen's own validation (graph builder, range analysis).</summary>
        public const string Rejected = "QG4012";
    }

    /// <summary>Thrown by the importer with every diagnostic it found; never any other exception for bad input.</summary>
    public sealed class OnnxImportException : Exception
    {
        public OnnxImportException(IReadOnlyList<ModelDiagnostic> diagnostics)
            : base(string.Join(Environment.NewLine, diagnostics))
        {
            Diagnostics = diagnostics;
        }

        public OnnxImportException(ModelDiagnostic diagnostic)
            : this(new[] { diagnostic })
        {
        }

        public IReadOnlyList<ModelDiagnostic> Diagnostics { get; }

        internal static OnnxImportException At(string id, string file, string place, string message) =>
            new OnnxImportException(new ModelDiagnostic(id, message, file, place, 0, 0));
    }
}
